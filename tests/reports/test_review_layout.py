"""How the review reads: no heading alone at the foot of a page, an opening sentence that names
the parties once, no internal codes in the body, and a readable Vietnamese file name."""

import io
import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from reportlab.platypus import Paragraph, Spacer, Table

from tests import factories
from tests.reports.test_pdf import DEMO_CODES, flat, pdftotext
from tracker.agreements.models import Agreement
from tracker.demo.loader import load_demo
from tracker.reports import services
from tracker.reports.pdf import styles as st
from tracker.reports.pdf.five_year import ReviewOptions, _Doc


@pytest.fixture
def demo_db(app, db):
    load_demo()
    db.session.commit()
    return db


def _agreement(db, code):
    return db.session.scalar(sa.select(Agreement).where(Agreement.code == code))


def _review(agreement, tmp_path, **options):
    pdf, pages, _ = services.render_review(agreement, ReviewOptions(**options))
    out = tmp_path / "review.pdf"
    out.write_bytes(pdf)
    return out, pages


def _headings(agreement) -> set[str]:
    """The section, sub-section and area headings the review prints."""
    fixed = {
        "I. BỐI CẢNH VÀ CĂN CỨ PHÁP LÝ",
        "II. KẾT QUẢ THỰC HIỆN THEO LĨNH VỰC",
        "1. Tổng hợp chung",
        "2. Kết quả từng lĩnh vực",
        "3. Diễn biến các chỉ tiêu chủ yếu",
        "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
        "4. Đánh giá và nguyên nhân",
        "IV. PHƯƠNG HƯỚNG, KIẾN NGHỊ GIAI ĐOẠN TIẾP THEO",
        "1. Phương hướng",
        "2. Kiến nghị",
    }
    return fixed | {flat(f"{a.code}. {a.title}") for a in agreement.areas}


def _last_lines(path, page: int, count: int = 3) -> list[str]:
    lines = [
        line.strip() for line in pdftotext(path, "-f", str(page), "-l", str(page)).splitlines()
    ]
    return [line for line in lines if line][-count:]


@pytest.mark.parametrize("code", DEMO_CODES)
@pytest.mark.parametrize("lang", ["vi"])
def test_no_heading_is_left_alone_at_the_foot_of_a_page(app, demo_db, tmp_path, code, lang):
    agreement = _agreement(demo_db, code)
    out, pages = _review(agreement, tmp_path, lang=lang)
    headings = _headings(agreement)
    for page in range(1, pages + 1):
        tail = " ".join(_last_lines(out, page))
        for heading in headings:
            # A heading whose whole text ends the page, with nothing of its content after it.
            assert not flat(tail).endswith(heading), (code, page, heading)


def test_a_heading_moves_with_a_table_that_cannot_start_under_it(tmp_path):
    """Near the foot of a page, a heading goes to the next page with its table when not even the
    table's header and first row fit under it; with room, the table starts under it and splits."""

    def build(space_above):
        rows = [["STT", "Nội dung"]] + [[str(n), "dòng " * 60] for n in range(1, 30)]
        table = Table(rows, colWidths=[20, 400], repeatRows=1)
        story = [Spacer(1, space_above), Paragraph("Tiêu đề mục", st.heading2), table]
        buffer = io.BytesIO()
        doc = _Doc(buffer, title="t")
        doc.build(story)
        path = tmp_path / f"h{space_above}.pdf"
        path.write_bytes(buffer.getvalue())
        return path

    crowded = build(st.PAGE[1] - st.TOP - st.BOTTOM - 60)  # room for the heading, not a row
    assert "Tiêu đề mục" not in pdftotext(crowded, "-f", "1", "-l", "1")
    assert pdftotext(crowded, "-f", "2", "-l", "2").split().count("Tiêu") == 1
    roomy = build(300)
    first = pdftotext(roomy, "-f", "1", "-l", "1")
    assert "Tiêu đề mục" in first and "STT" in first and "1" in first.split()


def test_the_opening_sentence_names_the_parties_once(app, demo_db, tmp_path):
    agreement = _agreement(demo_db, "QB-VNPT-2020")
    assert " giữa " in agreement.title  # the title already says between whom
    out, _ = _review(agreement, tmp_path)
    body = flat(pdftotext(out, "-f", "1", "-l", "2"))
    section = body[body.index("I. BỐI CẢNH VÀ CĂN CỨ PHÁP LÝ") :]
    sentence = section[section.index(flat(agreement.title)) :].split(" Đại diện ký kết")[0]
    assert sentence.count("giữa") == 1, sentence
    assert "được ký kết ngày 24/09/2020" in sentence
    # The province has since merged: the sentence after says into which.
    assert "Tỉnh Quảng Bình nay là tỉnh Quảng Trị." in sentence


def test_the_opening_sentence_names_the_parties_when_the_title_does_not(app, db, tmp_path):
    w = factories.world()
    agreement = w["qb"]["agreement"]
    assert "giữa" not in agreement.title
    out, _ = _review(agreement, tmp_path)
    body = flat(pdftotext(out, "-f", "1", "-l", "1"))
    section = body[body.index("I. BỐI CẢNH VÀ CĂN CỨ PHÁP LÝ") :]
    assert f"{flat(agreement.title)} giữa Ủy ban nhân dân" in section
    assert section.split("Đại diện ký kết")[0].count(" giữa ") == 1


@pytest.mark.parametrize("code", DEMO_CODES)
def test_internal_codes_stay_out_of_the_body(app, demo_db, tmp_path, code):
    agreement = _agreement(demo_db, code)
    for lang in ("vi", "en"):
        out, _ = _review(agreement, tmp_path, lang=lang)
        text = pdftotext(out)
        assert code not in text, lang
        assert not re.search(r"\((mã|code) ", text), lang


def test_the_review_downloads_under_a_readable_vietnamese_name(app, client, auth, demo_db):
    agreement = _agreement(demo_db, "QB-VNPT-2020")
    record = services.generate_review(agreement, user=None, options=ReviewOptions())
    demo_db.session.commit()
    assert record.file_name == "Báo cáo tổng kết 05 năm - Quảng Bình - 23-09-2025.pdf"
    english = services.generate_review(agreement, user=None, options=ReviewOptions(lang="en"))
    demo_db.session.commit()
    assert english.file_name == "Five-year review - Quảng Bình - 23-09-2025.pdf"
    auth.login("leader.quangtri@demo.vn", "Demo-2026-tracker")
    response = client.get(f"/generated/{record.id}.pdf")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "five_year" not in disposition
    named = unquote(disposition.split("filename*=UTF-8''")[1])
    assert named == "Báo cáo tổng kết 05 năm - Quảng Bình - 23-09-2025.pdf"
