"""Lists that filter, sort, page and export to Excel what they show.

A `Listing` declares a list once: its columns (label, how to read the value from a row, its kind
of value, how it sorts) and its filters (GET query parameters). A view hands it the rows the user
may see — one query, in its default order — and `Listing.show` keeps the rows the filters ask
for, sorts them (`?sort=<column>&dir=desc`) and cuts the page. The page's table head, filter form
and pager, and the Excel file (`?export=xlsx` on the same URL, so the same view, the same query
and the same permission checks) are all drawn from the result, so the export has exactly the
rows of the page, in its order, every page of them, under the same Vietnamese headers and with
the same labels.

Sorting is stable (rows that tie keep the query's order) and empty values come last either way.
Names and titles sort by `name_key`, the one place where Vietnamese collation is decided.

A filter value that does not make sense (an unknown agreement, "31/02/2026") is ignored and
the page says so with status 400; an export with such a value goes back to the page.
"""

import io
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app, redirect, request, send_file, url_for
from flask_babel import force_locale
from openpyxl import Workbook

from tracker import workbooks
from tracker.collation import sort_key
from tracker.forms import page_arg
from tracker.i18n import _, fmt_date, fmt_datetime, fmt_number, fmt_vnd
from tracker.text import fold

#: Query parameters the listing reads itself; every other one is carried along (`as_of`).
SORT, DIRECTION, PAGE, EXPORT = "sort", "dir", "page", "export"
#: Longest text a search filter keeps.
MAX_SEARCH = 200
#: The kinds of the page's values and the cell kinds they are written as.
_SHEET_KINDS = {
    "text": "text",
    "date": "date",
    "datetime": "text",
    "vnd": "vnd",
    "int": "int",
    "number": "number",
    "percent": "percent",
}


def name_key(text: str | None) -> bytes:
    """The sort key of a name or a title: ICU's Vietnamese order (`tracker.collation`)."""
    return sort_key(text)


def code_key(code: str | None) -> tuple:
    """The sort key of a code such as "1.10" or "II.2": numbers compare as numbers, so 1.2
    comes before 1.10."""
    parts = (code or "").replace("-", ".").split(".")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, name_key(p)) for p in parts)


def format_value(value, kind: str = "text") -> str:
    """A value as the page writes it: dd/mm/yyyy, VND and numbers in the locale's format."""
    if value is None or value == "":
        return ""
    if kind == "date":
        return fmt_date(value)
    if kind == "datetime":
        return fmt_datetime(value)
    if kind == "vnd":
        return fmt_vnd(value)
    if kind in ("int", "number"):
        return fmt_number(value)
    if kind == "percent":
        return f"{fmt_number(value)}%"
    return str(value)


@dataclass(frozen=True)
class Column:
    """A column of a list: its key (the `?sort=` value), label, the value of a row and its kind
    (text, date, datetime, vnd, int, number, percent). `detail` is the second, smaller line a
    page shows under the value (the export adds it on a new line of the cell). `sort_key`
    replaces the value for sorting (a code by its numbers); `sortable=False` offers no sort."""

    key: str
    label: Any
    value: Callable[[Any], Any]
    kind: str = "text"
    width: int = 20
    detail: Callable[[Any], str | None] | None = None
    sort_key: Callable[[Any], Any] | None = None
    sortable: bool = True

    def key_of(self, row):
        """The row's sort key in this column (None when empty)."""
        if self.sort_key is not None:
            return self.sort_key(row)
        value = self.value(row)
        if value is None or value == "":
            return None
        if isinstance(value, datetime | date) or self.kind != "text":
            return value
        return name_key(str(value))

    def text(self, row) -> str:
        """The row's value as the page shows it."""
        return format_value(self.value(row), self.kind)

    def cell(self, row):
        """The row's value as the export writes it."""
        value = self.value(row)
        if self.kind == "datetime":
            value = fmt_datetime(value) if value else None
        elif self.kind == "text" and value is not None:
            value = str(value)
        detail = self.detail(row) if self.detail else None
        if detail:
            value = f"{value or ''}\n{detail}"
        return value


class FilterError(ValueError):
    """A filter's value that makes no sense; its message says why, in the user's language."""


@dataclass(frozen=True)
class Filter(ABC):
    """A GET parameter that keeps some rows. Subclasses say how the value is read and tested."""

    name: str
    label: Any
    widget = "text"

    def parse(self, raw: str, options: list[tuple[str, str]]):
        """The value of `raw` (a select's among its options), or FilterError."""
        return raw

    @abstractmethod
    def keep(self, row, value) -> bool:
        """Whether the row passes."""

    def options(self, rows: Sequence) -> list[tuple[str, str]]:
        """The choices a select offers (none for other filters)."""
        return []


@dataclass(frozen=True)
class Search(Filter):
    """Text found in a row, ignoring case and diacritics ("dak lak" finds "Đắk Lắk")."""

    text: Callable[[Any], str] = str
    widget = "search"

    def parse(self, raw, options):
        return fold(raw[:MAX_SEARCH])

    def keep(self, row, value):
        return value in fold(self.text(row))


@dataclass(frozen=True)
class Choice(Filter):
    """One of the choices the rows offer (an agreement, a unit, a status). `value` gives a row's
    choice, or several (a commitment's former and present lead unit); `choices` lists
    (value, label) for the rows the user may see, so nothing outside their scope is offered or
    accepted."""

    value: Callable[[Any], Any] = str
    choices: Callable[[Sequence], Iterable[tuple[Any, Any]]] = lambda rows: ()
    widget = "select"

    def options(self, rows):
        seen, result = set(), []
        for value, label in self.choices(rows):
            if str(value) not in seen:
                seen.add(str(value))
                result.append((str(value), str(label)))
        return result

    def parse(self, raw, options):
        if raw not in {value for value, _label in options}:
            raise FilterError(_("%(filter)s: there is no such choice.", filter=self.label))
        return raw

    def keep(self, row, value):
        found = self.value(row)
        if isinstance(found, set | frozenset | list | tuple):
            return value in {str(v) for v in found}
        return found is not None and str(found) == value


def choices_from(rows: Sequence, pick: Callable[[Any], tuple[Any, Any] | None]):
    """(value, label) of each row (None skipped), once each, in Vietnamese order of the label."""
    found = {}
    for row in rows:
        pair = pick(row)
        if pair is not None and pair[0] is not None:
            found.setdefault(str(pair[0]), pair[1])
    return sorted(found.items(), key=lambda item: name_key(str(item[1])))


def enum_choices(enum_cls) -> Callable[[Sequence], list[tuple[str, Any]]]:
    """The members of an enum as choices, in their declared order."""
    return lambda rows: [(m.value, m.label) for m in enum_cls]


def _parse_date(raw: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date()  # noqa: DTZ007 (a calendar day)
        except ValueError:
            continue
    raise ValueError(raw)


@dataclass(frozen=True)
class DateFrom(Filter):
    """Rows dated on or after a day (`YYYY-MM-DD`, as a date input sends it, or dd/mm/yyyy)."""

    day: Callable[[Any], date | None] = lambda row: None
    widget = "date"

    def parse(self, raw, options):
        try:
            return _parse_date(raw)
        except ValueError:
            raise FilterError(
                _("%(filter)s: %(value)s is not a date (dd/mm/yyyy).", filter=self.label, value=raw)
            ) from None

    def keep(self, row, value):
        day = self.day(row)
        if isinstance(day, datetime):
            day = day.date()
        return day is not None and day >= value


@dataclass(frozen=True)
class DateTo(DateFrom):
    """Rows dated on or before a day."""

    def keep(self, row, value):
        day = self.day(row)
        if isinstance(day, datetime):
            day = day.date()
        return day is not None and day <= value


@dataclass(frozen=True)
class Flag(Filter):
    """A checkbox (`=1`) that keeps the rows passing a test (open only, overdue)."""

    test: Callable[[Any], bool] = bool
    widget = "check"

    def parse(self, raw, options):
        if raw != "1":
            raise FilterError(_("%(filter)s: tick the box or leave it out.", filter=self.label))
        return True

    def keep(self, row, value):
        return bool(self.test(row))


class Paged:
    """What the `pager` macro asks of a pagination, from `page` and `pages` (a list's page, the
    search results)."""

    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@dataclass
class Page(Paged):
    """One page of rows."""

    items: list
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class Listing:
    """A list's declaration: columns, filters, the file name and sheet title of its export, and
    whether it is paged (the app's PAGE_SIZE) or shown whole. `group`, when given, is a column
    the page groups the rows by (the sections of the to-do list): rows keep the order of the
    groups, and the export writes it as its first column."""

    name: str
    title: Any
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...] = ()
    paged: bool = True
    group: Column | None = None

    def sortable_column(self, key: str) -> Column | None:
        """The sortable column of that key (None: the list does not sort by it)."""
        return next((c for c in self.columns if c.key == key and c.sortable), None)

    def get(self, key: str) -> Column:
        """The column of that key."""
        return next(c for c in self.columns if c.key == key)

    def show(self, rows: Iterable, *, choices: dict | None = None) -> "Shown":
        """The rows the request's filters keep, in the order it asks, and its page. `choices`
        gives a select filter its options when they are not those of the rows (every agreement
        in scope, even one without rows)."""
        args = request.args
        rows = list(rows)
        shown = Shown(listing=self, all_rows=rows, choices=choices or {})
        kept = rows
        for item in self.filters:
            raw = (args.get(item.name) or "").strip()
            if not raw:
                continue
            shown.raw[item.name] = raw
            try:
                value = item.parse(raw, shown.options(item))
            except FilterError as refusal:
                shown.errors.append(str(refusal))
                continue
            shown.values[item.name] = value
            kept = [row for row in kept if item.keep(row, value)]
        sort = args.get(SORT) or ""
        column = self.sortable_column(sort) if sort else None
        if sort and column is None:
            shown.errors.append(_("The list cannot be sorted by “%(column)s”.", column=sort[:50]))
        direction = args.get(DIRECTION) or "asc"
        if direction not in ("asc", "desc"):
            shown.errors.append(_("A list is sorted up (asc) or down (desc)."))
            direction = "asc"
        if column is not None:
            shown.sort, shown.descending = column.key, direction == "desc"
            kept = _sorted(kept, column.key_of, descending=shown.descending)
        if self.group is not None:
            groups = {}
            for row in rows:  # groups keep the source's order whatever the sort
                groups.setdefault(self.group.value(row), len(groups))
            kept = sorted(kept, key=lambda row: groups[self.group.value(row)])
        shown.rows = kept
        if self.paged:
            size = current_app.config["PAGE_SIZE"]
            pages = max(1, -(-len(kept) // size))
            number = min(page_arg(), pages)
            shown.page = Page(kept[(number - 1) * size : number * size], number, pages, len(kept))
        return shown


def _sorted(rows: list, key: Callable, *, descending: bool) -> list:
    """Rows by key, stable, with empty keys last in both directions."""
    keyed = [(key(row), row) for row in rows]
    present = [pair for pair in keyed if pair[0] is not None]
    empty = [row for k, row in keyed if k is None]
    present.sort(key=lambda pair: pair[0], reverse=descending)
    return [row for _k, row in present] + empty


@dataclass
class Shown:
    """What a list shows for a request: the rows kept and sorted, the page, the filter values
    read (and the refused ones' messages), and the links of its head, pager and export."""

    listing: Listing
    all_rows: list
    rows: list = field(default_factory=list)
    raw: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    sort: str | None = None
    descending: bool = False
    page: Page | None = None
    choices: dict = field(default_factory=dict)

    @property
    def items(self) -> list:
        """The rows of the page shown (all rows for a list that is not paged)."""
        return self.page.items if self.page is not None else self.rows

    @property
    def status(self) -> int:
        """400 when a parameter was refused (the page still shows, without it)."""
        return 400 if self.errors else 200

    @property
    def exporting(self) -> bool:
        """Whether the request asks for the Excel file."""
        return request.args.get(EXPORT) == "xlsx"

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.listing.columns

    @property
    def filters(self) -> tuple[Filter, ...]:
        return self.listing.filters

    def column(self, key: str) -> Column:
        """The column of that key (for a cell the template writes with `column.text(row)`)."""
        return self.listing.get(key)

    def options(self, item: Filter) -> list[tuple[str, str]]:
        """The choices of a select filter, from the rows the user may see."""
        if item.name in self.choices:
            return [(str(value), str(label)) for value, label in self.choices[item.name]]
        return item.options(self.all_rows)

    def groups(self):
        """(group label, rows of the page) in order, for a grouped list."""
        result = []
        for row in self.items:
            label = self.listing.group.value(row)
            if not result or result[-1][0] != label:
                result.append((label, []))
            result[-1][1].append(row)
        return result

    def _url(self, *, refused: bool = False, **changes) -> str:
        args = dict(request.view_args or {})
        args.update(request.args.to_dict())
        args.pop(PAGE, None)
        args.pop(EXPORT, None)
        if not refused:  # refused values are not carried on, except back to the page
            for name in self.raw:
                if name not in self.values:
                    args.pop(name, None)
            args[SORT] = self.sort
            args[DIRECTION] = "desc" if self.descending else None
        args.update(changes)
        args = {k: v for k, v in args.items() if v is not None}
        return url_for(request.endpoint, **args)

    def sort_url(self, column: Column) -> str:
        """The link of a column's header: sort by it, or turn the order round when it sorts."""
        if self.sort == column.key and not self.descending:
            return self._url(**{SORT: column.key, DIRECTION: "desc"})
        return self._url(**{SORT: column.key, DIRECTION: None})

    def sorted_as(self, column: Column) -> str | None:
        """aria-sort of a column's header: ascending, descending, or None."""
        if self.sort != column.key:
            return None
        return "descending" if self.descending else "ascending"

    def export_url(self) -> str:
        """The Excel file of what the page shows (every page of it)."""
        return self._url(**{EXPORT: "xlsx"})

    def reset_url(self) -> str:
        """The list without filters (its sort and the page's other arguments kept)."""
        return self._url(**{item.name: None for item in self.filters})

    def carried(self) -> dict:
        """The query arguments the filter form sends again as hidden fields (sort, as_of)."""
        names = {item.name for item in self.filters} | {PAGE, EXPORT, SORT, DIRECTION}
        carried = {k: v for k, v in request.args.items() if k not in names}
        if self.sort:
            carried[SORT] = self.sort
            if self.descending:
                carried[DIRECTION] = "desc"
        return carried

    def sheet_columns(self) -> list[Column]:
        """The export's columns: the group first, then the list's."""
        first = [self.listing.group] if self.listing.group is not None else []
        return first + list(self.listing.columns)

    def workbook(self) -> bytes:
        """The .xlsx of every row kept, in order, with the page's headers and values (in
        Vietnamese, as every export of the tracker)."""
        with force_locale("vi"):
            columns = self.sheet_columns()
            sheet = [
                workbooks.Column(c.key, str(c.label), c.width, _SHEET_KINDS.get(c.kind, "text"))
                for c in columns
            ]
            rows = ({c.key: c.cell(row) for c in columns} for row in self.rows)
            wb = Workbook()
            workbooks.write_sheet(wb, str(self.listing.title)[:31], sheet, rows, first=True)
            return workbooks.workbook_bytes(wb)

    def download(self, name: str | None = None):
        """The Excel file (named `name`.xlsx, by default after the list); with a refused
        parameter, back to the page, which says why."""
        if self.errors:
            return redirect(self._url(refused=True))
        return send_file(
            io.BytesIO(self.workbook()),
            mimetype=workbooks.XLSX_MIMETYPE,
            as_attachment=True,
            download_name=f"{name or self.listing.name}.xlsx",
        )
