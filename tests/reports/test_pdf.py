"""The review PDF: Decree 30/2020 format, Vietnamese text exactly as stored, only verified figures,
embedded fonts, byte-identical output, and text that is data, never markup."""

import hashlib
import re
import subprocess
from datetime import date
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import SimpleDocTemplate

from tests import factories
from tests.conftest import text_of
from tracker import storage
from tracker.agreements import rules
from tracker.agreements.models import Agreement, AgreementStatus, Commitment
from tracker.clock import local_today
from tracker.demo.loader import load_demo
from tracker.errors import InvalidValue
from tracker.org.models import UnitKind
from tracker.progress import figures
from tracker.progress.models import Evidence, ProgressReport, ReportStatus
from tracker.reports import services
from tracker.reports.models import GeneratedReport, ReviewKind
from tracker.reports.pdf import styles as st
from tracker.reports.pdf.five_year import ReviewOptions, _Formats
from tracker.reports.pdf.fonts import SERIF
from tracker.reports.pdf.ledger import PAD_X, Ledger


def pdftotext(path, *args) -> str:
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def flat(value: str) -> str:
    return " ".join(value.split())


@pytest.fixture
def demo_db(app, db):

    load_demo()
    db.session.commit()
    return db


def write(app, tmp_path, code, *args):
    out = tmp_path / f"{code}.pdf"
    result = app.test_cli_runner().invoke(
        args=["report", "five-year", code, "--out", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    return out


def test_five_year_review_of_the_demo(app, demo_db, tmp_path):
    out = write(app, tmp_path, "QB-VNPT-2020", "--date", "2025-10-15")
    text = flat(pdftotext(out, "-raw"))  # in drawing order: a table cell's text stays together
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "Quảng Trị, ngày 15 tháng 10 năm 2025" in text
    assert "BÁO CÁO" in text and "Nơi nhận:" in text
    agreement = demo_db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2020"))
    for area in agreement.areas:
        assert flat(f"{area.code}. {area.title}") in text
        for commitment in area.commitments:
            assert flat(commitment.title) in text, commitment.title
    assert "9.800.000.000" in text  # verified spending, Vietnamese grouping
    # No commitment of the demo has a recorded budget: the planned total is unknown, not 0.
    # Commitments, done, on track, at risk, late, not started, completion, planned, spent.
    assert "Tổng cộng 12 0 1 4 7 0 32% — 9.800.000.000" in text
    assert "Số liệu tính đến ngày 23/09/2025." in text  # the end of the range
    # The 2025 report of commitment 1.1 is only submitted, not verified: its figures are absent.
    assert "4.200.000.000" not in text and "85%" not in text
    # Page numbers: none on page 1, centred at the top of the others.
    assert not re.match(r"\s*1\s*\n", pdftotext(out, "-f", "1", "-l", "1"))
    assert pdftotext(out, "-f", "2", "-l", "2").strip().splitlines()[0].strip() == "2"


def test_every_font_is_embedded(app, demo_db, tmp_path):
    out = write(app, tmp_path, "QB-VNPT-2015")
    listing = subprocess.run(
        ["pdffonts", str(out)], check=True, capture_output=True, text=True
    ).stdout
    rows = listing.strip().splitlines()[2:]
    assert rows, listing
    for line in rows:
        assert "LiberationSerif" in line, line
        assert line.split()[-5] == "yes", line  # the "emb" column


def test_same_data_and_options_give_the_same_bytes(app, demo_db):
    agreement = demo_db.session.scalar(sa.select(Agreement).where(Agreement.code == "VL-VNPT-2017"))
    options = dict(date_from=agreement.period_start, date_to=agreement.period_end)
    first = services.render_review(agreement, ReviewOptions(issued_on=date(2021, 1, 5)), **options)
    second = services.render_review(agreement, ReviewOptions(issued_on=date(2021, 1, 5)), **options)
    assert first[0] == second[0] and first[2] == second[2]
    other_day = services.render_review(
        agreement, ReviewOptions(issued_on=date(2021, 1, 6)), **options
    )
    assert other_day[0] != first[0] and other_day[2] == first[2]  # same data, other options


def test_english_version(app, demo_db, tmp_path):
    out = write(app, tmp_path, "VL-VNPT-2017", "--lang", "en", "--date", "2021-01-05")
    text = flat(pdftotext(out))
    assert "SOCIALIST REPUBLIC OF VIET NAM" in text and "Independence - Freedom - Happiness" in text
    assert "Vĩnh Long, 5 January 2021" in text
    assert "RESULTS BY AREA" in text and "Recipients:" in text


def test_interim_range(app, demo_db, tmp_path):
    out = write(app, tmp_path, "QB-VNPT-2020", "--from", "2021-01-01", "--to", "2021-12-31")
    text = flat(pdftotext(out))
    assert "Sơ kết" in text and "01/01/2021" in text and "31/12/2021" in text
    assert "1.650.000.000" not in text  # 2022's spending is outside the range


@pytest.mark.parametrize(
    ("day", "line"),
    [
        (date(2021, 1, 5), "Quảng Bình, ngày 05 tháng 01 năm 2021"),
        (date(2020, 9, 24), "Quảng Bình, ngày 24 tháng 9 năm 2020"),
        (date(2020, 2, 29), "Quảng Bình, ngày 29 tháng 02 năm 2020"),
        (date(2020, 12, 1), "Quảng Bình, ngày 01 tháng 12 năm 2020"),
    ],
)
def test_place_and_date_line(day, line):
    assert _Formats("vi").place_date("Quảng Bình", day) == line


def test_text_is_data_not_markup(app, db, tmp_path):
    province = factories.province("Đắk Lắk", code="dak-lak")
    long_name = "Trung tâm " + "Công nghệ thông tin và Truyền thông " * 9
    unit = factories.unit(province, kind=UnitKind.department, name=long_name[:300])
    agreement = factories.agreement(
        province, code="DL-1", title='Thỏa thuận <b>&</b> "VNPT" > mọi thứ'
    )
    factories.area(agreement, code="I", title="Lĩnh vực trống")
    area = factories.area(agreement, code="II", title="An toàn & bảo mật <script>")
    factories.commitment(area, unit, code="2.1", title="Từ" + "A" * 300)
    db.session.commit()
    out = write(app, tmp_path, "DL-1")
    text = flat(pdftotext(out))
    assert 'Thỏa thuận <b>&</b> "VNPT" > mọi thứ' in text
    assert "An toàn & bảo mật <script>" in text
    assert "chưa có số liệu" in text
    assert "A" * 60 in text.replace(" ", "")


def test_evidence_register_lists_verified_evidence_with_full_hashes(app, demo_db, tmp_path):
    agreement = demo_db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2020"))
    verified = {
        e.id
        for e in demo_db.session.scalars(
            sa.select(Evidence)
            .join(ProgressReport, Evidence.report_id == ProgressReport.id)
            .join(Commitment, ProgressReport.commitment_id == Commitment.id)
            .where(
                Commitment.agreement_id == agreement.id,
                ProgressReport.status == ReportStatus.verified,
            )
        )
    }
    others = demo_db.session.scalars(
        sa.select(Evidence)
        .join(ProgressReport, Evidence.report_id == ProgressReport.id)
        .join(Commitment, ProgressReport.commitment_id == Commitment.id)
        .where(Commitment.agreement_id == agreement.id, Evidence.id.not_in(verified))
    ).all()
    assert verified and others  # the demo has both, or this test proves nothing
    out = write(app, tmp_path, "QB-VNPT-2020", "--date", "2025-10-15")
    pages = pdftotext(out, "-raw").split("\f")
    register = flat(next(p for p in pages if "PHỤ LỤC 3. DANH MỤC MINH CHỨNG" in p))
    assert "STT Minh chứng Ngày Loại minh chứng Đơn vị Chữ ký số SHA-256" in register
    assert "Chưa ký số" in register
    for evidence in demo_db.session.scalars(sa.select(Evidence).where(Evidence.id.in_(verified))):
        assert flat(evidence.title) in register
        assert f"{evidence.sha256[:32]} {evidence.sha256[32:]}" in register
    for evidence in others:
        assert evidence.sha256[:32] not in register


def _words_outside_the_frame(path) -> list[str]:
    """Words whose box runs past the right margin (pdftotext -bbox, in points)."""
    right = st.PAGE[0] - st.RIGHT + 0.5
    words = re.findall(
        r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>',
        pdftotext(path, "-bbox"),
    )
    return [word for x_max, word in words if float(x_max) > right]


def test_appendix_tables_stay_inside_the_page(app, demo_db, tmp_path):
    out = write(app, tmp_path, "QB-VNPT-2020", "--date", "2025-10-15")
    assert _words_outside_the_frame(out) == []


def test_long_appendix_tables_break_between_rows_and_repeat_their_header(tmp_path):

    w = st.FRAME_WIDTH
    rows = [
        [str(n), f"Biên bản nghiệm thu đợt {n} " + "Đ" * (n % 7 * 40), "VNPT Quảng Trị"]
        for n in range(1, 301)
    ]
    ledger = Ledger(("STT", "Minh chứng", "Đơn vị"), rows, [w * 0.1, w * 0.6, w * 0.3])
    for row in ledger._rows:  # every line fits its column, long words included
        for cell, width in zip(row, ledger.widths, strict=True):
            for line in cell.lines:
                assert stringWidth(line, SERIF, cell.size) <= width - 2 * PAD_X + 0.01, line
    out = tmp_path / "ledger.pdf"
    SimpleDocTemplate(str(out), pagesize=st.PAGE, leftMargin=st.LEFT, rightMargin=st.RIGHT).build(
        [ledger]
    )
    pages = [flat(p) for p in pdftotext(out, "-raw").split("\f") if p.strip()]
    assert len(pages) > 5
    assert all(p.startswith("STT Minh chứng Đơn vị") for p in pages)
    text = " ".join(pages)
    numbers = [int(n) for n in re.findall(r"(?:^| )(\d+) Biên bản nghiệm thu đợt \1\b", text)]
    assert numbers == list(range(1, 301))  # every row once, in order, never cut across pages
    assert _words_outside_the_frame(out) == []


def test_empty_header_fields_show_what_the_document_will_say(client, auth, db):
    w = factories.world()
    auth.login(w["qb"]["leader"].email)
    page = client.get(f"/agreements/{w['qb']['agreement'].code}/reports").get_data(as_text=True)
    assert 'placeholder="Ủy ban nhân dân tỉnh Quảng Bình"' in page
    assert 'placeholder="Quảng Bình"' in page and 'placeholder="…/BC-UBND"' in page
    assert "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH" in page  # the signature block, two lines
    assert "Số trang" in page and "Phân trang" not in page


def test_generate_from_the_page_records_and_downloads_again(app, client, auth, db):
    w = factories.world()
    auth.login(w["qb"]["leader"].email)
    page = client.get(f"/agreements/{w['qb']['agreement'].code}/reports")
    assert page.status_code == 200 and "Xuất báo cáo" in page.get_data(as_text=True)
    response = client.post(
        f"/agreements/{w['qb']['agreement'].code}/reports",
        data={
            "kind": "five_year",
            "lang": "vi",
            "date_from": "2020-01-01",
            "date_to": "2025-12-31",
            "issued_on": "2026-01-10",
            "shortcomings": "Một số cam kết chậm do dịch bệnh.",
            "signer_authority": "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
            "signer_name": "Nguyễn Văn A",
            "recipients": "Như trên;\nLưu: VT.",
        },
    )
    assert response.status_code == 302
    record = db.session.scalar(sa.select(GeneratedReport))
    assert record.created_by_id == w["qb"]["leader"].id and len(record.data_fingerprint) == 64
    assert record.options["signer_name"] == "Nguyễn Văn A"
    listed = text_of(client.get(f"/agreements/{w['qb']['agreement'].code}/reports"))
    assert "Báo cáo tổng kết 05 năm" in listed and "Tiếng Việt" in listed.split("Số trang")[1]
    download = client.get(f"/generated/{record.id}.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")

    assert hashlib.sha256(download.data).hexdigest() == record.sha256
    auth.logout()
    auth.login(w["qb"]["vnpt"].email)
    assert client.get(f"/agreements/{w['qb']['agreement'].code}/reports").status_code == 403
    assert client.get(f"/generated/{record.id}.pdf").status_code == 403
    auth.logout()
    auth.login(w["vl"]["leader"].email)
    assert client.get(f"/generated/{record.id}.pdf").status_code == 404


def test_cli_refuses_unknown_agreement(app, db, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["report", "five-year", "NOPE", "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code != 0 and "NOPE" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GeneratedReport)) == 0


def test_roles_that_generate(db):
    w = factories.world()
    agreement = w["qb"]["agreement"]
    assert services.can_generate(w["qb"]["leader"], agreement)
    assert services.can_generate(w["qb"]["dic"], agreement)
    assert not services.can_generate(w["qb"]["vnpt"], agreement)
    assert not services.can_generate(w["vl"]["leader"], agreement)


# -- the same figures everywhere, judged as of a stated date --------------------------------------

DEMO_ADMIN, DEMO_PASSWORD = "admin@demo.vn", "Demo-2026-tracker"
DEMO_CODES = ["QB-VNPT-2015", "QB-VNPT-2020", "VL-VNPT-2017", "BRVT-VNPT-2018"]
HEALTH_KEYS = ["done", "on_track", "at_risk", "late", "not_started"]


def pdf_summary(pdf: bytes, tmp_path) -> tuple[list[int], int, str]:
    """The review's total row read back from the PDF: counts (commitments, then each health),
    average completion, and the day it says the figures are judged as of."""
    out = tmp_path / "review.pdf"
    out.write_bytes(pdf)
    text = flat(pdftotext(out, "-raw"))
    total = re.search(r"Tổng cộng ((?:\d+ ){6})(\d+)%", text)
    as_of = re.search(r"Số liệu tính đến ngày (\d\d/\d\d/\d{4})\.", text)
    assert total and as_of, text[:2000]
    return [int(n) for n in total.group(1).split()], int(total.group(2)), as_of.group(1)


def dashboard_summary(html: str) -> tuple[list[int], int]:
    stats = dict(re.findall(r'class="stat stat-(\w+)"[^>]*><span class="stat-n">(\d+)<', html))
    percent = re.search(r'<span class="stat-n">(\d+)%</span>', html)
    healths = [int(stats[h]) for h in HEALTH_KEYS]
    return [sum(healths), *healths], int(percent.group(1))


def agreement_page_counts(html: str) -> list[int]:
    counts = dict(re.findall(r'badge-health-(\w+)">[^<]*: <span class="count">(\d+)<', html))
    healths = [int(counts[h]) for h in HEALTH_KEYS]
    return [sum(healths), *healths]


@pytest.mark.parametrize("code", DEMO_CODES)
def test_review_dashboard_and_agreement_page_give_the_same_counts_as_of_the_same_day(
    app, demo_db, client, tmp_path, code
):
    agreement = demo_db.session.scalar(sa.select(Agreement).where(Agreement.code == code))
    default = rules.as_of_for(agreement)
    days = [
        min(date(agreement.period_start.year + 1, 6, 30), default),
        min(date(agreement.period_start.year + 3, 6, 30), default),
        default,
    ]
    assert (
        client.post("/login", data={"email": DEMO_ADMIN, "password": DEMO_PASSWORD}).status_code
        == 302
    )
    seen = set()
    for day in days:
        pdf, _pages, _fingerprint = services.render_review(
            agreement,
            ReviewOptions(kind="interim", issued_on=day),
            agreement.period_start,
            day,
        )
        counts, percent, said = pdf_summary(pdf, tmp_path)
        dashboard = client.get(f"/agreements/{code}/dashboard?as_of={day.isoformat()}")
        page = client.get(f"/agreements/{code}?as_of={day.isoformat()}")
        assert dashboard.status_code == page.status_code == 200
        dashboard_html, page_html = dashboard.get_data(as_text=True), page.get_data(as_text=True)
        sentence = f"Số liệu tính đến ngày {day:%d/%m/%Y}"
        assert said == f"{day:%d/%m/%Y}"
        assert sentence in dashboard_html and sentence in page_html
        assert dashboard_summary(dashboard_html) == (counts, percent), (code, day)
        assert agreement_page_counts(page_html) == counts, (code, day)
        summary = figures.agreement_summary(agreement, day)
        assert [summary["commitments"], *summary["health"].values()] == counts
        assert summary["percent"] == percent
        seen.add(tuple(counts))
    # The default page is judged as of the agreement's own day and says so.
    html = client.get(f"/agreements/{code}/dashboard").get_data(as_text=True)
    assert f"Số liệu tính đến ngày {default:%d/%m/%Y}" in html
    assert len(seen) > 1  # the figures move with the day, or the comparison proves little


def test_a_closed_agreement_is_judged_as_of_the_end_of_its_period(app, demo_db, client):
    agreement = demo_db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2015"))
    assert agreement.status == AgreementStatus.closed
    client.post("/login", data={"email": DEMO_ADMIN, "password": DEMO_PASSWORD})
    for url in ("/agreements/QB-VNPT-2015/dashboard", "/agreements/QB-VNPT-2015"):
        assert "Số liệu tính đến ngày 22/10/2020" in text_of(client.get(url))
    overview = text_of(client.get("/dashboard"))
    assert f"Số liệu tính đến ngày {local_today():%d/%m/%Y}" in overview
    assert "tính đến 22/10/2020" in overview  # the closed agreement's row says its own day


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("30/06/2024", "không phải là một ngày"),
        ("2024-13-01", "không phải là một ngày"),
        ("2999-01-01", "Không thể tính số liệu đến một ngày trong tương lai."),
    ],
)
@pytest.mark.parametrize(
    "url",
    [
        "/agreements/QB-2020/dashboard",
        "/agreements/QB-2020",
        "/dashboard",
        "/agreements/QB-2020/commitments",
    ],
)
def test_a_bad_as_of_answers_400_with_a_clear_message(client, auth, db, url, value, message):
    w = factories.world()
    auth.login(w["qb"]["leader"].email)
    response = client.get(url, query_string={"as_of": value})
    assert response.status_code == 400
    text = text_of(response)
    assert message in text
    # The page still shows its figures, as of its default day.
    assert f"Số liệu tính đến ngày {rules.as_of_for(w['qb']['agreement']):%d/%m/%Y}" in text


def test_the_as_of_form_is_a_plain_get_form(client, auth, db):
    w = factories.world()
    auth.login(w["qb"]["leader"].email)
    html = client.get("/agreements/QB-2020/dashboard?as_of=2024-06-30").get_data(as_text=True)
    form = re.search(r'<form method="get" class="filters as-of".*?</form>', html, re.S).group(0)
    assert 'type="date" id="as-of" name="as_of" value="2024-06-30"' in form
    # No inline script: the page's scripts are files (the phone menu, dialogs), none reacts to it.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " onchange=" not in html
    assert "Số liệu tính đến ngày 30/06/2024" in text_of_html(html)


def text_of_html(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_english_review_says_figures_as_of(app, db, tmp_path):
    w = factories.world()
    agreement = w["qb"]["agreement"]
    pdf, _, _ = services.render_review(
        agreement, ReviewOptions(lang="en", issued_on=date(2024, 6, 30)), None, None
    )
    out = tmp_path / "en.pdf"
    out.write_bytes(pdf)
    assert "Figures as of 30/06/2024." in flat(pdftotext(out))


# -- the annual review and the range of a review ----------------------------------------------------


@pytest.mark.parametrize(
    ("issued_on", "start", "end"),
    [
        (date(2024, 5, 10), date(2023, 1, 1), date(2023, 12, 31)),  # the last full year
        (date(2024, 12, 20), date(2024, 1, 1), date(2024, 12, 20)),  # December: this year so far
        (date(2025, 10, 15), date(2025, 1, 1), date(2025, 9, 23)),  # the agreement ended this year
        (date(2026, 1, 10), date(2025, 1, 1), date(2025, 9, 23)),  # its last year, never 2030
        (date(2021, 3, 1), date(2020, 9, 24), date(2020, 12, 31)),  # its first (part) year
    ],
)
def test_an_annual_review_covers_one_calendar_year_up_to_the_document_date(
    app, demo_db, tmp_path, issued_on, start, end
):
    agreement = demo_db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2020"))
    record = services.generate_review(
        agreement, user=None, options=ReviewOptions(kind="annual", issued_on=issued_on)
    )
    assert (record.kind, record.date_from, record.date_to) == (ReviewKind.annual, start, end)
    assert record.file_name == f"Báo cáo năm - Quảng Bình - {end:%d-%m-%Y}.pdf"
    text = flat(pdftotext(storage.path_for(record.sha256)))
    assert f"Kết quả thực hiện năm {end.year} của" in text
    assert f"Số liệu tính đến ngày {end:%d/%m/%Y}." in text


@pytest.mark.parametrize("kind", ["five_year", "annual", "interim"])
def test_a_review_range_ending_after_the_document_date_is_refused(app, db, kind):
    w = factories.world()
    agreement = w["qb"]["agreement"]
    with pytest.raises(InvalidValue) as refusal:
        services.generate_review(
            agreement,
            user=w["qb"]["leader"],
            options=ReviewOptions(kind=kind, issued_on=date(2023, 5, 1)),
            date_from=date(2023, 1, 1),
            date_to=date(2023, 5, 2),
        )
    assert refusal.value.field == "date_to"
    assert "không được kết thúc sau ngày của văn bản (01/05/2023)" in refusal.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GeneratedReport)) == 0


def test_the_page_refuses_a_range_after_the_document_date_and_offers_the_usual_ranges(
    client, auth, db
):
    w = factories.world()
    auth.login(w["qb"]["leader"].email)
    url = f"/agreements/{w['qb']['agreement'].code}/reports"
    page = text_of(client.get(url + "?kind=annual"))
    assert "Báo cáo năm:" in page and "Báo cáo tổng kết 05 năm: 01/01/2020 –" in page
    response = client.post(
        url,
        data={
            "kind": "annual",
            "lang": "vi",
            "date_from": "2024-01-01",
            "date_to": "2024-12-31",
            "issued_on": "2024-06-30",
        },
    )
    assert response.status_code == 200
    assert "không được kết thúc sau ngày của văn bản (30/06/2024)" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GeneratedReport)) == 0
    # Empty dates: the kind's usual range for the document's date.
    response = client.post(url, data={"kind": "annual", "lang": "vi", "issued_on": "2024-06-30"})
    assert response.status_code == 302
    record = db.session.scalar(sa.select(GeneratedReport))
    assert (record.date_from, record.date_to) == (date(2023, 1, 1), date(2023, 12, 31))


def test_the_cli_and_the_page_start_from_the_last_reviews_options(app, client, auth, db, tmp_path):
    w = factories.world()
    auth.login(w["qb"]["leader"].email)
    url = f"/agreements/{w['qb']['agreement'].code}/reports"
    client.post(
        url,
        data={
            "kind": "five_year",
            "lang": "vi",
            "issued_on": "2026-01-10",
            "signer_name": "Trần Thị B",
        },
    )
    assert 'value="Trần Thị B"' in client.get(url).get_data(as_text=True)
    write(app, tmp_path, w["qb"]["agreement"].code)
    latest = db.session.scalars(sa.select(GeneratedReport).order_by(GeneratedReport.id)).all()
    assert [r.options["signer_name"] for r in latest] == ["Trần Thị B", "Trần Thị B"]
    download = client.get(f"/generated/{latest[0].id}.pdf")
    named = download.headers["Content-Disposition"].split("filename*=UTF-8''")[1]
    assert unquote(named) == latest[0].file_name


def test_the_saved_options_keep_empty_fields_empty(app, db):
    w = factories.world()
    record = services.generate_review(
        w["qb"]["agreement"], user=None, options=ReviewOptions(issued_on=date(2026, 1, 10))
    )
    # The defaults come from the agreement each time, never from an older review's copy of them.
    assert record.options["issuer"] == "" and record.options["recipients"] == []
    assert services.previous_options(w["qb"]["agreement"]).place == ""
