"""The review document (five-year, annual or interim) in the format of Vietnamese administrative
documents, as PDF: lays out the blocks of tracker.reports.content (which holds every word of it)
with reportlab flowables."""

import io
import unicodedata
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from tracker.i18n import _
from tracker.reports import content
from tracker.reports.content import Bold, Chart, Grid, Para, ReviewOptions, defaults
from tracker.reports.pdf import styles as st
from tracker.reports.pdf.fonts import SERIF, SERIF_BOLD
from tracker.reports.pdf.header import HeaderBlock, Rule
from tracker.reports.pdf.ledger import PAD_X, Cell, Ledger

#: The formats of numbers and dates (kept under this name for the tests and benches).
_Formats = content.Formats


@dataclass
class Marks:
    """What a rendering says about itself: a draft is marked on every page; a signed review
    cites the one it replaces. `slots` receives, while the document is drawn, where the
    signatures go: name → (page index, (x1, y1, x2, y2) in PDF points)."""

    draft: bool = True
    supersedes: str = ""
    slots: dict = field(default_factory=dict)


class SignatureSpace(Flowable):
    """Empty space that records where it was drawn (`Marks.slots[name]`): the signature block's
    space between the title lines and the name, the stamp line of the first appendix."""

    def __init__(self, name: str, height: float, slots: dict):
        super().__init__()
        self.name, self.space_height, self.slots = name, height, slots

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        return avail_width, self.space_height

    def draw(self):
        x, y = self.canv.absolutePosition(0, 0)
        self.slots[self.name] = (
            self.canv.getPageNumber() - 1,
            (x, y, x + self.width, y + self.space_height),
        )


#: Height of the space the signature block leaves for the signature image (and the seal).
SIGNATURE_SPACE = 28 * mm
#: Height of the line the first appendix leaves for the organisation's stamp.
STAMP_SPACE = 16


def text(value) -> str:
    """Plain text made safe for Paragraph markup: NFC, & < > escaped, line breaks kept."""
    value = unicodedata.normalize("NFC", str(value or ""))
    return escape(value).replace("\n", "<br/>")


def _starts_within(flowable, width, height) -> bool:
    """Whether `flowable` can put something on the page in `height`: all of it, or the first
    part of a split (a table's header and first row, a paragraph's first lines)."""
    if flowable.wrap(width, height)[1] <= height:
        return True
    return not isinstance(flowable, KeepTogether) and bool(flowable.split(width, height))


class _KeepWithNext(KeepTogether):
    """Headings (styles with keepWithNext) and what follows them. reportlab's KeepTogether moves
    the group to the next page whenever the whole group doesn't fit; this one moves it only when
    what follows the headings cannot start below them, so a heading is never left alone at the
    bottom of a page and a long table still starts right under its heading."""

    def split(self, aW, aH):
        *heads, last = self._content
        used = sum(f.wrap(aW, aH)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in heads)
        room = aH - used - last.getSpaceBefore()
        if room > 0 and _starts_within(last, aW, room):
            return list(self._content)
        return super().split(aW, aH)


class _Doc(BaseDocTemplate):
    """A4 with the decree's margins; page numbers centred in the top margin from page 2."""

    def __init__(self, buffer, title: str, draft: bool = False):
        self.draft = draft
        super().__init__(
            buffer,
            pagesize=st.PAGE,
            leftMargin=st.LEFT,
            rightMargin=st.RIGHT,
            topMargin=st.TOP,
            bottomMargin=st.BOTTOM,
            title=title,
            author="",
            subject="",
            creator="Cooperation Agreement Tracker",
            producer="reportlab",
            keepTogetherClass=_KeepWithNext,
        )
        frame = Frame(
            st.LEFT,
            st.BOTTOM,
            st.FRAME_WIDTH,
            st.PAGE[1] - st.TOP - st.BOTTOM,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._number)])

    @staticmethod
    def _number(canvas, doc):
        if doc.draft:
            _draft_mark(canvas)
        if doc.page > 1:
            canvas.saveState()
            canvas.setFont(SERIF, st.page_number_size)
            canvas.drawCentredString(
                st.LEFT + st.FRAME_WIDTH / 2, st.PAGE[1] - 12 * mm, str(doc.page)
            )
            canvas.restoreState()


def _draft_mark(canvas) -> None:
    """The boxed "DỰ THẢO" at the top right of the page: a review never signed is a draft."""
    label = _("DRAFT")
    size = 12
    width = canvas.stringWidth(label, SERIF_BOLD, size) + 10
    right = st.PAGE[0] - st.RIGHT
    top = st.PAGE[1] - 8 * mm
    canvas.saveState()
    canvas.setLineWidth(0.8)
    canvas.rect(right - width, top - size - 6, width, size + 6)
    canvas.setFont(SERIF_BOLD, size)
    canvas.drawCentredString(right - width / 2, top - size - 1.5, label)
    canvas.restoreState()


#: Rows per Table object: reportlab re-measures the rest of a table each time it splits one across
#: pages, so one table of thousands of rows costs quadratic time; chunks keep it linear.
CHUNK_ROWS = 40


def _table(
    rows, widths, *, header_rows=1, numeric_cols=(), zebra=False, font_size=9
) -> list[Table]:
    """The rows as consecutive tables of CHUNK_ROWS rows, each repeating the header rows."""
    head, body = rows[:header_rows], rows[header_rows:]
    return [
        _one_table(
            head + body[i : i + CHUNK_ROWS],
            widths,
            header_rows=header_rows,
            numeric_cols=numeric_cols,
            font_size=font_size,
        )
        for i in range(0, max(len(body), 1), CHUNK_ROWS)
    ]


def _one_table(rows, widths, *, header_rows=1, numeric_cols=(), font_size=9) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=header_rows, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#e8ecf1")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("FONTNAME", (0, 0), (-1, -1), SERIF),
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("LEADING", (0, 0), (-1, -1), font_size * 1.2),
    ]
    for col in numeric_cols:
        style.append(("ALIGN", (col, header_rows), (col, -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


def build_review(data, options: ReviewOptions, marks: Marks | None = None) -> tuple[bytes, int]:
    """The review as PDF bytes and its page count. Call inside `flask_babel.force_locale(lang)`.
    The options are not changed: what the editors left empty stays empty in the saved options.
    `marks`: a draft (the default) or the signed rendering, and where the signatures go."""
    marks = marks if marks is not None else Marks()
    review = content.review(data, options)
    story = []
    story += _header(review.header)
    story += _title(review)
    if marks.supersedes:
        story.append(Paragraph(text(marks.supersedes), st.body))
    for block in review.body:
        story += _block(block)
    story += _closing(review.closing, marks.slots)
    for n, appendix in enumerate(review.appendices):
        drawn = _appendix(appendix)
        if n == 0:
            # The organisation's signature on the appendices: top right of the first one's page.
            drawn.insert(1, SignatureSpace("appendix", STAMP_SPACE, marks.slots))
        story += drawn

    buffer = io.BytesIO()
    doc = _Doc(buffer, title=review.title, draft=marks.draft)
    doc.build(story)
    return buffer.getvalue(), doc.page


# -- header and title -------------------------------------------------------------------------


def _header(header: content.Header):
    return [
        HeaderBlock(
            parent=header.parent,
            issuer=header.issuer,
            number=header.number,
            country=header.country,
            motto=header.motto,
            place_date=header.place_date,
        )
    ]


def _title(review: content.Review):
    return [
        Paragraph(text(review.doc_type), st.doc_type),
        Paragraph(text(review.subject), st.subject),
        Rule(st.FRAME_WIDTH * 0.25, gap=6, after=10),
    ]


# -- sections I–IV ------------------------------------------------------------------------------

#: Space after each kind of table, in points.
_AFTER_GRID = {"summary": 6, "commitments": 4}


def _block(block) -> list:
    if isinstance(block, Para):
        paragraph = Paragraph(text(block.text), getattr(st, block.style))
        if block.keep_with_next:
            paragraph.keepWithNext = 1
        return [paragraph]
    if isinstance(block, Grid):
        return [*_grid(block), Spacer(1, _AFTER_GRID[block.kind])]
    if isinstance(block, Chart):
        parts = [block.draw(st.FRAME_WIDTH), Paragraph(text(block.caption), st.caption)]
        return [KeepTogether(parts)] if block.keep else parts
    raise TypeError(block)


def _grid(grid: Grid) -> list[Table]:
    """A body table: header cells as bold paragraphs; in the first column of the summary, text
    as paragraphs; lists of lines as a bold title paragraph and pre-wrapped plain lines (several
    times cheaper to lay out than markup when an agreement has hundreds of commitments)."""
    widths = [st.FRAME_WIDTH * share for share in grid.shares]
    rows = [[Paragraph(text(h), st.table_head) for h in grid.header]]
    for row in grid.rows:
        cells = []
        for col, cell in enumerate(row):
            if isinstance(cell, list):
                titles = [c for c in cell if isinstance(c, Bold)]
                lines = Lines([c for c in cell if not isinstance(c, Bold)], widths[col] - 6)
                cells.append(
                    [*(Paragraph(f"<b>{text(t)}</b>", st.table_cell) for t in titles), lines]
                    if titles
                    else lines
                )
            elif isinstance(cell, Bold):
                cells.append(Paragraph(f"<b>{text(cell)}</b>", st.table_cell))
            elif grid.kind == "summary" and col == 0:
                cells.append(Paragraph(text(cell), st.table_cell))
            else:
                cells.append(cell)
        rows.append(cells)
    return _table(rows, widths, numeric_cols=grid.numeric_cols)


class Lines(Flowable):
    """Plain text lines wrapped once with simpleSplit: no markup to parse, fast to lay out."""

    def __init__(self, parts, width, size=9.5, leading=11.5):
        super().__init__()
        self.size, self.leading = size, leading
        self.lines = []
        for part in parts:
            self.lines += simpleSplit(
                unicodedata.normalize("NFC", str(part)), SERIF, size, width
            ) or [""]
        self.width = width

    def wrap(self, avail_width, avail_height):
        return self.width, len(self.lines) * self.leading + 2

    def draw(self):
        self.canv.setFont(SERIF, self.size)
        y = len(self.lines) * self.leading - self.size + 2
        for line in self.lines:
            self.canv.drawString(0, y, line)
            y -= self.leading


# -- closing ------------------------------------------------------------------------------------


def _closing(closing: content.Closing, slots: dict):
    recipients = [Paragraph(text(closing.recipients_title), st.recipients_title)]
    recipients += [Paragraph(text(r), st.recipients) for r in closing.recipients]
    signature = [Paragraph(text(line), st.signature_authority) for line in closing.authority]
    signature += [
        SignatureSpace("signature", SIGNATURE_SPACE, slots),
        Paragraph(text(closing.signer_name), st.signature_name),
    ]
    table = Table([[recipients, signature]], colWidths=[st.FRAME_WIDTH * 0.5, st.FRAME_WIDTH * 0.5])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [Spacer(1, 10), KeepTogether(table)]


# -- appendices --------------------------------------------------------------------------------------


def _appendix(appendix: content.Appendix) -> list:
    """A titled appendix on a new page, drawn as a Ledger; a SHA-256 on two lines of 32 digits."""
    widths = [st.FRAME_WIDTH * share for share in appendix.shares]
    rows = content.appendix_rows(appendix)
    if appendix.hash_col is not None and appendix.rows:
        col = appendix.hash_col
        size = min(7.5, (widths[col] - 2 * PAD_X) / 16)  # 32 hex digits of at most 0.5 em
        rows = [
            [*row[:col], Cell((row[col][:32], row[col][32:]), size), *row[col + 1 :]]
            for row in rows
        ]
    return [
        PageBreak(),
        Paragraph(text(appendix.title), st.subject),
        Spacer(1, 8),
        Ledger(
            appendix.header,
            rows,
            widths,
            size=appendix.size,
            numeric_cols=appendix.numeric_cols,
        ),
    ]


__all__ = ["Marks", "ReviewOptions", "SERIF_BOLD", "build_review", "defaults", "text"]
