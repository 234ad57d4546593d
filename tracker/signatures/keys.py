"""Signing keys and certificates, checked before any use: a PKCS#12 file opened in memory with its
password (never written anywhere), a signer's certificate given as PEM for external signing.
Every refusal is a `CertificateRefused` with a Vietnamese message (through the catalog)."""

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tracker.clock import LOCAL_TZ, utcnow
from tracker.errors import InvalidValue
from tracker.i18n import _

#: The largest key file accepted (a PKCS#12 with a chain is a few kilobytes).
MAX_KEY_FILE = 100 * 1024


class CertificateRefused(InvalidValue):
    """A key or certificate that may not sign: nothing is signed, no number is taken."""


@dataclass
class SigningKey:
    """A private key with its certificate and the chain that came with it, in memory only."""

    key: object
    certificate: x509.Certificate
    chain: list[x509.Certificate]

    @property
    def signer_name(self) -> str:
        return common_name(self.certificate)

    def asn1_certificate(self) -> asn1_x509.Certificate:
        return to_asn1(self.certificate)

    def asn1_key(self) -> asn1_keys.PrivateKeyInfo:
        return asn1_keys.PrivateKeyInfo.load(
            self.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The certificate as pyHanko takes it."""
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def common_name(certificate: x509.Certificate) -> str:
    """The subject's common name (the signer's name on Vietnamese certificates)."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def organisation_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(names[0].value) if names else ""


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M:%S %d/%m/%Y")


def check_certificate(certificate: x509.Certificate, *, at: datetime | None = None) -> None:
    """Refuse a certificate that is expired, not yet valid, or not for signing (its key usage
    has neither digitalSignature nor nonRepudiation)."""
    at = at or utcnow()
    if certificate.not_valid_after_utc < at:
        raise CertificateRefused(
            _(
                "The certificate expired on %(date)s: it can no longer sign.",
                date=_local(certificate.not_valid_after_utc),
            ),
            "key_file",
        )
    if certificate.not_valid_before_utc > at:
        raise CertificateRefused(
            _(
                "The certificate is not valid yet (it is valid from %(date)s).",
                date=_local(certificate.not_valid_before_utc),
            ),
            "key_file",
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # no restriction stated: every use is allowed (RFC 5280 §4.2.1.3)
    if not (usage.digital_signature or usage.content_commitment):
        raise CertificateRefused(
            _(
                "The certificate is not for signing documents: its key usage has neither "
                "digitalSignature nor nonRepudiation."
            ),
            "key_file",
        )


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def check_key_matches(key, certificate: x509.Certificate) -> None:
    """Refuse a private key that is not the one of the certificate."""
    if _public_der(key.public_key()) != _public_der(certificate.public_key()):
        raise CertificateRefused(
            _("The private key in the file does not match its certificate."), "key_file"
        )


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def load_pkcs12(data: bytes, password: str | bytes, *, at: datetime | None = None) -> SigningKey:
    """Open a PKCS#12 (.p12, .pfx) in memory and check its certificate and key for signing."""
    if isinstance(password, str):
        password = password.encode("utf-8")
    if not data or len(data) > MAX_KEY_FILE:
        raise CertificateRefused(
            _("The key file must be a PKCS#12 file (.p12 or .pfx) of at most %(kb)d KB.", kb=100),
            "key_file",
        )
    try:
        asn1_pkcs12.Pfx.load(data)["auth_safe"]["content_type"].native  # noqa: B018  (parses it)
    except (ValueError, TypeError, KeyError):
        raise CertificateRefused(
            _("The file is not a PKCS#12 key file (.p12 or .pfx)."), "key_file"
        ) from None
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password or None)
    except ValueError:
        raise CertificateRefused(
            _("The password of the key file is wrong."), "key_password"
        ) from None
    if key is not None and certificate is None:
        # OpenSSL pairs the key with the certificate it matches; an end-entity certificate left
        # among the others is the file's own, for another key.
        for other in chain or []:
            if not _is_ca(other):
                check_key_matches(key, other)
    if key is None or certificate is None:
        raise CertificateRefused(
            _("The key file must hold a private key and its certificate."), "key_file"
        )
    check_certificate(certificate, at=at)
    check_key_matches(key, certificate)
    return SigningKey(key=key, certificate=certificate, chain=list(chain or []))


def load_certificate_pem(pem: str | bytes, *, at: datetime | None = None) -> x509.Certificate:
    """A signer's certificate given as PEM (external signing), checked for signing."""
    if isinstance(pem, str):
        pem = pem.encode("utf-8")
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise CertificateRefused(
            _("The certificate is not a PEM X.509 certificate."), "certificate"
        ) from None
    check_certificate(certificate, at=at)
    return certificate


def same_certificate(a, b) -> bool:
    """Whether two certificates (cryptography or asn1crypto objects) are the same one."""

    def der(c):
        return (
            c.public_bytes(serialization.Encoding.DER) if hasattr(c, "public_bytes") else c.dump()
        )

    return der(a) == der(b)


__all__ = [
    "MAX_KEY_FILE",
    "CertificateRefused",
    "SigningKey",
    "check_certificate",
    "check_key_matches",
    "common_name",
    "load_certificate_pem",
    "load_pkcs12",
    "organisation_name",
    "same_certificate",
    "to_asn1",
]
