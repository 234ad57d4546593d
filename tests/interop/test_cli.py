"""`tracker export` and `tracker import` from the command line."""

import contextvars
import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests import factories
from tests.interop import documented_only, end_transaction, with_interop
from tracker.agreements.models import Agreement, Commitment
from tracker.interop import json as jf
from tracker.interop import xlsx
from tracker.interop.cli import export_command, import_command


@pytest.fixture(scope="module")
def app(app):
    return with_interop(app)


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(command, *args):
        end_transaction()
        return runner.invoke(command, [str(a) for a in args], catch_exceptions=False)

    return invoke


def agreement_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Agreement))


def test_export_json(db, run, tmp_path):
    w = factories.world()
    out = tmp_path / "qb.json"
    result = run(export_command, "QB-2020", "--format", "json", "--out", out)
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document == jf.export_agreement(w["qb"]["agreement"])
    assert "Thỏa thuận" in out.read_text(encoding="utf-8")  # readable Vietnamese, not \\u escapes


def test_export_xlsx(db, run, tmp_path):
    factories.world()
    out = tmp_path / "qb.xlsx"
    result = run(export_command, "QB-2020", "--format", "xlsx", "--out", out)
    assert result.exit_code == 0, result.output
    wb = load_workbook(io.BytesIO(out.read_bytes()))
    assert wb.sheetnames[:2] == ["Tổng hợp", "Lĩnh vực - Cam kết"]


def test_export_of_an_unknown_agreement_fails(db, run, tmp_path):
    result = run(export_command, "NOPE", "--out", tmp_path / "x.json")
    assert result.exit_code != 0
    assert "No agreement with code 'NOPE'" in result.output
    assert not (tmp_path / "x.json").exists()


def test_import_creates_then_dry_run_changes_nothing(db, run, tmp_path):
    path = tmp_path / "qt.json"
    path.write_bytes(jf.document_bytes(documented_only()))
    result = run(import_command, path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "QT-VNPT-2025: would create" in result.output
    assert "commitment: 1 create" in result.output
    assert "Dry run: nothing was written." in result.output
    assert agreement_count(db) == 0
    result = run(import_command, path)
    assert result.exit_code == 0, result.output
    assert "QT-VNPT-2025: created" in result.output
    assert agreement_count(db) == 1
    document = documented_only()
    document["agreement"]["title"] = "Tên mới"
    path.write_bytes(jf.document_bytes(document))
    result = run(import_command, path, "--dry-run")
    assert "would update" in result.output and '"Tên mới"' in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(Agreement.title)) != "Tên mới"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "malformed JSON at line 1, column 2"),
        (
            jf.document_bytes({**documented_only(), "format": "other/v1"}),
            "format: expected 'tracker.agreement/v1' (got 'other/v1')",
        ),
    ],
)
def test_a_refused_import_says_why_and_writes_nothing(db, run, tmp_path, content, expected):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = run(import_command, path)
    assert result.exit_code == 1
    assert "Refused" in result.output and "nothing was written" in result.output
    assert expected in result.output
    assert agreement_count(db) == 0


def test_the_command_line_explains_a_refused_file_in_english(db, run, tmp_path):
    # The reasons are translated for the import page and the API; the command runs without a
    # request (no user, no session: outside the test's request context here) and prints them in
    # English.
    document = documented_only()
    commitment = document["agreement"]["areas"][0]["commitments"][0]
    commitment["budget_vnd"] = -5
    del commitment["title"]
    path = tmp_path / "bad.json"
    path.write_bytes(jf.document_bytes(document))
    end_transaction()
    result = contextvars.Context().run(run, import_command, path)
    assert result.exit_code == 1
    assert f"Refused: {path} (2 problem(s)); nothing was written." in result.output
    assert "  - agreement.areas[0].commitments[0].budget_vnd: cannot be negative (-5)" in (
        result.output
    )
    assert "  - agreement.areas[0].commitments[0].title: required" in result.output
    assert "không được âm" not in result.output and "Traceback" not in result.output
    assert agreement_count(db) == 0


def test_a_50_mb_file_is_refused_before_it_is_read(db, run, tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    result = run(import_command, path)
    assert result.exit_code != 0
    assert "larger than the 10 MB limit" in result.output
    xlsx_path = tmp_path / "huge.xlsx"
    with open(xlsx_path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    result = run(import_command, xlsx_path, "--agreement", "X")
    assert result.exit_code != 0 and "larger than the 10 MB limit" in result.output


def test_import_xlsx_into_an_agreement(db, run, tmp_path):
    w = factories.world()
    data = xlsx.export_workbook(w["qb"]["agreement"])
    wb = load_workbook(io.BytesIO(data))
    wb["Lĩnh vực - Cam kết"]["D2"] = "Tiêu đề sửa trong Excel"
    path = tmp_path / "qb.xlsx"
    wb.save(path)
    result = run(import_command, path, "--agreement", "QB-2020", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "commitment: 1 update" in result.output
    # An export names its agreement: --agreement may be left out.
    result = run(import_command, path)
    assert result.exit_code == 0, result.output
    assert "commitment: 1 update" in result.output
    db.session.expire_all()
    assert db.session.get(Commitment, w["qb"]["commitment"].id).title == "Tiêu đề sửa trong Excel"


def test_a_generic_template_needs_the_agreement(db, run, tmp_path):
    factories.world()
    path = tmp_path / "mau.xlsx"
    path.write_bytes(xlsx.template_workbook())
    result = run(import_command, path)
    assert result.exit_code == 2 and "--agreement" in result.output


def test_import_xlsx_that_is_a_zip_of_something_else(db, run, tmp_path):
    factories.world()
    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "xin chào")
    result = run(import_command, path, "--agreement", "QB-2020")
    assert result.exit_code == 1
    assert "ZIP archive, but not an Excel workbook" in result.output


def test_only_json_and_xlsx(db, run, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n")
    result = run(import_command, path)
    assert result.exit_code != 0 and ".json or an .xlsx" in result.output


def test_export_xlsx_as_of_a_day(db, run, tmp_path):
    factories.world()
    out = tmp_path / "qb.xlsx"
    result = run(
        export_command, "QB-2020", "--format", "xlsx", "--as-of", "2022-03-31", "--out", out
    )
    assert result.exit_code == 0, result.output
    ws = load_workbook(io.BytesIO(out.read_bytes()))["Tổng hợp"]
    assert ws["A1"].value == "Số liệu tính đến ngày 31/03/2022"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx", "--as-of", "31/03/2022"], "does not match the format"),
        (
            ["--format", "xlsx", "--as-of", "2999-01-01"],
            "cannot be judged as of a day in the future",
        ),
        (["--format", "json", "--as-of", "2022-03-31"], "only an xlsx export states figures"),
    ],
)
def test_export_refuses_a_bad_as_of(db, run, tmp_path, args, message):
    factories.world()
    out = tmp_path / "qb.xlsx"
    result = run(export_command, "QB-2020", *args, "--out", out)
    assert result.exit_code == 2 and message in result.output
    assert not out.exists()
