"""The header block and rules of an administrative document, drawn at exact positions
(Paragraphs and HRFlowables in table cells do not centre rules under their text)."""

from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from tracker.reports.pdf.fonts import SERIF, SERIF_BOLD, SERIF_ITALIC

LINE = 16  # points between baselines in the header
#: The left column's share of the text width.
LEFT_SHARE = 0.42


def country_size(country: str, width: float) -> float:
    """The country's name at 12.5 points, or 12 when that would not fit the column."""
    return 12.5 if stringWidth(country, SERIF_BOLD, 12.5) <= width - 4 else 12


def issuer_rule_width(lines: list[str], width: float) -> float:
    """The rule under the issuing agency: a third of its widest line (of the column's half when
    there is none)."""
    widths = [stringWidth(t, SERIF_BOLD, 12.5) for t in lines]
    return (max(widths) if widths else width / 2) / 3


class Rule(Flowable):
    """A centred horizontal rule of a given width, `gap` points below the flowable before it."""

    def __init__(self, width: float, gap: float = 3, after: float = 6, thickness: float = 0.6):
        super().__init__()
        self.rule_width, self.gap, self.after, self.thickness = width, gap, after, thickness

    def wrap(self, avail_width, avail_height):
        self.avail_width = avail_width
        return avail_width, self.gap + self.after

    def draw(self):
        x = (self.avail_width - self.rule_width) / 2
        self.canv.setLineWidth(self.thickness)
        self.canv.setStrokeColor(colors.black)
        self.canv.line(x, self.after, x + self.rule_width, self.after)


class HeaderBlock(Flowable):
    """Left: parent agency (caps), issuing agency (caps bold) with a short rule, the number.
    Right: the country's name (caps bold), the motto (bold) with a rule as long as it, then the
    place-and-date line (italic)."""

    def __init__(
        self,
        *,
        parent: str,
        issuer: str,
        number: str,
        country: str,
        motto: str,
        place_date: str,
        left_share: float = LEFT_SHARE,
    ):
        super().__init__()
        self.parent, self.issuer, self.number = parent, issuer, number
        self.country, self.motto, self.place_date = country, motto, place_date
        self.left_share = left_share

    def _left_lines(self, width):
        lines = []
        for part in self.parent.splitlines() if self.parent else []:
            lines += [(t, SERIF, 12.5) for t in simpleSplit(part, SERIF, 12.5, width)]
        for part in self.issuer.splitlines():
            lines += [(t, SERIF_BOLD, 12.5) for t in simpleSplit(part, SERIF_BOLD, 12.5, width)]
        return lines

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        self.left_w = avail_width * self.left_share
        self.right_w = avail_width - self.left_w
        left = len(self._left_lines(self.left_w - 6)) + 1.6  # the rule, then the number
        right = 3 + 0.6
        self.height = max(left, right) * LINE + 6
        return avail_width, self.height

    def draw(self):
        c = self.canv
        c.setStrokeColor(colors.black)
        c.setLineWidth(0.6)
        top = self.height - 12.5
        # left column
        cx = self.left_w / 2
        y = top
        issuer_lines = []
        for text, font, size in self._left_lines(self.left_w - 6):
            c.setFont(font, size)
            c.drawCentredString(cx, y, text)
            if font == SERIF_BOLD:
                issuer_lines.append(text)
            y -= LINE
        rule = issuer_rule_width(issuer_lines, self.left_w)
        c.line(cx - rule / 2, y + LINE - 6, cx + rule / 2, y + LINE - 6)
        y -= LINE * 0.6
        c.setFont(SERIF, 13)
        c.drawCentredString(cx, y, self.number)
        # right column
        cx = self.left_w + self.right_w / 2
        y = top
        c.setFont(SERIF_BOLD, country_size(self.country, self.right_w))
        c.drawCentredString(cx, y, self.country)
        y -= LINE
        c.setFont(SERIF_BOLD, 13)
        c.drawCentredString(cx, y, self.motto)
        width = stringWidth(self.motto, SERIF_BOLD, 13)
        c.line(cx - width / 2, y - 6, cx + width / 2, y - 6)
        y -= LINE * 1.6
        c.setFont(SERIF_ITALIC, 13)
        c.drawCentredString(cx, y, self.place_date)
