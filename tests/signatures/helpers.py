"""Test keys, a demo review to sign and what poppler says about signed PDFs."""

import subprocess
from datetime import timedelta

import sqlalchemy as sa

from tracker.agreements.models import Agreement
from tracker.auth.models import User
from tracker.clock import utcnow
from tracker.extensions import db
from tracker.reports import services
from tracker.reports.pdf.five_year import Marks, ReviewOptions
from tracker.reports.pdf.fonts import FONT_DIR, SERIF
from tracker.signatures import appearance, demo_ca, demo_images, pades

PASSWORD = "mật-khẩu-1"  # noqa: S105  (a test key's password)


class Keys:
    """A test CA and the certificates the tests sign with, made in memory for the run."""

    def __init__(self):
        self.ca = demo_ca.make_ca()
        self.leader = demo_ca.issue(self.ca, "Nguyễn Quốc Hưng", "UBND tỉnh Quảng Trị")
        self.organisation = demo_ca.issue(
            self.ca, "Ủy ban nhân dân tỉnh Quảng Trị", "UBND tỉnh Quảng Trị"
        )

    def p12(self, issued=None, password=PASSWORD) -> bytes:
        return demo_ca.pkcs12_bytes(issued or self.leader, password.encode(), (self.ca,))

    def expired(self) -> bytes:
        start = utcnow() - timedelta(days=800)
        return self.p12(
            demo_ca.issue(
                self.ca, "Hết Hạn", not_before=start, not_after=start + timedelta(days=30)
            )
        )

    def not_yet_valid(self) -> bytes:
        return self.p12(demo_ca.issue(self.ca, "Chưa Tới", not_before=utcnow() + timedelta(days=3)))

    def wrong_usage(self) -> bytes:
        return self.p12(demo_ca.issue(self.ca, "Mã Hóa", usages=("key_encipherment",)))


def agreement(code="QB-VNPT-2020") -> Agreement:
    return db.session.scalar(sa.select(Agreement).where(Agreement.code == code))


def user(email) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


LEADER = "leader.quangtri@demo.vn"


def draft(code="QB-VNPT-2020", **options):
    """A generated draft review of the demo agreement (committed)."""
    item = agreement(code)
    record = services.generate_review(
        item, user=user(LEADER), options=ReviewOptions(signer_name="Nguyễn Quốc Hưng", **options)
    )
    db.session.commit()
    return record


def pdfsig(path) -> str:
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    return result.stdout


def last_signature(report: str) -> str:
    return report.rsplit("Signature #", 1)[-1]


def pdftotext(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


STAMP = "12/BC-UBND, 14:03:27, 05/01/2026, +07:00"


def signed_demo_review(leader, organisation, *, timestamp_url=None):
    """The demo's QB-VNPT-2020 review rendered as for signing (no draft mark, its number), then
    signed as `tracker.reports.signing` does: the leader's signature image in the signature
    block, the seal over its left third, the organisation's text stamp on the first appendix."""
    marks = Marks(draft=False)
    options = ReviewOptions(
        number="12/BC-UBND",
        signer_authority="TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH",
        signer_name="Nguyễn Quốc Hưng",
    )
    pdf, pages, _fingerprint = services.render_review(agreement(), options, marks=marks)
    page, space = marks.slots["signature"]
    signature_box, seal_box = appearance.signature_block_boxes(space, seal_mm=36)
    slot = pades.Slot(page, signature_box)
    signature = pades.Field(
        "Signature1",
        slot,
        appearance.image_appearance(
            slot.width,
            slot.height,
            png=demo_images.signature_png(),
            font=SERIF,
            fallback_lines=[],
        ),
    )
    seal_slot = pades.Slot(page, seal_box)
    seal = pades.Field(
        "Seal1",
        seal_slot,
        appearance.image_appearance(
            seal_slot.width,
            seal_slot.height,
            png=demo_images.seal_png(
                text="Ủy ban nhân dân tỉnh Quảng Trị",
                font_path=str(FONT_DIR / "LiberationSerif-Bold.ttf"),
            ),
            font=SERIF,
            fallback_lines=[],
            colour=appearance.RED,
        ),
    )
    stamp = STAMP
    appendix_page, appendix_space = marks.slots["appendix"]
    appendix = pades.Field(
        "Appendix1",
        pades.Slot(appendix_page, appearance.stamp_box(appendix_space, stamp, SERIF)),
        appearance.stamp_appearance(stamp, font=SERIF),
    )
    pdf = pades.sign(pdf, leader, signature, timestamp_url=timestamp_url)
    pdf = pades.sign(pdf, organisation, seal, timestamp_url=timestamp_url)
    pdf = pades.sign(pdf, organisation, appendix, timestamp_url=timestamp_url)
    return pdf, pages, marks
