"""Reading an uploaded workbook safely: size and zip-bomb limits, cells read as text and never
evaluated, typed readers of dates, amounts, choices and yes/no, and the sheet/row/column each
problem is reported at."""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from tracker.errors import InvalidValue
from tracker.i18n import _
from tracker.interop.xlsx import INFO_CODE, MAX_ROWS, SHEET_INFO, Column
from tracker.text import clean_text, fold

#: Largest workbook accepted for import, checked before it is opened.
MAX_XLSX_BYTES = 10 * 1024 * 1024
#: Largest total size of the files inside the workbook (a zip bomb is refused before parsing).
MAX_UNPACKED_BYTES = 150 * 1024 * 1024


@dataclass(frozen=True)
class CellError:
    """A problem in a workbook, located by sheet, row and column."""

    sheet: str
    row: int | None
    column: str | None
    header: str | None
    message: str

    def __str__(self):
        if self.row is None:
            return _("Sheet “%(sheet)s”: %(message)s", sheet=self.sheet, message=self.message)
        return _(
            "Sheet “%(sheet)s”, row %(row)d, column %(column)s (%(header)s): %(message)s",
            sheet=self.sheet,
            row=self.row,
            column=self.column,
            header=self.header,
            message=self.message,
        )


class WorkbookError(InvalidValue):
    """A refused workbook, with every problem found."""

    def __init__(self, errors: list):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def open_workbook(data: bytes, *, limit: int = MAX_XLSX_BYTES):
    """Open an uploaded .xlsx safely (read-only, formulas not evaluated), after checking its
    size, that it is a real Office Open XML workbook and that it does not unpack to a bomb."""
    if len(data) > limit:
        raise WorkbookError(
            [
                _(
                    "The file is larger than %(mb)d MB (%(size)s bytes); it is refused.",
                    mb=limit // (1024 * 1024),
                    size=f"{len(data):,}",
                )
            ]
        )
    not_xlsx = _("The file is not an Excel workbook (.xlsx).")
    if not data.startswith(b"PK\x03\x04"):
        raise WorkbookError([not_xlsx])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise WorkbookError([not_xlsx]) from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise WorkbookError(
            [_("The file is a ZIP archive, but not an Excel workbook (.xlsx): it is refused.")]
        )
    if unpacked > MAX_UNPACKED_BYTES:
        raise WorkbookError([_("The workbook is too large once unpacked; it is refused.")])
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds of errors on damaged files
        raise WorkbookError(
            [_("The workbook could not be read; it may be damaged or not an .xlsx file.")]
        ) from None


def agreement_code_in(data: bytes) -> str | None:
    """The agreement code written in a workbook's general information sheet (exports and
    templates downloaded for an agreement have one), or None."""
    wb = open_workbook(data)
    try:
        ws = find_sheet(wb, SHEET_INFO)
        if ws is None:
            return None
        for row in ws.iter_rows(min_row=2, max_row=50, max_col=2, values_only=True):
            if len(row) == 2 and fold(cell_text(row[0]) or "") == fold(INFO_CODE):
                return cell_text(row[1])
        return None
    except Exception:  # a damaged sheet: the import reports it
        return None
    finally:
        wb.close()


def cell_text(value) -> str | None:
    """A cell's content as text, never evaluated: a formula comes back as its literal text;
    the apostrophe the export puts before =, +, -, @ is removed."""
    if value is None:
        return None
    if hasattr(value, "text") and not isinstance(value, str):  # ArrayFormula
        value = value.text
    if isinstance(value, bool):
        value = "TRUE" if value else "FALSE"
    elif isinstance(value, datetime):
        value = value.date().isoformat() if value.time() == datetime.min.time() else value
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        text = text[1:]
    return text or None


SEPARATORS = re.compile(r"[;,\n]+")
_GROUPED = re.compile(r"^(\d+|\d{1,3}(\.\d{3})+|\d{1,3}(,\d{3})+)$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class CellProblem(ValueError):
    """A cell's value that cannot be used; the message says why."""


def read_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if text is None:
        return None
    match = _DMY.match(text)
    parts = (match.group(3), match.group(2), match.group(1)) if match else None
    if parts is None and (match := _ISO.match(text)):
        parts = match.groups()
    if parts is not None:
        try:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            pass
    raise CellProblem(_("“%(value)s” is not a valid date (dd/mm/yyyy).", value=text[:40]))


def read_vnd(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellProblem(_("Enter a whole number of đồng, for example 7000000000."))
    if isinstance(value, int | float):
        if value < 0:
            raise CellProblem(_("An amount cannot be negative."))
        if isinstance(value, float) and not value.is_integer():
            raise CellProblem(_("Enter a whole number of đồng, without decimals."))
        amount = int(value)
    else:
        text = cell_text(value)
        if text is None:
            return None
        cleaned = re.sub(r"(₫|đ|VNĐ|VND|\s)", "", text, flags=re.IGNORECASE)
        if cleaned.startswith("-") and cleaned[1:] and _GROUPED.match(cleaned[1:]):
            raise CellProblem(_("An amount cannot be negative."))
        if not _GROUPED.match(cleaned):
            raise CellProblem(_("Enter a whole number of đồng, for example 7000000000."))
        amount = int(cleaned.replace(".", "").replace(",", ""))
    if amount >= 10**18:
        raise CellProblem(_("The amount is too large."))
    return amount


def read_choice(value, enum_cls, labels: dict):
    text = cell_text(value)
    if text is None:
        return None
    folded = fold(text)
    for member in enum_cls:
        with force_locale("en"):
            english = str(member.label)
        if folded in (fold(member.value), fold(labels[member]), fold(english)):
            return member
    raise CellProblem(
        _(
            "Unknown value “%(value)s” (allowed: %(allowed)s).",
            value=text[:60],
            allowed=", ".join(labels.values()),
        )
    )


_YES = {"co", "x", "yes", "true", "1", "y"}
_NO = {"khong", "no", "false", "0", "n"}


def read_bool(value) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text is None:
        return None
    folded = fold(text)
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise CellProblem(_("Write “Có” or “Không”."))


def read_text(value, *, max_len: int | None = None, multiline=False) -> str | None:
    """A cell's text as stored (tracker.text.clean_text): one line unless `multiline`."""
    text = clean_text(cell_text(value), multiline=multiline)
    if text is None:
        return None
    if max_len and len(text) > max_len:
        raise CellProblem(_("At most %(max)d characters.", max=max_len))
    return text


def find_sheet(wb, name: str):
    for ws in wb.worksheets:
        if fold(ws.title) == fold(name):
            return ws
    return None


class SheetReader:
    """Rows of a sheet as dicts keyed by column key, remembering where each value came from."""

    def __init__(self, ws, columns: list[Column], errors: list):
        self.ws, self.columns, self.errors = ws, columns, errors
        self.sheet = ws.title
        self.positions: dict[str, int] = {}
        self.rows: list[tuple[int, dict]] = []
        by_header = {fold(c.header): c for c in columns}
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None) or ()
        for index, raw in enumerate(header):
            column = by_header.get(fold((cell_text(raw) or "").rstrip("*")))
            if column is not None and column.key not in self.positions:
                self.positions[column.key] = index
        for number, values in enumerate(rows, start=2):
            if values is None or all(cell_text(v) is None for v in values):
                continue
            if len(self.rows) >= MAX_ROWS:
                self.sheet_error(
                    _("More than %(n)d rows; split the workbook.", n=MAX_ROWS),
                )
                break
            row = {
                key: values[index] if index < len(values) else None
                for key, index in self.positions.items()
            }
            self.rows.append((number, row))

    def has(self, key: str) -> bool:
        return key in self.positions

    def column_of(self, key: str) -> tuple[str, str]:
        column = next(c for c in self.columns if c.key == key)
        index = self.positions.get(key)
        letter = get_column_letter(index + 1) if index is not None else "?"
        return letter, column.header

    def error(self, row: int, key: str, message) -> None:
        letter, header = self.column_of(key)
        self.errors.append(CellError(self.sheet, row, letter, header, str(message)))

    def sheet_error(self, message) -> None:
        self.errors.append(CellError(self.sheet, None, None, None, str(message)))

    def read(self, row_number: int, row: dict, key: str, reader, *, required=False, **kw):
        """The value of a cell read with `reader`; problems are recorded, None returned."""
        if key not in self.positions:
            return None
        try:
            value = reader(row.get(key), **kw)
        except CellProblem as exc:
            self.error(row_number, key, exc)
            return None
        if value is None and required:
            self.error(row_number, key, _("Required."))
        return value


@dataclass
class Row:
    number: int
    values: dict
