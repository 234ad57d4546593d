"""tracker.listing on plain rows: sorting is stable with empty values last both ways, codes sort
by their numbers, groups keep their order, filters read dates as typed, and the workbook writes
typed cells (dates dd/mm/yyyy, per cents, formula-safe text)."""

import io
from dataclasses import dataclass
from datetime import date

from openpyxl import load_workbook

from tracker.listing import (
    Choice,
    Column,
    DateFrom,
    Flag,
    Listing,
    Search,
    choices_from,
    code_key,
)


@dataclass
class Row:
    code: str
    name: str
    due: date | None
    percent: int
    group: str = "A"


ROWS = [
    Row("1.10", "Đà Nẵng", date(2026, 3, 1), 40),
    Row("1.2", "An Giang", None, 40),
    Row("2.1", "=HYPERLINK(1)", date(2025, 1, 31), 90, "B"),
    Row("1.3", "Bình Định", date(2026, 3, 1), 10),
]

LIST = Listing(
    name="test",
    title="Danh sách",
    paged=False,
    columns=(
        Column("code", "Số", lambda r: r.code, sort_key=lambda r: code_key(r.code)),
        Column("name", "Tên", lambda r: r.name),
        Column("due", "Hạn", lambda r: r.due, "date"),
        Column("percent", "Tỷ lệ", lambda r: r.percent, "percent"),
    ),
    filters=(
        Search("q", "Từ khóa", text=lambda r: r.name),
        Choice(
            "group",
            "Nhóm",
            value=lambda r: r.group,
            choices=lambda rows: choices_from(rows, lambda r: (r.group, r.group)),
        ),
        DateFrom("from", "Từ ngày", day=lambda r: r.due),
        Flag("done", "Xong", test=lambda r: r.percent == 100),
    ),
)


def show(app, query, listing=LIST):
    with app.test_request_context(f"/?{query}"):
        return listing.show(ROWS)


def codes(shown):
    return [r.code for r in shown.rows]


def test_sorting_is_stable_and_puts_empty_values_last_both_ways(app):
    assert codes(show(app, "sort=due")) == ["2.1", "1.10", "1.3", "1.2"]
    assert codes(show(app, "sort=due&dir=desc")) == ["1.10", "1.3", "2.1", "1.2"]
    # ties keep the source order in both directions
    assert codes(show(app, "sort=percent")) == ["1.3", "1.10", "1.2", "2.1"]
    assert codes(show(app, "sort=percent&dir=desc")) == ["2.1", "1.10", "1.2", "1.3"]


def test_codes_sort_by_their_numbers_and_names_without_diacritics_first(app):
    assert codes(show(app, "sort=code")) == ["1.2", "1.3", "1.10", "2.1"]
    names = [r.name for r in show(app, "sort=name").rows]
    assert names[1:] == ["An Giang", "Bình Định", "Đà Nẵng"]


def test_filters_read_text_dates_and_choices(app):
    assert codes(show(app, "q=da+nang")) == ["1.10"]
    assert codes(show(app, "from=01/03/2026")) == ["1.10", "1.3"]
    assert codes(show(app, "from=2026-03-01")) == ["1.10", "1.3"]
    assert codes(show(app, "group=B")) == ["2.1"]
    refused = show(app, "group=C&from=2026-02-30&done=yes")
    assert len(refused.errors) == 3 and codes(refused) == codes(show(app, ""))


def test_a_grouped_list_keeps_its_groups_in_order_whatever_the_sort(app):
    grouped = Listing(
        "g", "G", LIST.columns, group=Column("group", "Nhóm", lambda r: r.group), paged=False
    )
    shown = show(app, "sort=percent&dir=desc", grouped)
    assert [r.group for r in shown.rows] == ["A", "A", "A", "B"]
    assert codes(shown) == ["1.10", "1.2", "1.3", "2.1"]


def test_the_workbook_writes_typed_cells(app):
    with app.test_request_context("/?sort=code"):
        shown = LIST.show(ROWS)
        ws = load_workbook(io.BytesIO(shown.workbook())).active
    rows = list(ws.iter_rows())
    assert [c.value for c in rows[0]] == ["Số", "Tên", "Hạn", "Tỷ lệ"]
    assert ws.freeze_panes == "A2"
    first = rows[1]
    assert first[0].value == "1.2" and first[2].value is None
    assert rows[4][1].value == "'=HYPERLINK(1)"  # never a formula
    assert rows[2][2].value.date() == date(2026, 3, 1) and rows[2][2].number_format == "dd/mm/yyyy"
    assert rows[2][3].value == 0.1 and rows[2][3].number_format == "0%"
