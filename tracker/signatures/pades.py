"""PAdES signatures with pyHanko: baseline B-B, B-T when a timestamp authority is configured
(`TIMESTAMP_URL`, RFC 3161 over HTTP); SHA-256; each signature covers the whole document as it
is when signed (later signatures are incremental updates, the last one covers everything).

Two ways to sign: with a key in memory (`sign`), or interrupted for a USB token or a remote
signing service (`prepare` returns the document digest and the prepared file; `finish` embeds
the CMS SignedData the signer made for that digest, after checking it)."""

import hashlib
import io
from dataclasses import dataclass

from asn1crypto import cms
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tracker.i18n import _
from tracker.signatures import aio
from tracker.signatures.keys import CertificateRefused, SigningKey, same_certificate, to_asn1

DIGEST = "sha256"
#: Bytes reserved for an externally made CMS (hex-encoded in the file: twice its DER size).
EXTERNAL_RESERVE = 32 * 1024


@dataclass
class Slot:
    """Where a signature shows: a page (0-based) and a rectangle in PDF points."""

    page: int
    box: tuple[float, float, float, float]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclass
class Field:
    """A signature field to create and sign: its name, slot and static appearance (a one-page
    PDF the size of the slot, `tracker.signatures.appearance`)."""

    name: str
    slot: Slot
    appearance: bytes
    reason: str = ""
    location: str = ""


class _Appearance(PdfContent):
    """The first page of a PDF in memory as the field's appearance (pyHanko's ImportedPdfPage
    reads a file name)."""

    def __init__(self, pdf: bytes):
        super().__init__()
        self.pdf = pdf

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobject = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self.pdf)), page_ix=0)
        self.resources.xobject["/Appearance"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/Appearance Do"


#: The appearance is drawn the size of its field: no margin, no scaling.
_EXACT = layout.SimpleBoxLayoutRule(
    x_align=layout.AxisAlignment.ALIGN_MID,
    y_align=layout.AxisAlignment.ALIGN_MID,
    margins=layout.Margins.uniform(0),
    inner_content_scaling=layout.InnerScaling.NO_SCALING,
)


class TimestampFailed(CertificateRefused):
    """The timestamp authority could not be reached or refused: nothing is signed."""


def _timestamp_failed(url: str) -> TimestampFailed:
    return TimestampFailed(
        _(
            "The timestamp authority (%(url)s) did not answer or refused the request: "
            "nothing was signed. Try again later or ask the administrator.",
            url=url,
        ),
        "timestamp",
    )


def timestamper(url: str | None):
    """The RFC 3161 client of the configured authority (None: no timestamp, B-B)."""
    return HTTPTimeStamper(url, timeout=20) if url else None


def _meta(field: Field) -> signers.PdfSignatureMetadata:
    return signers.PdfSignatureMetadata(
        field_name=field.name,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=field.reason or None,
        location=field.location or None,
    )


def _pdf_signer(field: Field, signer, timestamp_url: str | None) -> signers.PdfSigner:
    box = tuple(round(v, 2) for v in field.slot.box)
    return signers.PdfSigner(
        _meta(field),
        signer=signer,
        timestamper=timestamper(timestamp_url),
        stamp_style=StaticStampStyle(
            background=_Appearance(field.appearance),
            background_layout=_EXACT,
            border_width=0,
            background_opacity=1.0,
        ),
        new_field_spec=fields.SigFieldSpec(field.name, on_page=field.slot.page, box=box),
    )


def _signer(key: SigningKey) -> signers.SimpleSigner:
    return signers.SimpleSigner(
        signing_cert=key.asn1_certificate(),
        signing_key=key.asn1_key(),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(c) for c in key.chain]),
    )


def sign(pdf: bytes, key: SigningKey, field: Field, *, timestamp_url: str | None = None) -> bytes:
    """The PDF with one more signature, made with `key` (checked by `keys.load_pkcs12`)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    output = io.BytesIO()
    try:
        aio.run(
            _pdf_signer(field, _signer(key), timestamp_url).async_sign_pdf(writer, output=output)
        )
    except (TimestampRequestError, SigningError) as exc:
        if timestamp_url and _caused_by_timestamp(exc):
            raise _timestamp_failed(timestamp_url) from None
        raise
    return output.getvalue()


def _caused_by_timestamp(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, TimestampRequestError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@dataclass
class Prepared:
    """A document waiting for an external signature: the file with its placeholder, the digest
    to sign and where the placeholder is."""

    pdf: bytes
    digest: bytes
    start: int
    end: int


def prepare(pdf: bytes, certificate, field: Field, chain=()) -> Prepared:
    """Add the field and a placeholder for a signature by `certificate`, and return the digest
    of the document (SHA-256 over its byte range) the signer signs."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    placeholder = signers.ExternalSigner(
        signing_cert=to_asn1(certificate),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(c) for c in chain]),
        signature_value=256,
    )
    output = io.BytesIO()
    prepared, _tbs, output = aio.run(
        _pdf_signer(field, placeholder, None).async_digest_doc_for_signing(
            writer, bytes_reserved=EXTERNAL_RESERVE, output=output
        )
    )
    return Prepared(
        pdf=output.getvalue(),
        digest=prepared.document_digest,
        start=prepared.reserved_region_start,
        end=prepared.reserved_region_end,
    )


def _refuse(message) -> CertificateRefused:
    return CertificateRefused(message, "cms")


def _signer_info_checked(signed_data, certificate, digest: bytes):
    """The one signer info of the SignedData, after checking that its certificate is the
    prepared one and that it signs the prepared digest."""
    infos = signed_data["signer_infos"]
    if len(infos) != 1:
        raise _refuse(_("The CMS must hold exactly one signature."))
    info = infos[0]
    sid = info["sid"]
    signer_cert = None
    for choice in signed_data["certificates"] or []:
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            match = (
                cert.issuer == sid.chosen["issuer"]
                and cert.serial_number == sid.chosen["serial_number"].native
            )
        else:
            match = cert.key_identifier == sid.chosen.native
        if match:
            signer_cert = cert
            break
    if signer_cert is None or not same_certificate(signer_cert, to_asn1(certificate)):
        raise _refuse(
            _(
                "The CMS is signed with another certificate than the one the document was prepared for."
            )
        )
    message_digest = None
    for attr in info["signed_attrs"] or []:
        if attr["type"].native == "message_digest":
            message_digest = attr["values"][0].native
    if message_digest != digest:
        raise _refuse(_("The CMS signs another digest than the one of the prepared document."))
    return info


def _add_timestamp(content_info, info, timestamp_url: str) -> None:
    """B-T for an external signature: the authority's token over the signature value, as an
    unsigned attribute (what pyHanko adds itself when it signs)."""
    stamper = timestamper(timestamp_url)
    imprint = hashlib.sha256(info["signature"].native).digest()
    try:
        token = aio.run(stamper.async_timestamp(imprint, DIGEST))
    except TimestampRequestError:
        raise _timestamp_failed(timestamp_url) from None
    attrs = list(info["unsigned_attrs"]) if info["unsigned_attrs"].native else []
    attrs.append(cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]}))
    info["unsigned_attrs"] = cms.CMSAttributes(attrs)


def finish(
    prepared: Prepared, cms_der: bytes, certificate, *, timestamp_url: str | None = None
) -> bytes:
    """Embed an external CMS SignedData in the prepared document. Refused when it is not a
    SignedData, when its signer's certificate is not the prepared one, when it signs another
    digest, or when its signature does not verify."""
    try:
        content_info = cms.ContentInfo.load(cms_der)
        if content_info["content_type"].native != "signed_data":
            raise ValueError("not signed data")
        signed_data = content_info["content"]
        signed_data["signer_infos"].native  # noqa: B018  (parses it)
    except (ValueError, TypeError, KeyError):
        raise _refuse(_("The signature is not a CMS SignedData (DER, base64).")) from None
    info = _signer_info_checked(signed_data, certificate, prepared.digest)
    if timestamp_url:
        _add_timestamp(content_info, info, timestamp_url)
    output = io.BytesIO(prepared.pdf)
    digest = PreparedByteRangeDigest(prepared.digest, prepared.start, prepared.end)
    if len(content_info.dump()) * 2 > prepared.end - prepared.start - 2:
        raise _refuse(_("The CMS is too large."))
    aio.run(PdfTBSDocument.async_finish_signing(output, digest, content_info))
    signed = output.getvalue()
    reader = PdfFileReader(io.BytesIO(signed))
    # Integrity and the signature's mathematics only (trust is checked where PDFs are stored):
    # the signer's own certificate as the root, so no chain needs building.
    context = ValidationContext(trust_roots=[to_asn1(certificate)])
    status = aio.run(async_validate_pdf_signature(reader.embedded_signatures[-1], context))
    if not (status.intact and status.valid):
        raise _refuse(_("The signature in the CMS does not verify against the document."))
    return signed
