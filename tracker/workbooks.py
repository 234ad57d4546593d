"""Writing Excel workbooks in the house style: a bold, frozen, filtered header row, dates as
dd/mm/yyyy date cells, VND as whole numbers with thousands separators, text that can never be
taken for a formula. The agreement export (`tracker.interop.xlsx`) and the list exports
(`tracker.listing`) write their sheets with these helpers.

Exported text that starts with "=", "+", "-", "@", a tab or a carriage return is written with a
leading apostrophe ("'") as a plain text cell, as the OWASP advice on CSV/formula injection says,
so Excel never takes it for a formula.
"""

import io
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

#: Excel's limit on the text of one cell.
MAX_CELL_TEXT = 32767

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "dd/mm/yyyy"
VND_FORMAT = "#,##0"
PERCENT_FORMAT = "0%"

#: Leading characters that make a spreadsheet treat text as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A sheet column: its key, Vietnamese header, width and kind of value."""

    key: str
    header: str
    width: int
    kind: str = "text"  # text, date, vnd, int, number, percent, bool


def safe_text(value: str) -> str:
    """Text as it may go into a cell: no characters XML forbids, within Excel's length limit,
    and with an apostrophe before a leading =, +, -, @, tab or CR so it is never a formula."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "…"
    return text


def _number(value):
    if value is None:
        return None
    if value == int(value):
        return int(value)
    return float(value)


def put_cell(ws, row: int, col: int, value, kind: str = "text") -> None:
    """Write one value in the cell format of its kind (nothing for None or "")."""
    if value is None or value == "":
        return
    cell = ws.cell(row=row, column=col)
    if kind == "date":
        if isinstance(value, datetime):
            value = value.date()
        if value.year < 1900:  # Excel has no dates before 1900
            cell.value, cell.data_type = value.isoformat(), "s"
            return
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif kind in ("vnd", "int"):
        cell.value = int(value)
        cell.number_format = VND_FORMAT if kind == "vnd" else "0"
    elif kind == "number":
        number = _number(value)
        cell.value = number
        cell.number_format = VND_FORMAT if isinstance(number, int) else "#,##0.0###"
    elif kind == "percent":  # a whole per cent (45 → 45%)
        cell.value = value / 100
        cell.number_format = PERCENT_FORMAT
    elif kind == "bool":
        cell.value = "Có" if value else "Không"
    else:
        cell.value = safe_text(value)
        cell.data_type = "s"
        if "\n" in cell.value:  # a second line shows as one
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_sheet(wb: Workbook, title: str, columns: list[Column], rows, *, first=False):
    """A sheet with a bold, frozen header row, column widths, a filter and the rows (dicts by
    column key)."""
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for col, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=col, value=column.header)
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(col)].width = column.width
    n = 1
    for n, values in enumerate(rows, start=2):
        for col, column in enumerate(columns, start=1):
            put_cell(ws, n, col, values.get(column.key), column.kind)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(n, 1)}"
    return ws


def workbook_bytes(wb: Workbook) -> bytes:
    """The workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
