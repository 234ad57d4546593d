"""What a reader sees of the signatures (Decree 30/2020, Appendix I): the appearances drawn with
the project's embedded serif (Vietnamese letters intact), the signature image centred in the
signature block with the seal over its left third, and the organisation's text stamp at the
top right of the first appendix page. Checked on pages rendered by poppler."""

import io
import subprocess

from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from tests.signatures.helpers import STAMP, signed_demo_review
from tracker.demo.loader import load_demo
from tracker.reports.pdf.fonts import SERIF
from tracker.signatures import appearance, demo_images, images, pades

DPI = 100
SCALE = DPI / 72


def run(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def page_image(tmp_path, pdf: bytes, page: int) -> Image.Image:
    """Page `page` (0-based) as poppler renders it, annotations (the signatures) included."""
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    run(
        "pdftoppm",
        "-png",
        "-r",
        str(DPI),
        "-f",
        str(page + 1),
        "-l",
        str(page + 1),
        "-singlefile",
        str(path),
        str(tmp_path / "page"),
    )
    return Image.open(tmp_path / "page.png").convert("RGB")


def ink_box(image: Image.Image, box_pt, is_ink, page_height=842):
    """The bounding box in points (x1, y1, x2, y2) of the pixels `is_ink` selects inside the
    rectangle `box_pt` of the page, or None."""
    x1, y1, x2, y2 = box_pt
    left, top = int(x1 * SCALE), int((page_height - y2) * SCALE)
    right, bottom = int(x2 * SCALE), int((page_height - y1) * SCALE)
    found = [
        (x, y)
        for y in range(max(top, 0), min(bottom, image.height))
        for x in range(max(left, 0), min(right, image.width))
        if is_ink(image.getpixel((x, y)))
    ]
    if not found:
        return None
    xs, ys = [p[0] for p in found], [p[1] for p in found]
    return (
        min(xs) / SCALE,
        page_height - max(ys) / SCALE,
        max(xs) / SCALE,
        page_height - min(ys) / SCALE,
    )


def blue(pixel) -> bool:
    r, g, b = pixel
    return b > 110 and b - r > 60 and b - g > 40


def red(pixel) -> bool:
    r, g, b = pixel
    return r > 140 and r - g > 80 and r - b > 80


def black(pixel) -> bool:
    return max(pixel) < 90


def blank_pdf() -> bytes:
    """A page with a frame and no text at all: every font in the signed file is the field's."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.rect(72, 72, 451, 698)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def fonts(tmp_path, pdf: bytes) -> list[str]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return run("pdffonts", str(path)).splitlines()[2:]


def test_the_appearances_draw_vietnamese_with_the_embedded_serif(app, tmp_path, leader):
    lines = ["Ký số bởi", "Nguyễn Quốc Hưng", "Ủy ban nhân dân tỉnh Quảng Trị"]
    drawn = appearance.image_appearance(160, 70, png=None, font=SERIF, fallback_lines=lines)
    path = tmp_path / "appearance.pdf"
    path.write_bytes(drawn)
    assert run("pdftotext", str(path), "-").split("\n")[:3] == lines
    stamp = appearance.stamp_appearance("12/BC-UBND, 14:03:27, 05/01/2026, +07:00", font=SERIF)
    path.write_bytes(stamp)
    assert run("pdftotext", str(path), "-").strip() == "12/BC-UBND, 14:03:27, 05/01/2026, +07:00"

    assert fonts(tmp_path, blank_pdf()) == []
    slot = pades.Slot(0, (320, 480, 480, 550))
    signed = pades.sign(blank_pdf(), leader, pades.Field("Signature1", slot, drawn))
    (font,) = fonts(tmp_path, signed)
    name, _type, _encoding, emb, sub, uni = font.split()[:6]
    assert name.endswith("+LiberationSerif")  # a subset of the project's face, embedded
    assert (emb, sub, uni) == ("yes", "yes", "yes")

    image = page_image(tmp_path, signed, 0)
    text = ink_box(image, slot.box, blue)
    assert text is not None  # the fallback lines show, in blue, inside the field
    assert slot.box[0] <= text[0] and text[2] <= slot.box[2]


def test_a_signed_review_shows_the_decree_30_signature_block(
    app, db, tmp_path, leader, organisation
):
    load_demo()
    db.session.commit()
    signed, _pages, marks = signed_demo_review(leader, organisation)
    page, space = marks.slots["signature"]
    signature_box, seal_box = appearance.signature_block_boxes(space, seal_mm=36)
    image = page_image(tmp_path, signed, page)

    # The blue signature image, centred between the title lines and the signer's name.
    ink = ink_box(image, (space[0], space[1] - 40, space[2], space[3] + 40), blue)
    assert ink is not None
    assert abs((ink[0] + ink[2]) / 2 - (space[0] + space[2]) / 2) < 6
    assert space[1] - 2 <= ink[1] and ink[3] <= space[3] + 2

    # The red seal at its real size (36 mm), over the left third of the signature image.
    seal = ink_box(image, (space[0] - 120, space[1] - 60, space[2], space[3] + 60), red)
    assert seal is not None
    diameter = 36 / 25.4 * 72
    assert abs((seal[2] - seal[0]) - diameter) < 0.1 * diameter
    third = signature_box[0] + (signature_box[2] - signature_box[0]) / 3
    assert abs(seal[2] - third) < 4
    assert seal[0] < ink[0] < seal[2]  # the seal covers the start of the signature
    assert abs((seal[1] + seal[3]) / 2 - (space[1] + space[3]) / 2) < 4


def test_the_first_appendix_page_carries_the_organisations_text_stamp(
    app, db, tmp_path, leader, organisation
):
    load_demo()
    db.session.commit()
    signed, _pages, marks = signed_demo_review(leader, organisation)
    page, space = marks.slots["appendix"]
    box = appearance.stamp_box(space, STAMP, SERIF)
    assert box[2] == space[2]  # right-aligned with the text frame
    width, height = appearance.stamp_size(STAMP, SERIF, 10)
    assert height == 15 and width > 150  # Times New Roman's metrics, 10 points

    image = page_image(tmp_path, signed, page)
    ink = ink_box(image, (space[0], space[1] - 2, space[2], space[3] + 2), black)
    assert ink is not None
    assert abs(ink[2] - space[2]) < 5  # ends at the right margin
    assert ink[0] > (space[0] + space[2]) / 2  # in the right half of the page: top right
    assert ink[3] - ink[1] < 12  # one line of 10-point text
    assert ink_box(image, (space[0], space[1] - 2, space[2], space[3] + 2), red) is None


def test_demo_images_are_clean_transparent_pngs():
    for png, colour in ((demo_images.signature_png(), blue), (demo_images.seal_png(), red)):
        assert images.clean_png(png)  # the server's own check accepts them
        image = Image.open(io.BytesIO(png))
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0  # transparent background
        opaque = [p[:3] for p in image.get_flattened_data() if p[3] > 200]
        assert opaque and all(colour(p) for p in opaque[:: max(len(opaque) // 200, 1)])
