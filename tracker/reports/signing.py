"""Signing a generated review: the document of record (docs/signing.md).

A leader of the agreement's scope signs a draft with their PKCS#12 key, in memory; the
organisation's key, when given, adds the seal signature and the signature on the appendices.
Or the review is prepared for a USB token or a remote signing service and finished with the CMS
it returns. Either way the review takes the next number of its issuing organisation's register
for the year, is rendered again from the same options with that number and without the draft
mark (refused when the data changed since the draft), and never changes afterwards."""

import base64
import secrets
from datetime import UTC, timedelta

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask_babel import force_locale

from tracker import storage
from tracker.agreements.permissions import can_view_agreement
from tracker.auth.models import Role
from tracker.clock import LOCAL_TZ, utcnow
from tracker.errors import InvalidValue, NotAllowed, NotFound, WrongState
from tracker.extensions import db
from tracker.i18n import _
from tracker.reports import register, services
from tracker.reports.models import (
    ExternalSigning,
    GeneratedReport,
    IssuingOrganisation,
    SignatureImage,
)
from tracker.reports.pdf.five_year import Marks
from tracker.reports.pdf.fonts import SERIF
from tracker.signatures import appearance, images, keys, pades


def can_sign(user, record: GeneratedReport) -> bool:
    """Leaders of the agreement's scope sign its reviews (the CLI, `user` None, acts for the
    operator who holds the key)."""
    if user is None:
        return True
    return user.role == Role.leader and can_view_agreement(user, record.agreement)


# -- issuing organisations, seals and signature images ----------------------------------------


def save_issuer(issuer, *, user, name: str, parent_name: str, symbol: str, seal_mm: int):
    """Change an issuing organisation's name, parent body, symbol and seal size (admins)."""
    if user is not None and not user.is_admin:
        raise NotAllowed()
    symbol = symbol.strip().upper()
    if not symbol or any(c.isspace() or c == "/" for c in symbol):
        raise InvalidValue(_("The symbol is one word without spaces or “/”, e.g. UBND."), "symbol")
    if not 30 <= seal_mm <= 45:
        raise InvalidValue(_("A seal is 30 to 45 mm across."), "seal_mm")
    issuer.name, issuer.parent_name = name.strip(), parent_name.strip()
    issuer.symbol, issuer.seal_mm = symbol, seal_mm
    db.session.flush()
    return issuer


def set_seal(issuer, *, user, data: bytes) -> IssuingOrganisation:
    """The organisation's seal (admins): a PNG re-encoded by the server."""
    if user is not None and not user.is_admin:
        raise NotAllowed()
    png = images.clean_png(data, "seal")
    issuer.seal_sha256 = storage.store_bytes(png, "seal.png", "image/png").sha256
    db.session.flush()
    return issuer


def can_set_signature_image(user, owner) -> bool:
    """Each signer sets their own signature image; admins set anyone's."""
    return user is not None and (user.id == owner.id or user.is_admin)


def signature_image(owner) -> SignatureImage | None:
    return db.session.scalar(sa.select(SignatureImage).where(SignatureImage.user_id == owner.id))


def set_signature_image(owner, *, user, data: bytes) -> SignatureImage:
    """A signer's signature image: a PNG re-encoded by the server."""
    if not can_set_signature_image(user, owner):
        raise NotAllowed()
    png = images.clean_png(data, "image")
    sha = storage.store_bytes(png, "signature.png", "image/png").sha256
    record = signature_image(owner)
    if record is None:
        record = SignatureImage(user_id=owner.id, image_sha256=sha)
        db.session.add(record)
    else:
        record.image_sha256 = sha
    db.session.flush()
    return record


def _stored(sha: str | None) -> bytes | None:
    return storage.path_for(sha).read_bytes() if sha else None


# -- signing ------------------------------------------------------------------------------------


def _signable(record: GeneratedReport, user) -> None:
    if not can_sign(user, record):
        raise NotAllowed(_("Only a leader of the agreement's province signs its reviews."))
    if record.signed:
        raise WrongState(
            _(
                "This review is already signed (No. %(number)s); a signed review never changes.",
                number=record.number_text,
            )
        )


def _render_signed(record: GeneratedReport, number: str, signer: str) -> tuple[bytes, Marks]:
    """The review drawn again from the draft's options with its number and without the draft
    mark, the signer's name under the signature when the draft left it empty; refused when the
    data changed since the draft (another fingerprint)."""
    marks = Marks(
        draft=False, supersedes=register.supersedes_sentence(record.supersedes, record.lang)
    )
    options = register.document_options(
        services.options_from(record.options), record.issuer, number
    )
    options.signer_name = options.signer_name or signer
    pdf, _pages, fingerprint = services.render_review(
        record.agreement, options, record.date_from, record.date_to, marks=marks
    )
    if fingerprint != record.data_fingerprint:
        raise WrongState(
            _(
                "The data of the agreement changed since this draft was generated: generate a "
                "new draft and sign that one."
            )
        )
    return pdf, marks


def _signer_field(marks: Marks, issuer, key_name: str, image: bytes | None, now) -> pades.Field:
    page, space = marks.slots["signature"]
    box, _seal = appearance.signature_block_boxes(space, issuer.seal_mm)
    slot = pades.Slot(page, box)
    lines = [_("Digitally signed by"), key_name, now.strftime("%H:%M:%S %d/%m/%Y")]
    return pades.Field(
        "Signature1",
        slot,
        appearance.image_appearance(
            slot.width, slot.height, png=image, font=SERIF, fallback_lines=lines
        ),
        reason=_("Signing the review"),
    )


def _seal_fields(marks: Marks, issuer, key_name: str, number: str, now) -> list[pades.Field]:
    page, space = marks.slots["signature"]
    _box, seal_box = appearance.signature_block_boxes(space, issuer.seal_mm)
    seal = pades.Slot(page, seal_box)
    fields = [
        pades.Field(
            "Seal1",
            seal,
            appearance.image_appearance(
                seal.width,
                seal.height,
                png=_stored(issuer.seal_sha256),
                font=SERIF,
                fallback_lines=[key_name],
                colour=appearance.RED,
            ),
            reason=_("Seal of the issuing organisation"),
        )
    ]
    if "appendix" in marks.slots:
        page, space = marks.slots["appendix"]
        stamp = f"{number}, {now:%H:%M:%S}, {now:%d/%m/%Y}, +07:00"
        fields.append(
            pades.Field(
                "Appendix1",
                pades.Slot(page, appearance.stamp_box(space, stamp, SERIF)),
                appearance.stamp_appearance(stamp, font=SERIF),
                reason=_("Signature of the issuing organisation on the appendices"),
            )
        )
    return fields


def _record_signed(record, pdf: bytes, *, user, number_year, number_seq, number, name, sealed):
    record.number_year, record.number_seq, record.number_text = number_year, number_seq, number
    stored = storage.store_bytes(pdf, record.signed_file_name, "application/pdf")
    record.signed_sha256, record.signed_size = stored.sha256, stored.size
    record.signed_at = utcnow()
    record.signed_by_id = user.id if user is not None else None
    record.signer_certificate_name = name[:200]
    record.sealed = sealed
    db.session.flush()
    return record


def next_number(record: GeneratedReport) -> str:
    """The number the review would take if signed now (the register's next, not reserved)."""
    issuer = record.issuer or register.issuer_for(record.agreement.province.current())
    year = utcnow().astimezone(LOCAL_TZ).year
    return register.number_text(register.peek_number(issuer, year), issuer.symbol)


def _issuer(record: GeneratedReport) -> IssuingOrganisation:
    if record.issuer is None:
        record.issuer = register.issuer_for(record.agreement.province.current())
        db.session.flush()
    return record.issuer


def sign_review(
    record: GeneratedReport,
    *,
    user,
    key_file: bytes,
    password: str,
    seal_key_file: bytes | None = None,
    seal_password: str = "",
) -> GeneratedReport:
    """Sign a draft with the leader's PKCS#12 (and the organisation's, for the seal and the
    appendices). The keys live in memory for this call only. Every refusal comes before the
    number is taken or rolls it back with the caller's transaction."""
    _signable(record, user)
    leader = keys.load_pkcs12(key_file, password)
    organisation = None
    if seal_key_file:
        try:
            organisation = keys.load_pkcs12(seal_key_file, seal_password)
        except keys.CertificateRefused as exc:
            field = {"key_file": "seal_key_file", "key_password": "seal_password"}
            raise keys.CertificateRefused(
                _("The organisation's key: %(reason)s", reason=exc.message),
                field.get(exc.field, exc.field),
            ) from None
    issuer = _issuer(record)
    now = utcnow().astimezone(LOCAL_TZ)
    seq = register.take_number(issuer, now.year)
    number = register.number_text(seq, issuer.symbol)
    pdf, marks = _render_signed(record, number, leader.signer_name)
    timestamp_url = current_app.config.get("TIMESTAMP_URL")
    with force_locale(record.lang):
        image = signature_image(user) if user is not None else None
        field = _signer_field(
            marks, issuer, leader.signer_name, _stored(image.image_sha256) if image else None, now
        )
        pdf = pades.sign(pdf, leader, field, timestamp_url=timestamp_url)
        if organisation is not None:
            for seal_field in _seal_fields(marks, issuer, organisation.signer_name, number, now):
                pdf = pades.sign(pdf, organisation, seal_field, timestamp_url=timestamp_url)
    return _record_signed(
        record,
        pdf,
        user=user,
        number_year=now.year,
        number_seq=seq,
        number=number,
        name=leader.signer_name,
        sealed=organisation is not None,
    )


# -- external signing (USB tokens, remote signing services) -----------------------------------


def prepare_external(record: GeneratedReport, *, user, certificate_pem: str) -> ExternalSigning:
    """Prepare a review for a signature made elsewhere: check the signer's certificate, take the
    number, draw the signed rendering with the signer's field and a placeholder, and keep it
    server-side until `finish_external` (or until it expires; the number is not given again)."""
    _signable(record, user)
    certificate = keys.load_certificate_pem(certificate_pem)
    issuer = _issuer(record)
    now = utcnow().astimezone(LOCAL_TZ)
    seq = register.take_number(issuer, now.year)
    number = register.number_text(seq, issuer.symbol)
    pdf, marks = _render_signed(record, number, keys.common_name(certificate))
    with force_locale(record.lang):
        image = signature_image(user) if user is not None else None
        field = _signer_field(
            marks,
            issuer,
            keys.common_name(certificate),
            _stored(image.image_sha256) if image else None,
            now,
        )
    prepared = pades.prepare(pdf, certificate, field)
    stored = storage.store_bytes(prepared.pdf, "prepared.pdf", "application/pdf")
    session = ExternalSigning(
        id=secrets.token_urlsafe(32),
        report_id=record.id,
        user_id=user.id,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        prepared_sha256=stored.sha256,
        digest=prepared.digest.hex(),
        reserved_start=prepared.start,
        reserved_end=prepared.end,
        number_year=now.year,
        number_seq=seq,
        number_text=number,
        expires_at=utcnow() + timedelta(minutes=current_app.config["EXTERNAL_SIGNING_MINUTES"]),
    )
    db.session.add(session)
    db.session.flush()
    return session


def external_session(session_id: str, *, user) -> ExternalSigning:
    """A pending external signing of this user (anything else: not found)."""
    session = db.session.get(ExternalSigning, session_id) if session_id else None
    if session is None or user is None or session.user_id != user.id:
        raise NotFound(_("No such signing session."))
    return session


def finish_external(session_id: str, *, user, cms_base64: str) -> GeneratedReport:
    """Embed the CMS SignedData the token or the service made for the prepared digest; refused
    when it is not for that digest or not by the prepared certificate."""
    session = external_session(session_id, user=user)
    record = session.report
    if session.finished_at is not None:
        raise WrongState(_("This signing session is already finished."))
    expires_at = session.expires_at
    if expires_at.tzinfo is None:  # SQLite hands back naive UTC
        expires_at = expires_at.replace(tzinfo=UTC)
    if expires_at < utcnow():
        raise WrongState(
            _("This signing session has expired; prepare the review for signing again.")
        )
    _signable(record, user)
    try:
        cms_der = base64.b64decode(cms_base64, validate=True)
    except (ValueError, TypeError):
        raise keys.CertificateRefused(
            _("The signature is not a CMS SignedData (DER, base64)."), "cms"
        ) from None
    certificate = keys.load_certificate_pem(session.certificate_pem)
    prepared = pades.Prepared(
        pdf=_stored(session.prepared_sha256),
        digest=bytes.fromhex(session.digest),
        start=session.reserved_start,
        end=session.reserved_end,
    )
    pdf = pades.finish(
        prepared, cms_der, certificate, timestamp_url=current_app.config.get("TIMESTAMP_URL")
    )
    session.finished_at = utcnow()
    return _record_signed(
        record,
        pdf,
        user=user,
        number_year=session.number_year,
        number_seq=session.number_seq,
        number=session.number_text,
        name=keys.common_name(certificate),
        sealed=False,
    )
