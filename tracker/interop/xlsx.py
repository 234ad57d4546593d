"""Excel workbooks: export an agreement (one sheet per concern), a template for DIC officers, and
the import of the commitments sheet of such a workbook.

Exported text that starts with "=", "+", "-", "@", a tab or a carriage return is written with a
leading apostrophe ("'") as a plain text cell, as the OWASP advice on CSV/formula injection says,
so Excel never takes it for a formula. The importer removes that apostrophe again, and it never
evaluates anything: a cell holding a formula (=HYPERLINK(...)) is read as the literal text of the
formula.
"""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tracker.agreements.models import Agreement, Area, Commitment, Directive, FundingSource
from tracker.db import fold, local_today
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.i18n import _
from tracker.interop.changes import KINDS, ChangeCollector, ImportSummary
from tracker.org.models import Side, Unit, UnitKind

#: Largest workbook accepted for import, checked before it is opened.
MAX_XLSX_BYTES = 10 * 1024 * 1024
#: Largest total size of the files inside the workbook (a zip bomb is refused before parsing).
MAX_UNPACKED_BYTES = 150 * 1024 * 1024
#: Most data rows read from the commitments sheet.
MAX_ROWS = 5000
#: Excel's limit on the text of one cell.
MAX_CELL_TEXT = 32767

SHEET_COMMITMENTS = "Lĩnh vực - Cam kết"
SHEET_MILESTONES = "Mốc tiến độ"
SHEET_INDICATORS = "Chỉ tiêu - Số liệu"
SHEET_DIRECTIVES = "Ý kiến chỉ đạo"
SHEET_EVIDENCE = "Minh chứng"
SHEET_UNITS = "Đơn vị"
SHEET_INFO = "Thông tin chung"
SHEET_HELP = "Hướng dẫn"
#: The row of the general information sheet that names the agreement.
INFO_CODE = "Mã thỏa thuận"

DATE_FORMAT = "dd/mm/yyyy"
VND_FORMAT = "#,##0"

#: Leading characters that make a spreadsheet treat text as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A sheet column: its key, Vietnamese header, width and kind of value."""

    key: str
    header: str
    width: int
    kind: str = "text"  # text, date, vnd, int, number, bool


COMMITMENT_COLUMNS = [
    Column("area_code", "Mã lĩnh vực", 12),
    Column("area_title", "Tên lĩnh vực", 40),
    Column("code", "Mã cam kết", 12),
    Column("title", "Nội dung cam kết", 60),
    Column("description", "Mô tả", 40),
    Column("committed_by", "Bên cam kết", 14),
    Column("lead_unit", "Đơn vị chủ trì (mã)", 20),
    Column("support_units", "Đơn vị phối hợp (mã, cách nhau bởi ;)", 30),
    Column("budget_vnd", "Kinh phí dự kiến (VNĐ)", 20, "vnd"),
    Column("funding_source", "Nguồn kinh phí", 26),
    Column("due_on", "Hạn hoàn thành", 14, "date"),
    Column("priority", "Ưu tiên", 10, "bool"),
]
#: Written by the export for reading; the importer ignores them.
COMMITMENT_EXTRA_COLUMNS = [
    Column("lead_unit_name", "Tên đơn vị chủ trì", 36),
    Column("completion", "Mức độ hoàn thành", 18),
    Column("percent_complete", "Tỷ lệ hoàn thành (%)", 14, "int"),
]
#: Columns the commitments sheet must have for an import.
REQUIRED_COLUMNS = ("area_code", "code", "title", "committed_by", "lead_unit")

UNIT_COLUMNS = [
    Column("code", "Mã đơn vị", 18),
    Column("name", "Tên đơn vị", 50),
    Column("side", "Bên", 12),
]
MILESTONE_COLUMNS = [
    Column("commitment", "Mã cam kết", 12),
    Column("title", "Mốc tiến độ", 60),
    Column("due_on", "Hạn", 14, "date"),
    Column("original_due_on", "Hạn ban đầu", 14, "date"),
    Column("done_on", "Ngày đạt", 14, "date"),
    Column("status", "Trạng thái", 18),
]
INDICATOR_COLUMNS = [
    Column("commitment", "Mã cam kết", 12),
    Column("name", "Chỉ tiêu", 50),
    Column("unit", "Đơn vị tính", 12),
    Column("baseline", "Giá trị cơ sở", 14, "number"),
    Column("target", "Mục tiêu", 14, "number"),
    Column("target_on", "Hạn đạt mục tiêu", 14, "date"),
    Column("direction", "Chiều hướng", 18),
    Column("measured_on", "Ngày số liệu", 14, "date"),
    Column("value", "Giá trị", 14, "number"),
    Column("verified", "Đã xác minh", 12, "bool"),
    Column("note", "Ghi chú", 40),
]
DIRECTIVE_COLUMNS = [
    Column("issued_on", "Ngày chỉ đạo", 14, "date"),
    Column("issued_by", "Người chỉ đạo", 30),
    Column("meeting", "Cuộc họp", 30),
    Column("text", "Nội dung chỉ đạo", 60),
    Column("assignee", "Đơn vị thực hiện (mã)", 20),
    Column("assignee_name", "Tên đơn vị thực hiện", 36),
    Column("due_on", "Hạn", 14, "date"),
    Column("done_on", "Ngày hoàn thành", 14, "date"),
]
EVIDENCE_COLUMNS = [
    Column("title", "Tiêu đề", 50),
    Column("date", "Ngày", 14, "date"),
    Column("kind", "Loại", 22),
    Column("unit", "Đơn vị", 36),
    Column("commitment", "Mã cam kết", 12),
    Column("file_name", "Tên tệp", 36),
    Column("sha256", "SHA-256", 68),
    Column("period", "Kỳ báo cáo", 18),
    Column("status", "Trạng thái", 22),
]


# -- writing -----------------------------------------------------------------------------------


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


def _put(ws, row: int, col: int, value, kind: str = "text") -> None:
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
    elif kind == "bool":
        cell.value = "Có" if value else "Không"
    else:
        cell.value = safe_text(value)
        cell.data_type = "s"


def _sheet(wb: Workbook, title: str, columns: list[Column], rows, *, first=False):
    """A sheet with a bold, frozen header row, column widths, a filter and the rows."""
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
            _put(ws, n, col, values.get(column.key), column.kind)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(n, 1)}"
    return ws


def _labels(enum_cls) -> dict:
    """Vietnamese labels of an enum's members (exports are always in Vietnamese)."""
    with force_locale("vi"):
        return {m: str(m.label) for m in enum_cls}


def _bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _units_of(agreement: Agreement) -> list[Unit]:
    units = {u.code: u for u in agreement.units}
    for area in agreement.areas:
        for c in area.commitments:
            for u in [c.lead_unit, *c.support_units]:
                units.setdefault(u.code, u)
    for d in agreement.directives:
        units.setdefault(d.assignee.code, d.assignee)
    return sorted(units.values(), key=lambda u: u.code)


def _unit_rows(units) -> list[dict]:
    sides = _labels(Side)
    return [{"code": u.code, "name": u.name, "side": sides[u.side]} for u in units]


def export_workbook(agreement: Agreement) -> bytes:
    """The agreement as an .xlsx workbook: areas and commitments, milestones, indicators and
    measurements, directives, the evidence register, units and general information."""
    from tracker.agreements.models import Completion, Direction, MilestoneStatus
    from tracker.progress.models import EvidenceKind, ProgressReport, ReportStatus

    sides, funding = _labels(Side), _labels(FundingSource)
    completion, ms_status = _labels(Completion), _labels(MilestoneStatus)
    direction, kinds, report_status = (
        _labels(Direction),
        _labels(EvidenceKind),
        _labels(ReportStatus),
    )
    commitments = [c for area in agreement.areas for c in area.commitments]

    wb = Workbook()
    _sheet(
        wb,
        SHEET_COMMITMENTS,
        COMMITMENT_COLUMNS + COMMITMENT_EXTRA_COLUMNS,
        (
            {
                "area_code": c.area.code,
                "area_title": c.area.title,
                "code": c.code,
                "title": c.title,
                "description": c.description,
                "committed_by": sides[c.committed_by],
                "lead_unit": c.lead_unit.code,
                "support_units": "; ".join(u.code for u in c.support_units),
                "budget_vnd": c.budget_vnd,
                "funding_source": funding[c.funding_source] if c.funding_source else None,
                "due_on": c.due_on,
                "priority": c.priority,
                "lead_unit_name": c.lead_unit.name,
                "completion": completion[c.completion],
                "percent_complete": c.percent_complete,
            }
            for c in commitments
        ),
        first=True,
    )
    _sheet(
        wb,
        SHEET_MILESTONES,
        MILESTONE_COLUMNS,
        (
            {
                "commitment": c.code,
                "title": m.title,
                "due_on": m.due_on,
                "original_due_on": m.original_due_on,
                "done_on": m.done_on,
                "status": ms_status[m.status],
            }
            for c in commitments
            for m in c.milestones
        ),
    )

    def indicator_rows():
        for c in commitments:
            for i in c.indicators:
                base = {
                    "commitment": c.code,
                    "name": i.name,
                    "unit": i.unit,
                    "baseline": i.baseline,
                    "target": i.target,
                    "target_on": i.target_on,
                    "direction": direction[i.direction],
                }
                if not i.measurements:
                    yield base
                for m in i.measurements:
                    yield {
                        **base,
                        "measured_on": m.measured_on,
                        "value": m.value,
                        "verified": m.verified,
                        "note": m.note,
                    }

    _sheet(wb, SHEET_INDICATORS, INDICATOR_COLUMNS, indicator_rows())
    _sheet(
        wb,
        SHEET_DIRECTIVES,
        DIRECTIVE_COLUMNS,
        (
            {
                "issued_on": d.issued_on,
                "issued_by": d.issued_by,
                "meeting": d.meeting,
                "text": d.text,
                "assignee": d.assignee.code,
                "assignee_name": d.assignee.name,
                "due_on": d.due_on,
                "done_on": d.done_on,
            }
            for d in agreement.directives
        ),
    )

    from tracker.progress.models import Evidence, ReportingPeriod

    with force_locale("vi"):
        superseded = _("superseded")
        directive_label = _("Directive evidence")
        report_evidence = db.session.execute(
            sa.select(Evidence, ProgressReport, Commitment, ReportingPeriod)
            .join(ProgressReport, Evidence.report_id == ProgressReport.id)
            .join(Commitment, ProgressReport.commitment_id == Commitment.id)
            .join(ReportingPeriod, ProgressReport.period_id == ReportingPeriod.id)
            .where(Commitment.agreement_id == agreement.id)
            .order_by(Commitment.position, Commitment.id, ReportingPeriod.starts_on, Evidence.id)
        ).all()
        rows = []
        for ev, report, commitment, period in report_evidence:
            status = report_status[report.status]
            if ev.superseded_by_id:
                status = f"{status} ({superseded})"
            rows.append(
                {
                    "title": ev.title,
                    "date": ev.issued_on or _local_date(ev.created_at),
                    "kind": kinds[ev.kind],
                    "unit": report.unit.name if report.unit else None,
                    "commitment": commitment.code,
                    "file_name": ev.file_name,
                    "sha256": ev.sha256,
                    "period": period.label,
                    "status": status,
                }
            )
        for ev, directive in db.session.execute(
            sa.select(Evidence, Directive)
            .join(Directive, Evidence.directive_id == Directive.id)
            .where(Directive.agreement_id == agreement.id)
            .order_by(Directive.issued_on, Evidence.id)
        ).all():
            rows.append(
                {
                    "title": ev.title,
                    "date": ev.issued_on or _local_date(ev.created_at),
                    "kind": kinds[ev.kind],
                    "unit": directive.assignee.name,
                    "file_name": ev.file_name,
                    "sha256": ev.sha256,
                    "status": directive_label,
                }
            )
    _sheet(wb, SHEET_EVIDENCE, EVIDENCE_COLUMNS, rows)
    _sheet(wb, SHEET_UNITS, UNIT_COLUMNS, _unit_rows(_units_of(agreement)))
    _info_sheet(wb, agreement)
    return _bytes(wb)


def _local_date(value: datetime | None) -> date | None:
    if value is None:
        return None
    from zoneinfo import ZoneInfo

    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _info_sheet(wb: Workbook, agreement: Agreement) -> None:
    from tracker.agreements.models import AgreementStatus

    statuses = _labels(AgreementStatus)
    columns = [Column("key", "Thông tin", 28), Column("value", "Giá trị", 90)]
    items = [
        (INFO_CODE, agreement.code, "text"),
        ("Tên thỏa thuận", agreement.title, "text"),
        ("Tỉnh", agreement.province.name, "text"),
        ("Đối tác", agreement.partner, "text"),
        ("Ngày ký", agreement.signed_on, "date"),
        ("Thời gian bắt đầu", agreement.period_start, "date"),
        ("Thời gian kết thúc", agreement.period_end, "date"),
        ("Tầm nhìn đến năm", agreement.vision_year, "int"),
        ("Trạng thái", statuses[agreement.status], "text"),
        ("Ngày xuất dữ liệu", local_today(), "date"),
    ]
    ws = _sheet(wb, SHEET_INFO, columns, [])
    for row, (key, value, kind) in enumerate(items, start=2):
        _put(ws, row, 1, key)
        _put(ws, row, 2, value, kind)
    ws.auto_filter.ref = None


def template_workbook(agreement: Agreement | None = None) -> bytes:
    """The workbook a DIC officer fills in: the commitments sheet (headers only, with drop-down
    lists), the units sheet (the units the agreement may use) and instructions."""
    sides, funding = _labels(Side), _labels(FundingSource)
    wb = Workbook()
    ws = _sheet(wb, SHEET_COMMITMENTS, COMMITMENT_COLUMNS, [], first=True)
    units = []
    if agreement is not None:
        from tracker.agreements.queries import units_for_agreement

        units = [u for u in units_for_agreement(agreement) if u.is_valid_on()]
    _sheet(wb, SHEET_UNITS, UNIT_COLUMNS, _unit_rows(sorted(units, key=lambda u: u.code)))
    help_ws = wb.create_sheet(SHEET_HELP)
    help_ws.column_dimensions["A"].width = 100
    help_ws.column_dimensions["C"].width = 30
    help_ws.column_dimensions["D"].width = 34
    help_ws.column_dimensions["E"].width = 10
    lines = [
        "Hướng dẫn điền mẫu nhập cam kết",
        f"Mỗi dòng của trang “{SHEET_COMMITMENTS}” là một cam kết; dòng tiêu đề giữ nguyên.",
        "Bắt buộc: Mã lĩnh vực, Mã cam kết, Nội dung cam kết, Bên cam kết, Đơn vị chủ trì (mã).",
        "Tên lĩnh vực bắt buộc khi lĩnh vực chưa có trong thỏa thuận.",
        f"Mã đơn vị phải có trong trang “{SHEET_UNITS}” hoặc đã có trong hệ thống; nhiều đơn vị "
        "phối hợp cách nhau bởi dấu chấm phẩy (;).",
        "Ngày ghi theo dạng dd/mm/yyyy; kinh phí là số nguyên đồng, không âm (ví dụ 7000000000).",
        "Mã cam kết đã có thì cam kết đó được cập nhật; mã mới thì cam kết được thêm. "
        "Không cam kết nào bị xóa khi nhập.",
        "Nếu có dòng sai, hệ thống báo tất cả các dòng sai (trang, dòng, cột) và không ghi gì.",
        "Công thức trong ô không được tính: nội dung ô được lấy nguyên văn.",
    ]
    for row, line in enumerate(lines, start=1):
        _put(help_ws, row, 1, line)
    help_ws.cell(row=1, column=1).font = Font(bold=True)
    for col, (title, values) in enumerate(
        [
            ("Bên cam kết", list(sides.values())),
            ("Nguồn kinh phí", list(funding.values())),
            ("Ưu tiên", ["Có", "Không"]),
        ],
        start=3,
    ):
        help_ws.cell(row=1, column=col, value=title).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            _put(help_ws, row, col, value)
    letters = {c.key: get_column_letter(i) for i, c in enumerate(COMMITMENT_COLUMNS, start=1)}
    for key, source in (
        ("committed_by", f"$C$2:$C${1 + len(sides)}"),
        ("funding_source", f"$D$2:$D${1 + len(funding)}"),
        ("priority", "$E$2:$E$3"),
    ):
        rule = DataValidation(type="list", formula1=f"'{SHEET_HELP}'!{source}", allow_blank=True)
        rule.add(f"{letters[key]}2:{letters[key]}{MAX_ROWS + 1}")
        ws.add_data_validation(rule)
    for key in ("due_on", "budget_vnd"):
        fmt = DATE_FORMAT if key == "due_on" else VND_FORMAT
        ws.column_dimensions[letters[key]].number_format = fmt
    if agreement is not None:  # so the filled template knows which agreement it is for
        _info_sheet(wb, agreement)
    return _bytes(wb)


# -- reading -----------------------------------------------------------------------------------


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
        ws = _find_sheet(wb, SHEET_INFO)
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


_SEPARATORS = re.compile(r"[;,\n]+")
_GROUPED = re.compile(r"^(\d+|\d{1,3}(\.\d{3})+|\d{1,3}(,\d{3})+)$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class _CellProblem(ValueError):
    """A cell's value that cannot be used; the message says why."""


def _read_date(value) -> date | None:
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
    raise _CellProblem(_("“%(value)s” is not a valid date (dd/mm/yyyy).", value=text[:40]))


def _read_vnd(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _CellProblem(_("Enter a whole number of đồng, for example 7000000000."))
    if isinstance(value, int | float):
        if value < 0:
            raise _CellProblem(_("An amount cannot be negative."))
        if isinstance(value, float) and not value.is_integer():
            raise _CellProblem(_("Enter a whole number of đồng, without decimals."))
        amount = int(value)
    else:
        text = cell_text(value)
        if text is None:
            return None
        cleaned = re.sub(r"(₫|đ|VNĐ|VND|\s)", "", text, flags=re.IGNORECASE)
        if cleaned.startswith("-") and cleaned[1:] and _GROUPED.match(cleaned[1:]):
            raise _CellProblem(_("An amount cannot be negative."))
        if not _GROUPED.match(cleaned):
            raise _CellProblem(_("Enter a whole number of đồng, for example 7000000000."))
        amount = int(cleaned.replace(".", "").replace(",", ""))
    if amount >= 10**18:
        raise _CellProblem(_("The amount is too large."))
    return amount


def _read_choice(value, enum_cls, labels: dict):
    text = cell_text(value)
    if text is None:
        return None
    folded = fold(text)
    for member in enum_cls:
        with force_locale("en"):
            english = str(member.label)
        if folded in (fold(member.value), fold(labels[member]), fold(english)):
            return member
    raise _CellProblem(
        _(
            "Unknown value “%(value)s” (allowed: %(allowed)s).",
            value=text[:60],
            allowed=", ".join(labels.values()),
        )
    )


_YES = {"co", "x", "yes", "true", "1", "y"}
_NO = {"khong", "no", "false", "0", "n"}


def _read_bool(value) -> bool | None:
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
    raise _CellProblem(_("Write “Có” or “Không”."))


def _read_text(value, *, max_len: int | None = None) -> str | None:
    text = cell_text(value)
    if text is None:
        return None
    text = text.replace("\x00", "")
    if max_len and len(text) > max_len:
        raise _CellProblem(_("At most %(max)d characters.", max=max_len))
    return text


def _find_sheet(wb, name: str):
    for ws in wb.worksheets:
        if fold(ws.title) == fold(name):
            return ws
    return None


class _SheetReader:
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
        except _CellProblem as exc:
            self.error(row_number, key, exc)
            return None
        if value is None and required:
            self.error(row_number, key, _("Required."))
        return value


@dataclass
class _Row:
    number: int
    values: dict


def import_commitments(agreement: Agreement, data: bytes, *, dry_run=False, user=None):
    """Create or update the areas and commitments of an agreement from the commitments sheet
    of a workbook (units missing from the system come from its units sheet).

    Every row is checked first; if any is bad, WorkbookError lists them all (sheet, row,
    column) and nothing is written. Rows add or update; nothing is deleted. Returns an
    ImportSummary; a dry run is rolled back."""
    if user is not None:
        from tracker.auth.permissions import can_edit_agreement

        if not can_edit_agreement(user, agreement):
            raise WorkbookError(
                [_("You may not change the agreement %(code)s.", code=agreement.code)]
            )
    if not agreement.editable:
        raise WorkbookError([_("A closed agreement cannot be changed.")])
    wb = open_workbook(data)
    try:
        plan = _plan(agreement, wb)
    except InvalidValue:
        raise
    except Exception:  # a read-only workbook parses its sheets while they are read
        raise WorkbookError(
            [_("The workbook could not be read; it may be damaged or not an .xlsx file.")]
        ) from None
    finally:
        wb.close()
    try:
        with ChangeCollector() as collector, db.session.no_autoflush:
            _apply(agreement, plan)
            db.session.flush()
        order = list(KINDS.values())
        changes = sorted(collector.changes, key=lambda c: order.index(c.kind))
        summary = ImportSummary(agreement.code, False, dry_run, changes)
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    return summary


def _plan(agreement: Agreement, wb) -> dict:
    """Read and check every row; raise WorkbookError with all the problems."""
    from tracker.agreements.queries import units_for_agreement

    errors: list[CellError] = []
    sides, funding = _labels(Side), _labels(FundingSource)

    ws = _find_sheet(wb, SHEET_COMMITMENTS)
    if ws is None:
        raise WorkbookError(
            [CellError(SHEET_COMMITMENTS, None, None, None, _("The sheet is missing."))]
        )
    sheet = _SheetReader(ws, COMMITMENT_COLUMNS, errors)
    missing = [
        c.header for c in COMMITMENT_COLUMNS if c.key in REQUIRED_COLUMNS and not sheet.has(c.key)
    ]
    if missing:
        sheet.sheet_error(_("Missing columns: %(columns)s.", columns=", ".join(missing)))
        raise WorkbookError(errors)

    # The units sheet is optional: codes may also name units already in the system.
    sheet_units: dict[str, dict] = {}
    units_ws = _find_sheet(wb, SHEET_UNITS)
    if units_ws is not None:
        units = _SheetReader(units_ws, UNIT_COLUMNS, errors)
        for number, row in units.rows:
            code = units.read(number, row, "code", _read_text, required=True, max_len=40)
            name = units.read(number, row, "name", _read_text, required=True, max_len=300)
            side = units.read(
                number, row, "side", _read_choice, required=True, enum_cls=Side, labels=sides
            )
            if code is None:
                continue
            if code in sheet_units:
                first = sheet_units[code]["row"]
                units.error(
                    number,
                    "code",
                    _(
                        "The code %(code)s is repeated (first on row %(row)d).",
                        code=code,
                        row=first,
                    ),
                )
                continue
            sheet_units[code] = {"row": number, "name": name, "side": side}

    allowed = {u.code: u for u in units_for_agreement(agreement)}
    in_system: dict[str, bool] = {}
    referenced: set[str] = set()

    def resolve(number: int, key: str, code: str):
        if code in allowed:
            return code
        if code not in in_system:
            in_system[code] = (
                db.session.scalar(sa.select(Unit.id).where(Unit.code == code)) is not None
            )
        if in_system[code]:
            sheet.error(
                number,
                key,
                _("The unit %(code)s cannot take part in this agreement.", code=code),
            )
            return None
        if code in sheet_units:  # its own problems, if any, are reported on the units sheet
            referenced.add(code)
            return code
        sheet.error(
            number,
            key,
            _(
                "The unit %(code)s is not in the sheet “%(sheet)s” and does not exist.",
                code=code,
                sheet=SHEET_UNITS,
            ),
        )
        return None

    existing_areas = {a.code: a for a in agreement.areas}
    area_titles: dict[str, tuple[str, int]] = {}
    seen_codes: dict[str, int] = {}
    rows: list[_Row] = []
    for number, row in sheet.rows:
        read = sheet.read
        values = {
            "area_code": read(number, row, "area_code", _read_text, required=True, max_len=20),
            "area_title": read(number, row, "area_title", _read_text, max_len=500),
            "code": read(number, row, "code", _read_text, required=True, max_len=20),
            "title": read(number, row, "title", _read_text, required=True, max_len=500),
            "description": read(number, row, "description", _read_text, max_len=20000),
            "committed_by": read(
                number,
                row,
                "committed_by",
                _read_choice,
                required=True,
                enum_cls=Side,
                labels=sides,
            ),
            "lead_unit": read(number, row, "lead_unit", _read_text, required=True, max_len=40),
            "support_units": read(number, row, "support_units", _read_text),
            "budget_vnd": read(number, row, "budget_vnd", _read_vnd),
            "funding_source": read(
                number,
                row,
                "funding_source",
                _read_choice,
                enum_cls=FundingSource,
                labels=funding,
            ),
            "due_on": read(number, row, "due_on", _read_date),
            "priority": read(number, row, "priority", _read_bool),
        }
        code, area_code = values["code"], values["area_code"]
        if code is not None:
            if code in seen_codes:
                sheet.error(
                    number,
                    "code",
                    _(
                        "The code %(code)s is repeated (first on row %(row)d).",
                        code=code,
                        row=seen_codes[code],
                    ),
                )
            else:
                seen_codes[code] = number
        if area_code is not None:
            title = values["area_title"]
            if title is not None:
                if area_code in area_titles and area_titles[area_code][0] != title:
                    sheet.error(
                        number,
                        "area_title",
                        _(
                            "Area %(code)s has another title on row %(row)d.",
                            code=area_code,
                            row=area_titles[area_code][1],
                        ),
                    )
                else:
                    area_titles.setdefault(area_code, (title, number))
        if values["lead_unit"] is not None:
            values["lead_unit"] = resolve(number, "lead_unit", values["lead_unit"])
        supports = []
        for ref in _SEPARATORS.split(values["support_units"] or ""):
            ref = ref.strip()
            if not ref:
                continue
            if ref == values["lead_unit"] or ref in supports:
                sheet.error(
                    number,
                    "support_units",
                    _("The unit %(code)s is already the lead or listed twice.", code=ref),
                )
                continue
            if resolve(number, "support_units", ref) is not None:
                supports.append(ref)
        values["support_units"] = supports
        rows.append(_Row(number, values))
    for item in rows:
        area_code = item.values["area_code"]
        if area_code and area_code not in existing_areas and area_code not in area_titles:
            sheet.error(
                item.number,
                "area_title",
                _("Area %(code)s is new: give its title.", code=area_code),
            )
            area_titles[area_code] = ("", item.number)  # report once per area
    if not rows and not errors:
        sheet.sheet_error(_("No commitments to import."))
    if errors:
        raise WorkbookError(errors)
    return {
        "rows": rows,
        "columns": set(sheet.positions),
        "area_titles": {code: title for code, (title, _row) in area_titles.items() if title},
        "new_units": {code: sheet_units[code] for code in sorted(referenced)},
        "allowed": allowed,
    }


def _apply(agreement: Agreement, plan: dict) -> None:
    """Write a checked plan: units, areas and commitments (added or updated, never deleted)."""
    units = dict(plan["allowed"])
    for code, spec in plan["new_units"].items():
        unit = Unit(
            code=code,
            name=spec["name"],
            side=spec["side"],
            kind=UnitKind.vnpt_branch if spec["side"] == Side.vnpt else UnitKind.other,
            province=agreement.province,
        )
        db.session.add(unit)
        units[code] = unit
    areas = {a.code: a for a in agreement.areas}
    for code, title in plan["area_titles"].items():
        area = areas.get(code)
        if area is None:
            area = Area(agreement=agreement, code=code, title=title, position=len(areas))
            db.session.add(area)
            areas[code] = area
        elif area.title != title:
            area.title = title
    existing = {
        c.code: c
        for c in db.session.scalars(
            sa.select(Commitment).where(Commitment.agreement_id == agreement.id)
        )
    }
    columns = plan["columns"]
    taking_part = {u.code: u for u in agreement.units}
    for row in plan["rows"]:
        v = row.values
        area = areas[v["area_code"]]
        commitment = existing.get(v["code"])
        if commitment is None:
            position = max((c.position for c in area.commitments), default=-1) + 1
            commitment = Commitment(agreement=agreement, area=area, position=position)
            db.session.add(commitment)
            existing[v["code"]] = commitment
        elif commitment.area is not area:
            commitment.area = area
            commitment.position = max((c.position for c in area.commitments), default=-1) + 1
        commitment.code, commitment.title = v["code"], v["title"]
        commitment.committed_by = v["committed_by"]
        commitment.lead_unit = units[v["lead_unit"]]
        for key in ("description", "budget_vnd", "funding_source", "due_on"):
            if key in columns:
                setattr(commitment, key, v[key])
        if "priority" in columns:
            commitment.priority = bool(v["priority"])
        if "support_units" in columns:
            commitment.support_units = sorted(
                (units[code] for code in v["support_units"]), key=lambda u: u.code
            )
        for unit in [commitment.lead_unit, *commitment.support_units]:
            taking_part.setdefault(unit.code, unit)
    agreement.units = sorted(taking_part.values(), key=lambda u: u.code)
