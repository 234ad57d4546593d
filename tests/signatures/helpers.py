"""Test keys, a demo review to sign and what poppler says about signed PDFs."""

import subprocess
from datetime import timedelta

import sqlalchemy as sa

from tracker.agreements.models import Agreement
from tracker.auth.models import User
from tracker.clock import utcnow
from tracker.extensions import db
from tracker.reports import services
from tracker.reports.pdf.five_year import ReviewOptions
from tracker.signatures import demo_ca

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
