"""The lists (directives, commitments, review queue, to-do, evidence) filter and sort what they
show, and their "Xuất Excel" file holds exactly the rows of the page, in its order, every page
of them, under the page's Vietnamese headers and with its formatted values; nothing outside the
user's scope; a bad parameter says why and never fails."""

import html as _html
import io
import re
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from tracker.collation import sort_key

pytestmark = pytest.mark.demo_data

PASSWORD = "Demo-2026-tracker"
DIC_QT = "dic.quangtri@demo.vn"
VNPT_QT = "vnpt.quangtri@demo.vn"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Tables(HTMLParser):
    """The list tables of a page (those whose head has sort links): header texts and rows of
    cell texts, and the links of the page."""

    def __init__(self):
        super().__init__()
        self.tables, self.links = [], []
        self._cell = self._row = None
        self._table = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("div", "br", "p") and self._cell is not None:
            self._cell.append(" ")  # a second line reads as a new word
        if tag == "a" and attrs.get("href"):
            self.links.append(_html.unescape(attrs["href"]))
        if tag == "table":
            self._table = {"head": [], "rows": [], "sortable": False}
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a" and self._in_head and "sort-link" in (attrs.get("class") or ""):
            self._table["sortable"] = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._in_head:
                self._table["head"] = [re.sub(r"\s*[▲▼]$", "", c) for c in self._row]
            elif len(self._row) > 1:  # not the one-cell "No rows" line
                self._table["rows"].append(self._row)
            self._row = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "table" and self._table is not None:
            if self._table["sortable"]:
                self.tables.append(self._table)
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_of(response):
    parser = _Tables()
    parser.feed(response.get_data(as_text=True))
    return parser


def page_rows(response) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a page's list (a to-do list's sections one after the other)."""
    tables = page_of(response).tables
    assert tables, "the page has no sortable list"
    return tables[0]["head"], [row for t in tables for row in t["rows"]]


def _shown(cell) -> str:
    """A cell's value as a spreadsheet shows it: dd/mm/yyyy, 45%, text."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        assert cell.number_format == "dd/mm/yyyy"
        return value.strftime("%d/%m/%Y")
    if cell.number_format == "0%":
        return f"{round(value * 100)}%"
    return " ".join(str(value).split())


def sheet_rows(response) -> tuple[list[str], list[list[str]]]:
    assert response.status_code == 200
    assert response.mimetype == XLSX
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = list(ws.iter_rows())
    return [c.value for c in rows[0]], [[_shown(c) for c in row] for row in rows[1:]]


def export_link(response) -> str:
    links = [link for link in page_of(response).links if "export=xlsx" in link]
    assert len(set(links)) == 1, links
    return links[0]


def assert_same(page, client, *, skip_first=0, page_only=0):
    """The export of the page (through its "Xuất Excel" link) has its headers, and each row
    holds the values the page's row shows, in the same order (`page_only`: leading columns of
    the page that are not data, such as the review queue's tick boxes)."""
    link = export_link(page)
    head, rows = page_rows(page)
    head, rows = head[page_only:], [row[page_only:] for row in rows]
    sheet_head, sheet = sheet_rows(client.get(link))
    assert sheet_head[skip_first:] == head
    assert len(sheet) == len(rows)
    for shown, exported in zip(rows, sheet, strict=True):
        for text, value in zip(shown, exported[skip_first:], strict=True):
            assert value in text, (value, text)
    return sheet


@pytest.fixture
def as_user(app, demo):
    def sign_in(email):
        client = app.test_client()
        assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
        return client

    return sign_in


def _column(rows, n):
    return [row[n] for row in rows]


def _day(text):
    return datetime.strptime(text[:10], "%d/%m/%Y").date()


# -- directives ----------------------------------------------------------------------------------


def test_directives_filter_sort_and_export_the_same_rows(as_user):
    client = as_user(DIC_QT)
    everything = client.get("/directives")
    head, rows = page_rows(everything)
    assert head[:3] == ["Thỏa thuận", "Ngày chỉ đạo", "Nội dung chỉ đạo"]
    assert {"QB-VNPT-2015", "QB-VNPT-2020"} <= set(_column(rows, 0))

    only = client.get("/directives?agreement=QB-VNPT-2015")
    _head, some = page_rows(only)
    assert set(_column(some, 0)) == {"QB-VNPT-2015"}
    assert 0 < len(some) < len(rows)
    sheet = assert_same(only, client)
    assert set(_column(sheet, 0)) == {"QB-VNPT-2015"}

    newest = client.get("/directives?sort=issued_on&dir=desc")
    _head, by_date = page_rows(newest)
    days = [_day(d) for d in _column(by_date, 1)]
    assert days == sorted(days, reverse=True)
    assert _column(by_date, 1) != _column(rows, 1)
    assert_same(newest, client)

    oldest = client.get("/directives?sort=issued_on")
    _head, up = page_rows(oldest)
    assert [_day(d) for d in _column(up, 1)] == sorted(days)


def test_the_directive_export_holds_every_page_in_order(app, as_user):
    client = as_user(DIC_QT)
    size = app.config["PAGE_SIZE"]
    app.config["PAGE_SIZE"] = 3
    try:
        first = client.get("/directives?sort=due_on&dir=desc")
        _head, one = page_rows(first)
        assert len(one) == 3
        nexts = [link for link in page_of(first).links if "page=2" in link]
        assert nexts and "sort=due_on" in nexts[0] and "dir=desc" in nexts[0]
        _head, two = page_rows(client.get(nexts[0]))
        _sheet_head, sheet = sheet_rows(client.get(export_link(first)))
    finally:
        app.config["PAGE_SIZE"] = size
    assert len(sheet) > 3
    assert [row[2] for row in sheet[:6]] == [" ".join(r[2].split()) for r in one + two][:6]


def test_the_directive_list_keeps_to_the_users_province(as_user):
    client = as_user(DIC_QT)
    _head, rows = page_rows(client.get("/directives"))
    assert all(code.startswith("QB-") for code in _column(rows, 0))
    _sheet_head, sheet = sheet_rows(client.get("/directives?export=xlsx"))
    assert all(code.startswith("QB-") for code in _column(sheet, 0))

    # Another province's agreement is neither offered nor accepted.
    page = client.get("/directives?agreement=VL-VNPT-2017")
    assert page.status_code == 400
    assert "Thỏa thuận: không có lựa chọn này." in page.get_data(as_text=True)
    assert "VL-VNPT-2017" not in " ".join(_column(page_rows(page)[1], 0))
    back = client.get("/directives?agreement=VL-VNPT-2017&export=xlsx")
    assert back.status_code == 302
    assert urlsplit(back.headers["Location"]).query == "agreement=VL-VNPT-2017"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=nope", "Không thể sắp xếp danh sách theo “nope”."),
        ("sort=issued_on&dir=up", "Danh sách chỉ sắp xếp tăng dần (asc) hoặc giảm dần (desc)."),
        ("issued_from=31/02/2026", "31/02/2026 không phải là ngày hợp lệ (dd/mm/yyyy)."),
        ("open=yes", "Chỉ hiện ý kiến chưa hoàn thành: hãy đánh dấu ô hoặc để trống."),
        ("unit=99999999999999999999", "Đơn vị được giao: không có lựa chọn này."),
    ],
)
def test_a_bad_parameter_is_ignored_and_explained(as_user, query, message):
    client = as_user(DIC_QT)
    _head, everything = page_rows(client.get("/directives"))
    page = client.get(f"/directives?{query}")
    assert page.status_code == 400
    assert message in _html.unescape(page.get_data(as_text=True))
    assert len(page_rows(page)[1]) == len(everything)


def test_filters_combine_and_text_ignores_diacritics(as_user):
    client = as_user(DIC_QT)
    _head, found = page_rows(client.get("/directives?q=truyen+thong&open=1"))
    _head, accented = page_rows(client.get("/directives?q=Truyền+thông&open=1"))
    assert found == accented
    _head, everything = page_rows(client.get("/directives?q=truyen+thong"))
    assert len(found) < len(everything)
    assert all("truyền thông" in row[2].lower() for row in everything)
    _head, dated = page_rows(client.get("/directives?issued_from=2020-01-01&issued_to=2020-12-31"))
    assert dated and all(_day(d).year == 2020 for d in _column(dated, 1))


# -- commitments ---------------------------------------------------------------------------------


def test_commitments_filter_sort_and_export(as_user):
    client = as_user(VNPT_QT)
    base = "/agreements/QB-VNPT-2020/commitments"
    _head, rows = page_rows(client.get(base))
    late = client.get(f"{base}?late=1")
    _head, some = page_rows(late)
    assert 0 < len(some) < len(rows)
    assert all("trễ hạn" in row[4] for row in some)
    assert_same(late, client)

    by_percent = client.get(f"{base}?sort=percent&dir=desc")
    _head, ordered = page_rows(by_percent)
    percents = [int(p.rstrip("%")) for p in _column(ordered, 5)]
    assert percents == sorted(percents, reverse=True)
    assert percents != [int(p.rstrip("%")) for p in _column(rows, 5)]
    sheet = assert_same(by_percent, client)
    assert _column(sheet, 5) == _column(ordered, 5)

    by_code = client.get(f"{base}?sort=code&dir=desc")
    codes = _column(page_rows(by_code)[1], 0)
    assert codes == sorted(codes, key=lambda c: [int(p) for p in c.split(".")], reverse=True)


def test_commitments_of_another_province_stay_hidden(as_user):
    client = as_user(VNPT_QT)
    assert client.get("/agreements/VL-VNPT-2017/commitments").status_code == 404
    assert client.get("/agreements/VL-VNPT-2017/commitments?export=xlsx").status_code == 404
    page = client.get("/agreements/QB-VNPT-2020/commitments?area=abc&health=bogus")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Lĩnh vực: không có lựa chọn này." in text
    assert "Đánh giá: không có lựa chọn này." in text


# -- review queue, to-do, evidence -----------------------------------------------------------------


def test_the_review_queue_filters_and_exports(as_user):
    client = as_user(DIC_QT)
    queue = client.get("/review?sort=submitted&dir=desc")
    head, rows = page_rows(queue)
    # The first column holds the tick boxes of bulk verification (not exported).
    assert head == ["Chọn", "Thỏa thuận", "Cam kết", "Kỳ báo cáo", "Đơn vị", "Ngày gửi"]
    assert rows
    assert_same(queue, client, page_only=1)
    none = client.get("/review?q=khong+co+cam+ket+nay")
    assert page_rows(none)[1] == []
    assert sheet_rows(client.get(export_link(none)))[1] == []


def test_the_todo_list_filters_sorts_and_exports_by_section(as_user):
    client = as_user(DIC_QT)
    everything = client.get("/todo")
    _head, rows = page_rows(everything)
    sheet = assert_same(everything, client, skip_first=1)
    assert sheet[0][0] == "Mốc tiến độ"  # the section, first column of the export

    milestones = client.get("/todo?section=milestone&sort=date&dir=desc")
    _head, some = page_rows(milestones)
    assert 0 < len(some) < len(rows)
    days = [_day(d) for d in _column(some, 0)]
    assert days == sorted(days, reverse=True)
    sheet = assert_same(milestones, client, skip_first=1)
    assert set(_column(sheet, 0)) == {"Mốc tiến độ"}


def test_the_evidence_register_filters_sorts_exports_and_keeps_scope(as_user):
    client = as_user(VNPT_QT)
    base = "/agreements/QB-VNPT-2020/evidence"
    assert base in page_of(client.get("/agreements/QB-VNPT-2020")).links
    everything = client.get(base)
    _head, rows = page_rows(everything)
    assert rows
    assert_same(everything, client)

    by_kind = client.get(f"{base}?sort=kind")
    _head, ordered = page_rows(by_kind)
    kinds = ["Báo cáo", "Biên bản nghiệm thu", "Hình ảnh", "Quyết định", "Số liệu thống kê"]
    assert sorted(set(_column(ordered, 2)), key=sort_key) == kinds
    assert _column(ordered, 2) == sorted(_column(rows, 2), key=sort_key)
    assert _column(ordered, 2) != _column(rows, 2)
    assert_same(by_kind, client)

    verified = client.get(f"{base}?verified=1")
    _head, some = page_rows(verified)
    assert 0 < len(some) < len(rows)
    assert all(row[5].startswith("Đã xác minh") for row in some)
    assert client.get(f"{base}?kind=poem").status_code == 400

    other = as_user("dic.vinhlong@demo.vn")
    assert other.get(base).status_code == 404
    assert other.get(f"{base}?export=xlsx").status_code == 404


def test_sort_links_turn_the_order_round(as_user):
    client = as_user(DIC_QT)
    links = page_of(client.get("/directives?open=1")).links
    assert "/directives?open=1&sort=issued_on" in links
    sorted_page = client.get("/directives?open=1&sort=issued_on")
    assert "/directives?open=1&sort=issued_on&dir=desc" in page_of(sorted_page).links
    assert 'aria-sort="ascending"' in sorted_page.get_data(as_text=True)
