"""Checking the digital signatures of a PDF with pyHanko's validation: who signed, when, whether
the document changed after signing, whether the certificate chains to a trust anchor, was
valid at the signing time and is not known to be revoked.

`check_pdf` never raises: a damaged, truncated or hostile file is "invalid", a PDF with no
signature "unsigned"."""

import hashlib
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate, AdESSubIndic
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from tracker.i18n import _l
from tracker.labels import LabelledEnum
from tracker.signatures import aio

logger = logging.getLogger(__name__)

#: At most this many signatures of one file are checked (a hostile file may declare thousands);
#: a file with more is reported invalid.
MAX_SIGNATURES = 20


class SignatureStatus(LabelledEnum):
    """What a check found, for one signature or (the worst of them) for the whole file."""

    unsigned = "unsigned"
    valid = "valid"
    untrusted = "untrusted"
    expired = "expired"
    revoked = "revoked"
    modified = "modified"
    invalid = "invalid"

    __labels__ = {
        "unsigned": _l("not digitally signed"),
        "valid": _l("valid"),
        "untrusted": _l("issuing authority not established"),
        "expired": _l("certificate not valid at the signing time"),
        "revoked": _l("certificate revoked"),
        "modified": _l("modified after signing"),
        "invalid": _l("not valid"),
    }

    @property
    def severity(self) -> int:
        """How bad: the file's status is its worst signature's."""
        return _SEVERITY.index(self)

    @property
    def signed(self) -> bool:
        """Whether the status is about a signature (every status but unsigned)."""
        return self is not SignatureStatus.unsigned


_SEVERITY = [
    SignatureStatus.unsigned,
    SignatureStatus.valid,
    SignatureStatus.untrusted,
    SignatureStatus.expired,
    SignatureStatus.revoked,
    SignatureStatus.modified,
    SignatureStatus.invalid,
]


class Problem(LabelledEnum):
    """Why a signature or a file is not valid, beyond its status."""

    unreadable = "unreadable"
    altered = "altered"
    bad_signature = "bad_signature"
    partial = "partial"
    too_many = "too_many"
    expired_since = "expired_since"

    __labels__ = {
        "unreadable": _l("the file or its signature cannot be read (damaged or not a PDF)"),
        "altered": _l("the signed bytes do not match the signature (altered or damaged)"),
        "bad_signature": _l("the signature itself does not verify"),
        "partial": _l("the signature does not cover the whole document"),
        "too_many": _l("the file declares too many signatures to check"),
        "expired_since": _l("the certificate has expired since signing"),
    }


@dataclass(frozen=True)
class SignatureDetail:
    """One signature of a file, as checked."""

    field: str
    status: SignatureStatus
    signer: str | None = None  #: the certificate's common name (CN)
    organisation: str | None = None  #: the certificate's organisation (O)
    signed_at: datetime | None = None  #: the timestamp's time, else the signed signing-time
    timestamped: bool = False
    whole_file: bool = False  #: covers the whole file (no revision added after it)
    trusted: bool = False
    certificate_not_after: datetime | None = None
    problem: Problem | None = None

    def as_json(self) -> dict:
        """The detail as stored (JSON)."""
        return {
            "field": self.field,
            "status": self.status.value,
            "signer": self.signer,
            "organisation": self.organisation,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "timestamped": self.timestamped,
            "whole_file": self.whole_file,
            "trusted": self.trusted,
            "certificate_not_after": (
                self.certificate_not_after.isoformat() if self.certificate_not_after else None
            ),
            "problem": self.problem.value if self.problem else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> "SignatureDetail":
        """The detail read back from storage (unknown values give None, never an error)."""

        def when(key):
            try:
                return datetime.fromisoformat(data[key]) if data.get(key) else None
            except (TypeError, ValueError):
                return None

        def member(enum, key):
            try:
                return enum(data.get(key)) if data.get(key) else None
            except ValueError:
                return None

        return cls(
            field=str(data.get("field") or ""),
            status=member(SignatureStatus, "status") or SignatureStatus.invalid,
            signer=data.get("signer"),
            organisation=data.get("organisation"),
            signed_at=when("signed_at"),
            timestamped=bool(data.get("timestamped")),
            whole_file=bool(data.get("whole_file")),
            trusted=bool(data.get("trusted")),
            certificate_not_after=when("certificate_not_after"),
            problem=member(Problem, "problem"),
        )


@dataclass(frozen=True)
class CheckResult:
    """The signatures of a file and the file's status (the worst signature's)."""

    status: SignatureStatus
    signatures: tuple[SignatureDetail, ...] = ()
    problem: Problem | None = None  #: why the file as a whole could not be checked

    @classmethod
    def of(cls, signatures) -> "CheckResult":
        signatures = tuple(signatures)
        if not signatures:
            return cls(SignatureStatus.unsigned)
        return cls(max((s.status for s in signatures), key=lambda s: s.severity), signatures)


def worst_signature(stored: list[dict] | None) -> SignatureDetail | None:
    """Of the signatures as stored (SignatureDetail.as_json), the one a badge names: the worst,
    the first of equals."""
    details = [SignatureDetail.from_json(d) for d in stored or []]
    if not details:
        return None
    return max(details, key=lambda d: d.status.severity)


# -- trust anchors --------------------------------------------------------------------------------


def load_certificate(data: bytes) -> asn1_x509.Certificate:
    """A certificate from PEM or DER bytes (ValueError when it is neither)."""
    if pem.detect(data):
        _kind, _headers, data = pem.unarmor(data)
    certificate = asn1_x509.Certificate.load(data)
    certificate.native  # noqa: B018 — parses the whole structure now, so damage raises here
    return certificate


def anchors_fingerprint(anchors: Iterable[asn1_x509.Certificate]) -> str:
    """The SHA-256 over the sorted fingerprints of a set of anchors: a check made against
    another set is out of date."""
    prints = sorted(hashlib.sha256(c.dump()).hexdigest() for c in anchors)
    return hashlib.sha256("\n".join(prints).encode()).hexdigest()


# -- checking -------------------------------------------------------------------------------------

_EXPIRY = {
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.NOT_YET_VALID,
}
_REVOKED = {AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}


def _name_part(certificate: asn1_x509.Certificate, part: str) -> str | None:
    value = certificate.subject.native.get(part)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value) if value else None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _context(reader, anchors, moment) -> ValidationContext:
    """A validation context trusting only the anchors, never fetching anything, using the
    revocation data the document carries (its DSS) when there is some."""
    kwargs = {
        "trust_roots": list(anchors),
        "allow_fetching": False,
        "revocation_mode": "soft-fail",
        "moment": moment,
    }
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return ValidationContext(**kwargs)
    return dss.as_validation_context(kwargs)


def _signing_time(embedded, status=None) -> tuple[datetime | None, bool]:
    if status is not None:
        ts = status.timestamp_validity
        if ts is not None and ts.intact and ts.valid:
            return _aware(ts.timestamp), True
    return _aware(embedded.self_reported_timestamp), False


def _status(status, trust: AdESSubIndic | None) -> tuple[SignatureStatus, Problem | None]:
    if not status.valid:
        return SignatureStatus.invalid, Problem.bad_signature
    if not status.intact:
        return SignatureStatus.invalid, Problem.altered
    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return SignatureStatus.invalid, Problem.partial
    if status.modification_level == ModificationLevel.OTHER or status.docmdp_ok is False:
        return SignatureStatus.modified, None
    if status.revoked or trust in _REVOKED:
        return SignatureStatus.revoked, None
    if trust in _EXPIRY:
        return SignatureStatus.expired, None
    if not status.trusted:
        return SignatureStatus.untrusted, None
    ts = status.timestamp_validity
    if ts is not None and not (ts.intact and ts.valid):
        return SignatureStatus.invalid, Problem.bad_signature
    return SignatureStatus.valid, None


def _check_signature(reader, embedded, anchors) -> SignatureDetail:
    field = str(embedded.field_name or "")
    try:
        certificate = embedded.signer_cert
        signer = _name_part(certificate, "common_name")
        organisation = _name_part(certificate, "organization_name")
        not_after = _aware(certificate.not_valid_after)
    except Exception:  # noqa: BLE001 — a hostile signature: whatever pyHanko raises
        logger.info("unreadable signer certificate in field %r", field, exc_info=True)
        return SignatureDetail(field, SignatureStatus.invalid, problem=Problem.unreadable)
    try:
        # Judged at the signing time (the timestamp's, else the one the signer stated), so a
        # certificate that has expired since the signature was made does not spoil it.
        moment, _ = _signing_time(embedded)
        context = _context(reader, anchors, moment)
        status = aio.run(
            async_validate_pdf_signature(
                embedded, signer_validation_context=context, ts_validation_context=context
            )
        )
        signed_at, timestamped = _signing_time(embedded, status)
        result, problem = _status(status, status.trust_problem_indic)
    except Exception:  # noqa: BLE001 — see check_pdf
        logger.info("signature in field %r does not validate", field, exc_info=True)
        return SignatureDetail(
            field,
            SignatureStatus.invalid,
            signer=signer,
            organisation=organisation,
            certificate_not_after=not_after,
            problem=Problem.unreadable,
        )
    if result is SignatureStatus.valid and not_after and not_after < datetime.now(UTC):
        problem = Problem.expired_since
    return SignatureDetail(
        field,
        result,
        signer=signer,
        organisation=organisation,
        signed_at=signed_at,
        timestamped=timestamped,
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        trusted=status.trusted,
        certificate_not_after=not_after,
        problem=problem,
    )


def check_pdf(data: bytes, anchors: Iterable[asn1_x509.Certificate]) -> CheckResult:
    """Check every signature of a PDF against the trust anchors (certificates). Never raises:
    a file that cannot be read is invalid, a readable PDF without signatures unsigned."""
    anchors = list(anchors)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = reader.embedded_signatures
        if len(embedded) > MAX_SIGNATURES:
            return CheckResult(SignatureStatus.invalid, problem=Problem.too_many)
        return CheckResult.of(_check_signature(reader, sig, anchors) for sig in embedded)
    except Exception:  # noqa: BLE001 — any failure of a parser fed hostile bytes is "invalid"
        logger.info("PDF could not be read for its signatures", exc_info=True)
        if data.startswith(b"%PDF-") and b"/ByteRange" not in data:
            # A damaged PDF with no trace of a signature: it is not signed, whatever else.
            return CheckResult(SignatureStatus.unsigned)
        return CheckResult(SignatureStatus.invalid, problem=Problem.unreadable)
