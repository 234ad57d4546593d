"""What the tracker keeps about signatures: the check of each stored PDF and the trust anchors
(CA certificates) the checks are made against."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, enum_column
from tracker.i18n import _l
from tracker.signatures.validation import (
    CheckResult,
    SignatureDetail,
    SignatureStatus,
    worst_signature,
)


class SignatureCheck(Base):
    """The signatures of one stored PDF as last checked (one row per file content)."""

    __tablename__ = "signature_checks"
    __label__ = _l("Signature check")

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The stored file's SHA-256. Not a reference that keeps the file (storage's registry): the
    #: check describes the file while rows reference it, and is dropped by a full re-check.
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"label": "SHA-256"})
    status: Mapped[SignatureStatus] = enum_column(
        SignatureStatus, info={"label": _l("Signature status")}
    )
    #: The signatures' details (SignatureDetail.as_json), in the file's order.
    signatures: Mapped[list] = mapped_column(
        sa.JSON, default=list, info={"label": _l("Signatures")}
    )
    #: Why the file as a whole could not be checked (validation.Problem), if it could not.
    problem: Mapped[str | None] = mapped_column(sa.String(24), info={"label": _l("Problem")})
    checked_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, info={"label": _l("Checked at")}
    )
    #: validation.anchors_fingerprint of the trust anchors the check was made against.
    anchors_fingerprint: Mapped[str] = mapped_column(
        sa.String(64), info={"label": _l("Trust anchors")}
    )

    @property
    def details(self) -> list[SignatureDetail]:
        """The signatures as checked."""
        return [SignatureDetail.from_json(d) for d in self.signatures or []]

    @property
    def first(self) -> SignatureDetail | None:
        """The signature the badge names: the worst one (the first of equals)."""
        return worst_signature(self.signatures)

    def apply(self, result: CheckResult, fingerprint: str) -> None:
        """Record a new result."""
        self.status = result.status
        self.signatures = [s.as_json() for s in result.signatures]
        self.problem = result.problem.value if result.problem else None
        self.anchors_fingerprint = fingerprint
        self.checked_at = utcnow()


class TrustAnchor(Base):
    """A certificate authority's certificate (a root or an intermediate) that signatures may
    chain to: a signer whose certificate does not is "issuing authority not established"."""

    __tablename__ = "trust_anchors"
    __label__ = _l("Trust anchor")
    __audited__ = True
    __display__ = "subject"

    id: Mapped[int] = mapped_column(primary_key=True)
    pem: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Certificate (PEM)")})
    #: SHA-256 of the certificate's DER encoding, lower-case hex.
    fingerprint: Mapped[str] = mapped_column(
        sa.String(64), unique=True, info={"label": _l("SHA-256 fingerprint")}
    )
    subject: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Subject")})
    not_after: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), info={"label": _l("Valid until")}
    )
    added_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Added by")}
    )
    added_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, info={"label": _l("Added on")}
    )

    added_by = relationship("User", foreign_keys=[added_by_id], info={"label": _l("Added by")})
