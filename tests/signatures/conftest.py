"""Signed test PDFs made with pyHanko and certificates of tracker.signatures.demo_ca (never a
committed key). Reusable: `signed_pdf(issued, chain, data)`."""

import io

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.pdfgen import canvas

from tests.signatures.helpers import PASSWORD, Keys
from tracker.signatures import aio, demo_ca, keys


def asn1(issued) -> asn1_x509.Certificate:
    """The asn1crypto form of a demo_ca certificate (what pyHanko takes)."""
    return asn1_x509.Certificate.load(issued.certificate.public_bytes(Encoding.DER))


def plain_pdf(text: str = "Bien ban nghiem thu") -> bytes:
    """A one-page unsigned PDF."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pageCompression=0)
    page.drawString(72, 760, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def signed_pdf(issued, chain=(), data: bytes | None = None, field: str = "Signature1") -> bytes:
    """`data` (a fresh PDF by default) signed PAdES by `issued`."""
    signer = signers.SimpleSigner(
        signing_cert=asn1(issued),
        signing_key=load_private_key_from_pemder_data(issued.key_pem, None),
        cert_registry=SimpleCertificateStore.from_certs([asn1(c) for c in chain]),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data or plain_pdf()))
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES)
    return aio.run(signers.PdfSigner(meta, signer=signer).async_sign_pdf(writer)).getvalue()


@pytest.fixture(scope="session")
def ca():
    return demo_ca.make_ca()


@pytest.fixture(scope="session")
def signer_cert(ca):
    return demo_ca.issue(ca, "Nguyễn Văn An", "VNPT Quảng Trị")


@pytest.fixture(scope="module")
def test_keys():
    """A test CA with a leader's and an organisation's certificates (tests.signatures.helpers)."""
    return Keys()


@pytest.fixture(scope="module")
def leader(test_keys):
    return keys.load_pkcs12(test_keys.p12(), PASSWORD)


@pytest.fixture(scope="module")
def organisation(test_keys):
    return keys.load_pkcs12(test_keys.p12(test_keys.organisation), PASSWORD)
