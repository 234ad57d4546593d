"""Excel: the export's sheets and formats, formula injection, the template, and the import of the
commitments sheet (every bad row reported, nothing written; formulas read as text; files that are
not workbooks refused)."""

import io
import zipfile
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook

from tests import factories
from tests.interop import with_interop
from tracker import workbooks
from tracker.agreements.models import AgreementStatus, Commitment, FundingSource
from tracker.extensions import db as _db
from tracker.interop import excel, xlsx
from tracker.org.models import Side, Unit
from tracker.progress import figures
from tracker.progress.models import Evidence, EvidenceKind, ProgressReport, ReportingPeriod


@pytest.fixture(scope="module")
def app(app):
    return with_interop(app)


@pytest.fixture
def w(db):
    w = factories.world()
    c = w["qb"]["commitment"]
    c.title = '=HYPERLINK("http://evil.example/x","Bấm vào đây")'
    c.description = "+84 912 345 678"
    c.budget_vnd = 7_000_000_000
    c.funding_source = FundingSource.vnpt
    c.due_on = date(2021, 12, 31)
    w["qb"]["directive"].text = "-5% chi phí so với dự toán"
    w["qb"]["directive"].issued_by = "@Chủ tịch UBND tỉnh"
    w["qb"]["area"].title = "\tHạ tầng"
    db.session.commit()
    return w


def sheet(data: bytes, name: str, **kw):
    return load_workbook(io.BytesIO(data), **kw)[name]


def header(ws) -> list:
    return [c.value for c in ws[1]]


def row_of(ws, column: str, value) -> dict:
    """The first data row whose `column` holds `value`, as {header: cell}."""
    names = header(ws)
    for row in ws.iter_rows(min_row=2):
        cells = dict(zip(names, row, strict=False))
        if cells[column].value == value:
            return cells
    raise AssertionError(f"no row with {column} = {value!r}")


# -- export ---------------------------------------------------------------------------------------


def test_the_export_has_one_sheet_per_concern(w):
    data = xlsx.export_workbook(w["qb"]["agreement"])
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:6] == [
        "Tổng hợp",
        "Lĩnh vực - Cam kết",
        "Mốc tiến độ",
        "Chỉ tiêu - Số liệu",
        "Ý kiến chỉ đạo",
        "Minh chứng",
    ]
    assert header(wb["Minh chứng"]) == [
        "Tiêu đề",
        "Ngày",
        "Loại",
        "Đơn vị",
        "Mã cam kết",
        "Tên tệp",
        "SHA-256",
        "Kỳ báo cáo",
        "Trạng thái",
    ]
    for ws in wb.worksheets[1:]:  # the summary sheet says its day above its header
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.b for c in ws[1] if c.value), ws.title
        assert ws.column_dimensions["A"].width >= 10, ws.title
    assert header(wb["Lĩnh vực - Cam kết"])[:4] == [
        "Mã lĩnh vực",
        "Tên lĩnh vực",
        "Mã cam kết",
        "Nội dung cam kết",
    ]


def test_dates_and_money_are_numbers_not_text(w):
    data = xlsx.export_workbook(w["qb"]["agreement"])
    row = row_of(sheet(data, "Lĩnh vực - Cam kết"), "Mã cam kết", "1.1")
    due, budget = row["Hạn hoàn thành"], row["Kinh phí dự kiến (VNĐ)"]
    assert isinstance(due.value, datetime) and due.value.date() == date(2021, 12, 31)
    assert due.number_format == "dd/mm/yyyy" and due.data_type == "d"
    assert budget.value == 7_000_000_000 and isinstance(budget.value, int)
    assert budget.number_format == "#,##0" and budget.data_type == "n"
    assert row["Bên cam kết"].value == "VNPT"
    assert row["Nguồn kinh phí"].value == "VNPT đầu tư"
    milestone = row_of(sheet(data, "Mốc tiến độ"), "Mã cam kết", "1.1")
    assert milestone["Hạn"].number_format == "dd/mm/yyyy"
    indicator = row_of(sheet(data, "Chỉ tiêu - Số liệu"), "Mã cam kết", "1.1")
    assert indicator["Mục tiêu"].value == 151 and indicator["Mục tiêu"].data_type == "n"


def test_exported_text_never_becomes_a_formula(w):
    data = xlsx.export_workbook(w["qb"]["agreement"])
    wb = load_workbook(io.BytesIO(data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    row = row_of(wb["Lĩnh vực - Cam kết"], "Mã cam kết", "1.1")
    assert row["Nội dung cam kết"].value == "'" + w["qb"]["commitment"].title
    assert row["Mô tả"].value == "'+84 912 345 678"
    assert row["Tên lĩnh vực"].value == "'\tHạ tầng"
    directive = wb["Ý kiến chỉ đạo"]
    assert directive["D2"].value == "'-5% chi phí so với dự toán"
    assert directive["B2"].value == "'@Chủ tịch UBND tỉnh"
    # And in the file itself: not a single formula element.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_the_evidence_register(db, w):

    agreement = w["qb"]["agreement"]
    period = ReportingPeriod(
        agreement_id=agreement.id,
        kind=agreement.reporting_frequency,
        year=2021,
        number=1,
        starts_on=date(2020, 12, 15),
        ends_on=date(2021, 3, 14),
        deadline_on=date(2021, 3, 20),
    )
    db.session.add(period)
    db.session.flush()
    report = ProgressReport(commitment=w["qb"]["commitment"], period=period, unit=w["qb"]["branch"])
    db.session.add(report)
    db.session.add(
        Evidence(
            report=report,
            title="=cmd|' /C calc'!A0",
            kind=EvidenceKind.minutes,
            issued_on=date(2021, 3, 1),
            file_name="bien-ban.pdf",
            sha256="ab" * 32,
            size=10,
            content_type="application/pdf",
        )
    )
    db.session.commit()
    data = xlsx.export_workbook(agreement)
    row = row_of(sheet(data, "Minh chứng"), "SHA-256", "ab" * 32)
    assert row["Tiêu đề"].value == "'=cmd|' /C calc'!A0" and row["Tiêu đề"].data_type == "s"
    assert row["Ngày"].value.date() == date(2021, 3, 1)
    assert row["Loại"].value == "Biên bản nghiệm thu"
    assert row["Đơn vị"].value == "VNPT Quảng Bình"
    assert row["Tên tệp"].value == "bien-ban.pdf"
    assert row["Kỳ báo cáo"].value == "Quý I/2021"
    assert row["Trạng thái"].value == "Dự thảo"


def summary_rows(data: bytes) -> tuple[str, list[dict]]:
    """The summary sheet: its first line and its rows as {header: value}."""
    ws = sheet(data, "Tổng hợp")
    names = [c.value for c in ws[2]]
    rows = [dict(zip(names, r, strict=False)) for r in ws.iter_rows(min_row=3, values_only=True)]
    return ws["A1"].value, rows


def test_the_summary_sheet_gives_the_figures_as_of_the_day(db, w):
    agreement = w["qb"]["agreement"]
    second = factories.commitment(w["qb"]["area"], w["qb"]["branch"], code="1.2")
    second.budget_vnd = None  # unknown: it stays out of the planned total, which stays known
    w["qb"]["milestone"].due_on = date(2021, 6, 30)
    db.session.commit()
    day = date(2021, 7, 1)
    data = xlsx.export_workbook(agreement, day)
    said, rows = summary_rows(data)
    assert said == "Số liệu tính đến ngày 01/07/2021"
    assert [r["Lĩnh vực"] for r in rows] == ["I. \tHạ tầng", "Tổng cộng"]
    expected = figures.agreement_summary(agreement, day)
    total = rows[-1]
    assert total["Số cam kết"] == expected["commitments"] == 2
    assert [
        total[h] for h in ("Hoàn thành", "Đúng tiến độ", "Có nguy cơ chậm", "Chậm tiến độ")
    ] == [expected["health"][h] for h in ("done", "on_track", "at_risk", "late")]
    assert total["Chậm tiến độ"] == 1  # 1.1's milestone was due the day before
    assert total["Tỷ lệ hoàn thành bình quân (%)"] == expected["percent"]
    assert total["Kinh phí dự kiến (VNĐ)"] == expected["planned_vnd"] == 7_000_000_000
    assert total["Đã chi, đã xác minh (VNĐ)"] == 0
    health = row_of(sheet(data, "Lĩnh vực - Cam kết"), "Mã cam kết", "1.1")["Tình trạng"]
    assert health.value == "Chậm tiến độ"
    info = {
        r[0]: r[1] for r in sheet(data, "Thông tin chung").iter_rows(min_row=2, values_only=True)
    }
    assert info["Số liệu tính đến ngày"].date() == day


def test_an_unknown_budget_is_an_empty_cell_not_zero(db, w):
    w["qb"]["commitment"].budget_vnd = None
    db.session.commit()
    _said, rows = summary_rows(xlsx.export_workbook(w["qb"]["agreement"]))
    assert rows[-1]["Kinh phí dự kiến (VNĐ)"] is None
    assert rows[-1]["Đã chi, đã xác minh (VNĐ)"] == 0


# -- import ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [None, date(2021, 7, 1)])
def test_an_export_imports_back_without_changes(w, as_of):
    data = xlsx.export_workbook(w["qb"]["agreement"], as_of)
    assert load_workbook(io.BytesIO(data)).sheetnames[0] == "Tổng hợp"
    summary = excel.import_commitments(w["qb"]["agreement"], data, dry_run=True)
    assert summary.changes == []


def filled_template(agreement, rows, units=()) -> bytes:
    """The app's template with rows typed into its sheets (as a DIC officer would)."""
    wb = load_workbook(io.BytesIO(xlsx.template_workbook(agreement)))
    ws = wb["Lĩnh vực - Cam kết"]
    for row in rows:
        ws.append(row)
    for unit in units:
        wb["Đơn vị"].append(unit)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_the_template(w):
    data = xlsx.template_workbook(w["qb"]["agreement"])
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Lĩnh vực - Cam kết", "Đơn vị", "Hướng dẫn", "Thông tin chung"]
    assert excel.agreement_code_in(data) == "QB-2020"
    assert excel.agreement_code_in(xlsx.export_workbook(w["qb"]["agreement"])) == "QB-2020"
    generic = xlsx.template_workbook()
    assert load_workbook(io.BytesIO(generic)).sheetnames == [
        "Lĩnh vực - Cam kết",
        "Đơn vị",
        "Hướng dẫn",
    ]
    assert excel.agreement_code_in(generic) is None
    assert header(wb["Lĩnh vực - Cam kết"]) == [c.header for c in xlsx.COMMITMENT_COLUMNS]
    codes = {row[0] for row in wb["Đơn vị"].iter_rows(min_row=2, values_only=True)}
    assert {"DIC-qb", "VNPT-qb", "UBND-qb", "VNPT"} <= codes
    assert "DIC-vl" not in codes
    assert wb["Lĩnh vực - Cam kết"].data_validations.dataValidation


def test_a_filled_template_imports(db, w):
    agreement = w["qb"]["agreement"]
    data = filled_template(
        agreement,
        [
            ["I", None, "1.1", "Tiêu đề mới của 1.1", None, "VNPT", "VNPT-qb", "DIC-qb"],
            [
                "II",
                "Ứng dụng CNTT",
                "2.1",
                "Triển khai hệ thống một cửa",
                "Mô tả",
                "Tỉnh",
                "DIC-qb",
                "VNPT-qb; TTCNTT-qb",
                "7.000.000.000",
                "Ngân sách tỉnh",
                "31/12/2022",
                "Có",
            ],
            [
                "II",
                "Ứng dụng CNTT",
                "2.2",
                '=HYPERLINK("http://evil.example","bấm")',
                None,
                "vnpt",
                "VNPT",
                None,
                1_500_000_000,
                "vnpt",
                datetime(2023, 6, 30),
                "không",
            ],
        ],
        units=[["TTCNTT-qb", "Trung tâm CNTT Quảng Bình", "Tỉnh"]],
    )
    summary = excel.import_commitments(agreement, data)
    db.session.commit()
    assert summary.counts == {
        "unit": {"create": 1, "update": 0, "delete": 0},
        "agreement": {"create": 0, "update": 1, "delete": 0},
        "area": {"create": 1, "update": 0, "delete": 0},
        "commitment": {"create": 2, "update": 1, "delete": 0},
    }
    by_code = {
        c.code: c
        for c in db.session.scalars(
            sa.select(Commitment).where(Commitment.agreement_id == agreement.id)
        )
    }
    assert by_code["1.1"].title == "Tiêu đề mới của 1.1"
    new = by_code["2.1"]
    assert new.area.title == "Ứng dụng CNTT" and new.committed_by == Side.province
    assert new.budget_vnd == 7_000_000_000 and new.due_on == date(2022, 12, 31)
    assert new.priority and new.funding_source == FundingSource.provincial_budget
    assert [u.code for u in new.support_units] == ["TTCNTT-qb", "VNPT-qb"]
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "TTCNTT-qb"))
    assert unit.province_id == agreement.province_id and unit.side == Side.province
    # A formula in a cell comes back as its text, never evaluated.
    assert by_code["2.2"].title == '=HYPERLINK("http://evil.example","bấm")'
    assert by_code["2.2"].lead_unit.code == "VNPT" and not by_code["2.2"].priority
    assert "TTCNTT-qb" in {u.code for u in by_code["2.1"].agreement.units}


def _commitment_count():
    return _db.session.scalar(sa.select(sa.func.count()).select_from(Commitment))


def test_every_bad_row_is_reported_and_nothing_is_written(db, w):
    agreement = w["qb"]["agreement"]
    before = _commitment_count()
    data = filled_template(
        agreement,
        [
            ["I", None, "9.1", None, None, "VNPT", "VNPT-qb"],  # 2: no title
            ["I", None, "9.2", "Tiêu đề", None, "Cả hai", "VNPT-qb"],  # 3: unknown side
            ["I", None, "9.3", "Tiêu đề", None, "VNPT", "VNPT-qb", None, None, None, "30/02/2020"],
            ["I", None, "9.4", "Tiêu đề", None, "VNPT", "VNPT-qb", None, -5],  # 5: negative
            ["I", None, "9.5", "Tiêu đề", None, "VNPT", "VNPT-qb", None, 1500.5],  # 6: fraction
            ["I", None, "9.6", "Tiêu đề", None, "VNPT", "KHONG-CO"],  # 7: unknown unit
            ["I", None, "9.1", "Tiêu đề", None, "VNPT", "VNPT-qb"],  # 8: repeated code
            ["I", None, "9.8", "Tiêu đề", None, "VNPT", "VNPT-qb", None, "=1000*2"],  # 9: formula
            ["III", None, "9.9", "Tiêu đề", None, "VNPT", "DIC-vl"],  # 10: new area, other prov.
            ["I", None, "9.10", "Tiêu đề", None, "VNPT", "VNPT-qb", None, None, "Xổ số"],  # 11
        ],
    )
    with pytest.raises(excel.WorkbookError) as refused:
        excel.import_commitments(agreement, data)
    found = {(e.sheet, e.row, e.column) for e in refused.value.errors}
    s = "Lĩnh vực - Cam kết"
    assert found == {
        (s, 2, "D"),
        (s, 3, "F"),
        (s, 4, "K"),
        (s, 5, "I"),
        (s, 6, "I"),
        (s, 7, "G"),
        (s, 8, "C"),
        (s, 9, "I"),
        (s, 10, "G"),
        (s, 10, "B"),
        (s, 11, "J"),
    }
    messages = {(e.row, e.column): e for e in refused.value.errors}
    assert "30/02/2020" in messages[(4, "K")].message
    assert messages[(4, "K")].header == "Hạn hoàn thành"
    assert "KHONG-CO" in messages[(7, "G")].message
    assert "row 2" in str(messages[(8, "C")]) or "dòng 2" in str(messages[(8, "C")])
    assert "Lĩnh vực - Cam kết" in str(messages[(2, "D")])
    db.session.rollback()
    assert _commitment_count() == before


def test_bad_rows_of_the_units_sheet_are_reported_too(db, w):
    data = filled_template(
        w["qb"]["agreement"],
        [["I", None, "9.1", "Tiêu đề", None, "VNPT", "MOI"]],
        units=[["MOI", None, "Tỉnh"], ["MOI2", "Tên", "Không rõ"]],
    )
    with pytest.raises(excel.WorkbookError) as refused:
        excel.import_commitments(w["qb"]["agreement"], data)
    found = {(e.sheet, e.row, e.column) for e in refused.value.errors}
    row_units = len(list(load_workbook(io.BytesIO(data))["Đơn vị"].iter_rows())) - 1
    assert ("Đơn vị", row_units, "B") in found and ("Đơn vị", row_units + 1, "C") in found


def test_missing_columns_and_sheets_are_named(w):
    wb = Workbook()
    wb.active.title = "Lĩnh vực - Cam kết"
    wb.active.append(["Mã lĩnh vực", "Mã cam kết"])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(excel.WorkbookError, match="Nội dung cam kết"):
        excel.import_commitments(w["qb"]["agreement"], buffer.getvalue())
    wb.active.title = "Trang khác"
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(excel.WorkbookError, match="Lĩnh vực - Cam kết"):
        excel.import_commitments(w["qb"]["agreement"], buffer.getvalue())


def _zip(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_zip({"readme.txt": "hello", "photo.jpg": b"\xff\xd8\xff"}), "ZIP archive, but not"),
        (_zip({"word/document.xml": "<w/>", "[Content_Types].xml": "<T/>"}), "ZIP archive"),
        (
            _zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "not xml <<<"}),
            "could not be read",
        ),
        (b"%PDF-1.4 not a workbook", "not an Excel workbook"),
        (b"PK\x03\x04 truncated", "not an Excel workbook"),
        (b"PK\x03\x04" + bytes(50 * 1024 * 1024), "larger than 10 MB"),
    ],
    ids=["zip of other files", "word document", "damaged", "pdf", "broken zip", "50 MB"],
)
def test_files_that_are_not_workbooks_are_refused(db, w, data, expected):
    before = _commitment_count()
    with force_locale("en"), pytest.raises(excel.WorkbookError, match=expected):
        excel.import_commitments(w["qb"]["agreement"], data)
    assert _commitment_count() == before


def test_a_workbook_with_a_damaged_sheet_is_refused(db, w):
    good = xlsx.template_workbook(w["qb"]["agreement"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]  # cut in the middle of the XML
            target.writestr(item, content)
    before = _commitment_count()
    with force_locale("en"), pytest.raises(excel.WorkbookError, match="could not be read"):
        excel.import_commitments(w["qb"]["agreement"], buffer.getvalue())
    assert _commitment_count() == before


def test_a_closed_agreement_is_not_changed(db, w):
    agreement = w["qb"]["agreement"]
    data = xlsx.export_workbook(agreement)
    agreement.status = AgreementStatus.closed
    db.session.commit()
    with pytest.raises(excel.WorkbookError):
        excel.import_commitments(agreement, data)


def test_only_editors_may_import(w):
    data = xlsx.export_workbook(w["qb"]["agreement"])
    for user in (w["vl"]["dic"], w["qb"]["vnpt"], w["qb"]["leader"]):
        with pytest.raises(excel.WorkbookError):
            excel.import_commitments(w["qb"]["agreement"], data, user=user)
    summary = excel.import_commitments(
        w["qb"]["agreement"], data, user=w["qb"]["dic"], dry_run=True
    )
    assert summary.changes == []


def test_cell_text_reads_without_evaluating():
    assert excel.cell_text("'=SUM(A1:A2)") == "=SUM(A1:A2)"
    assert excel.cell_text("=SUM(A1:A2)") == "=SUM(A1:A2)"
    assert excel.cell_text("'bình thường") == "'bình thường"
    assert excel.cell_text(7000000000.0) == "7000000000"
    assert workbooks.safe_text("=1+1") == "'=1+1"
    assert workbooks.safe_text("a\x01b") == "ab"


@pytest.mark.parametrize("column", ["G", "H"])
def test_a_unit_of_another_province_reads_as_not_found(db, w, column):
    """Another province's unit gets the same answer as a code that exists nowhere, even when
    the units sheet lists it."""
    agreement = w["qb"]["agreement"]
    lead, support = ("DIC-vl", None) if column == "G" else ("VNPT-qb", "DIC-vl")
    row = ["I", None, "9.1", "Tiêu đề", None, "VNPT", lead, support]
    data = filled_template(agreement, [row], units=[["DIC-vl", "Sở Vĩnh Long", "Tỉnh"]])
    before = _commitment_count()
    with pytest.raises(excel.WorkbookError) as refused:
        excel.import_commitments(agreement, data, user=w["qb"]["dic"])
    [error] = refused.value.errors
    assert (error.row, error.column) == (2, column)
    assert error.message.startswith("Không tìm thấy đơn vị DIC-vl")
    nowhere = filled_template(
        agreement,
        [[*row[:6], "KHONG-CO" if column == "G" else lead, "KHONG-CO" if column == "H" else None]],
    )
    with pytest.raises(excel.WorkbookError) as other:
        excel.import_commitments(agreement, nowhere, user=w["qb"]["dic"])
    assert other.value.errors[0].message == error.message.replace("DIC-vl", "KHONG-CO")
    db.session.rollback()
    assert _commitment_count() == before


def test_the_service_rules_hold_for_a_row(db, w):
    """A rule of the commitment form (the lead unit cannot also support) refuses the row, at its
    column, and nothing of the workbook is written."""
    agreement = w["qb"]["agreement"]
    data = filled_template(
        agreement,
        [
            ["I", None, "9.1", "Cam kết tốt", None, "VNPT", "VNPT-qb"],
            ["I", None, "9.2", "Cam kết sai", None, "VNPT", "VNPT-qb", "VNPT-qb"],
        ],
    )
    before = _commitment_count()
    with pytest.raises(excel.WorkbookError) as refused:
        excel.import_commitments(agreement, data, user=w["qb"]["dic"])
    [error] = refused.value.errors
    assert (error.sheet, error.row, error.column) == ("Lĩnh vực - Cam kết", 3, "H")
    assert "chủ trì" in error.message
    db.session.rollback()
    assert _commitment_count() == before
