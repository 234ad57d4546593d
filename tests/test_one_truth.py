"""One truth: the dashboard, the agreement page, the review PDF, the API and the Excel export give
the same figures for the same agreement as of the same day (counts by health, average
completion, planned and spent money; per area where the output shows areas).

Each output is read back as its user sees it: the pages' HTML, the PDF through `pdftotext`, the
API's JSON, the workbook's summary sheet. The agreements are the demo's four and one generated
here with 300 commitments (milestones met, met late and missed, indicators with verified values,
verified reports with spending, unknown budgets, withdrawn commitments), each judged as of a year
after its start, the middle of its period and its own day (today, or the end of a closed one)."""

import io
import re
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests import factories
from tracker.agreements import rules
from tracker.agreements.models import Agreement, AgreementStatus, Completion, Measurement
from tracker.auth.models import User
from tracker.clock import local_today
from tracker.extensions import db as _db
from tracker.interop.api.tokens import create_token
from tracker.org.models import Side, UnitKind
from tracker.progress import figures
from tracker.progress.models import ProgressReport, ReportStatus
from tracker.progress.services import generate_periods
from tracker.reports import services as reports
from tracker.reports.pdf.five_year import ReviewOptions

pytestmark = pytest.mark.demo_data

DEMO_ADMIN, DEMO_PASSWORD = "admin@demo.vn", "Demo-2026-tracker"
DEMO_CODES = ["QB-VNPT-2015", "QB-VNPT-2020", "VL-VNPT-2017", "BRVT-VNPT-2018"]
GENERATED = "GEN-300"
HEALTHS = figures.HEALTHS
#: What every output is reduced to: (count, {health: n}, percent, planned_vnd, spent_vnd).
FIELDS = ("count", "health", "percent", "planned_vnd", "spent_vnd")


def build_generated_agreement() -> None:
    """An agreement in force for three years already, with 300 commitments in 5 areas."""
    today = local_today()
    province = factories.province("Tỉnh Thử Nghiệm", code="prov-gen")
    vnpt = factories.unit(province, side=Side.vnpt, kind=UnitKind.vnpt_branch, code="VNPT-GEN")
    dic = factories.unit(province, kind=UnitKind.dic, code="DIC-GEN")
    start = date(today.year - 3, 1, 1)
    agreement = factories.agreement(
        province,
        code=GENERATED,
        status=AgreementStatus.in_force,
        period_start=start,
        period_end=date(today.year + 2, 12, 31),
        signed_on=start,
    )
    agreement.units = [vnpt, dic]
    periods = sorted(
        (p for p in generate_periods(agreement) if p.kind == agreement.reporting_frequency),
        key=lambda p: p.starts_on,
    )
    closed = [p for p in periods if p.ends_on < today]
    n = 0
    for a in range(5):
        area = factories.area(agreement, code=f"{a + 1}", title=f"Lĩnh vực thử nghiệm {a + 1}")
        for i in range(60):
            n += 1
            lead = vnpt if n % 2 else dic
            c = factories.commitment(
                area,
                lead,
                code=f"{a + 1}.{i + 1}",
                title=f"Cam kết số {n}",
                budget_vnd=None if n % 7 == 0 else 1_000_000 * n,
                due_on=start + timedelta(days=75 * (n % 26)) if n % 5 else None,
            )
            # Milestones: met on time, met late, missed, still to come.
            for k in range(n % 4):
                due = start + timedelta(days=400 * (k + 1) + 11 * (n % 9))
                done = {0: due - timedelta(days=3), 1: due + timedelta(days=45), 2: None}[
                    (n + k) % 3
                ]
                factories.milestone(c, title=f"Mốc {k + 1}", due_on=due, done_on=done)
            if n % 3 == 1:
                ind = factories.indicator(
                    c,
                    name=f"Chỉ tiêu {n}",
                    baseline=0,
                    target=100,
                    target_on=start + timedelta(days=900),
                )
                for m in range(3):
                    on = start + timedelta(days=200 * (m + 1) + n % 30)
                    if on < today:
                        _db.session.add(
                            Measurement(
                                indicator=ind,
                                measured_on=on,
                                value=Decimal(15 * (m + 1) + n % 20),
                                verified=(n + m) % 4 != 0,
                            )
                        )
            # Verified reports over the closed periods, with spending; some commitments none.
            percent, completion = 0, Completion.not_started
            reported = 0 if n % 6 == 0 else len(closed) if n % 3 else n % len(closed)
            for j, period in enumerate(closed[:reported]):
                percent = min(95, 7 * (j + 1) + n % 10)
                if n % 8 == 0 and j == reported - 1:
                    percent = 100
                completion = (
                    Completion.complete
                    if percent == 100
                    else Completion.substantial
                    if percent >= 50
                    else Completion.limited
                )
                verified_at = datetime.combine(
                    period.ends_on + timedelta(days=20), time(3), tzinfo=UTC
                )
                _db.session.add(
                    ProgressReport(
                        commitment=c,
                        period=period,
                        status=ReportStatus.verified,
                        percent_complete=percent,
                        completion=completion,
                        spent_vnd=None if (n + j) % 6 == 0 else 50_000 * (n + j),
                        submitted_at=verified_at - timedelta(days=5),
                        verified_at=verified_at,
                    )
                )
            c.completion, c.percent_complete = completion, percent
            if n % 41 == 0:
                c.completion = Completion.withdrawn
    _db.session.flush()


@pytest.fixture(scope="module")
def world(app, demo):
    """The demo data, the generated agreement and a token of the demo administrator."""
    with app.app_context():
        build_generated_agreement()
        admin = _db.session.scalar(sa.select(User).where(User.email == DEMO_ADMIN))
        _token, secret = create_token(admin, name="one truth", days=1)
        _db.session.commit()
        _db.session.remove()
    return secret


# -- reading each output back -------------------------------------------------------------------


def money(text: str) -> int | None:
    """An amount as an output writes it ("7.000.000.000 ₫", "7.000.000.000"); None for "—" or
    the agreement page's "not recorded"."""
    digits = re.sub(r"[^\d]", "", text)
    return int(digits) if digits else None


def strip(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def figure_row(values: dict) -> tuple:
    return (
        values["count"],
        {h: values[h] for h in HEALTHS},
        values["percent"],
        values["planned_vnd"],
        values["spent_vnd"],
    )


def from_dashboard(html: str) -> tuple[tuple, list[tuple]]:
    """The dashboard's total and its area rows, from the cells marked data-figure."""
    rows = []
    for _code, row in re.findall(r'<tr data-area="([^"]*)">(.*?)</tr>', html, re.S):
        cells = {k: strip(v) for k, v in re.findall(r'data-figure="(\w+)"[^>]*>(.*?)</td>', row, re.S)}
        values = {k: int(cells[k]) for k in ("count", *HEALTHS)}
        values["percent"] = int(re.search(r"(\d+)%$", cells["percent"]).group(1))
        values["planned_vnd"] = money(cells["planned_vnd"])
        values["spent_vnd"] = money(cells["spent_vnd"])
        rows.append(figure_row(values))
    # The big numbers above the table say the same as its total row.
    stats = dict(re.findall(r'class="stat stat-(\w+)"[^>]*><span class="stat-n">(\d+)<', html))
    assert {h: int(stats[h]) for h in HEALTHS} == rows[-1][1]
    assert int(re.search(r'<span class="stat-n">(\d+)%</span>', html).group(1)) == rows[-1][2]
    return rows[-1], rows[:-1]


def from_agreement_page(html: str) -> tuple:
    counts = dict(re.findall(r'badge-health-(\w+)">[^<]*: <span class="count">(\d+)<', html))
    cells = {k: strip(v) for k, v in re.findall(r'data-figure="(\w+)"[^>]*>(.*?)</dd>', html, re.S)}
    health = {h: int(counts[h]) for h in HEALTHS}
    percent = re.search(r"(\d+)%", cells["percent"]).group(1)
    return (
        sum(health.values()),
        health,
        int(percent),
        money(cells["planned_vnd"]),
        money(cells["spent_vnd"]),
    )


PDF_ROW = re.compile(r"((?:\d[\d.]* ){6})(\d+)% (—|[\d.]+) (—|[\d.]+)")


def from_pdf(pdf: bytes, tmp_path) -> tuple[str, tuple, list[tuple]]:
    """The review's summary table (section II.1) read back with pdftotext: its as-of sentence,
    total and area rows."""
    out = tmp_path / "review.pdf"
    out.write_bytes(pdf)
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-raw", str(out), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    said = re.search(r"Số liệu tính đến ngày (\d\d/\d\d/\d{4})\.", text)
    assert said, text[:2000]
    table = text[said.end() :]
    total_at = re.search(r"Tổng cộng " + PDF_ROW.pattern, table)
    rows = []
    for m in PDF_ROW.finditer(table[: total_at.end()]):
        numbers = [int(x.replace(".", "")) for x in m.group(1).split()]
        values = dict(zip(("count", *HEALTHS), numbers, strict=True))
        values["percent"] = int(m.group(2))
        values["planned_vnd"], values["spent_vnd"] = money(m.group(3)), money(m.group(4))
        rows.append(figure_row(values))
    return said.group(1), rows[-1], rows[:-1]


def from_api(body: dict) -> tuple[tuple, list[tuple]]:
    total = {**body, "count": body["commitments"], **body["health"]}
    areas = [figure_row({**a, **a["health"]}) for a in body["areas"]]
    return figure_row(total), areas


def from_workbook(data: bytes) -> tuple[str, tuple, list[tuple]]:
    ws = load_workbook(io.BytesIO(data))["Tổng hợp"]
    names = [c.value for c in ws[2]]
    keys = {
        "Số cam kết": "count",
        "Hoàn thành": "done",
        "Đúng tiến độ": "on_track",
        "Có nguy cơ chậm": "at_risk",
        "Chậm tiến độ": "late",
        "Chưa bắt đầu": "not_started",
        "Tỷ lệ hoàn thành bình quân (%)": "percent",
        "Kinh phí dự kiến (VNĐ)": "planned_vnd",
        "Đã chi, đã xác minh (VNĐ)": "spent_vnd",
    }
    rows = []
    for values in ws.iter_rows(min_row=3, values_only=True):
        cells = dict(zip(names, values, strict=False))
        rows.append(figure_row({keys[k]: v for k, v in cells.items() if k in keys}))
    return ws["A1"].value, rows[-1], rows[:-1]


# -- the test ----------------------------------------------------------------------------------------


def days_for(agreement) -> list[date]:
    """A year after the start, the middle of the period, the agreement's own day."""
    own = rules.as_of_for(agreement)
    start, end = agreement.period_start, agreement.period_end
    middle = start + (end - start) / 2
    return sorted({min(d, own) for d in (date(start.year + 1, start.month, 1), middle, own)})


@pytest.mark.parametrize("code", [*DEMO_CODES, GENERATED])
def test_every_output_gives_the_same_figures(app, world, client, tmp_path, code):
    agreement = _db.session.scalar(sa.select(Agreement).where(Agreement.code == code))
    login = client.post("/login", data={"email": DEMO_ADMIN, "password": DEMO_PASSWORD})
    assert login.status_code == 302
    token = {"Authorization": f"Bearer {world}"}
    seen = set()
    for day in days_for(agreement):
        said = f"{day:%d/%m/%Y}"
        truth = figures.agreement_summary(agreement, day)
        expected, expected_areas = from_api(truth)

        dashboard = client.get(f"/agreements/{code}/dashboard?as_of={day.isoformat()}")
        page = client.get(f"/agreements/{code}?as_of={day.isoformat()}")
        api = client.get(
            f"/api/v1/agreements/{code}/figures?as_of={day.isoformat()}", headers=token
        )
        assert dashboard.status_code == page.status_code == api.status_code == 200
        pdf, _pages, _fingerprint = reports.render_review(
            agreement, ReviewOptions(kind="interim", issued_on=day), agreement.period_start, day
        )
        xlsx_out = tmp_path / f"{code}.xlsx"
        result = app.test_cli_runner().invoke(
            args=[
                "export",
                code,
                "--format",
                "xlsx",
                "--as-of",
                day.isoformat(),
                "--out",
                str(xlsx_out),
            ]
        )
        assert result.exit_code == 0, result.output

        dashboard_total, dashboard_areas = from_dashboard(dashboard.get_data(as_text=True))
        pdf_said, pdf_total, pdf_areas = from_pdf(pdf, tmp_path)
        api_body = api.get_json()
        api_total, api_areas = from_api(api_body)
        sheet_said, sheet_total, sheet_areas = from_workbook(xlsx_out.read_bytes())

        where = (code, day)
        assert api_body["as_of"] == day.isoformat(), where
        assert pdf_said == said and sheet_said == f"Số liệu tính đến ngày {said}", where
        assert f"Số liệu tính đến ngày {said}" in strip(dashboard.get_data(as_text=True))
        assert f"Số liệu tính đến ngày {said}" in strip(page.get_data(as_text=True))
        outputs = {
            "dashboard": dashboard_total,
            "agreement page": from_agreement_page(page.get_data(as_text=True)),
            "review PDF": pdf_total,
            "API": api_total,
            "Excel": sheet_total,
        }
        for name, total in outputs.items():
            assert dict(zip(FIELDS, total, strict=True)) == dict(
                zip(FIELDS, expected, strict=True)
            ), (name, *where)
        for name, areas in {
            "dashboard": dashboard_areas,
            "review PDF": pdf_areas,
            "API": api_areas,
            "Excel": sheet_areas,
        }.items():
            assert areas == expected_areas, (name, *where)
        seen.add((expected[0], tuple(expected[1].values()), expected[2], expected[4]))
    assert len(seen) > 1, code  # the figures move with the day, or the comparison proves little


def test_the_generated_agreement_has_what_the_comparison_needs(app, world):
    """Late, done and withdrawn commitments, unknown budgets and verified spending, so that the
    equalities above compare something."""
    agreement = _db.session.scalar(sa.select(Agreement).where(Agreement.code == GENERATED))
    summary = figures.agreement_summary(agreement)
    health = summary["health"]
    assert summary["commitments"] < 300  # the withdrawn ones are out of the count
    assert all(health[h] > 0 for h in ("done", "late", "on_track", "not_started")), health
    assert summary["planned_vnd"] is not None and summary["spent_vnd"] > 0
    budgets = [c.budget_vnd for area in agreement.areas for c in area.commitments]
    assert len(budgets) == 300 and None in budgets
    planned = sum(b for b in budgets if b is not None)
    assert summary["planned_vnd"] == planned  # the unknown budgets add nothing, and are not 0
