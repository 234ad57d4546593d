"""The review as an editable Word file (.docx, python-docx): the blocks of
tracker.reports.content, the same words as the PDF, laid out on A4 with the PDF's margins and
sizes (tracker.reports.pdf.styles) in Times New Roman.

Times New Roman is named on all four script slots of `w:rFonts` (ascii, hAnsi, eastAsia, cs) of
every run, every style and the document defaults: python-docx sets only the first two, and Word
takes the letters it files under another slot (some Vietnamese ones) from another font.
The charts are the PDF's drawings (tracker.reports.pdf.charts) rendered to PNG by PDFium."""

import io
import re
import unicodedata
from xml.sax.saxutils import escape

import pypdfium2
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt
from reportlab.graphics import renderPDF
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from tracker.reports import content
from tracker.reports.content import Bold, Chart, Grid, Para, ReviewOptions
from tracker.reports.pdf import styles as st
from tracker.reports.pdf.fonts import SERIF_BOLD, SERIF_BOLD_ITALIC, SERIF_ITALIC
from tracker.reports.pdf.header import LEFT_SHARE, country_size, issuer_rule_width
from tracker.reports.pdf.ledger import PAD_X

FONT = "Times New Roman"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: Pixels per inch of the charts' PNGs (sharp in print, about 30 kB a chart).
CHART_DPI = 200
#: Text sizes of the PDF's body tables: plain cells, pre-wrapped lines (five_year.Lines).
CELL_SIZE, LINES_SIZE = 9, 9.5
HEAD_SHADE = "E8ECF1"
RULE = 0.6  # points, as the PDF's rules

_STYLES = (
    "body",
    "body_plain",
    "bullet",
    "heading1",
    "heading2",
    "heading3",
    "caption",
    "doc_type",
    "subject",
)
_ALIGN = {TA_CENTER: "center", TA_RIGHT: "right", TA_JUSTIFY: "both"}
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(value) -> str:
    """Text as Word keeps it: NFC, without the control characters XML cannot hold."""
    return _XML_INVALID.sub("", unicodedata.normalize("NFC", str(value or "")))


def _tw(points: float) -> int:
    """Twentieths of a point, Word's unit of lengths."""
    return round(points * 20)


def fonts_xml() -> str:
    return f'<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" w:cs="{FONT}"/>'


def rpr_xml(size: float | None = None, bold=False, italic=False) -> str:
    """Run properties: the font on every slot, bold and italic, size in half points."""
    xml = fonts_xml()
    if bold:
        xml += "<w:b/><w:bCs/>"
    if italic:
        xml += "<w:i/><w:iCs/>"
    if size:
        half = round(size * 2)
        xml += f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>'
    return f"<w:rPr>{xml}</w:rPr>"


def _set_fonts(rpr) -> None:
    """Times New Roman on the four slots of an rPr element (theme fonts removed: they win)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, fonts)
    for name in list(fonts.attrib):
        if name.endswith("Theme") or name.endswith("theme"):
            del fonts.attrib[name]
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), FONT)


def _face(font_name: str) -> tuple[bool, bool]:
    """Bold and italic of one of the PDF's faces."""
    return (
        font_name in (SERIF_BOLD, SERIF_BOLD_ITALIC),
        font_name in (SERIF_ITALIC, SERIF_BOLD_ITALIC),
    )


def build_review_docx(data, options: ReviewOptions, note: str = "") -> bytes:
    """The review as .docx bytes. Call inside `flask_babel.force_locale(options.lang)`. `note`
    goes in the first page's header (e.g. that the data changed since the PDF was made)."""
    review = content.review(data, options)
    word = _Word(options.lang)
    word.header_block(review.header)
    word.paragraph(review.doc_type, "doc_type")
    word.paragraph(review.subject, "subject")
    word.rule(st.FRAME_WIDTH * 0.25, before=6, after=10)
    for block in review.body:
        word.block(block)
    word.closing(review.closing)
    for appendix in review.appendices:
        word.appendix(appendix)
    word.page_numbers(note)
    props = word.doc.core_properties
    props.title, props.author, props.language = review.title, "", options.lang
    props.comments = note
    buffer = io.BytesIO()
    word.doc.save(buffer)
    return buffer.getvalue()


class _Word:
    def __init__(self, lang: str):
        self.doc = Document()
        self.body = self.doc.element.body
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Pt(st.PAGE[0]), Pt(st.PAGE[1])
        section.top_margin, section.bottom_margin = Pt(st.TOP), Pt(st.BOTTOM)
        section.left_margin, section.right_margin = Pt(st.LEFT), Pt(st.RIGHT)
        # The page number's baseline 12 mm from the top edge, as in the PDF.
        section.header_distance = Pt(12 * mm - st.page_number_size)
        self._defaults("vi-VN" if lang == "vi" else "en-GB")
        for name in _STYLES:
            self._style(name, getattr(st, name))

    def _append(self, element) -> None:
        """A block at the end of the body, before its closing section properties (LibreOffice
        and Word move what follows them)."""
        self.body.sectPr.addprevious(element)

    # -- styles --------------------------------------------------------------------------------

    def _defaults(self, lang: str) -> None:
        styles = self.doc.styles.element
        rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_fonts(rpr)
        for tag, value in (("w:sz", st.BODY_SIZE * 2), ("w:szCs", st.BODY_SIZE * 2)):
            rpr.find(qn(tag)).set(qn("w:val"), str(round(value)))
        language = rpr.find(qn("w:lang"))
        language.set(qn("w:val"), lang)
        language.set(qn("w:eastAsia"), lang)
        ppr = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
        spacing = ppr.find(qn("w:spacing"))
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), "240")
        for fonts in styles.iter(qn("w:rFonts")):  # every style's, table styles' parts too
            _set_fonts(fonts.getparent())
        normal = self.doc.styles["Normal"]
        _set_fonts(normal.element.get_or_add_rPr())

    def _style(self, name: str, ps) -> None:
        """A Word paragraph style with the size, face, spacing and alignment of the PDF's."""
        style = self.doc.styles.add_style(f"Review {name}", 1)  # paragraph
        style.base_style = self.doc.styles["Normal"]
        bold, italic = _face(ps.fontName)
        style.font.size = Pt(ps.fontSize)
        style.font.bold, style.font.italic = bold, italic
        _set_fonts(style.element.get_or_add_rPr())
        fmt = style.paragraph_format
        fmt.alignment = {
            TA_CENTER: WD_ALIGN_PARAGRAPH.CENTER,
            TA_RIGHT: WD_ALIGN_PARAGRAPH.RIGHT,
            TA_JUSTIFY: WD_ALIGN_PARAGRAPH.JUSTIFY,
        }.get(ps.alignment, WD_ALIGN_PARAGRAPH.LEFT)
        fmt.first_line_indent = Pt(ps.firstLineIndent) if ps.firstLineIndent else None
        fmt.left_indent = Pt(ps.leftIndent) if ps.leftIndent else None
        fmt.space_before, fmt.space_after = Pt(ps.spaceBefore), Pt(ps.spaceAfter)
        fmt.line_spacing = Pt(ps.leading)
        fmt.keep_with_next = bool(getattr(ps, "keepWithNext", 0))

    # -- paragraphs ----------------------------------------------------------------------------

    def paragraph(self, value: str, style: str, *, keep_with_next=None):
        """A paragraph in one of the review's styles; line breaks kept inside it."""
        paragraph = self.doc.add_paragraph(style=f"Review {style}")
        for n, line in enumerate(clean(value).split("\n")):
            run = paragraph.add_run()
            if n:
                run.add_break(WD_BREAK.LINE)
            run.add_text(line)
            _set_fonts(run._r.get_or_add_rPr())
        if keep_with_next is not None:
            paragraph.paragraph_format.keep_with_next = keep_with_next
        return paragraph

    def rule(self, width: float, *, before: float = 0, after: float = 0, within: float = None):
        """A centred rule `width` points long: an empty paragraph 1 pt high whose top border
        runs between its indents."""
        self._append(self._rule_xml(width, within or st.FRAME_WIDTH, before, after))

    @staticmethod
    def _rule_xml(width: float, within: float, before: float, after: float):
        indent = _tw(max(0.0, (within - width) / 2))
        return parse_xml(
            f"<w:p {nsdecls('w')}><w:pPr>"
            f'<w:pBdr><w:top w:val="single" w:sz="{round(RULE * 8)}" w:space="0" w:color="000000"/></w:pBdr>'
            f'<w:spacing w:before="{_tw(before)}" w:after="{_tw(after)}" w:line="20" w:lineRule="exact"/>'
            f'<w:ind w:left="{indent}" w:right="{indent}"/><w:jc w:val="center"/>'
            f"{rpr_xml(1)}</w:pPr></w:p>"
        )

    def block(self, block) -> None:
        if isinstance(block, Para):
            self.paragraph(block.text, block.style, keep_with_next=block.keep_with_next or None)
        elif isinstance(block, Grid):
            self._append(self._grid(block))
            self._append(self._spacer(6 if block.kind == "summary" else 4))
        elif isinstance(block, Chart):
            self.chart(block)
        else:
            raise TypeError(block)

    def chart(self, chart: Chart) -> None:
        drawing = chart.draw(st.FRAME_WIDTH)
        paragraph = self.doc.add_paragraph(style="Review caption")
        paragraph.paragraph_format.keep_with_next = True
        # single spacing: the caption style's exact leading would crop the picture
        paragraph.paragraph_format.line_spacing = 1.0
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run()
        _set_fonts(run._r.get_or_add_rPr())
        run.add_picture(io.BytesIO(png(drawing)), width=Pt(drawing.width))
        self.paragraph(chart.caption, "caption")

    @staticmethod
    def _spacer(points: float):
        return parse_xml(
            f"<w:p {nsdecls('w')}><w:pPr>"
            f'<w:spacing w:before="0" w:after="0" w:line="{_tw(points)}" w:lineRule="exact"/>'
            f"{rpr_xml(1)}</w:pPr></w:p>"
        )

    # -- header block --------------------------------------------------------------------------

    def header_block(self, header: content.Header) -> None:
        """Two borderless columns, as the PDF's: the agencies, a short rule and the number on
        the left; the country's name, the motto with a rule as long as it, and the place and
        date on the right."""
        left_w = st.FRAME_WIDTH * LEFT_SHARE
        right_w = st.FRAME_WIDTH - left_w
        left = []
        for part in header.parent.splitlines() if header.parent else []:
            left.append(_p([(part, False, False)], 12.5, line=16, align="center"))
        issuer_lines = header.issuer.splitlines()
        for part in issuer_lines:
            left.append(_p([(part, True, False)], 12.5, line=16, align="center"))
        left.append(
            self._rule_xml(issuer_rule_width(issuer_lines, left_w), left_w, 2, 0).xml
            if issuer_lines
            else ""
        )
        left.append(_p([(header.number, False, False)], 13, line=16, before=6, align="center"))
        right = [
            _p(
                [(header.country, True, False)],
                country_size(header.country, right_w),
                line=16,
                align="center",
            ),
            _p([(header.motto, True, False)], 13, line=16, align="center"),
            self._rule_xml(stringWidth(header.motto, SERIF_BOLD, 13), right_w, 2, 0).xml,
            _p([(header.place_date, False, True)], 13, line=16, before=9, align="center"),
        ]
        self._append(
            parse_xml(
                _table_xml(
                    [left_w, right_w],
                    None,
                    [[left, right]],
                    borders=False,
                    margins=(0, 0, 0, 0),
                )
            )
        )

    # -- tables --------------------------------------------------------------------------------

    def _grid(self, grid: Grid):
        widths = [st.FRAME_WIDTH * share for share in grid.shares]
        head = [
            [_p([(h, True, False)], st.table_head.fontSize, align="center")] for h in grid.header
        ]
        rows = []
        for row in grid.rows:
            cells = []
            for col, cell in enumerate(row):
                align = "right" if col in grid.numeric_cols else None
                if isinstance(cell, list):
                    cells.append(
                        [
                            _p([(line, True, False)], st.table_cell.fontSize, align=align)
                            if isinstance(line, Bold)
                            else _p([(line, False, False)], LINES_SIZE, align=align)
                            for line in cell
                        ]
                    )
                elif isinstance(cell, Bold) or (grid.kind == "summary" and col == 0):
                    bold = isinstance(cell, Bold)
                    cells.append([_p([(cell, bold, False)], st.table_cell.fontSize, align=align)])
                else:
                    cells.append([_p([(cell, False, False)], CELL_SIZE, align=align)])
            rows.append(cells)
        return parse_xml(_table_xml(widths, head, rows))

    def appendix(self, appendix: content.Appendix) -> None:
        title = self.paragraph(appendix.title, "subject")
        title.paragraph_format.page_break_before = True
        title.paragraph_format.keep_with_next = True
        self._append(self._spacer(8))
        widths = [st.FRAME_WIDTH * share for share in appendix.shares]
        size = appendix.size
        head = [[_p([(h, True, False)], size + 1, align="center")] for h in appendix.header]
        hash_size = None
        if appendix.hash_col is not None:
            hash_size = min(7.5, (widths[appendix.hash_col] - 2 * PAD_X) / 16)
        rows = []
        for row in content.appendix_rows(appendix):
            cells = []
            for col, cell in enumerate(row):
                align = "right" if col in appendix.numeric_cols else None
                if col == appendix.hash_col and appendix.rows:
                    cells.append(
                        [
                            _p([(cell[:32], False, False)], hash_size),
                            _p([(cell[32:], False, False)], hash_size),
                        ]
                    )
                else:
                    cells.append([_p([(cell, False, False)], size, align=align)])
            rows.append(cells)
        self._append(parse_xml(_table_xml(widths, head, rows)))

    # -- closing and page numbers --------------------------------------------------------------

    def closing(self, closing: content.Closing) -> None:
        """Recipients on the left, the signature block on the right, in a borderless table."""
        self._append(self._spacer(10))
        half = st.FRAME_WIDTH / 2
        left = [_p([(closing.recipients_title, True, True)], st.recipients_title.fontSize, line=14)]
        left += [
            _p([(r, False, False)], st.recipients.fontSize, line=13) for r in closing.recipients
        ]
        size = st.signature_authority.fontSize
        right = [
            _p([(line, True, False)], size, align="center", line=16) for line in closing.authority
        ]
        right.append(
            _p([(closing.signer_name, True, False)], size, align="center", line=16, before=28 * mm)
        )
        self._append(
            parse_xml(
                _table_xml([half, half], None, [[left, right]], borders=False, margins=(0, 0, 0, 0))
            )
        )

    def page_numbers(self, note: str) -> None:
        """The page number centred at the top from page 2; the first page's header holds only
        the note, if any."""
        section = self.doc.sections[0]
        section.different_first_page_header_footer = True
        header = section.header
        header.is_linked_to_previous = False
        paragraph = header.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        size = round(st.page_number_size * 2)
        rpr = f'<w:rPr>{fonts_xml()}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
        for xml in (
            f'<w:r {nsdecls("w")}>{rpr}<w:fldChar w:fldCharType="begin"/></w:r>',
            f'<w:r {nsdecls("w")}>{rpr}<w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>',
            f'<w:r {nsdecls("w")}>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>',
            f"<w:r {nsdecls('w')}>{rpr}<w:t>2</w:t></w:r>",
            f'<w:r {nsdecls("w")}>{rpr}<w:fldChar w:fldCharType="end"/></w:r>',
        ):
            paragraph._p.append(parse_xml(xml))
        first = section.first_page_header
        first.is_linked_to_previous = False
        if note:
            note_p = first.paragraphs[0]
            note_p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = note_p.add_run(clean(note))
            run.italic = True
            run.font.size = Pt(10)
            _set_fonts(run._r.get_or_add_rPr())


def _p(runs, size, *, align=None, line=None, before=0) -> str:
    """A paragraph's XML: runs of (text, bold, italic) at one size; line breaks kept."""
    ppr = f'<w:spacing w:before="{_tw(before)}" w:after="0"'
    ppr += (
        f' w:line="{_tw(line)}" w:lineRule="exact"/>'
        if line
        else ' w:line="240" w:lineRule="auto"/>'
    )
    if align:
        ppr += f'<w:jc w:val="{align}"/>'
    out = []
    for value, bold, italic in runs:
        rpr = rpr_xml(size, bold, italic)
        for n, part in enumerate(clean(value).split("\n")):
            brk = "<w:br/>" if n else ""
            out.append(f'<w:r>{rpr}{brk}<w:t xml:space="preserve">{escape(part)}</w:t></w:r>')
    return f"<w:p><w:pPr>{ppr}{rpr_xml(size)}</w:pPr>{''.join(out)}</w:p>"


def _table_xml(widths, head, rows, *, borders=True, margins=(2, 3, 3, 3)) -> str:
    """A table with fixed column widths; `head` (a list of cells, or None) is repeated at the
    top of every page (`w:tblHeader`); rows never break across pages. A cell is a list of
    paragraph XML strings."""
    top, right, bottom, left = (_tw(m) for m in margins)
    # Indented by its cells' left margin: Word (compatibility mode 14) and LibreOffice measure
    # the indent to the first cell's text, so the left border sits on the text margin, as the
    # PDF's does.
    width = _tw(sum(widths))
    if borders:
        sides = "".join(
            f'<w:{side} w:val="single" w:sz="3" w:space="0" w:color="000000"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
    else:
        sides = "".join(
            f'<w:{side} w:val="nil"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
    out = [
        f"<w:tbl {nsdecls('w')}><w:tblPr>"
        f'<w:tblW w:w="{width}" w:type="dxa"/><w:tblInd w:w="{left}" w:type="dxa"/>'
        f'<w:tblBorders>{sides}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        f'<w:tblCellMar><w:top w:w="{top}" w:type="dxa"/><w:left w:w="{left}" w:type="dxa"/>'
        f'<w:bottom w:w="{bottom}" w:type="dxa"/><w:right w:w="{right}" w:type="dxa"/></w:tblCellMar>'
        f'<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
        "</w:tblPr><w:tblGrid>",
        *(f'<w:gridCol w:w="{_tw(w)}"/>' for w in widths),
        "</w:tblGrid>",
    ]

    def row(cells, header=False):
        trpr = "<w:cantSplit/>" + ("<w:tblHeader/>" if header else "")
        shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{HEAD_SHADE}"/>' if header else ""
        parts = [f"<w:tr><w:trPr>{trpr}</w:trPr>"]
        for w, paragraphs in zip(widths, cells, strict=True):
            body = "".join(p for p in paragraphs if p) or "<w:p/>"
            parts.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{_tw(w)}" w:type="dxa"/>{shade}</w:tcPr>{body}</w:tc>'
            )
        parts.append("</w:tr>")
        return "".join(parts)

    if head is not None:
        out.append(row(head, header=True))
    out += [row(cells) for cells in rows]
    out.append("</w:tbl>")
    return "".join(out)


def png(drawing) -> bytes:
    """A reportlab drawing as PNG: drawn to a one-page PDF with the document's embedded fonts,
    rendered by PDFium (reportlab's own bitmap renderer needs pycairo, which has no wheel)."""
    document = pypdfium2.PdfDocument(renderPDF.drawToString(drawing))
    try:
        image = document[0].render(scale=CHART_DPI / 72).to_pil()
    finally:
        document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
