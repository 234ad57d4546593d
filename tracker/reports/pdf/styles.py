"""Paragraph styles and page geometry of Vietnamese administrative documents
(Decree 30/2020/NĐ-CP, Appendix I)."""

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from tracker.reports.pdf.fonts import SERIF, SERIF_BOLD, SERIF_BOLD_ITALIC, SERIF_ITALIC

PAGE = A4
#: Margins: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
TOP, BOTTOM, LEFT, RIGHT = 20 * mm, 20 * mm, 30 * mm, 15 * mm
FRAME_WIDTH = PAGE[0] - LEFT - RIGHT

BODY_SIZE = 13
_base = ParagraphStyle(
    "base", fontName=SERIF, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.3, splitLongWords=1
)

body = ParagraphStyle(
    "body", parent=_base, alignment=TA_JUSTIFY, firstLineIndent=10 * mm, spaceAfter=6
)
body_plain = ParagraphStyle("body_plain", parent=_base, alignment=TA_JUSTIFY, spaceAfter=4)
bullet = ParagraphStyle(
    "bullet",
    parent=_base,
    alignment=TA_JUSTIFY,
    leftIndent=10 * mm,
    firstLineIndent=0,
    spaceAfter=3,
)
heading1 = ParagraphStyle(
    "h1", parent=_base, fontName=SERIF_BOLD, spaceBefore=8, spaceAfter=6, keepWithNext=1
)
heading2 = ParagraphStyle(
    "h2", parent=_base, fontName=SERIF_BOLD_ITALIC, spaceBefore=6, spaceAfter=4, keepWithNext=1
)
heading3 = ParagraphStyle(
    "h3", parent=_base, fontName=SERIF_ITALIC, spaceBefore=4, spaceAfter=3, keepWithNext=1
)

# Header block: agencies (12–13, caps), motto (12–13 bold caps / 13–14 bold), number, place and date.
agency_parent = ParagraphStyle(
    "agency_parent", parent=_base, fontSize=12.5, leading=15, alignment=TA_CENTER
)
agency = ParagraphStyle("agency", parent=agency_parent, fontName=SERIF_BOLD)
motto_country = ParagraphStyle(
    "motto_country", parent=agency_parent, fontName=SERIF_BOLD, fontSize=12.5
)
motto = ParagraphStyle("motto", parent=agency_parent, fontName=SERIF_BOLD, fontSize=13.5)
number = ParagraphStyle("number", parent=agency_parent, fontSize=13)
place_date = ParagraphStyle(
    "place_date", parent=agency_parent, fontName=SERIF_ITALIC, fontSize=13.5
)

doc_type = ParagraphStyle(
    "doc_type",
    parent=_base,
    fontName=SERIF_BOLD,
    fontSize=14,
    leading=18,
    alignment=TA_CENTER,
    spaceBefore=12,
)
subject = ParagraphStyle(
    "subject", parent=_base, fontName=SERIF_BOLD, fontSize=13.5, leading=17, alignment=TA_CENTER
)

recipients_title = ParagraphStyle(
    "recipients_title", parent=_base, fontName=SERIF_BOLD_ITALIC, fontSize=12, leading=14
)
recipients = ParagraphStyle("recipients", parent=_base, fontSize=11, leading=13, alignment=TA_LEFT)
signature_authority = ParagraphStyle(
    "signature_authority",
    parent=_base,
    fontName=SERIF_BOLD,
    fontSize=13,
    leading=16,
    alignment=TA_CENTER,
)
signature_name = ParagraphStyle("signature_name", parent=signature_authority)

table_head = ParagraphStyle(
    "table_head", parent=_base, fontName=SERIF_BOLD, fontSize=10, leading=12, alignment=TA_CENTER
)
table_cell = ParagraphStyle("table_cell", parent=_base, fontSize=10, leading=12, alignment=TA_LEFT)
table_num = ParagraphStyle("table_num", parent=table_cell, alignment=TA_RIGHT)
table_small = ParagraphStyle("table_small", parent=table_cell, fontSize=8.5, leading=10)
caption = ParagraphStyle(
    "caption",
    parent=_base,
    fontName=SERIF_ITALIC,
    fontSize=11,
    leading=13,
    alignment=TA_CENTER,
    spaceAfter=8,
)
page_number_size = 13
