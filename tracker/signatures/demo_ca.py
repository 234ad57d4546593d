"""A test certificate authority and the certificates it issues, for the demo and the suite.

Never a real key: `tracker demo` makes a fresh CA under the instance folder, and the tests make
theirs in memory. A province installs its real roots as trust anchors (docs/signing.md)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tracker.clock import utcnow

#: Key usages of a signing certificate (Vietnamese CAs issue both bits).
SIGNING_USAGES = ("digital_signature", "content_commitment")

_USAGE_FLAGS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


@dataclass
class Issued:
    """A certificate with its private key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _name(common_name: str, organisation: str | None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organisation:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def _key_usage(usages) -> x509.KeyUsage:
    flags = {flag: flag in usages for flag in _USAGE_FLAGS}
    return x509.KeyUsage(encipher_only=False, decipher_only=False, **flags)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_ca(
    common_name: str = "Tracker Demo CA (not for real use)",
    organisation: str = "Cooperation Agreement Tracker demo",
    *,
    not_before: datetime | None = None,
    days: int = 3650,
) -> Issued:
    """A self-signed root that may issue certificates."""
    key = _key()
    start = not_before or utcnow() - timedelta(days=1)
    name = _name(common_name, organisation)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(("digital_signature", "key_cert_sign", "crl_sign")), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(certificate, key)


def issue(
    ca: Issued,
    common_name: str,
    organisation: str | None = None,
    *,
    usages=SIGNING_USAGES,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    email: str | None = None,
    time_stamping: bool = False,
) -> Issued:
    """An end-entity certificate issued by `ca`: valid from yesterday for two years unless told,
    with the key usages given (signing ones by default). `time_stamping` makes a time-stamping
    authority's certificate (extended key usage timeStamping, critical)."""
    key = _key()
    start = not_before or utcnow() - timedelta(days=1)
    end = not_after or start + timedelta(days=730)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(usages), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    if time_stamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def pkcs12_bytes(issued: Issued, password: bytes, chain: tuple[Issued, ...] = ()) -> bytes:
    """A PKCS#12 (.p12) file with the key, the certificate and its chain, under `password`."""
    return pkcs12.serialize_key_and_certificates(
        name=issued.certificate.subject.rfc4514_string().encode(),
        key=issued.key,
        cert=issued.certificate,
        cas=[c.certificate for c in chain] or None,
        encryption_algorithm=serialization.BestAvailableEncryption(password),
    )
