"""The review as an editable Word file: the PDF's words, A4 with the decree's margins, Times New
Roman on every script slot, repeated table headers, the charts as images; read back with
python-docx and converted with LibreOffice to compare with the PDF review."""

import difflib
import io
import subprocess
import zipfile
from datetime import date

import docx
import pytest
import sqlalchemy as sa
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm
from flask_babel import force_locale
from reportlab.graphics import renderPDF

from tests import factories
from tracker.agreements.models import Agreement
from tracker.demo.loader import load_demo
from tracker.reports import content, services
from tracker.reports.data import review_data
from tracker.reports.models import GeneratedReport
from tracker.reports.pdf import styles as st
from tracker.reports.pdf.five_year import ReviewOptions
from tracker.reports.word import CONTENT_TYPE, FONT

SLOTS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")


def flat(value: str) -> str:
    return " ".join(value.split())


def pdftotext(path, *args) -> str:
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def demo_db(app, db):
    load_demo()
    db.session.commit()
    return db


def write(app, tmp_path, code, ext, *args):
    out = tmp_path / f"{code}.{ext}"
    result = app.test_cli_runner().invoke(
        args=["report", "five-year", code, "--out", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    return out


def to_pdf(path, tmp_path):
    """LibreOffice headless, with a private profile so parallel runs don't collide."""
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "converted"),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return tmp_path / "converted" / (path.stem + ".pdf")


def test_the_word_file_reads_back_with_the_decree_layout(app, demo_db, tmp_path):
    out = write(app, tmp_path, "QB-VNPT-2020", "docx", "--date", "2025-10-15", "--format", "docx")
    document = docx.Document(str(out))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.5) and abs(section.page_height - Mm(297)) < Mm(
        0.5
    )
    for margin, value in (
        (section.top_margin, st.TOP),
        (section.bottom_margin, st.BOTTOM),
        (section.left_margin, st.LEFT),
        (section.right_margin, st.RIGHT),
    ):
        assert abs(margin.mm - value / 72 * 25.4) < 0.1
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    assert round(section.top_margin.mm) == 20 and round(section.bottom_margin.mm) == 20

    # Times New Roman on the four slots of every run, every style that names a font, the defaults.
    body = document.element.body
    runs = list(body.iter(qn("w:r")))
    assert len(runs) > 300
    for run in runs:
        fonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert [fonts.get(qn(s)) for s in SLOTS] == [FONT] * 4, run.xml[:300]
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(qn("w:rFonts"))
    assert [fonts.get(qn(s)) for s in SLOTS] == [FONT] * 4
    assert not [a for a in fonts.attrib if "heme" in a]  # no theme font overriding them
    for fonts in styles.iter(qn("w:rFonts")):
        assert [fonts.get(qn(s)) for s in SLOTS] == [FONT] * 4

    # The header block: a borderless two-column table with the agency and the national motto.
    header = document.tables[0]
    left, right = (flat(c.text) for c in header.rows[0].cells)
    assert "ỦY BAN NHÂN DÂN" in left and "Số:" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right and "Độc lập - Tự do - Hạnh phúc" in right
    assert "Quảng Trị, ngày 15 tháng 10 năm 2025" in right
    # every line of both columns centred in its column, as in the PDF
    lines = [p for c in header.rows[0].cells for p in c.paragraphs if p.text.strip()]
    assert len(lines) == 6 and {p.alignment for p in lines} == {WD_ALIGN_PARAGRAPH.CENTER}
    borders = header._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}
    # The rules under the agency and the motto: paragraphs with a top border.
    assert len(header._tbl.findall(".//" + qn("w:pBdr"))) == 2

    # The data tables repeat their header row on every page and rows never split.
    data_tables = document.tables[1:-1]  # the last one before the appendices is the closing…
    repeated = [
        t
        for t in document.tables
        if t.rows[0]._tr.find(qn("w:trPr")) is not None
        and t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    ]
    assert len(repeated) >= 5 and data_tables
    assert flat(repeated[0].rows[0].cells[0].text) == "Lĩnh vực"
    # their left border on the text margin: indented by the cells' left margin
    for table in repeated:
        tblpr = table._tbl.tblPr
        indent = tblpr.find(qn("w:tblInd")).get(qn("w:w"))
        assert indent == tblpr.find(qn("w:tblCellMar")).find(qn("w:left")).get(qn("w:w")) != "0"

    # The charts as images (Chart 1 and the indicators' charts of the PDF).
    images = [n for n in zipfile.ZipFile(out).namelist() if n.startswith("word/media/")]
    agreement = demo_db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2020"))
    data = review_data(agreement, agreement.period_start, date(2025, 9, 23))
    charts = 1 + len(content.key_indicators(data))
    assert len(images) == charts and all(n.endswith(".png") for n in images)
    assert len(body.findall(".//" + qn("w:drawing"))) == charts

    # The sections' headings, in order; the appendices each on a new page.
    texts = [flat(p.text) for p in document.paragraphs if p.text.strip()]
    headings = [
        "BÁO CÁO",
        "I. BỐI CẢNH VÀ CĂN CỨ PHÁP LÝ",
        "II. KẾT QUẢ THEO LĨNH VỰC",
        "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
        "IV. PHƯƠNG HƯỚNG, KIẾN NGHỊ GIAI ĐOẠN TIẾP THEO",
    ]
    with force_locale("vi"):
        appendix_titles = [
            a.title for a in content.appendices(data, content.Formats("vi"), content.labels())
        ]
        headings = [
            "BÁO CÁO",
            content.background(data, content.Formats("vi"))[0].text,
            content.results(data, content.Formats("vi"), content.labels())[0].text,
            content.shortcomings(data, ReviewOptions(), content.Formats("vi"), content.labels())[
                0
            ].text,
            content.direction(ReviewOptions())[0].text,
        ]
    positions = [texts.index(h) for h in headings + appendix_titles]
    assert positions == sorted(positions)
    for title in appendix_titles:
        paragraph = next(p for p in document.paragraphs if flat(p.text) == title)
        assert paragraph.paragraph_format.page_break_before
    # Page numbers from page 2: a PAGE field in the header, none on the first page.
    assert section.different_first_page_header_footer
    assert (
        "PAGE" in section.header._element.xml
        and "PAGE" not in section.first_page_header._element.xml
    )


def words_in_order(pdf, heads, charts=()) -> list[str]:
    """The words of a PDF in reading order (pdftotext -raw: content-stream order, which both
    reportlab and LibreOffice write in the document's order), without what is page furniture
    in one of the two files and not the other:
    - the PDF draft's mark, "DỰ THẢO" at the top of every page (the Word file is a draft to edit
      by nature and never a document of record: it carries no mark);
    - the page number, the first word of every page from page 2;
    - a table's header row where it is repeated at the top of a continued page (the two files
      break pages in different places), i.e. a page that starts with one of `heads`;
    - the words drawn inside each chart (`charts`: each chart's words, in its order), which in
      the PDF are text and in the Word file pixels of its picture: removed as a whole run,
      and each must be found."""
    pages = pdftotext(pdf, "-raw").split("\f")
    out = []
    for number, page in enumerate(pages, 1):
        words = page.split()
        if words[:2] == ["DỰ", "THẢO"]:
            words = words[2:]
        if number > 1 and words[:1] == [str(number)]:
            words = words[1:]
        for head in heads:
            if number > 1 and head and words[: len(head)] == head:
                words = words[len(head) :]
                break
        out += words
    at = 0
    for chart in charts:
        for i in range(at, len(out) - len(chart) + 1):
            if out[i : i + len(chart)] == chart:
                del out[i : i + len(chart)]
                at = i
                break
        else:
            raise AssertionError(f"chart words not found in {pdf}: {chart}")
    return out


def test_libreoffice_shows_the_pdf_reviews_words_in_liberation_serif(app, demo_db, tmp_path):
    """The Word file converted by LibreOffice and the PDF review, both through pdftotext: the
    same words in the same order (page numbers, repeated table headers and the charts' inner
    text aside, see words_in_order), in Liberation Serif (Times New Roman's metric twin)."""
    pdf = write(app, tmp_path, "QB-VNPT-2020", "pdf", "--date", "2025-10-15")
    word = write(app, tmp_path, "QB-VNPT-2020", "docx", "--date", "2025-10-15")
    converted = to_pdf(word, tmp_path)
    agreement = demo_db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2020"))
    options = services.previous_options(agreement)
    options.issued_on = date(2025, 10, 15)
    data = review_data(agreement, agreement.period_start, date(2025, 9, 23))
    with force_locale("vi"):
        review = content.review(data, options)
    grids = [b for b in review.body if isinstance(b, content.Grid)] + review.appendices
    heads = sorted({tuple(" ".join(g.header).split()) for g in grids}, key=len, reverse=True)
    heads = [list(h) for h in heads]
    charts = []
    for chart in (b for b in review.body if isinstance(b, content.Chart)):
        alone = tmp_path / f"chart{len(charts)}.pdf"
        alone.write_bytes(renderPDF.drawToString(chart.draw(st.FRAME_WIDTH)))
        charts.append(pdftotext(alone, "-raw").split())
    assert len(charts) == 1 + len(content.key_indicators(data)) and all(charts)

    pdf_words = words_in_order(pdf, heads, charts)
    word_words = words_in_order(converted, heads)
    assert len(pdf_words) > 2000
    if pdf_words != word_words:
        diff = difflib.unified_diff(pdf_words, word_words, "pdf", "word", n=5, lineterm="")
        raise AssertionError("\n".join(list(diff)[:80]))
    word_text = flat(pdftotext(converted))
    assert "Tổng cộng 12 0 1 4 7 0 32% — 9.800.000.000" in word_text
    assert "Quảng Trị, ngày 15 tháng 10 năm 2025" in word_text and "Nơi nhận:" in word_text

    fonts = subprocess.run(
        ["pdffonts", str(converted)], check=True, capture_output=True, text=True
    ).stdout
    rows = fonts.strip().splitlines()[2:]
    assert rows, fonts
    for line in rows:
        assert "LiberationSerif" in line or "TimesNewRoman" in line, line
        assert "DejaVu" not in line and line.split()[-5] == "yes", line


def test_the_word_file_of_a_generated_review_from_the_page(app, client, auth, db):
    w = factories.world()
    code = w["qb"]["agreement"].code
    auth.login(w["qb"]["leader"].email)
    response = client.post(
        f"/agreements/{code}/reports",
        data={
            "kind": "five_year",
            "lang": "vi",
            "issued_on": "2026-01-10",
            "signer_name": "Nguyễn Văn A",
            "recipients": "Như trên;\nLưu: VT.",
        },
    )
    assert response.status_code == 302
    record = db.session.scalar(sa.select(GeneratedReport))
    page = client.get(f"/agreements/{code}/reports").get_data(as_text=True)
    link = f"/generated/{record.id}.docx"
    assert link in page and "Tải bản Word" in page

    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition and ".docx" in disposition and "five_year" not in disposition
    document = docx.Document(io.BytesIO(response.data))
    closing = flat("\n".join(c.text for t in document.tables for r in t.rows for c in r.cells))
    assert "Nguyễn Văn A" in closing and "- Lưu: VT." in closing
    # The data unchanged: no note in the first page's header.
    assert not flat(document.sections[0].first_page_header.paragraphs[0].text)

    # Whoever may have the PDF has the Word file; whoever may not gets what the PDF route
    # answers: 403 for a VNPT user of the province (sees the agreement, may not have reviews),
    # 404 for a leader of another province (does not see the agreement).
    pdf_link = f"/generated/{record.id}.pdf"
    for who, status in (
        (w["qb"]["dic"], 200),
        (w["admin"], 200),
        (w["qb"]["vnpt"], 403),
        (w["vl"]["leader"], 404),
    ):
        auth.logout()
        auth.login(who.email)
        assert client.get(pdf_link).status_code == status, who.email
        assert client.get(link).status_code == status, who.email
    assert client.get("/generated/999999.docx").status_code == 404


def test_the_word_file_says_when_the_data_changed_since_the_pdf(app, db):
    w = factories.world()
    agreement = w["qb"]["agreement"]
    record = services.generate_review(
        agreement, user=w["qb"]["leader"], options=ReviewOptions(issued_on=date(2026, 1, 10))
    )
    record.data_fingerprint = "0" * 64  # as if the verified data had changed since
    data, name, changed = services.review_docx(record, user=w["qb"]["leader"])
    assert changed and name.endswith(".docx")
    note = docx.Document(io.BytesIO(data)).sections[0].first_page_header.paragraphs[0].text
    assert "Số liệu đã thay đổi kể từ khi tạo bản PDF" in note


def test_the_cli_writes_english_word_files(app, demo_db, tmp_path):
    out = tmp_path / "review.bin"
    result = app.test_cli_runner().invoke(
        args=[
            "report",
            "five-year",
            "VL-VNPT-2017",
            "--out",
            str(out),
            "--format",
            "docx",
            "--lang",
            "en",
            "--date",
            "2021-01-05",
        ]
    )
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out))
    assert "SOCIALIST REPUBLIC OF VIET NAM" in document.tables[0].rows[0].cells[1].text
    assert any(p.text == "I. BACKGROUND AND LEGAL BASES" for p in document.paragraphs)
    assert not (tmp_path / "review.pdf").exists()


def test_a_review_saved_without_options_gets_its_word_file_in_its_language(app, db):
    """A generated review recorded with no saved options (older records, imports): the Word
    file takes the record's kind and language, and dates the document at the end of its range."""
    w = factories.world()
    agreement = w["qb"]["agreement"]
    record = services.generate_review(
        agreement,
        user=w["qb"]["leader"],
        options=ReviewOptions(lang="en", issued_on=date(2026, 1, 10)),
    )
    record.options = {}
    data, name, _changed = services.review_docx(record, user=w["qb"]["leader"])
    document = docx.Document(io.BytesIO(data))
    assert "SOCIALIST REPUBLIC OF VIET NAM" in document.tables[0].rows[0].cells[1].text
    assert name.endswith(".docx") and "review" in name.lower()
