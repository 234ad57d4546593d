"""Keys are checked before anything is signed: each refusal says in Vietnamese what is wrong
with the file the leader chose; a good PKCS#12 opens with its chain."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from flask_babel import force_locale

from tests.signatures.helpers import PASSWORD, Keys
from tracker.clock import LOCAL_TZ, utcnow
from tracker.signatures import demo_ca, keys


@pytest.fixture(scope="module")
def test_keys():
    return Keys()


def refusal(data: bytes, password: str = PASSWORD) -> keys.CertificateRefused:
    with force_locale("vi"), pytest.raises(keys.CertificateRefused) as refused:
        keys.load_pkcs12(data, password)
    return refused.value


def test_a_good_key_file_opens_with_its_chain(app, test_keys):
    key = keys.load_pkcs12(test_keys.p12(), PASSWORD)
    assert key.signer_name == "Nguyễn Quốc Hưng"
    assert keys.organisation_name(key.certificate) == "UBND tỉnh Quảng Trị"
    assert [c.subject for c in key.chain] == [test_keys.ca.certificate.subject]
    assert keys.same_certificate(key.asn1_certificate(), test_keys.leader.certificate)


def test_a_wrong_password(app, test_keys):
    refused = refusal(test_keys.p12(), "sai-mật-khẩu")
    assert refused.message == "Mật khẩu của tệp khóa không đúng."
    assert refused.field == "key_password"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n1 0 obj << >> endobj\n", b"\x30\x03\x02\x01\x05", "không phải khóa".encode()],
    ids=["a PDF", "other DER", "text"],
)
def test_not_a_pkcs12_file(app, data):
    refused = refusal(data)
    assert refused.message == "Tệp không phải tệp khóa PKCS#12 (.p12 hoặc .pfx)."
    assert refused.field == "key_file"


def test_an_empty_or_huge_file(app):
    expected = "Tệp khóa phải là tệp PKCS#12 (.p12 hoặc .pfx) không quá 100 KB."
    assert refusal(b"").message == expected
    assert refusal(b"\x30" * (keys.MAX_KEY_FILE + 1)).message == expected


def test_an_expired_certificate(app, test_keys):
    start = utcnow() - timedelta(days=800)
    expired = demo_ca.issue(
        test_keys.ca, "Hết Hạn", not_before=start, not_after=start + timedelta(days=30)
    )
    refused = refusal(test_keys.p12(expired))
    ended = expired.certificate.not_valid_after_utc.astimezone(LOCAL_TZ)
    assert refused.message == (
        f"Chứng thư số đã hết hạn từ {ended:%H:%M:%S %d/%m/%Y}: không còn dùng để ký được."
    )


def test_a_certificate_not_valid_yet(app, test_keys):
    refused = refusal(test_keys.not_yet_valid())
    assert refused.message.startswith("Chứng thư số chưa có hiệu lực (có hiệu lực từ ")


def test_a_certificate_not_for_signing(app, test_keys):
    refused = refusal(test_keys.wrong_usage())
    assert refused.message == (
        "Chứng thư số không dùng để ký văn bản: mục đích sử dụng khóa không có "
        "digitalSignature hay nonRepudiation."
    )


@pytest.mark.parametrize("usage", ["digital_signature", "content_commitment"])
def test_either_signing_usage_is_enough(app, test_keys, usage):
    issued = demo_ca.issue(test_keys.ca, "Một Bit", usages=(usage,))
    assert keys.load_pkcs12(test_keys.p12(issued), PASSWORD).signer_name == "Một Bit"


def test_a_key_that_is_not_the_certificates(app, test_keys):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = pkcs12.serialize_key_and_certificates(
        name=b"mismatch",
        key=other_key,
        cert=None,
        cas=[test_keys.leader.certificate, test_keys.ca.certificate],
        encryption_algorithm=BestAvailableEncryption(PASSWORD.encode()),
    )
    assert refusal(data).message == "Khóa bí mật trong tệp không khớp với chứng thư số của nó."
    with force_locale("vi"), pytest.raises(keys.CertificateRefused) as refused:
        keys.check_key_matches(other_key, test_keys.leader.certificate)
    assert refused.value.message == "Khóa bí mật trong tệp không khớp với chứng thư số của nó."


def test_a_file_with_certificates_but_no_key(app, test_keys):
    data = pkcs12.serialize_key_and_certificates(
        name=None,
        key=None,
        cert=None,
        cas=[test_keys.leader.certificate],
        encryption_algorithm=BestAvailableEncryption(PASSWORD.encode()),
    )
    assert refusal(data).message == "Tệp khóa phải chứa khóa bí mật và chứng thư số của nó."


def test_a_certificate_given_as_pem(app, test_keys):
    pem = test_keys.leader.certificate_pem
    assert keys.same_certificate(
        keys.load_certificate_pem(pem.decode()), test_keys.leader.certificate
    )
    with force_locale("vi"), pytest.raises(keys.CertificateRefused) as refused:
        keys.load_certificate_pem("-----BEGIN CERTIFICATE-----\nrác\n-----END CERTIFICATE-----")
    assert refused.value.message == "Chứng thư số không phải chứng thư X.509 dạng PEM."
    start = utcnow() - timedelta(days=800)
    expired = demo_ca.issue(test_keys.ca, "Cũ", not_before=start, not_after=start + timedelta(1))
    with force_locale("vi"), pytest.raises(keys.CertificateRefused) as refused:
        keys.load_certificate_pem(expired.certificate_pem)
    assert refused.value.message.startswith("Chứng thư số đã hết hạn từ ")
