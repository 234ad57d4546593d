"""Bad input through the administration forms (provinces, units, accounts): each refusal re-shows
the form (200) with the specific Vietnamese message and saves nothing; accepted input is stored
trimmed, NFC and (e-mail) lower-cased; a stale edit keeps the input beside the stored value."""

import unicodedata
from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from tests.agreements.test_forms import (
    BAD_CHOICE,
    BAD_DATE,
    CODE_FORMAT,
    END_AFTER_START,
    REQUIRED,
    STALE,
    STORED_LABEL,
    assert_refused,
    at_most,
    count,
    form_values,
    nfd,
    read_form,
    resolve,
    snapshot,
)
from tests.conftest import text_of
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.org.models import ChangeKind, Province, Side, Unit

# -- the Vietnamese messages (msgstr of translations/vi/LC_MESSAGES/messages.po) ----------------

VALID_UNTIL_MISSING = "Vui lòng nhập ngày hết hiệu lực."
CHANGE_KIND_MISSING = "Vui lòng nêu hình thức thay đổi (đổi tên, sáp nhập…)."
PROVINCE_SIDE_NEEDS_PROVINCE = "Đơn vị thuộc phía tỉnh phải gắn với một tỉnh, thành phố."
SUCCESSOR_LOOP = "Chuỗi kế thừa không hợp lệ: sẽ quay vòng lại chính bản ghi này."
PASSWORD_SHORT = "Mật khẩu phải có ít nhất 12 ký tự."
EMAIL_USED = "Đã có tài khoản sử dụng địa chỉ thư điện tử này."
EMAIL_INVALID = "Vui lòng nhập địa chỉ thư điện tử hợp lệ."
ROLE_NEEDS_UNIT = "Người dùng có vai trò này phải thuộc một đơn vị."
VNPT_NEEDS_VNPT_UNIT = "Cán bộ VNPT phải thuộc một đơn vị của VNPT."
DIC_NEEDS_PROVINCE_UNIT = "Cán bộ Sở phải thuộc một đơn vị của tỉnh."
OWN_ADMIN_RIGHTS = "Bạn không thể tự gỡ quyền quản trị hoặc tự khóa tài khoản của mình."


def code_used(code: str) -> str:
    return f"Mã {code} đã được sử dụng."


GOOD_PASSWORD = "mật khẩu đủ dài 2024"


@pytest.fixture
def admin(db, auth):
    """factories.world(), signed in as the administrator."""
    w = factories.world()
    response = auth.login("admin@example.vn")
    assert response.status_code == 302
    return w


def _province_data(w):
    return {
        "code": "prov-qt",
        "name": "Quảng Trị",
        "valid_from": "",
        "valid_to": "",
        "successor_id": "0",
        "change_kind": "",
    }


def _unit_data(w):
    return {
        "code": "SKHCN-qb",
        "name": "Sở Khoa học và Công nghệ Quảng Bình",
        "short_name": "",
        "kind": "department",
        "side": "province",
        "province_id": str(w["qb"]["province"].id),
        "valid_from": "",
        "valid_to": "",
        "successor_id": "0",
        "change_kind": "",
    }


def _user_data(w):
    return {
        "email": "nguyen.van.a@example.vn",
        "full_name": "Nguyễn Văn A",
        "role": "dic",
        "unit_id": str(w["qb"]["dic_unit"].id),
        "active": "y",
        "password": GOOD_PASSWORD,
    }


#: form -> (model, new url, edit url, the row an edit changes, valid data for "new")
FORMS = {
    "province": (
        Province,
        "/admin/provinces/new",
        lambda w: f"/admin/provinces/{w['qb']['province'].id}/edit",
        lambda w: w["qb"]["province"],
        _province_data,
    ),
    "unit": (
        Unit,
        "/admin/units/new",
        lambda w: f"/admin/units/{w['qb']['dic_unit'].id}/edit",
        lambda w: w["qb"]["dic_unit"],
        _unit_data,
    ),
    "user": (
        User,
        "/admin/users/new",
        lambda w: f"/admin/users/{w['qb']['dic'].id}/edit",
        lambda w: w["qb"]["dic"],
        _user_data,
    ),
}


def _vl(key):
    return lambda w: str(w["vl"][key].id)


def _qb(key):
    return lambda w: str(w["qb"][key].id)


CASES = [
    # province
    ("province", {"code": ""}, REQUIRED),
    ("province", {"name": ""}, REQUIRED),
    ("province", {"name": "   "}, REQUIRED),
    ("province", {"name": "x" * 121}, at_most(120)),
    ("province", {"code": "p" * 41}, at_most(40)),
    ("province", {"code": "prov qt"}, CODE_FORMAT),
    ("province", {"code": "Quảng-Trị"}, CODE_FORMAT),
    ("province", {"code": "PROV-VL"}, code_used("PROV-VL")),
    ("province", {"valid_from": "2025-07-01", "valid_to": "2025-06-30"}, END_AFTER_START),
    ("province", {"valid_to": "30/06/2025"}, BAD_DATE),
    (
        "province",
        {
            "successor_id": lambda w: str(w["vl"]["province"].id),
            "valid_to": "",
            "change_kind": "merged",
        },
        VALID_UNTIL_MISSING,
    ),
    (
        "province",
        {
            "successor_id": lambda w: str(w["vl"]["province"].id),
            "valid_to": "2025-06-30",
            "change_kind": "",
        },
        CHANGE_KIND_MISSING,
    ),
    ("province", {"change_kind": "annexed"}, BAD_CHOICE),
    ("province", {"successor_id": "99999"}, BAD_CHOICE),
    # unit
    ("unit", {"code": ""}, REQUIRED),
    ("unit", {"name": ""}, REQUIRED),
    ("unit", {"name": "x" * 301}, at_most(300)),
    ("unit", {"code": "U" * 41}, at_most(40)),
    ("unit", {"short_name": "x" * 81}, at_most(80)),
    ("unit", {"code": "SKHCN qb"}, CODE_FORMAT),
    ("unit", {"code": "Sở-KHCN"}, CODE_FORMAT),
    ("unit", {"code": "dic-vl"}, code_used("dic-vl")),
    ("unit", {"side": "province", "province_id": "0"}, PROVINCE_SIDE_NEEDS_PROVINCE),
    ("unit", {"kind": "ministry"}, BAD_CHOICE),
    ("unit", {"side": "both"}, BAD_CHOICE),
    ("unit", {"province_id": "99999"}, BAD_CHOICE),
    ("unit", {"valid_from": "2025-07-01", "valid_to": "2025-06-30"}, END_AFTER_START),
    (
        "unit",
        {"successor_id": _vl("dic_unit"), "valid_to": "", "change_kind": "merged"},
        VALID_UNTIL_MISSING,
    ),
    (
        "unit",
        {"successor_id": _vl("dic_unit"), "valid_to": "2025-06-30", "change_kind": ""},
        CHANGE_KIND_MISSING,
    ),
    # user
    ("user", {"email": ""}, REQUIRED),
    ("user", {"full_name": ""}, REQUIRED),
    ("user", {"full_name": "x" * 121}, at_most(120)),
    ("user", {"email": "a" * 244 + "@example.vn"}, at_most(254)),
    ("user", {"password": "ngắn-123456"}, PASSWORD_SHORT),
    ("user", {"password": "12345678901"}, PASSWORD_SHORT),
    ("user", {"email": "DIC.VL@Example.VN"}, EMAIL_USED),
    ("user", {"email": "  dic.vl@example.vn "}, EMAIL_USED),
    ("user", {"email": "khong-phai-email"}, EMAIL_INVALID),
    ("user", {"email": "nguyen van a@example.vn"}, EMAIL_INVALID),
    ("user", {"role": "dic", "unit_id": _qb("branch")}, DIC_NEEDS_PROVINCE_UNIT),
    ("user", {"role": "vnpt", "unit_id": _qb("dic_unit")}, VNPT_NEEDS_VNPT_UNIT),
    ("user", {"role": "vnpt", "unit_id": _qb("ubnd")}, VNPT_NEEDS_VNPT_UNIT),
    ("user", {"role": "leader", "unit_id": "0"}, ROLE_NEEDS_UNIT),
    ("user", {"role": "dic", "unit_id": "0"}, ROLE_NEEDS_UNIT),
    ("user", {"role": "superuser"}, BAD_CHOICE),
    ("user", {"unit_id": "99999"}, BAD_CHOICE),
]

NEW_ONLY = [
    ("user", {"password": ""}, REQUIRED),
]


def _case_id(case):
    form, overrides, _message = case
    shown = ",".join(
        f"{k}={'<unit>' if callable(v) else str(v)[:16]}" for k, v in overrides.items()
    )
    return f"{form}:{shown}"


@pytest.mark.parametrize(
    ("form", "overrides", "message"), [pytest.param(*c, id=_case_id(c)) for c in CASES + NEW_ONLY]
)
def test_new_form_refuses_bad_input(client, admin, form, overrides, message):
    model, url, _edit, _watched, data = FORMS[form]
    before = count(model)
    response = client.post(url, data={**data(admin), **resolve(overrides, admin)})
    assert_refused(response, message)
    assert count(model) == before


@pytest.mark.parametrize(
    ("form", "overrides", "message"), [pytest.param(*c, id=_case_id(c)) for c in CASES]
)
def test_edit_form_refuses_bad_input(client, admin, form, overrides, message):
    model, _new, edit_url, watched, _data = FORMS[form]
    url = edit_url(admin)
    page = client.get(url)
    assert page.status_code == 200
    before_rows, before = count(model), snapshot(watched(admin))
    response = client.post(url, data={**form_values(page), **resolve(overrides, admin)})
    assert_refused(response, message)
    assert count(model) == before_rows
    assert snapshot(watched(admin)) == before


def test_successor_loop_is_refused(client, admin):
    qb, vl = admin["qb"]["province"], admin["vl"]["province"]
    vl.successor, vl.valid_to, vl.change_kind = qb, date(2025, 6, 30), ChangeKind.merged
    db.session.commit()
    url = f"/admin/provinces/{qb.id}/edit"
    data = {
        **form_values(client.get(url)),
        "successor_id": str(vl.id),
        "valid_to": "2025-06-30",
        "change_kind": "merged",
    }
    before = snapshot(qb)
    response = client.post(url, data=data)
    assert_refused(response, SUCCESSOR_LOOP)
    assert snapshot(qb) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"role": "dic", "unit_id": _qb("dic_unit")}, OWN_ADMIN_RIGHTS, id="own-role"),
        pytest.param(
            {"role": "leader", "unit_id": _qb("ubnd")}, OWN_ADMIN_RIGHTS, id="own-role-leader"
        ),
        pytest.param({"active": None}, OWN_ADMIN_RIGHTS, id="disable-self"),
    ],
)
def test_admin_cannot_remove_their_own_rights(client, admin, changes, message):
    me = admin["admin"]
    url = f"/admin/users/{me.id}/edit"
    data = {**form_values(client.get(url)), **resolve(changes, admin)}
    data = {k: v for k, v in data.items() if v is not None}
    before = snapshot(me)
    response = client.post(url, data=data)
    assert_refused(response, message)
    assert snapshot(me) == before
    db.session.expire_all()
    assert db.session.get(User, me.id).role == Role.admin


# -- accepted input --------------------------------------------------------------------------


def test_new_province_is_stored_as_nfc(client, admin):
    data = {**_province_data(admin), "name": nfd(" Quảng Trị ")}
    assert client.post("/admin/provinces/new", data=data).status_code == 302
    db.session.expire_all()
    province = db.session.scalar(sa.select(Province).where(Province.code == "prov-qt"))
    assert province.name == "Quảng Trị"


def test_province_merged_into_a_successor_is_saved(client, admin):
    qb, vl = admin["qb"]["province"], admin["vl"]["province"]
    url = f"/admin/provinces/{qb.id}/edit"
    data = {
        **form_values(client.get(url)),
        "successor_id": str(vl.id),
        "valid_to": "2025-06-30",
        "change_kind": "merged",
    }
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    qb = db.session.get(Province, qb.id)
    assert (qb.successor_id, qb.valid_to, qb.change_kind) == (
        vl.id,
        date(2025, 6, 30),
        ChangeKind.merged,
    )


@pytest.mark.parametrize(
    ("changes", "side", "province_key"),
    [
        ({"side": "province", "kind": "department"}, Side.province, "qb"),
        (
            {
                "side": "vnpt",
                "kind": "vnpt_hq",
                "province_id": "0",
                "code": "VNPT-HQ2",
                "name": nfd("Tổng công ty Dịch vụ Viễn thông"),
            },
            Side.vnpt,
            None,
        ),
    ],
    ids=["provincial", "national"],
)
def test_new_unit_is_saved(client, admin, changes, side, province_key):
    data = {**_unit_data(admin), "name": nfd("Sở Khoa học và Công nghệ Quảng Bình"), **changes}
    assert client.post("/admin/units/new", data=data).status_code == 302
    db.session.expire_all()
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == data["code"]))
    assert unit.name == unicodedata.normalize("NFC", data["name"])
    assert unit.side == side
    expected_province = admin[province_key]["province"].id if province_key else None
    assert unit.province_id == expected_province


def test_new_account_is_stored_trimmed_lower_case_and_nfc(client, admin):
    data = {
        **_user_data(admin),
        "email": "  Nguyen.Van.A@Example.VN ",
        "full_name": nfd("Nguyễn Văn Ánh"),
    }
    assert client.post("/admin/users/new", data=data).status_code == 302
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.email == "nguyen.van.a@example.vn"))
    assert user.full_name == "Nguyễn Văn Ánh"
    assert (user.role, user.unit_id, user.active) == (Role.dic, admin["qb"]["dic_unit"].id, True)
    assert user.check_password(GOOD_PASSWORD)


@pytest.mark.parametrize(
    ("role", "unit_key"),
    [("vnpt", "branch"), ("leader", "ubnd"), ("dic", "dic_unit"), ("admin", None)],
)
def test_role_with_a_fitting_unit_is_accepted(client, admin, role, unit_key):
    data = {**_user_data(admin), "role": role, "unit_id": _qb(unit_key)(admin) if unit_key else "0"}
    assert client.post("/admin/users/new", data=data).status_code == 302
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.email == "nguyen.van.a@example.vn"))
    assert user.role == Role(role)
    assert user.unit_id == (admin["qb"][unit_key].id if unit_key else None)


def test_editing_an_account_without_a_password_keeps_it(client, admin):
    account = admin["qb"]["dic"]
    url = f"/admin/users/{account.id}/edit"
    before = snapshot(account)["password_hash"]
    data = {**form_values(client.get(url)), "full_name": "Trần Thị Bình", "password": ""}
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    account = db.session.get(User, account.id)
    assert (account.full_name, account.password_hash) == ("Trần Thị Bình", before)


def test_admin_may_edit_their_own_name(client, admin):
    me = admin["admin"]
    url = f"/admin/users/{me.id}/edit"
    data = {**form_values(client.get(url)), "full_name": "Quản trị hệ thống"}
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert (db.session.get(User, me.id).full_name, db.session.get(User, me.id).role) == (
        "Quản trị hệ thống",
        Role.admin,
    )


# -- stale edits -------------------------------------------------------------------------------

STALE_CASES = {
    "province": ("province", "name", "Quảng Bình (của tôi)", "Quảng Bình (của người khác)"),
    "unit": (
        "dic_unit",
        "name",
        "Sở TT&TT Quảng Bình (của tôi)",
        "Sở KH&CN Quảng Bình (của người khác)",
    ),
    "user": ("dic", "full_name", "Nguyễn Văn A (của tôi)", "Nguyễn Văn B (của người khác)"),
}


@pytest.mark.parametrize("form", list(STALE_CASES))
def test_stale_edit_keeps_my_input_beside_the_stored_value(client, admin, form):
    model, _new, edit_url, watched, _data = FORMS[form]
    _key, field, mine, theirs = STALE_CASES[form]
    url, row_id = edit_url(admin), watched(admin).id
    loaded = form_values(client.get(url))
    assert client.post(url, data={**form_values(client.get(url)), field: theirs}).status_code == 302

    response = client.post(url, data={**loaded, field: mine})

    assert_refused(response, STALE)
    values, conflicts = read_form(response)
    assert values[field] == mine
    assert conflicts.get(field) == theirs
    assert f"{STORED_LABEL} {theirs}" in text_of(response)
    db.session.expire_all()
    assert getattr(db.session.get(model, row_id), field) == theirs

    assert client.post(url, data=values).status_code == 302
    db.session.expire_all()
    assert getattr(db.session.get(model, row_id), field) == mine


@pytest.mark.parametrize("form", list(STALE_CASES))
def test_stale_edit_marks_only_the_fields_that_differ(client, admin, form):
    _model, _new, edit_url, _watched, _data = FORMS[form]
    _key, field, mine, theirs = STALE_CASES[form]
    url = edit_url(admin)
    loaded = form_values(client.get(url))
    assert client.post(url, data={**form_values(client.get(url)), field: theirs}).status_code == 302
    response = client.post(url, data={**loaded, field: mine})
    assert_refused(response, STALE)
    conflicts = read_form(response)[1]
    assert conflicts == {field: theirs}, f"notes beside unchanged fields: {conflicts!s}"


def test_the_admin_screen_and_the_cli_create_accounts_by_the_same_rules(app, client, admin):
    """A national VNPT user created without a unit belongs to headquarters, from the screen as
    from `tracker user create`: both call tracker/auth/services.create_user."""
    data = {**_user_data(admin), "role": "vnpt", "unit_id": "0"}
    assert client.post("/admin/users/new", data=data).status_code == 302
    result = app.test_cli_runner().invoke(
        args=["user", "create", "hq2@example.vn", "--role", "vnpt", "--password", GOOD_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    for email in ("nguyen.van.a@example.vn", "hq2@example.vn"):
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user.unit.kind.value == "vnpt_hq"
