"""The writers of signature checks and trust anchors (they flush, never commit).

Storage records the check of every PDF it stores (`record_check`); changing the trust anchors
sends `events.trust_anchors_changed`, on which storage checks again the PDFs that carry
signatures (only those depend on the anchors)."""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tracker import events
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.i18n import _
from tracker.signatures.models import SignatureCheck, TrustAnchor
from tracker.signatures.validation import (
    SignatureStatus,
    anchors_fingerprint,
    check_pdf,
    load_certificate,
)

#: The largest PEM file accepted as a trust anchor (a certificate is a few kilobytes).
MAX_ANCHOR_BYTES = 64 * 1024


class AnchorRefused(InvalidValue):
    """A file that cannot be a trust anchor."""

    def __init__(self, message, field: str | None = "file", **details):
        super().__init__(message, field, **details)


# -- trust anchors --------------------------------------------------------------------------------


def _parse_anchor(data: bytes) -> x509.Certificate:
    """The one CA certificate a PEM file holds, or AnchorRefused saying why not."""
    if len(data) > MAX_ANCHOR_BYTES:
        raise AnchorRefused(
            _("The file is larger than %(kb)d KB; a certificate is much smaller.", kb=64)
        )
    if b"-----BEGIN CERTIFICATE-----" not in data:
        if b"PRIVATE KEY-----" in data:
            raise AnchorRefused(
                _("The file holds a private key, not a certificate. Never upload a private key.")
            )
        raise AnchorRefused(
            _(
                "The file is not a PEM certificate: it must contain a block beginning with "
                "“-----BEGIN CERTIFICATE-----”."
            )
        )
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise AnchorRefused(
            _("The certificate in the file cannot be read; it may be damaged.")
        ) from None
    if len(certificates) != 1:
        raise AnchorRefused(
            _(
                "The file holds %(n)d certificates; add them one file at a time.",
                n=len(certificates),
            )
        )
    certificate = certificates[0]
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    except ValueError:
        raise AnchorRefused(
            _("The certificate in the file cannot be read; it may be damaged.")
        ) from None
    if constraints is None or not constraints.ca:
        raise AnchorRefused(
            _(
                "This is not a certificate authority's certificate (it may not issue "
                "certificates): add the root or intermediate certificate of the authority "
                "instead of a signer's own certificate."
            )
        )
    return certificate


def fingerprint_of(certificate: x509.Certificate) -> str:
    """The SHA-256 fingerprint of a certificate (of its DER encoding), lower-case hex."""
    return certificate.fingerprint(hashes.SHA256()).hex()


def add_anchor(data: bytes, *, user) -> TrustAnchor:
    """Trust a CA certificate (a PEM file's bytes); refuses what is not one, and duplicates."""
    certificate = _parse_anchor(data)
    fingerprint = fingerprint_of(certificate)
    existing = db.session.scalar(
        sa.select(TrustAnchor).where(TrustAnchor.fingerprint == fingerprint)
    )
    if existing is not None:
        raise AnchorRefused(
            _("This certificate is already a trust anchor (%(subject)s).", subject=existing.subject)
        )
    anchor = TrustAnchor(
        pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        fingerprint=fingerprint,
        subject=certificate.subject.rfc4514_string()[:500],
        not_after=certificate.not_valid_after_utc,
        added_by_id=user.id if user is not None else None,
    )
    db.session.add(anchor)
    db.session.flush()
    events.trust_anchors_changed.send(anchor, actor=user)
    return anchor


def remove_anchor(anchor: TrustAnchor, *, user) -> None:
    """Stop trusting a CA certificate."""
    db.session.delete(anchor)
    db.session.flush()
    events.trust_anchors_changed.send(anchor, actor=user)


def anchors() -> list[TrustAnchor]:
    """The trust anchors, by subject."""
    return list(db.session.scalars(sa.select(TrustAnchor).order_by(TrustAnchor.subject)))


@dataclass(frozen=True)
class AnchorSet:
    """The trust anchors as the validation takes them, and their fingerprint."""

    certificates: tuple
    fingerprint: str

    @classmethod
    def current(cls) -> "AnchorSet":
        certificates = tuple(load_certificate(a.pem.encode("ascii")) for a in anchors())
        return cls(certificates, anchors_fingerprint(certificates))


# -- checks ---------------------------------------------------------------------------------------


def record_check(
    sha256: str, data: bytes, *, anchor_set: AnchorSet | None = None
) -> SignatureCheck:
    """Check the signatures of a stored PDF against the trust anchors and record the result
    (one row per file content, updated when checked again)."""
    anchor_set = anchor_set or AnchorSet.current()
    result = check_pdf(data, anchor_set.certificates)
    check = _check_of(sha256)
    if check is None:
        check = SignatureCheck(sha256=sha256)
        db.session.add(check)
    check.apply(result, anchor_set.fingerprint)
    return check


def _check_of(sha256: str) -> SignatureCheck | None:
    """The file's check: one added in this transaction and not written yet, else the stored one.
    Storing a file never flushes the caller's unfinished objects (no autoflush here; the check
    is written with the caller's transaction)."""
    for pending in db.session.new:
        if isinstance(pending, SignatureCheck) and pending.sha256 == sha256:
            return pending
    with db.session.no_autoflush:
        return db.session.scalar(sa.select(SignatureCheck).where(SignatureCheck.sha256 == sha256))


def is_checked(sha256: str) -> bool:
    """Whether the file's check is there and was made against the current trust anchors."""
    check = _check_of(sha256)
    if check is None:
        return False
    with db.session.no_autoflush:
        return check.anchors_fingerprint == AnchorSet.current().fingerprint


def signed_hashes() -> set[str]:
    """The files whose last check found signatures: their status depends on the anchors."""
    return set(
        db.session.scalars(
            sa.select(SignatureCheck.sha256).where(
                SignatureCheck.status != SignatureStatus.unsigned
            )
        )
    )


@dataclass(frozen=True)
class Rechecked:
    """What a re-check did: files checked per status, and checks dropped (files gone)."""

    counts: dict
    dropped: int

    @property
    def checked(self) -> int:
        return sum(self.counts.values())


def recheck_all(files: Iterable[tuple[str, bytes]], *, complete: bool = True) -> Rechecked:
    """Check again the PDFs given as (SHA-256, bytes) against the current trust anchors. With
    `complete` the files are every stored PDF, and the checks of files no longer stored are
    dropped."""
    anchor_set = AnchorSet.current()
    counts: dict[SignatureStatus, int] = {}
    seen: set[str] = set()
    for sha256, data in files:
        check = record_check(sha256, data, anchor_set=anchor_set)
        seen.add(sha256)
        counts[check.status] = counts.get(check.status, 0) + 1
    dropped = 0
    if complete:
        gone = [
            sha for sha in db.session.scalars(sa.select(SignatureCheck.sha256)) if sha not in seen
        ]
        for start in range(0, len(gone), 500):
            dropped += db.session.execute(
                sa.delete(SignatureCheck).where(
                    SignatureCheck.sha256.in_(gone[start : start + 500])
                )
            ).rowcount
        db.session.flush()
    return Rechecked(counts, dropped)


def checks_for(hashes: Iterable[str | None]) -> dict[str, SignatureCheck]:
    """The checks of the given files, by SHA-256, in one statement (for a page's list)."""
    wanted = sorted({h for h in hashes if h})
    if not wanted:
        return {}
    return {
        c.sha256: c
        for c in db.session.scalars(
            sa.select(SignatureCheck).where(SignatureCheck.sha256.in_(wanted))
        )
    }
