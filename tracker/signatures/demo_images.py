"""Made-up signature and seal images for the demo and the suite (Pillow, transparent backgrounds):
a blue handwritten-looking stroke, a red round seal with a star and, when a font is given, the
organisation's name around its ring. Never a real person's signature or a real seal."""

import io
import math

from PIL import Image, ImageDraw, ImageFont

#: Ink colours (RGB) of Decree 30's signature (blue) and seal (red).
SIGNATURE_BLUE = (20, 50, 170)
SEAL_RED = (210, 20, 30)

#: Drawn this many times larger, then scaled down: smooth edges.
_SUPERSAMPLE = 4


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _stroke(draw, points, colour, width) -> None:
    draw.line(points, fill=colour + (255,), width=width, joint="curve")
    radius = width / 2
    for x, y in (points[0], points[-1]):
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour + (255,))


def signature_png(width: int = 600, height: int = 240, *, seed: int = 1) -> bytes:
    """A blue signature-like scrawl on a transparent background (`seed` varies its loops)."""
    s = _SUPERSAMPLE
    image = Image.new("RGBA", (width * s, height * s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    w, h = width * s, height * s
    loops = 3 + seed % 3
    points = []
    steps = 400
    for i in range(steps + 1):
        t = i / steps
        x = w * (0.08 + 0.8 * t) + w * 0.05 * math.sin(t * loops * 2 * math.pi)
        y = h * (0.55 - 0.25 * math.sin(t * loops * 2 * math.pi + seed)) - h * 0.15 * t
        points.append((x, y))
    _stroke(draw, points, SIGNATURE_BLUE, 7 * s)
    # the underline flourish
    flourish = [
        (w * (0.15 + 0.75 * t), h * (0.78 - 0.1 * math.sin(t * math.pi))) for t in _steps(80)
    ]
    _stroke(draw, flourish, SIGNATURE_BLUE, 5 * s)
    return _png(image.resize((width, height), Image.LANCZOS))


def _steps(n: int):
    return [i / n for i in range(n + 1)]


def _star(cx, cy, outer, inner):
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def _ring_text(image, text: str, font_path: str, cx, cy, radius, size) -> None:
    """`text` in capitals along the upper part of a circle, each letter upright to the ring."""
    font = ImageFont.truetype(font_path, size)
    letters = list(text.upper())
    widths = [font.getlength(c) for c in letters]
    total = sum(widths) * 1.08
    span = min(total / radius, 1.6 * math.pi)
    angle = -math.pi / 2 - span / 2
    scale = span / total
    for letter, advance in zip(letters, widths, strict=True):
        half = advance * 1.08 * scale / 2
        angle += half
        glyph = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (size, size), letter, font=font, fill=SEAL_RED + (255,), anchor="mm"
        )
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
        x = cx + radius * math.cos(angle) - size
        y = cy + radius * math.sin(angle) - size
        image.alpha_composite(glyph, (round(x), round(y)))
        angle += half


def seal_png(size: int = 480, *, text: str = "", font_path: str | None = None) -> bytes:
    """A red round seal, `size` pixels across, transparent outside and between its rings; the
    organisation's name around the ring when `text` and a TrueType `font_path` are given."""
    s = _SUPERSAMPLE
    big = size * s
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    red = SEAL_RED + (255,)
    c = big / 2
    for radius, width in ((0.48, 0.035), (0.34, 0.015)):
        r = big * radius
        draw.ellipse((c - r, c - r, c + r, c + r), outline=red, width=round(big * width))
    draw.polygon(_star(c, c, big * 0.2, big * 0.08), fill=red)
    if text and font_path:
        _ring_text(image, text, font_path, c, c, big * 0.41, round(big * 0.07))
    return _png(image.resize((size, size), Image.LANCZOS))
