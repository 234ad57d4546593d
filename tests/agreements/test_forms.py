"""Bad input through the real agreement forms: each refusal re-shows the form (200) with the
specific Vietnamese message and saves nothing; accepted input is stored as typed by users
(Vietnamese number formats, NFC text); stale edits keep the user's input beside the stored value."""

import hashlib
import io
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import text_of
from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Directive,
    Document,
    FundingSource,
    Indicator,
    Measurement,
    Milestone,
    MilestoneStatus,
    StatusChange,
)
from tracker.audit import AuditEntry
from tracker.clock import local_today
from tracker.extensions import db

# -- the Vietnamese messages (msgstr of translations/vi/LC_MESSAGES/messages.po) ----------------

REQUIRED = "Trường này là bắt buộc."
BAD_CHOICE = "Lựa chọn không hợp lệ."
BAD_DATE = "Ngày không hợp lệ."
BAD_INTEGER = "Giá trị số nguyên không hợp lệ."
CODE_FORMAT = "Chỉ dùng chữ cái không dấu, chữ số và các ký tự '.', '-', '_'."
END_AFTER_START = "Ngày kết thúc phải sau ngày bắt đầu."
VISION_BEFORE_END = "Năm định hướng không được trước năm kết thúc giai đoạn."
YEAR_RANGE = "Nhập năm trong khoảng từ 2000 đến 2100."
NEGATIVE = "Số tiền không được là số âm."
WHOLE_DONG = "Nhập số tiền nguyên, tính bằng đồng, ví dụ 7.000.000.000."
TOO_LARGE = "Số tiền quá lớn."
NUMBER = "Nhập một số, ví dụ 30 hoặc 30,5."
POSITION = "Nhập số từ 0 đến 10000."
LEAD_IS_SUPPORT = "Đơn vị chủ trì không được đồng thời là đơn vị phối hợp."
DATE_MET_MISSING = "Nhập ngày đạt mốc tiến độ."
DATE_MET_STATUS = "Chỉ nhập ngày đạt khi trạng thái là 'Đạt' hoặc 'Đạt một phần'."
DATE_MET_FUTURE = "Ngày đạt không được sau ngày hiện tại."
TARGET_BELOW = "Với chỉ tiêu theo chiều tăng, mục tiêu không được thấp hơn giá trị cơ sở."
TARGET_ABOVE = "Với chỉ tiêu theo chiều giảm, mục tiêu không được cao hơn giá trị cơ sở."
DUE_BEFORE_ISSUED = "Hạn hoàn thành không được trước ngày chỉ đạo."
DONE_BEFORE_ISSUED = "Ngày hoàn thành không được trước ngày chỉ đạo."
DONE_FUTURE = "Ngày hoàn thành không được sau ngày hiện tại."
FUTURE = "Ngày không được sau ngày hiện tại."
BEFORE_PREVIOUS_CHANGE = (
    "Ngày thực hiện không được trước ngày của lần chuyển trạng thái trước (01/06/2020)."
)
STATUS_FUTURE = "Ngày thực hiện không được sau ngày hôm nay."
SAME_DATE = "Đã có số liệu cho ngày này."
REASON_NEEDED = "Thỏa thuận đã được ký: vui lòng nêu lý do thay đổi giá trị cơ sở hoặc mục tiêu."
FILE_EMPTY = "Tệp không có nội dung."
FILE_KIND = (
    "Loại tệp này không được chấp nhận: vui lòng tải lên tệp PDF, hình ảnh, tài liệu Office "
    "hoặc tệp nén ZIP chứa các loại tệp đó."
)
FILE_MISSING = "Vui lòng chọn tệp."
STALE = (
    "Người dùng khác đã lưu bản ghi này trong lúc bạn đang chỉnh sửa. Thay đổi của bạn chưa được "
    "lưu và được giữ lại bên dưới, cạnh các giá trị đã lưu. Bấm Lưu một lần nữa để giữ thay đổi "
    "của bạn."
)

STORED_LABEL = "Giá trị người khác đã lưu:"
ERROR_SUMMARY = "Vui lòng sửa các trường được đánh dấu bên dưới."


def at_most(n: int) -> str:
    return f"Tối đa {n} ký tự."


def agreement_code_used(code: str) -> str:
    return f"Mã {code} đã được sử dụng cho thỏa thuận khác."


def area_number_used(code: str) -> str:
    return f"Thỏa thuận này đã có lĩnh vực khác mang số thứ tự {code}."


def commitment_number_used(code: str) -> str:
    return f"Thỏa thuận này đã có cam kết khác mang số thứ tự {code}."


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


TODAY = local_today()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()


# -- reading the re-shown form ---------------------------------------------------------------


class _FormReader(HTMLParser):
    """The values a browser would post back, and the 'saved by the other person' notes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict = {}
        self.conflicts: dict[str, str] = {}
        self._multi: set[str] = set()
        self._textareas: set[str] = set()
        self._last = self._textarea = self._select = None
        self._in_conflict = self._in_strong = self._in_form = False
        self._buf = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":  # the page's main form, not the sign-out or language forms
            self._in_form = "form-grid" in (a.get("class") or "").split()
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            self._last = name
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value") or "on"
            elif kind not in ("file", "submit", "button"):
                self.values[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._last = self._textarea = name
            self._textareas.add(name)
            self.values[name] = ""
        elif tag == "select" and name:
            self._last = self._select = name
            self.values[name] = []
            if "multiple" in a:
                self._multi.add(name)
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select].append(a.get("value") or "")
        elif tag == "p" and "conflict" in (a.get("class") or "").split():
            self._in_conflict = True
        elif tag == "strong" and self._in_conflict:
            self._in_strong, self._buf = True, ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "strong" and self._in_strong:
            self.conflicts[self._last] = self._buf.strip()
            self._in_strong = False
        elif tag == "p":
            self._in_conflict = False

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data
        if self._in_strong:
            self._buf += data

    def result(self):
        values = {}
        for key, value in self.values.items():
            if isinstance(value, list) and key not in self._multi:
                value = value[0] if value else ""
            elif key in self._textareas:
                value = value.removeprefix("\r\n").removeprefix("\n")
            values[key] = value
        return values


def read_form(response) -> tuple[dict, dict]:
    """(values, conflicts) of the page's form."""
    reader = _FormReader()
    reader.feed(response.get_data(as_text=True))
    return reader.result(), reader.conflicts


def form_values(response) -> dict:
    return read_form(response)[0]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def snapshot(obj) -> dict:
    """Every column of a row, read fresh from the database."""
    db.session.expire_all()
    obj = db.session.get(type(obj), obj.id)
    return {attr.key: getattr(obj, attr.key) for attr in sa.inspect(obj).mapper.column_attrs}


def resolve(overrides: dict, w: dict) -> dict:
    return {k: (v(w) if callable(v) else v) for k, v in overrides.items()}


def assert_refused(response, message):
    assert response.status_code == 200, response.status_code
    text = text_of(response)
    assert message in text, f"{message!r} not in page: {text[:3000]}"


# -- data --------------------------------------------------------------------------------------


@pytest.fixture
def w(db):
    """factories.world() plus a second Quảng Bình agreement, area, commitment, a measurement and
    the draft's first status change, so duplicates and dates have something to clash with.
    The indicator's baseline is 5 (151 target)."""
    w = factories.world()
    qb = w["qb"]
    qb["old_agreement"] = factories.agreement(
        qb["province"],
        code="QB-2015",
        period_start=date(2015, 1, 1),
        period_end=date(2020, 12, 31),
        vision_year=None,
    )
    qb["indicator"].baseline = Decimal(5)  # a zero baseline has its own test
    qb["area2"] = factories.area(qb["agreement"], code="II", title="Ứng dụng CNTT")
    qb["commitment2"] = factories.commitment(qb["area2"], qb["dic_unit"], code="1.2")
    db.session.add(
        Measurement(
            indicator=qb["indicator"],
            measured_on=date(2021, 6, 14),
            value=Decimal(10),
            verified=True,
        )
    )
    db.session.add(
        StatusChange(
            agreement=qb["agreement"],
            from_status=None,
            to_status=AgreementStatus.draft,
            changed_on=date(2020, 6, 1),
        )
    )
    db.session.commit()
    return w


@pytest.fixture
def dic(w, auth):
    """Signed in as the Quảng Bình DIC officer."""
    response = auth.login("dic.qb@example.vn")
    assert response.status_code == 302
    return w


def _agreement_data(w):
    return {
        "code": "QB-VNPT-2021",
        "title": "Thỏa thuận hợp tác chiến lược về VT-CNTT giai đoạn 2021-2025",
        "province_id": str(w["qb"]["province"].id),
        "partner": "Tập đoàn Bưu chính Viễn thông Việt Nam",
        "province_signatory": "",
        "partner_signatory": "",
        "period_start": "2021-01-01",
        "period_end": "2025-12-31",
        "vision_year": "2030",
        "predecessor_id": "0",
        "legal_bases": (
            "Nghị quyết số 36a/NQ-CP ngày 14/10/2015\nNghị quyết số 17/NQ-CP ngày 07/03/2019"
        ),
        "description": "",
    }


def _status_data(w):
    a = w["qb"]["agreement"]
    return {
        "to_status": "under_review",
        "changed_on": TODAY.isoformat(),
        "note": "",
        "version": str(a.version),
    }


def _area_data(w):
    return {"code": "III", "title": "Bảo đảm an toàn thông tin", "position": "", "description": ""}


def _commitment_data(w):
    qb = w["qb"]
    return {
        "area_id": str(qb["area"].id),
        "code": "2.1",
        "title": "Phủ sóng băng rộng 2 xã biên giới",
        "description": "",
        "committed_by": "vnpt",
        "lead_unit_id": str(qb["branch"].id),
        "support_unit_ids": [str(qb["dic_unit"].id)],
        "due_on": "2022-12-31",
        "budget_vnd": "7.000.000.000",
        "funding_source": "vnpt",
        "completion": "not_started",
        "position": "",
    }


def _milestone_data(w):
    return {
        "title": "Hoàn thành lắp đặt 5 trạm BTS",
        "due_on": "2021-06-30",
        "status": "scheduled",
        "done_on": "",
    }


def _indicator_data(w):
    return {
        "name": "Tỷ lệ dịch vụ công trực tuyến mức độ 4",
        "unit": "%",
        "baseline": "10",
        "target": "30",
        "direction": "increase",
        "target_on": "",
        "reason": "",
    }


def _measurement_data(w):
    return {"measured_on": "2021-12-14", "value": "42", "verified": "y", "note": ""}


def _directive_data(w):
    return {
        "issued_on": "2021-03-01",
        "issued_by": "Phó Chủ tịch UBND tỉnh",
        "meeting": "",
        "text": "Sở TT&TT rà soát, báo cáo Ban chỉ đạo CNTT tỉnh",
        "assignee_unit_id": str(w["qb"]["dic_unit"].id),
        "due_on": "2021-06-30",
        "done_on": "",
    }


#: form -> (model, new url, edit url or None, the row an edit changes, valid data for "new")
FORMS = {
    "agreement": (
        Agreement,
        lambda w: "/agreements/new",
        lambda w: f"/agreements/{w['qb']['agreement'].code}/edit",
        lambda w: w["qb"]["agreement"],
        _agreement_data,
    ),
    "status": (
        StatusChange,
        lambda w: "/agreements/QB-2020/status",
        None,
        lambda w: w["qb"]["agreement"],
        _status_data,
    ),
    "area": (
        Area,
        lambda w: "/agreements/QB-2020/areas/new",
        lambda w: f"/areas/{w['qb']['area'].id}/edit",
        lambda w: w["qb"]["area"],
        _area_data,
    ),
    "commitment": (
        Commitment,
        lambda w: "/agreements/QB-2020/commitments/new",
        lambda w: f"/commitments/{w['qb']['commitment'].id}/edit",
        lambda w: w["qb"]["commitment"],
        _commitment_data,
    ),
    "milestone": (
        Milestone,
        lambda w: f"/commitments/{w['qb']['commitment'].id}/milestones/new",
        lambda w: f"/milestones/{w['qb']['milestone'].id}/edit",
        lambda w: w["qb"]["milestone"],
        _milestone_data,
    ),
    "indicator": (
        Indicator,
        lambda w: f"/commitments/{w['qb']['commitment'].id}/indicators/new",
        lambda w: f"/indicators/{w['qb']['indicator'].id}/edit",
        lambda w: w["qb"]["indicator"],
        _indicator_data,
    ),
    "measurement": (
        Measurement,
        lambda w: f"/indicators/{w['qb']['indicator'].id}/measurements/new",
        None,
        lambda w: w["qb"]["indicator"],
        _measurement_data,
    ),
    "directive": (
        Directive,
        lambda w: "/agreements/QB-2020/directives/new",
        lambda w: f"/directives/{w['qb']['directive'].id}/edit",
        lambda w: w["qb"]["directive"],
        _directive_data,
    ),
}

LONG = "x" * 501
CASES = [
    # agreement
    ("agreement", {"code": ""}, REQUIRED),
    ("agreement", {"title": ""}, REQUIRED),
    ("agreement", {"title": "   "}, REQUIRED),
    ("agreement", {"partner": ""}, REQUIRED),
    ("agreement", {"period_start": ""}, REQUIRED),
    ("agreement", {"period_end": ""}, REQUIRED),
    ("agreement", {"title": LONG}, at_most(500)),
    ("agreement", {"code": "Q" * 41}, at_most(40)),
    ("agreement", {"partner": "x" * 256}, at_most(255)),
    ("agreement", {"code": "QB VNPT 2021"}, CODE_FORMAT),
    ("agreement", {"code": "QB-Quảng-Bình"}, CODE_FORMAT),
    ("agreement", {"period_start": "2021-01-01", "period_end": "2020-12-31"}, END_AFTER_START),
    ("agreement", {"period_start": "2021-01-01", "period_end": "2021-01-01"}, END_AFTER_START),
    ("agreement", {"period_end": "2025-12-31", "vision_year": "2024"}, VISION_BEFORE_END),
    ("agreement", {"vision_year": "1999"}, YEAR_RANGE),
    ("agreement", {"vision_year": "năm 2030"}, BAD_INTEGER),
    ("agreement", {"period_start": "01/01/2021"}, BAD_DATE),
    ("agreement", {"code": "qb-2015"}, agreement_code_used("qb-2015")),
    ("agreement", {"province_id": lambda w: str(w["vl"]["province"].id)}, BAD_CHOICE),
    # status change
    ("status", {"to_status": ""}, REQUIRED),
    ("status", {"to_status": "closed"}, BAD_CHOICE),
    ("status", {"changed_on": ""}, REQUIRED),
    ("status", {"changed_on": "14/12/2021"}, BAD_DATE),
    ("status", {"changed_on": TOMORROW}, STATUS_FUTURE),
    ("status", {"changed_on": "2020-05-31"}, BEFORE_PREVIOUS_CHANGE),
    ("status", {"note": "x" * 2001}, at_most(2000)),
    # area
    ("area", {"code": ""}, REQUIRED),
    ("area", {"title": ""}, REQUIRED),
    ("area", {"title": LONG}, at_most(500)),
    ("area", {"code": "I" * 21}, at_most(20)),
    ("area", {"code": "I I"}, CODE_FORMAT),
    ("area", {"code": "Một"}, CODE_FORMAT),
    ("area", {"code": "ii"}, area_number_used("ii")),
    ("area", {"position": "-1"}, POSITION),
    ("area", {"position": "đầu"}, BAD_INTEGER),
    # commitment
    ("commitment", {"code": ""}, REQUIRED),
    ("commitment", {"title": ""}, REQUIRED),
    ("commitment", {"title": LONG}, at_most(500)),
    ("commitment", {"code": "1" * 21}, at_most(20)),
    ("commitment", {"code": "2 1"}, CODE_FORMAT),
    ("commitment", {"code": "2.ă"}, CODE_FORMAT),
    ("commitment", {"code": "1.2"}, commitment_number_used("1.2")),
    (
        "commitment",
        {
            "lead_unit_id": lambda w: str(w["qb"]["branch"].id),
            "support_unit_ids": lambda w: [str(w["qb"]["branch"].id), str(w["qb"]["dic_unit"].id)],
        },
        LEAD_IS_SUPPORT,
    ),
    ("commitment", {"lead_unit_id": lambda w: str(w["vl"]["branch"].id)}, BAD_CHOICE),
    ("commitment", {"support_unit_ids": lambda w: [str(w["vl"]["dic_unit"].id)]}, BAD_CHOICE),
    ("commitment", {"area_id": lambda w: str(w["vl"]["area"].id)}, BAD_CHOICE),
    ("commitment", {"budget_vnd": "-5"}, NEGATIVE),
    ("commitment", {"budget_vnd": "-7.000.000"}, NEGATIVE),
    ("commitment", {"budget_vnd": "7,5"}, WHOLE_DONG),
    ("commitment", {"budget_vnd": "7.5"}, WHOLE_DONG),
    ("commitment", {"budget_vnd": "7.00"}, WHOLE_DONG),
    ("commitment", {"budget_vnd": "bảy tỷ"}, WHOLE_DONG),
    ("commitment", {"budget_vnd": "10.000.000.000.000.000.000"}, TOO_LARGE),
    ("commitment", {"funding_source": "ngan_sach"}, BAD_CHOICE),
    ("commitment", {"committed_by": "both"}, BAD_CHOICE),
    ("commitment", {"due_on": "2021-13-01"}, BAD_DATE),
    # milestone
    ("milestone", {"title": ""}, REQUIRED),
    ("milestone", {"due_on": ""}, REQUIRED),
    ("milestone", {"title": LONG}, at_most(500)),
    ("milestone", {"due_on": "30/06/2021"}, BAD_DATE),
    ("milestone", {"status": "met", "done_on": ""}, DATE_MET_MISSING),
    ("milestone", {"status": "partially_met", "done_on": ""}, DATE_MET_MISSING),
    ("milestone", {"status": "scheduled", "done_on": "2021-06-01"}, DATE_MET_STATUS),
    ("milestone", {"status": "not_met", "done_on": "2021-06-01"}, DATE_MET_STATUS),
    ("milestone", {"status": "met", "done_on": TOMORROW}, DATE_MET_FUTURE),
    ("milestone", {"status": "done"}, BAD_CHOICE),
    # indicator
    ("indicator", {"name": ""}, REQUIRED),
    ("indicator", {"unit": ""}, REQUIRED),
    ("indicator", {"baseline": ""}, REQUIRED),
    ("indicator", {"target": ""}, REQUIRED),
    ("indicator", {"name": LONG}, at_most(500)),
    ("indicator", {"unit": "x" * 41}, at_most(40)),
    ("indicator", {"baseline": "không"}, NUMBER),
    ("indicator", {"target": "N/A"}, NUMBER),
    ("indicator", {"baseline": "50", "target": "30", "direction": "increase"}, TARGET_BELOW),
    ("indicator", {"baseline": "50", "target": "60", "direction": "decrease"}, TARGET_ABOVE),
    ("indicator", {"baseline": "50,5", "target": "50,4", "direction": "increase"}, TARGET_BELOW),
    ("indicator", {"direction": "up"}, BAD_CHOICE),
    ("indicator", {"target_on": "31/12/2025"}, BAD_DATE),
    # measurement
    ("measurement", {"value": ""}, REQUIRED),
    ("measurement", {"value": "N/A"}, NUMBER),
    ("measurement", {"value": "khoảng 30"}, NUMBER),
    ("measurement", {"value": "30%"}, NUMBER),
    ("measurement", {"measured_on": ""}, REQUIRED),
    ("measurement", {"measured_on": "14/12/2021"}, BAD_DATE),
    ("measurement", {"measured_on": TOMORROW}, FUTURE),
    ("measurement", {"measured_on": "2021-06-14"}, SAME_DATE),
    # directive
    ("directive", {"issued_on": ""}, REQUIRED),
    ("directive", {"issued_by": ""}, REQUIRED),
    ("directive", {"text": ""}, REQUIRED),
    ("directive", {"issued_by": "x" * 256}, at_most(255)),
    ("directive", {"meeting": LONG}, at_most(500)),
    ("directive", {"text": "x" * 5001}, at_most(5000)),
    ("directive", {"issued_on": "2021-03-01", "due_on": "2021-02-28"}, DUE_BEFORE_ISSUED),
    ("directive", {"issued_on": "2021-03-01", "done_on": "2021-02-01"}, DONE_BEFORE_ISSUED),
    ("directive", {"assignee_unit_id": lambda w: str(w["vl"]["dic_unit"].id)}, BAD_CHOICE),
    ("directive", {"issued_on": TOMORROW, "due_on": "", "done_on": ""}, FUTURE),
    ("directive", {"issued_on": "2021-03-01", "done_on": TOMORROW}, DONE_FUTURE),
]


def _case_id(case):
    form, overrides, _message = case
    parts = []
    for key, value in overrides.items():
        shown = "<callable>" if callable(value) else str(value)
        parts.append(f"{key}={shown[:16]}")
    return f"{form}:{','.join(parts)}"


def _params(mode):
    for case in CASES:
        if mode == "edit" and FORMS[case[0]][2] is None:
            continue
        yield pytest.param(*case, id=_case_id(case))


@pytest.mark.parametrize(("form", "overrides", "message"), list(_params("new")))
def test_new_form_refuses_bad_input(client, dic, form, overrides, message):
    model, new_url, _edit, watched, data = FORMS[form]
    w = dic
    before_rows, before_watched = count(model), snapshot(watched(w))
    post = {**data(w), **resolve(overrides, w)}
    response = client.post(new_url(w), data=post)
    assert_refused(response, message)
    assert count(model) == before_rows
    assert snapshot(watched(w)) == before_watched


@pytest.mark.parametrize(("form", "overrides", "message"), list(_params("edit")))
def test_edit_form_refuses_bad_input(client, dic, form, overrides, message):
    model, _new, edit_url, watched, _data = FORMS[form]
    w = dic
    url = edit_url(w)
    page = client.get(url)
    assert page.status_code == 200
    before_rows, before = count(model), snapshot(watched(w))
    response = client.post(url, data={**form_values(page), **resolve(overrides, w)})
    assert_refused(response, message)
    assert count(model) == before_rows
    assert snapshot(watched(w)) == before


def test_refused_form_keeps_the_input(client, dic):
    """The form comes back with what was typed."""
    data = {**_agreement_data(dic), "period_end": "2020-12-31"}
    response = client.post("/agreements/new", data=data)
    assert_refused(response, END_AFTER_START)
    values = form_values(response)
    assert values["title"] == data["title"]
    assert values["code"] == data["code"]
    assert values["legal_bases"].splitlines() == data["legal_bases"].splitlines()


def test_form_frame_is_in_vietnamese(client, dic):
    """The words around the messages (the error summary, the stale-edit note) are translated."""
    data = {**_agreement_data(dic), "period_end": "2020-12-31"}
    refused = client.post("/agreements/new", data=data)
    assert_refused(refused, END_AFTER_START)
    assert ERROR_SUMMARY in text_of(refused)
    assert "Please correct the fields marked below." not in text_of(refused)

    url = "/agreements/QB-2020/edit"
    loaded = form_values(client.get(url))
    assert client.post(url, data={**loaded, "title": "Bản của người khác"}).status_code == 302
    stale = client.post(url, data={**loaded, "title": "Bản của tôi"})
    assert_refused(stale, STALE)
    assert f"{STORED_LABEL} Bản của người khác" in text_of(stale)
    assert "Saved by the other person:" not in text_of(stale)


# -- accepted input --------------------------------------------------------------------------


def test_new_agreement_is_stored_as_typed(client, dic):
    data = {
        **_agreement_data(dic),
        "title": nfd("Thỏa thuận hợp tác với tỉnh Quảng Bình"),
        "province_signatory": nfd("Chủ tịch UBND tỉnh Quảng Bình"),
    }
    response = client.post("/agreements/new", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    a = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2021"))
    assert a.title == unicodedata.normalize("NFC", "Thỏa thuận hợp tác với tỉnh Quảng Bình")
    assert a.title == "Thỏa thuận hợp tác với tỉnh Quảng Bình"
    assert a.province_signatory == "Chủ tịch UBND tỉnh Quảng Bình"
    assert (a.period_start, a.period_end, a.vision_year) == (
        date(2021, 1, 1),
        date(2025, 12, 31),
        2030,
    )
    assert a.legal_bases == [
        "Nghị quyết số 36a/NQ-CP ngày 14/10/2015",
        "Nghị quyết số 17/NQ-CP ngày 07/03/2019",
    ]
    assert a.status == AgreementStatus.draft
    assert a.province_id == dic["qb"]["province"].id


def test_vision_year_equal_to_end_year_is_accepted(client, dic):
    data = {**_agreement_data(dic), "period_end": "2025-12-31", "vision_year": "2025"}
    assert client.post("/agreements/new", data=data).status_code == 302


def test_status_change_is_saved(client, dic):
    response = client.post("/agreements/QB-2020/status", data=_status_data(dic))
    assert response.status_code == 302
    db.session.expire_all()
    a = db.session.get(Agreement, dic["qb"]["agreement"].id)
    assert a.status == AgreementStatus.under_review
    assert a.status_changes[-1].changed_on == TODAY


def test_area_number_of_another_agreement_is_allowed(client, dic):
    factories.area(dic["vl"]["agreement"], code="III")
    db.session.commit()
    data = {**_area_data(dic), "title": nfd("Phát triển nguồn nhân lực")}
    assert client.post("/agreements/QB-2020/areas/new", data=data).status_code == 302
    db.session.expire_all()
    area = db.session.scalar(
        sa.select(Area).where(Area.agreement_id == dic["qb"]["agreement"].id, Area.code == "III")
    )
    assert area.title == "Phát triển nguồn nhân lực"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("7.000.000.000", 7_000_000_000),
        ("7 000 000 000 đ", 7_000_000_000),
        ("7.000.000.000\u00a0₫", 7_000_000_000),
        ("7000000000", 7_000_000_000),
        (" 7.000.000.000 VND ", 7_000_000_000),
        ("0", 0),
        ("", None),
    ],
)
def test_commitment_budget_in_vietnamese_format_is_accepted(client, dic, typed, stored):
    qb = dic["qb"]
    data = {**_commitment_data(dic), "budget_vnd": typed}
    response = client.post("/agreements/QB-2020/commitments/new", data=data)
    assert response.status_code == 302, text_of(response)[:2000]
    db.session.expire_all()
    c = db.session.scalar(
        sa.select(Commitment).where(
            Commitment.agreement_id == qb["agreement"].id, Commitment.code == "2.1"
        )
    )
    assert c.budget_vnd == stored
    assert c.lead_unit_id == qb["branch"].id
    assert [u.id for u in c.support_units] == [qb["dic_unit"].id]
    assert c.funding_source == FundingSource.vnpt
    assert c.due_on == date(2022, 12, 31)


def test_commitment_number_of_another_agreement_is_allowed(client, dic):
    vl = dic["vl"]
    factories.commitment(vl["area"], vl["branch"], code="2.1")
    db.session.commit()
    data = {**_commitment_data(dic), "title": nfd("Đầu tư 5 trạm BTS tại Quảng Bình")}
    assert client.post("/agreements/QB-2020/commitments/new", data=data).status_code == 302
    db.session.expire_all()
    codes = db.session.scalars(
        sa.select(Commitment.agreement_id).where(Commitment.code == "2.1")
    ).all()
    assert sorted(codes) == sorted([vl["agreement"].id, dic["qb"]["agreement"].id])
    c = db.session.scalar(
        sa.select(Commitment).where(
            Commitment.agreement_id == dic["qb"]["agreement"].id, Commitment.code == "2.1"
        )
    )
    assert c.title == "Đầu tư 5 trạm BTS tại Quảng Bình"


def test_milestone_met_with_a_past_date_is_saved(client, dic):
    m = dic["qb"]["milestone"]
    page = client.get(f"/milestones/{m.id}/edit")
    data = {**form_values(page), "status": "met", "done_on": "2021-06-20"}
    assert client.post(f"/milestones/{m.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    m = db.session.get(Milestone, m.id)
    assert (m.status, m.done_on) == (MilestoneStatus.met, date(2021, 6, 20))


@pytest.mark.parametrize(
    ("baseline", "target", "direction", "stored"),
    [
        ("10", "30,5", "increase", (Decimal("10"), Decimal("30.5"))),
        ("10", "30.5", "increase", (Decimal("10"), Decimal("30.5"))),
        ("1000", "1.234,5", "increase", (Decimal("1000"), Decimal("1234.5"))),
        ("0", "151", "increase", (Decimal("0"), Decimal("151"))),
        ("30,5", "30,5", "increase", (Decimal("30.5"), Decimal("30.5"))),
        ("100", "0", "decrease", (Decimal("100"), Decimal("0"))),
        ("100", "25,25", "decrease", (Decimal("100"), Decimal("25.25"))),
    ],
)
def test_indicator_numbers_are_accepted(client, dic, baseline, target, direction, stored):
    c = dic["qb"]["commitment"]
    data = {**_indicator_data(dic), "baseline": baseline, "target": target, "direction": direction}
    response = client.post(f"/commitments/{c.id}/indicators/new", data=data)
    assert response.status_code == 302, text_of(response)[:2000]
    db.session.expire_all()
    ind = db.session.scalar(
        sa.select(Indicator).where(Indicator.commitment_id == c.id, Indicator.name == data["name"])
    )
    assert (ind.baseline, ind.target) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("30,5", Decimal("30.5")),
        ("0", Decimal("0")),
        ("1.234,5", Decimal("1234.5")),
        ("151", Decimal("151")),
    ],
)
def test_measurement_values_are_accepted(client, dic, typed, stored):
    ind = dic["qb"]["indicator"]
    response = client.post(
        f"/indicators/{ind.id}/measurements/new", data={**_measurement_data(dic), "value": typed}
    )
    assert response.status_code == 302, text_of(response)[:2000]
    db.session.expire_all()
    m = db.session.scalar(
        sa.select(Measurement).where(
            Measurement.indicator_id == ind.id, Measurement.measured_on == date(2021, 12, 14)
        )
    )
    assert m.value == stored


def test_directive_is_saved(client, dic):
    data = {**_directive_data(dic), "issued_by": nfd("Phó Chủ tịch UBND tỉnh Đặng Minh Thông")}
    assert client.post("/agreements/QB-2020/directives/new", data=data).status_code == 302
    db.session.expire_all()
    d = db.session.scalar(sa.select(Directive).where(Directive.issued_on == date(2021, 3, 1)))
    assert d.issued_by == "Phó Chủ tịch UBND tỉnh Đặng Minh Thông"
    assert (d.due_on, d.done_on, d.assignee_unit_id) == (
        date(2021, 6, 30),
        None,
        dic["qb"]["dic_unit"].id,
    )


# -- signed agreements: target changes need a reason ------------------------------------------


@pytest.fixture
def signed(dic):
    a = dic["qb"]["agreement"]
    a.signed_on, a.status = date(2020, 1, 15), AgreementStatus.in_force
    db.session.commit()
    return dic


@pytest.mark.parametrize("field", ["target", "baseline"])
def test_changing_a_signed_target_without_a_reason_is_refused(client, signed, field):
    ind = signed["qb"]["indicator"]
    url = f"/indicators/{ind.id}/edit"
    before, entries = snapshot(ind), count(AuditEntry)
    data = {
        **form_values(client.get(url)),
        field: {"target": "100", "baseline": "3"}[field],
        "reason": "  ",
    }
    response = client.post(url, data=data)
    assert_refused(response, REASON_NEEDED)
    assert snapshot(ind) == before
    assert count(AuditEntry) == entries


def test_changing_a_signed_target_with_a_reason_is_saved_and_kept_in_the_history(client, signed):
    ind = signed["qb"]["indicator"]
    url = f"/indicators/{ind.id}/edit"
    reason = "Điều chỉnh theo Quyết định số 1234/QĐ-UBND ngày 15/3/2021"
    data = {**form_values(client.get(url)), "target": "160", "reason": reason}
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Indicator, ind.id).target == Decimal("160")
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "Indicator",
            AuditEntry.entity_id == ind.id,
            AuditEntry.action == "update",
        )
    ).all()
    target_changes = [e for e in entries if "target" in e.changes]
    assert [e.reason for e in target_changes] == [reason]
    assert target_changes[0].changes["target"] == ["151", "160"]


def test_indicator_with_a_zero_baseline_can_be_edited(client, dic):
    """Most indicators start from 0 (no commune connected yet): 0 is a value, not an empty field."""
    ind = dic["qb"]["indicator"]
    ind.baseline = Decimal(0)
    db.session.commit()
    url = f"/indicators/{ind.id}/edit"
    data = {**form_values(client.get(url)), "name": "Số xã có hệ thống một cửa điện tử"}
    assert data["baseline"] == "0"
    response = client.post(url, data=data)
    assert response.status_code == 302, text_of(response)[:2000]
    db.session.expire_all()
    ind = db.session.get(Indicator, ind.id)
    assert (ind.name, ind.baseline) == ("Số xã có hệ thống một cửa điện tử", Decimal(0))


def test_renaming_a_signed_indicator_needs_no_reason(client, signed):
    ind = signed["qb"]["indicator"]
    url = f"/indicators/{ind.id}/edit"
    data = {**form_values(client.get(url)), "name": "Số xã, phường có hệ thống một cửa điện tử"}
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Indicator, ind.id).name == "Số xã, phường có hệ thống một cửa điện tử"


# -- stale edits -------------------------------------------------------------------------------

#: form -> (edit url, model, row, field, my value, their value, their value as shown beside mine)
STALE_CASES = {
    "agreement": (
        lambda w: "/agreements/QB-2020/edit",
        Agreement,
        "agreement",
        "title",
        "Thỏa thuận (bản của tôi)",
        "Thỏa thuận (bản của người khác)",
        None,
    ),
    "agreement-date": (
        lambda w: "/agreements/QB-2020/edit",
        Agreement,
        "agreement",
        "period_end",
        "2026-12-31",
        "2025-06-30",
        "30/06/2025",
    ),
    "area": (
        lambda w: f"/areas/{w['qb']['area'].id}/edit",
        Area,
        "area",
        "title",
        "Hạ tầng số (của tôi)",
        "Hạ tầng viễn thông (của người khác)",
        None,
    ),
    "commitment": (
        lambda w: f"/commitments/{w['qb']['commitment'].id}/edit",
        Commitment,
        "commitment",
        "title",
        "Một cửa điện tử (của tôi)",
        "Một cửa điện tử (của người khác)",
        None,
    ),
    "milestone": (
        lambda w: f"/milestones/{w['qb']['milestone'].id}/edit",
        Milestone,
        "milestone",
        "title",
        "Lắp đặt xong (của tôi)",
        "Lắp đặt xong (của người khác)",
        None,
    ),
    "indicator": (
        lambda w: f"/indicators/{w['qb']['indicator'].id}/edit",
        Indicator,
        "indicator",
        "name",
        "Số xã (của tôi)",
        "Số xã (của người khác)",
        None,
    ),
    "directive": (
        lambda w: f"/directives/{w['qb']['directive'].id}/edit",
        Directive,
        "directive",
        "text",
        "Chỉ đạo (của tôi)",
        "Chỉ đạo (của người khác)",
        None,
    ),
}


def _stored(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@pytest.mark.parametrize("case", list(STALE_CASES))
def test_stale_edit_keeps_my_input_beside_the_stored_value(client, dic, case):
    url_of, model, key, field, mine, theirs, theirs_shown = STALE_CASES[case]
    url = url_of(dic)
    row_id = dic["qb"][key].id
    loaded = form_values(client.get(url))  # my tab
    other_tab = form_values(client.get(url))  # another person's tab, saved first
    assert client.post(url, data={**other_tab, field: theirs}).status_code == 302

    response = client.post(url, data={**loaded, field: mine})

    assert_refused(response, STALE)
    values, conflicts = read_form(response)
    assert values[field] == mine
    assert conflicts.get(field) == (theirs_shown or theirs)
    assert f"{STORED_LABEL} {theirs_shown or theirs}" in text_of(response)
    db.session.expire_all()
    assert _stored(getattr(db.session.get(model, row_id), field)) == theirs

    # Saving the re-shown form again is a deliberate overwrite.
    assert client.post(url, data=values).status_code == 302
    db.session.expire_all()
    assert _stored(getattr(db.session.get(model, row_id), field)) == mine


@pytest.mark.parametrize("case", [c for c in STALE_CASES if c != "agreement-date"])
def test_stale_edit_marks_only_the_fields_that_differ(client, dic, case):
    """Fields nobody changed (an empty description, no predecessor, no legal bases) carry no
    'saved by the other person' note."""
    url_of, _model, _key, field, mine, theirs, _shown = STALE_CASES[case]
    url = url_of(dic)
    loaded = form_values(client.get(url))
    assert client.post(url, data={**form_values(client.get(url)), field: theirs}).status_code == 302
    response = client.post(url, data={**loaded, field: mine})
    assert_refused(response, STALE)
    _values, conflicts = read_form(response)
    assert conflicts == {field: theirs}, f"notes beside unchanged fields: {conflicts!s}"


# -- documents ---------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PDF_NAME = "Biên bản nghiệm thu.pdf"


def _stored_files(app) -> set[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        pytest.param(b"", "Biên bản.pdf", FILE_EMPTY, id="empty"),
        pytest.param(
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
            "bao-cao.pdf",
            FILE_KIND,
            id="html-as-pdf",
        ),
        pytest.param(
            b"  <html><head><title>x</title></head></html>",
            "Quyết định.pdf",
            FILE_KIND,
            id="html-with-spaces-as-pdf",
        ),
        pytest.param(
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200),
            "bien-ban.pdf",
            FILE_KIND,
            id="exe-as-pdf",
        ),
        pytest.param(b"#!/bin/sh\nrm -rf /\n", "bao-cao.pdf", FILE_KIND, id="script-as-pdf"),
        pytest.param(None, None, FILE_MISSING, id="no-file"),
    ],
)
def test_bad_upload_is_refused_and_leaves_nothing(app, client, dic, content, name, message):
    before_files, before_rows = _stored_files(app), count(Document)
    data = {"title": "Biên bản nghiệm thu", "issued_on": "2021-06-30"}
    if content is not None:
        data["file"] = (io.BytesIO(content), name)
    response = client.post(
        "/agreements/QB-2020/documents/new", data=data, content_type="multipart/form-data"
    )
    assert_refused(response, message)
    assert count(Document) == before_rows
    assert _stored_files(app) == before_files


def test_upload_without_title_is_refused_and_leaves_nothing(app, client, dic):
    before_files = _stored_files(app)
    data = {"title": "", "file": (io.BytesIO(PDF + b"%untitled"), PDF_NAME)}
    response = client.post(
        "/agreements/QB-2020/documents/new", data=data, content_type="multipart/form-data"
    )
    assert_refused(response, REQUIRED)
    assert count(Document) == 0
    assert _stored_files(app) == before_files


@pytest.mark.parametrize("sent_name", [PDF_NAME, nfd(PDF_NAME)], ids=["nfc-name", "nfd-name"])
def test_pdf_is_stored_and_downloaded_as_an_attachment_with_its_vietnamese_name(
    app, client, dic, sent_name
):
    data = {
        "title": nfd("Biên bản nghiệm thu"),
        "issued_on": "2021-06-30",
        "file": (io.BytesIO(PDF), sent_name),
    }
    response = client.post(
        "/agreements/QB-2020/documents/new", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, text_of(response)[:2000]
    db.session.expire_all()
    doc = db.session.scalar(sa.select(Document))
    assert doc.title == "Biên bản nghiệm thu"
    assert doc.file_name == PDF_NAME
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (doc.size, doc.content_type, doc.issued_on) == (
        len(PDF),
        "application/pdf",
        date(2021, 6, 30),
    )
    assert Path(app.config["UPLOAD_FOLDER"], doc.sha256[:2], doc.sha256).read_bytes() == PDF
    assert not [p for p in _stored_files(app) if p.name.startswith(".upload-")]

    download = client.get(f"/documents/{doc.id}")
    assert download.status_code == 200
    assert download.data == PDF
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=UTF-8''{quote(PDF_NAME)}" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
