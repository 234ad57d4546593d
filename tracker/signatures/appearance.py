"""The visible appearances of the signatures (Decree 30/2020/NĐ-CP, Appendix I), drawn with
reportlab as one-page PDFs the size of their field and imported as static appearances.

pyHanko's text stamps space Vietnamese letters oddly; reportlab with an embedded TrueType face
draws them as the body text does. The caller passes the font (a face already registered with
reportlab: the project's Liberation Serif), since the fonts belong to the documents."""

import io
import unicodedata

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

#: The ink of a signature and of a seal (Appendix I: blue signature, red seal).
BLUE = Color(0.05, 0.2, 0.65)
RED = Color(0.82, 0.05, 0.08)
BLACK = Color(0, 0, 0)


def _canvas(buffer, width: float, height: float) -> Canvas:
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    canvas.setTitle("")
    return canvas


def _image(canvas, png: bytes, width: float, height: float) -> None:
    canvas.drawImage(
        ImageReader(io.BytesIO(png)),
        0,
        0,
        width,
        height,
        mask="auto",
        preserveAspectRatio=True,
        anchor="c",
    )


def _centred_lines(canvas, lines, width, height, font, size, colour) -> None:
    wrapped = []
    for line in lines:
        wrapped += simpleSplit(unicodedata.normalize("NFC", line), font, size, width - 4) or [""]
    leading = size * 1.25
    y = height / 2 + (len(wrapped) - 1) * leading / 2 - size * 0.35
    canvas.setFillColor(colour)
    canvas.setFont(font, size)
    for line in wrapped:
        canvas.drawCentredString(width / 2, y, line)
        y -= leading


def image_appearance(
    width: float,
    height: float,
    *,
    png: bytes | None,
    font: str,
    fallback_lines: list[str],
    colour: Color = BLUE,
    size: float = 9,
) -> bytes:
    """A field showing an image (the signer's signature, the organisation's seal) fitted and
    centred in it; without an image, `fallback_lines` in `colour`, centred."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, width, height)
    if png:
        _image(canvas, png, width, height)
    else:
        _centred_lines(canvas, fallback_lines, width, height, font, size, colour)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


#: Points of padding around the text of an appendix stamp.
STAMP_PAD = 2


def stamp_size(text: str, font: str, size: float = 10) -> tuple[float, float]:
    """The width and height of the field of an appendix stamp holding `text`."""
    return stringWidth(text, font, size) + 2 * STAMP_PAD, size * 1.5


def stamp_appearance(text: str, *, font: str, size: float = 10) -> bytes:
    """The organisation's signature on an appendix: the text alone, upright, black, no image
    ("12/BC-UBND, 14:03:27, 05/01/2026, +07:00")."""
    text = unicodedata.normalize("NFC", text)
    width, height = stamp_size(text, font, size)
    buffer = io.BytesIO()
    canvas = _canvas(buffer, width, height)
    canvas.setFillColor(BLACK)
    canvas.setFont(font, size)
    canvas.drawString(STAMP_PAD, height / 2 - size * 0.32, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


#: The signature image's width in the signature block.
SIGNATURE_WIDTH = 55 * mm


def signature_block_boxes(space, seal_mm: float):
    """Decree 30, Appendix I: the signature image centred in the space between the title lines
    and the signer's name; the seal at its real size over the left third of the image, centred
    on the same line. `space` is (x1, y1, x2, y2); returns the two boxes."""
    x1, y1, x2, y2 = space
    width = min(SIGNATURE_WIDTH, x2 - x1)
    left = (x1 + x2 - width) / 2
    signature = (left, y1, left + width, y2)
    diameter = seal_mm * mm
    right = left + width / 3
    middle = (y1 + y2) / 2
    seal = (right - diameter, middle - diameter / 2, right, middle + diameter / 2)
    return signature, seal


def stamp_box(space, text: str, font: str, size: float = 10):
    """The appendix stamp's box: at the right end of the space left at the top of the first
    appendix page."""
    x1, y1, x2, y2 = space
    width, height = stamp_size(unicodedata.normalize("NFC", text), font, size)
    bottom = y1 + (y2 - y1 - height) / 2
    return (x2 - width, bottom, x2, bottom + height)
