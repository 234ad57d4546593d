"""The serif family shipped with the project (Liberation Serif 2.x: Times New Roman's metrics and
every Vietnamese letter), registered once for paragraphs and charts."""

from pathlib import Path

from reportlab import rl_config

#: Charts default to Helvetica, which has no Vietnamese letters; set before reportlab.graphics loads.
rl_config.defaultGraphicsFontName = "TrackerSerif"
#: Identical input gives identical bytes (no creation date or random ids in the file).
rl_config.invariant = 1
#: The canvas's initial font (otherwise Helvetica, listed in the PDF without being embedded).
rl_config.canvas_basefontname = "TrackerSerif"

from reportlab.lib.fonts import addMapping  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402

FONT_DIR = Path(__file__).parent / "fonts"
SERIF = "TrackerSerif"
SERIF_BOLD = "TrackerSerif-Bold"
SERIF_ITALIC = "TrackerSerif-Italic"
SERIF_BOLD_ITALIC = "TrackerSerif-BoldItalic"

_FACES = {
    SERIF: "LiberationSerif-Regular.ttf",
    SERIF_BOLD: "LiberationSerif-Bold.ttf",
    SERIF_ITALIC: "LiberationSerif-Italic.ttf",
    SERIF_BOLD_ITALIC: "LiberationSerif-BoldItalic.ttf",
}


def register_fonts() -> None:
    """Register the four faces as one family, so <b> and <i> in paragraphs pick the right face."""
    if SERIF in pdfmetrics.getRegisteredFontNames():
        return
    for name, file_name in _FACES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file_name)))
    pdfmetrics.registerFontFamily(
        SERIF, normal=SERIF, bold=SERIF_BOLD, italic=SERIF_ITALIC, boldItalic=SERIF_BOLD_ITALIC
    )
    for bold, italic, name in (
        (0, 0, SERIF),
        (1, 0, SERIF_BOLD),
        (0, 1, SERIF_ITALIC),
        (1, 1, SERIF_BOLD_ITALIC),
    ):
        addMapping(SERIF, bold, italic, name)


register_fonts()

# In case reportlab.graphics was imported before this module: the shapes' defaults too.
from reportlab.graphics import shapes as _shapes  # noqa: E402

_shapes.STATE_DEFAULTS["fontName"] = SERIF
