"""Signature and seal images: PNG only, decoded and re-encoded by the server (Pillow), the
transparency kept, so no uploaded byte reaches a signed document as it came."""

import io
import warnings

from PIL import Image

from tracker.errors import InvalidValue
from tracker.i18n import _

#: Largest accepted image file and side.
MAX_IMAGE_BYTES = 1024 * 1024
MAX_SIDE = 3000
MIN_SIDE = 40


def clean_png(data: bytes, field: str = "image") -> bytes:
    """The image re-encoded as an RGBA PNG; refused when it is not a readable PNG of sensible
    size."""
    if not data:
        raise InvalidValue(_("Choose a PNG image."), field)
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidValue(
            _("The image must be at most %(kb)d KB.", kb=MAX_IMAGE_BYTES // 1024), field
        )
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InvalidValue(
            _("The image must be a PNG file (with a transparent background)."), field
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != "PNG":
                    raise ValueError("not a PNG")
                width, height = image.size
                if max(width, height) > MAX_SIDE or min(width, height) < MIN_SIDE:
                    raise InvalidValue(
                        _(
                            "The image must be between %(min)d and %(max)d pixels on each side.",
                            min=MIN_SIDE,
                            max=MAX_SIDE,
                        ),
                        field,
                    )
                image.load()
                clean = image.convert("RGBA")
    except InvalidValue:
        raise
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise InvalidValue(_("The image could not be read; it may be damaged."), field) from None
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=True)
    return out.getvalue()
