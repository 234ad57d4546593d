"""Signing a review as its users do: the leader through the page with the demo keys, a USB token
or remote service through the API, an operator through the CLI; the register's numbers, the
document of record and every refusal (nothing signed, no number consumed)."""

import base64
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.conftest import text_of
from tests.signatures.helpers import LEADER, Keys, draft, pdfsig, pdftotext, user
from tracker import storage
from tracker.demo.loader import load_demo
from tracker.demo.signing import KEY_PASSWORD
from tracker.interop.api.tokens import create_token
from tracker.reports.models import GeneratedReport, ReviewRegister
from tracker.signatures import aio, demo_ca
from tracker.signatures.keys import load_pkcs12

DEMO_PASSWORD = "Demo-2026-tracker"
DIC = "dic.quangtri@demo.vn"


@pytest.fixture
def demo_keys(app, db):
    """The demo loaded, and the folder of its test keys."""
    load_demo()
    db.session.commit()
    return Path(app.config["DEMO_SIGNING_FOLDER"])


def _file(folder: Path, stem: str):
    return (io.BytesIO((folder / f"{stem}.p12").read_bytes()), f"{stem}.p12")


def _sign_form(client, record, folder, *, password=KEY_PASSWORD, seal=True, key=None):
    data = {"key_file": key or _file(folder, "leader-quangtri"), "key_password": password}
    if seal:
        data |= {"seal_key_file": _file(folder, "ubnd-quangtri"), "seal_password": KEY_PASSWORD}
    return client.post(
        f"/generated/{record.id}/sign", data=data, content_type="multipart/form-data"
    )


def _registers(db) -> dict:
    return {
        (r.issuer_id, r.year): r.last_number for r in db.session.scalars(sa.select(ReviewRegister))
    }


def _signed_file(db, record_id, tmp_path) -> Path:
    db.session.expire_all()
    record = db.session.get(GeneratedReport, record_id)
    out = tmp_path / f"signed-{record_id}.pdf"
    out.write_bytes(storage.path_for(record.signed_sha256).read_bytes())
    return out


def test_the_leader_signs_on_the_page_and_downloads_the_document_of_record(
    client, auth, db, demo_keys, tmp_path
):
    record = draft()
    assert "DỰ THẢO" in pdftotext(storage.path_for(record.sha256))
    auth.login(LEADER, DEMO_PASSWORD)
    listing = text_of(client.get(f"/agreements/{record.agreement.code}/reports"))
    assert "Dự thảo" in listing and "Ký số" in listing
    page = client.get(f"/generated/{record.id}/sign")
    assert page.status_code == 200
    assert "1/BC-UBND" in text_of(page)

    response = _sign_form(client, record, demo_keys)
    assert response.status_code == 302
    out = _signed_file(db, record.id, tmp_path)
    report = pdfsig(out)
    assert report.count("Signature is Valid.") == 3
    assert "Total document signed" in report.rsplit("Signature #", 1)[-1]
    text = pdftotext(out)
    assert "Số: 1/BC-UBND" in text and "DỰ THẢO" not in text
    assert "Nguyễn Quốc Hưng" in text

    listing = client.get(f"/agreements/{record.agreement.code}/reports")
    shown = text_of(listing)
    assert "Số 1/BC-UBND" in shown
    assert "Đã ký số bởi Nguyễn Quốc Hưng" in shown
    download = client.get(f"/generated/{record.id}/signed.pdf")
    assert download.status_code == 200
    assert download.data == out.read_bytes()
    assert (
        "1-BC-UBND - đã ký số.pdf" in download.headers["Content-Disposition"].replace("%20", " ")
        or "1-BC-UBND" in download.headers["Content-Disposition"]
    )
    # A signed review never changes: signing again is refused and the file stays.
    again = _sign_form(client, record, demo_keys, seal=False)
    assert again.status_code == 302
    assert _signed_file(db, record.id, tmp_path).read_bytes() == out.read_bytes()


def test_refusals_sign_nothing_and_consume_no_number(client, auth, db, demo_keys, tmp_path):
    record = draft()
    keys = Keys()
    auth.login(LEADER, DEMO_PASSWORD)
    before = _registers(db)
    cases = [
        ({"password": "sai-mật-khẩu"}, "Mật khẩu của tệp khóa không đúng"),
        ({"key": (io.BytesIO(b"not a key"), "khoa.p12")}, "không phải tệp khóa PKCS#12"),
        (
            {"key": (io.BytesIO(keys.expired()), "het-han.p12"), "password": "mật-khẩu-1"},
            "Chứng thư số đã hết hạn",
        ),
        (
            {"key": (io.BytesIO(keys.wrong_usage()), "ma-hoa.p12"), "password": "mật-khẩu-1"},
            "không dùng để ký",
        ),
    ]
    for options, message in cases:
        response = _sign_form(client, record, demo_keys, seal=False, **options)
        assert response.status_code == 422, message
        assert message in text_of(response), message
    db.session.expire_all()
    assert db.session.get(GeneratedReport, record.id).signed_sha256 is None
    assert _registers(db) == before
    # The next good signature takes number 1: the refusals gave none away.
    assert _sign_form(client, record, demo_keys, seal=False).status_code == 302
    db.session.expire_all()
    assert db.session.get(GeneratedReport, record.id).number_text == "1/BC-UBND"


def test_only_leaders_of_the_scope_sign(client, auth, db, demo_keys):
    record = draft()
    auth.login(DIC, DEMO_PASSWORD)
    assert client.get(f"/generated/{record.id}/sign").status_code == 403
    assert _sign_form(client, record, demo_keys).status_code == 403
    auth.logout()
    auth.login("leader.vinhlong@demo.vn", DEMO_PASSWORD)
    assert client.get(f"/generated/{record.id}/sign").status_code == 404
    db.session.expire_all()
    assert db.session.get(GeneratedReport, record.id).signed_sha256 is None


def test_numbers_follow_the_register_and_a_new_version_cites_the_old(
    client, auth, db, demo_keys, tmp_path
):
    auth.login(LEADER, DEMO_PASSWORD)
    first = draft()
    assert _sign_form(client, first, demo_keys, seal=False).status_code == 302
    db.session.expire_all()
    second = draft()
    assert "thay thế Báo cáo số 1/BC-UBND" in pdftotext(storage.path_for(second.sha256))
    assert _sign_form(client, second, demo_keys, seal=False).status_code == 302
    db.session.expire_all()
    second = db.session.get(GeneratedReport, second.id)
    assert second.number_text == "2/BC-UBND"
    assert second.supersedes_id == first.id
    assert "thay thế Báo cáo số 1/BC-UBND" in pdftotext(_signed_file(db, second.id, tmp_path))


def test_a_draft_whose_data_changed_is_not_signed(client, auth, db, demo_keys):
    record = draft()
    agreement = record.agreement
    agreement.title = agreement.title + " (sửa đổi)"
    db.session.commit()
    auth.login(LEADER, DEMO_PASSWORD)
    before = _registers(db)
    response = _sign_form(client, record, demo_keys, seal=False)
    assert response.status_code == 422
    assert "tạo dự thảo mới" in text_of(response).lower() or "dự thảo mới" in text_of(response)
    assert _registers(db) == before


def _token(db, email) -> str:
    _record, secret = create_token(user(email), name="ký số", days=None)
    db.session.commit()
    return secret


def _cms_for(digest: bytes, key) -> str:
    """What a USB token or a remote signing service returns: a CMS over the digest."""
    signer = signers.SimpleSigner(
        signing_cert=key.asn1_certificate(),
        signing_key=key.asn1_key(),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in key.chain]
        ),
    )
    cms = aio.run(signer.async_sign(digest, "sha256", use_pades=True))
    return base64.b64encode(cms.dump()).decode("ascii")


def test_external_signing_round_trip_through_the_api(client, db, demo_keys, tmp_path):
    record = draft()
    key = load_pkcs12((demo_keys / "leader-quangtri.p12").read_bytes(), KEY_PASSWORD)
    headers = {"Authorization": f"Bearer {_token(db, LEADER)}"}
    pem = key.certificate.public_bytes(Encoding.PEM).decode("ascii")
    prepared = client.post(
        f"/api/v1/reviews/{record.id}/external-signing", json={"certificate": pem}, headers=headers
    )
    assert prepared.status_code == 201, prepared.json
    body = prepared.json
    assert body["number"] == "1/BC-UBND" and body["digest_algorithm"] == "sha256"
    digest = base64.b64decode(body["digest"])
    assert digest.hex() == body["digest_hex"] and len(digest) == 32

    other = Keys()
    wrong = demo_ca.pkcs12_bytes(other.leader, b"x", (other.ca,))
    refused = client.post(
        f"/api/v1/external-signings/{body['session']}/finish",
        json={"cms": _cms_for(digest, load_pkcs12(wrong, "x"))},
        headers=headers,
    )
    assert refused.status_code == 422
    assert "chứng thư" in refused.json["error"]["message"]
    refused = client.post(
        f"/api/v1/external-signings/{body['session']}/finish",
        json={"cms": _cms_for(b"\x00" * 32, key)},
        headers=headers,
    )
    assert refused.status_code == 422

    finished = client.post(
        f"/api/v1/external-signings/{body['session']}/finish",
        json={"cms": _cms_for(digest, key)},
        headers=headers,
    )
    assert finished.status_code == 200 and finished.mimetype == "application/pdf"
    out = tmp_path / "external.pdf"
    out.write_bytes(finished.data)
    report = pdfsig(out)
    assert "Signature is Valid." in report and "Total document signed" in report
    assert "Số: 1/BC-UBND" in pdftotext(out)
    db.session.expire_all()
    assert db.session.get(GeneratedReport, record.id).signed_sha256 is not None
    again = client.post(
        f"/api/v1/external-signings/{body['session']}/finish",
        json={"cms": _cms_for(digest, key)},
        headers=headers,
    )
    assert again.status_code in (409, 422)


def test_external_signing_is_for_leaders_only(client, db, demo_keys):
    record = draft()
    key = load_pkcs12((demo_keys / "leader-quangtri.p12").read_bytes(), KEY_PASSWORD)
    pem = key.certificate.public_bytes(Encoding.PEM).decode("ascii")
    response = client.post(
        f"/api/v1/reviews/{record.id}/external-signing",
        json={"certificate": pem},
        headers={"Authorization": f"Bearer {_token(db, DIC)}"},
    )
    assert response.status_code == 403
    response = client.post(
        f"/api/v1/reviews/{record.id}/external-signing",
        json={"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"},
        headers={"Authorization": f"Bearer {_token(db, LEADER)}"},
    )
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewRegister)) == 0


def test_cli_signs_with_a_password_file(app, db, demo_keys, tmp_path):
    password = tmp_path / "password.txt"
    password.write_text(KEY_PASSWORD + "\n", encoding="utf-8")
    out = tmp_path / "review.pdf"
    result = app.test_cli_runner().invoke(
        args=[
            "report",
            "five-year",
            "QB-VNPT-2020",
            "--out",
            str(out),
            "--sign",
            str(demo_keys / "leader-quangtri.p12"),
            "--sign-password-file",
            str(password),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "signed No. 1/BC-UBND" in result.output
    assert "Signature is Valid." in pdfsig(out)
    password.write_text("sai\n", encoding="utf-8")
    refused = app.test_cli_runner().invoke(
        args=[
            "report",
            "five-year",
            "QB-VNPT-2020",
            "--out",
            str(tmp_path / "x.pdf"),
            "--sign",
            str(demo_keys / "leader-quangtri.p12"),
            "--sign-password-file",
            str(password),
        ]
    )
    assert refused.exit_code != 0 and "Mật khẩu" in refused.output
    assert not (tmp_path / "x.pdf").exists()


def test_api_document_describes_external_signing(client):
    paths = json.loads(client.get("/api/v1/openapi.json").data)["paths"]
    assert "/reviews/{review_id}/external-signing" in paths
    assert "/external-signings/{session}/finish" in paths
