"""Excel workbooks: export an agreement (one sheet per concern) and the template DIC officers
fill in; the columns both use, which the import of a filled template reads too
(`tracker.interop.excel`).

The export's first sheet, "Tổng hợp", gives the agreement's figures as of a stated day, per area
and in total, and the commitments sheet each commitment's health, completion and per cent as of
that day: all from `tracker.progress.figures`, the numbers of the dashboard and the review. The
importer reads only the sheets it knows by name, so it passes over the summary.

Exported text that starts with "=", "+", "-", "@", a tab or a carriage return is written with a
leading apostrophe ("'") as a plain text cell, as the OWASP advice on CSV/formula injection says,
so Excel never takes it for a formula. The importer removes that apostrophe again, and it never
evaluates anything: a cell holding a formula (=HYPERLINK(...)) is read as the literal text of the
formula.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Commitment,
    Completion,
    Direction,
    Directive,
    FundingSource,
    MilestoneStatus,
)
from tracker.agreements.queries import units_for_record
from tracker.clock import local_today
from tracker.extensions import db
from tracker.i18n import _
from tracker.org.models import Side, Unit
from tracker.progress import figures
from tracker.progress.health import Health
from tracker.progress.models import (
    Evidence,
    EvidenceKind,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)
from tracker.workbooks import DATE_FORMAT, VND_FORMAT, Column, put_cell, workbook_bytes, write_sheet

#: Most data rows read from the commitments sheet.
MAX_ROWS = 5000

SHEET_SUMMARY = "Tổng hợp"
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
#: Written by the export for reading; the importer ignores them. Completion, per cent and health
#: are as of the day the summary sheet states.
COMMITMENT_EXTRA_COLUMNS = [
    Column("lead_unit_name", "Tên đơn vị chủ trì", 36),
    Column("completion", "Mức độ hoàn thành", 18),
    Column("percent_complete", "Tỷ lệ hoàn thành (%)", 14, "int"),
    Column("health", "Tình trạng", 18),
]
#: The rows of the summary sheet start here (row 1 says the as-of day, row 2 is the header).
SUMMARY_HEADER_ROW = 2
SUMMARY_TOTAL = "Tổng cộng"
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


def _labels(enum_cls) -> dict:
    """Vietnamese labels of an enum's members (exports are always in Vietnamese)."""
    with force_locale("vi"):
        return {m: str(m.label) for m in enum_cls}


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


def _summary_columns() -> list[Column]:
    healths = _labels(Health)
    return [
        Column("area", "Lĩnh vực", 44),
        Column("count", "Số cam kết", 12, "int"),
        *(Column(h.value, healths[h], 14, "int") for h in Health),
        Column("percent", "Tỷ lệ hoàn thành bình quân (%)", 16, "int"),
        Column("planned_vnd", "Kinh phí dự kiến (VNĐ)", 22, "vnd"),
        Column("spent_vnd", "Đã chi, đã xác minh (VNĐ)", 22, "vnd"),
    ]


def _summary_sheet(wb: Workbook, result: figures.AgreementFigures) -> None:
    """The first sheet: the day the figures are judged as of, then per area and in total the
    counts by health, the average completion and the money (an unknown budget stays empty)."""
    columns = _summary_columns()

    def cells(label: str, tally: figures.Tally) -> dict:
        plain = tally.plain()
        return {"area": label, **plain, **plain["health"]}

    rows = [cells(f"{a.code}. {a.title}", a) for a in result.areas]
    rows.append(cells(SUMMARY_TOTAL, result.total))
    ws = write_sheet(wb, SHEET_SUMMARY, columns, rows, first=True)
    ws.insert_rows(1)
    with force_locale("vi"):
        ws.cell(row=1, column=1, value=_("Figures as of %(date)s", date=f"{result.as_of:%d/%m/%Y}"))
    ws.cell(row=1, column=1).font = Font(bold=True)
    total = ws.max_row
    for col in range(1, len(columns) + 1):
        ws.cell(row=total, column=col).font = Font(bold=True)
    ws.freeze_panes = f"A{SUMMARY_HEADER_ROW + 1}"
    ws.auto_filter.ref = None


def export_workbook(agreement: Agreement, as_of: date | None = None) -> bytes:
    """The agreement as an .xlsx workbook: its figures as of `as_of` (default: the agreement's
    own day, `rules.as_of_for`), areas and commitments, milestones, indicators and
    measurements, directives, the evidence register, units and general information."""
    sides, funding = _labels(Side), _labels(FundingSource)
    completion, ms_status = _labels(Completion), _labels(MilestoneStatus)
    direction, kinds, report_status = (
        _labels(Direction),
        _labels(EvidenceKind),
        _labels(ReportStatus),
    )
    healths = _labels(Health)
    commitments = [c for area in agreement.areas for c in area.commitments]

    result = figures.agreement_figures(agreement, as_of, with_compliance=False)
    status = result.status

    wb = Workbook()
    _summary_sheet(wb, result)
    write_sheet(
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
                "completion": completion[status[c.id].completion],
                "percent_complete": status[c.id].percent,
                "health": healths[status[c.id].health] if status[c.id].health else None,
            }
            for c in commitments
        ),
    )
    write_sheet(
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

    write_sheet(wb, SHEET_INDICATORS, INDICATOR_COLUMNS, indicator_rows())
    write_sheet(
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
    write_sheet(wb, SHEET_EVIDENCE, EVIDENCE_COLUMNS, rows)
    write_sheet(wb, SHEET_UNITS, UNIT_COLUMNS, _unit_rows(_units_of(agreement)))
    _info_sheet(wb, agreement, result.as_of)
    return workbook_bytes(wb)


def _local_date(value: datetime | None) -> date | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _info_sheet(wb: Workbook, agreement: Agreement, as_of: date | None = None) -> None:
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
    if as_of is not None:
        items.append(("Số liệu tính đến ngày", as_of, "date"))
    ws = write_sheet(wb, SHEET_INFO, columns, [])
    for row, (key, value, kind) in enumerate(items, start=2):
        put_cell(ws, row, 1, key)
        put_cell(ws, row, 2, value, kind)
    ws.auto_filter.ref = None


def template_workbook(agreement: Agreement | None = None) -> bytes:
    """The workbook a DIC officer fills in: the commitments sheet (headers only, with drop-down
    lists), the units sheet (the units the agreement may use) and instructions."""
    sides, funding = _labels(Side), _labels(FundingSource)
    wb = Workbook()
    ws = write_sheet(wb, SHEET_COMMITMENTS, COMMITMENT_COLUMNS, [], first=True)
    units = []
    if agreement is not None:
        # The units a new commitment of the agreement may name (it starts with the agreement).
        units = units_for_record(agreement, agreement.period_start)
    write_sheet(wb, SHEET_UNITS, UNIT_COLUMNS, _unit_rows(sorted(units, key=lambda u: u.code)))
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
        put_cell(help_ws, row, 1, line)
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
            put_cell(help_ws, row, col, value)
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
    return workbook_bytes(wb)
