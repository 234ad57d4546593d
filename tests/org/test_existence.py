"""New records offer only what exists on their dates, and a successor unit takes over the
directives of the units it carries on (the 2025 mergers: Quảng Bình into Quảng Trị)."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import text_of
from tracker.agreements import services
from tracker.agreements.models import Commitment, Directive
from tracker.auth import services as accounts
from tracker.auth.models import Role, User
from tracker.auth.permissions import acting_unit_ids, unit_acts_for
from tracker.errors import InvalidValue
from tracker.interop import json as jf
from tracker.org.models import ChangeKind, UnitKind
from tracker.org.queries import provinces_existing_on, units_existing_on
from tracker.progress.todo import todo_for_user

END = date(2025, 6, 30)
ENDED = "chỉ tồn tại đến ngày 30/06/2025"


@pytest.fixture
def m(db):
    """The two-province world after Quảng Bình merged into Quảng Trị on 1 July 2025: the
    Quảng Bình DIC is carried on by Quảng Trị's Department of Science and Technology."""
    w = factories.world()
    qt = factories.province("Quảng Trị", code="prov-qt")
    qb = w["qb"]["province"]
    qb.valid_to, qb.successor, qb.change_kind = END, qt, ChangeKind.merged
    dost = factories.unit(
        qt, kind=UnitKind.dic, code="DOST-qt", name="Sở Khoa học và Công nghệ tỉnh Quảng Trị"
    )
    dic = w["qb"]["dic_unit"]
    dic.valid_to, dic.successor, dic.change_kind = END, dost, ChangeKind.merged
    w["qt"] = {
        "province": qt,
        "dost": dost,
        "dic": factories.user(Role.dic, dost, email="dost.qt@example.vn"),
    }
    db.session.commit()
    return w


def _new_agreement(m, **fields):
    data = {
        "code": "QT-2026",
        "title": "Thỏa thuận hợp tác giai đoạn 2026-2030",
        "province": m["qt"]["province"],
        "partner": "VNPT",
        "period_start": date(2026, 1, 1),
        "period_end": date(2030, 12, 31),
        "vision_year": 2035,
        "predecessor": None,
        "legal_bases": [],
    }
    data.update(fields)
    return services.save_agreement(None, user=m["qt"]["dic"], **data)


# -- the rule ------------------------------------------------------------------------------------


def test_what_existed_on_a_date_keeps_what_a_record_already_names(m):
    dic, dost = m["qb"]["dic_unit"], m["qt"]["dost"]
    assert dic not in units_existing_on(date(2026, 1, 1))
    assert dost in units_existing_on(date(2026, 1, 1))
    assert dic in units_existing_on(END)  # its last day
    assert dic in units_existing_on(date(2026, 1, 1), keep=[dic])
    assert m["qb"]["province"] not in provinces_existing_on(date(2025, 7, 1))
    assert m["qb"]["province"] in provinces_existing_on(
        date(2025, 7, 1), keep=[m["qb"]["province"]]
    )


# -- services: the same refusal for the forms, the API and the importers ---------------------------


def test_a_new_agreement_after_the_merger_cannot_name_the_former_province(db, m):
    with pytest.raises(InvalidValue) as refused:
        _new_agreement(m, province=m["qb"]["province"])
    assert refused.value.field == "province_id"
    assert ENDED in str(refused.value.message) and "Quảng Trị" in str(refused.value.message)
    db.session.rollback()
    assert _new_agreement(
        m, code="QB-2024", province=m["qb"]["province"], period_start=date(2024, 1, 1)
    )


def test_an_old_agreement_keeps_its_former_province_when_edited(db, m):
    old = m["qb"]["agreement"]
    fields = {
        "code": old.code,
        "title": "Tên mới",
        "province": old.province,
        "partner": old.partner,
        "period_start": date(2025, 8, 1),  # even moved after the end, the province it names stays
        "period_end": old.period_end,
        "vision_year": old.vision_year,
        "predecessor": None,
        "legal_bases": [],
    }
    assert services.save_agreement(old, user=m["qb"]["dic"], **fields).title == "Tên mới"


def test_commitments_of_a_new_agreement_cannot_name_an_ended_unit(db, m):
    agreement = _new_agreement(m)
    area = services.save_area(
        None, agreement=agreement, user=m["qt"]["dic"], code="I", title="Hạ tầng"
    )
    fields = dict(
        code="1.1", title="Cáp quang", committed_by="vnpt", agreement=agreement, area=area
    )
    with pytest.raises(InvalidValue) as refused:
        services.save_commitment(
            None, user=m["qt"]["dic"], lead_unit=m["qb"]["dic_unit"], support_units=[], **fields
        )
    assert (refused.value.field, ENDED in str(refused.value.message)) == ("lead_unit_id", True)
    with pytest.raises(InvalidValue) as refused:
        services.save_commitment(
            None,
            user=m["qt"]["dic"],
            lead_unit=m["qb"]["branch"],
            support_units=[m["qb"]["dic_unit"]],
            **fields,
        )
    assert refused.value.field == "support_unit_ids"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Commitment)) == 2


def test_an_existing_commitment_keeps_its_ended_units(db, m):
    c = m["qb"]["commitment"]  # supported by the Quảng Bình DIC, ended since
    saved = services.save_commitment(
        c,
        agreement=c.agreement,
        user=m["qt"]["dic"],
        area=c.area,
        lead_unit=c.lead_unit,
        support_units=list(c.support_units),
        code=c.code,
        title="Tên mới",
        committed_by=c.committed_by,
    )
    assert m["qb"]["dic_unit"] in saved.support_units


def test_a_directive_issued_after_the_merger_goes_to_the_successor(db, m):
    fields = dict(
        agreement=m["qb"]["agreement"], user=m["qt"]["dic"], issued_by="Chủ tịch", text="Làm"
    )
    with pytest.raises(InvalidValue) as refused:
        services.save_directive(
            None, assignee=m["qb"]["dic_unit"], issued_on=date(2025, 9, 1), **fields
        )
    assert refused.value.field == "assignee_unit_id" and ENDED in str(refused.value.message)
    db.session.rollback()
    # issued before the end, or to the successor: accepted
    assert services.save_directive(None, assignee=m["qb"]["dic_unit"], issued_on=END, **fields)
    assert services.save_directive(
        None, assignee=m["qt"]["dost"], issued_on=date(2025, 9, 1), **fields
    )


def test_the_importer_refuses_the_same_with_the_same_message(db, m):
    document = jf.export_agreement(m["qb"]["agreement"])
    document["agreement"]["directives"].append(
        {
            "issued_on": "2025-09-01",
            "issued_by": "Chủ tịch UBND tỉnh",
            "text": "Sở rà soát hạ tầng",
            "assignee": m["qb"]["dic_unit"].code,
            "due_on": None,
            "done_on": None,
        }
    )
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Directive))
    with pytest.raises(InvalidValue) as refused:
        jf.run_import(document, user=m["qt"]["dic"])
    db.session.rollback()
    assert ENDED in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Directive)) == before


def test_a_new_account_needs_a_role_and_an_existing_unit(db, m):
    with pytest.raises(InvalidValue) as refused:
        accounts.create_user(
            email="a@example.vn", password="một câu mật khẩu dài", role=None, unit=None
        )
    assert (refused.value.field, str(refused.value.message)) == (
        "role",
        "Vui lòng chọn vai trò của tài khoản.",
    )
    with pytest.raises(InvalidValue) as refused:
        accounts.create_user(
            email="b@example.vn",
            password="một câu mật khẩu dài",
            role=Role.dic,
            unit=m["qb"]["dic_unit"],
        )
    assert refused.value.field == "unit_id" and ENDED in str(refused.value.message)


# -- pages -------------------------------------------------------------------------------------------


def test_the_forms_offer_only_what_exists_and_default_to_the_users_own(client, auth, m):
    auth.login("dost.qt@example.vn")
    page = client.get("/agreements/new").get_data(as_text=True)
    assert "Quảng Trị" in page and ">Quảng Bình" not in page
    assert f'<option selected value="{m["qt"]["province"].id}">' in page
    page = client.get(f"/agreements/{m['qb']['agreement'].code}/directives/new").get_data(
        as_text=True
    )
    assert "Sở Khoa học và Công nghệ tỉnh Quảng Trị" in page
    assert "Sở Thông tin và Truyền thông Quảng Bình" not in page
    url = f"/agreements/{m['qb']['agreement'].code}/directives/new"
    data = {
        "issued_by": "Chủ tịch UBND tỉnh",
        "text": "Rà soát hạ tầng",
        "assignee_unit_id": str(m["qb"]["dic_unit"].id),
    }
    # Dated after the merger, the former DIC is not one of the choices: refused, nothing saved.
    response = client.post(url, data={**data, "issued_on": "2025-09-01"})
    assert response.status_code == 200 and "Lựa chọn không hợp lệ." in text_of(response)
    # Recorded late but dated before the merger, it may still go to the former DIC.
    response = client.post(url, data={**data, "issued_on": "2025-05-01"})
    assert response.status_code == 302


def test_the_new_account_form_has_no_default_role(db, client, auth, m):
    auth.login("admin@example.vn")
    page = client.get("/admin/users/new").get_data(as_text=True)
    role = re.search(r'<select id="role".*?</select>', page, re.S).group(0)
    assert '<option value="">—</option>' in role and "selected" not in role
    assert "Sở Thông tin và Truyền thông Quảng Bình" not in page
    response = client.post(
        "/admin/users/new",
        data={
            "email": "moi@example.vn",
            "full_name": "Người mới",
            "role": "",
            "unit_id": "0",
            "password": "một câu mật khẩu dài",
            "active": "y",
        },
    )
    assert "Vui lòng chọn vai trò của tài khoản." in text_of(response)
    assert db.session.scalar(sa.select(User).where(User.email == "moi@example.vn")) is None


# -- lineage: the successor sees the predecessor's directives everywhere ------------------------------


def test_the_successor_unit_acts_for_its_predecessors(m):
    dost_user = m["qt"]["dic"]
    assert unit_acts_for(dost_user, m["qb"]["dic_unit"])
    assert acting_unit_ids(dost_user) == {m["qt"]["dost"].id, m["qb"]["dic_unit"].id}
    assert acting_unit_ids(dost_user, date(2025, 6, 1)) == {m["qt"]["dost"].id}


def test_directives_of_the_former_unit_appear_for_its_successor(client, auth, m):
    directive = m["qb"]["directive"]  # assigned to the Quảng Bình DIC in 2018, still open
    assert any(item.id == directive.id for item in todo_for_user(m["qt"]["dic"]).directives)
    auth.login("dost.qt@example.vn")
    home = text_of(client.get("/"))
    assert "Ý kiến chỉ đạo giao cho đơn vị" in home and directive.text in home
    mine = text_of(client.get("/directives?mine=1"))
    assert directive.text in mine
    todo = text_of(client.get("/todo"))
    assert directive.text in todo
    # Another unit's user does not see it as theirs.
    auth.logout()
    auth.login("vnpt.qb@example.vn")
    assert directive.text not in text_of(client.get("/directives?mine=1"))


def test_the_dashboard_commitments_of_a_unit_include_those_it_carries_on(db, client, auth, m):
    c = m["qb"]["commitment"]
    c.lead_unit, c.support_units = m["qb"]["dic_unit"], []  # led by the former DIC
    db.session.commit()
    auth.login("dost.qt@example.vn")
    code = m["qb"]["agreement"].code
    page = text_of(client.get(f"/agreements/{code}/commitments?unit={m['qt']['dost'].id}"))
    assert c.title in page
    # The branch leads none of them: it is not a choice of the unit filter, which says so.
    response = client.get(f"/agreements/{code}/commitments?unit={m['qb']['branch'].id}")
    assert response.status_code == 400
    assert "không có lựa chọn này" in text_of(response)
