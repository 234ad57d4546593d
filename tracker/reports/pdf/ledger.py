"""Long ruled tables of plain text (the appendices), drawn straight on the canvas.

reportlab's Table handles any flowable in any cell and a style language, and pays for it on
every cell: thousands of rows of the evidence register took most of a large review's time.
These tables hold only text, so a Ledger wraps each cell once, knows every row's height, splits
between rows (repeating the header on each page) and draws a page's text in one text object
and its rules in one path."""

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from tracker.reports.pdf.fonts import SERIF, SERIF_BOLD

PAD_X, PAD_TOP, PAD_BOTTOM = 3, 2, 3
RULE_WIDTH = 0.4
HEAD_BACKGROUND = colors.HexColor("#e8ecf1")
#: A cell longer than this is cut (with "…"), so one row always fits on a page.
MAX_LINES = 40


@dataclass(frozen=True)
class Cell:
    """Text already broken into lines, drawn at its own size (e.g. a hash split in two)."""

    lines: tuple[str, ...]
    size: float


def wrap(text, font: str, size: float, width: float) -> tuple[str, ...]:
    """Lines of at most `width` points: broken at spaces, and inside words longer than a line
    (a URL, a 300-letter word) so nothing runs over the rule."""
    text = unicodedata.normalize("NFC", "" if text is None else str(text))
    if "\n" not in text and stringWidth(text, font, size) <= width:
        return (text,)
    return _wrap(text, font, size, width)


@lru_cache(maxsize=4096)  # unit names, kinds and labels repeat on every row
def _wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    lines = []
    for line in simpleSplit(text, font, size, width) or [""]:
        if stringWidth(line, font, size) <= width:
            lines.append(line)
            continue
        current = ""
        for char in line:
            if current and stringWidth(current + char, font, size) > width:
                lines.append(current)
                current = char
            else:
                current += char
        lines.append(current)
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][:-1] + "…"]
    return tuple(lines)


class Ledger(Flowable):
    """A table of text cells with a header row repeated on every page it spans."""

    def __init__(
        self, header, rows, widths, *, size=8.0, head_size=None, numeric_cols=(), _parts=None
    ):
        super().__init__()
        self.widths = list(widths)
        self.size = size
        self.leading = size * 1.2
        self.numeric_cols = frozenset(numeric_cols)
        if _parts is not None:
            self._head, self._head_height, self._rows, self._heights = _parts
            return
        head_size = head_size or size + 1
        self._head = [
            Cell(wrap(h, SERIF_BOLD, head_size, w - 2 * PAD_X), head_size)
            for h, w in zip(header, self.widths, strict=True)
        ]
        self._head_height = self._height_of(self._head)
        self._rows = [
            [
                c if isinstance(c, Cell) else Cell(wrap(c, SERIF, size, w - 2 * PAD_X), size)
                for c, w in zip(row, self.widths, strict=True)
            ]
            for row in rows
        ]
        self._heights = [self._height_of(row) for row in self._rows]

    @staticmethod
    def _height_of(cells) -> float:
        return max(len(c.lines) * c.size * 1.2 for c in cells) + PAD_TOP + PAD_BOTTOM

    def _part(self, start, stop):
        parts = (self._head, self._head_height, self._rows[start:stop], self._heights[start:stop])
        return Ledger(
            None,
            None,
            self.widths,
            size=self.size,
            numeric_cols=self.numeric_cols,
            _parts=parts,
        )

    def wrap(self, avail_width, avail_height):
        self.width = sum(self.widths)
        self.height = self._head_height + sum(self._heights)
        return self.width, self.height

    def split(self, avail_width, avail_height):
        room, used, n = avail_height - self._head_height, 0.0, 0
        for height in self._heights:
            if used + height > room:
                break
            used += height
            n += 1
        if n == 0:
            return []  # not even one row here: the frame moves on to the next page
        if n == len(self._heights):
            return [self]
        return [self._part(0, n), self._part(n, len(self._heights))]

    def draw(self):
        canvas, width = self.canv, sum(self.widths)
        lefts = [sum(self.widths[:i]) for i in range(len(self.widths))]
        top = self._head_height + sum(self._heights)

        canvas.saveState()
        canvas.setFillColor(HEAD_BACKGROUND)
        canvas.rect(0, top - self._head_height, width, self._head_height, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        text = canvas.beginText()
        font = None

        def put(cells, row_top, *, head=False):
            nonlocal font
            for i, cell in enumerate(cells):
                face = SERIF_BOLD if head else SERIF
                if font != (face, cell.size):
                    font = (face, cell.size)
                    text.setFont(face, cell.size)
                baseline = row_top - PAD_TOP - cell.size
                for line in cell.lines:
                    if head or i in self.numeric_cols:
                        room = self.widths[i] - 2 * PAD_X - stringWidth(line, face, cell.size)
                        x = lefts[i] + PAD_X + (room / 2 if head else room)
                    else:
                        x = lefts[i] + PAD_X
                    text.setTextOrigin(x, baseline)
                    text.textOut(line)
                    baseline -= cell.size * 1.2

        put(self._head, top, head=True)
        y = top - self._head_height
        bounds = [top, y]
        for row, height in zip(self._rows, self._heights, strict=True):
            put(row, y)
            y -= height
            bounds.append(y)
        canvas.drawText(text)

        canvas.setLineWidth(RULE_WIDTH)
        path = canvas.beginPath()
        for y in bounds:
            path.moveTo(0, y)
            path.lineTo(width, y)
        for x in [*lefts, width]:
            path.moveTo(x, top)
            path.lineTo(x, bounds[-1])
        canvas.drawPath(path, stroke=1, fill=0)
        canvas.restoreState()
