"""The trust anchors' page and CLI, and the badges of PDFs uploaded through the real forms."""

import io

import sqlalchemy as sa
from cryptography.hazmat.primitives.serialization import Encoding

from tracker.agreements.models import Agreement, Document
from tracker.signatures.models import SignatureCheck, TrustAnchor

from ..conftest import text_of
from .conftest import plain_pdf, signed_pdf

ADMIN, DIC = "admin@demo.vn", "dic.quangtri@demo.vn"
DEMO_PASSWORD = "Demo-2026-tracker"


def _pem(issued) -> bytes:
    return issued.certificate.public_bytes(Encoding.PEM)


def _add_anchor(client, data, name="ca.pem"):
    return client.post(
        "/admin/trust-anchors",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _attach(client, code, data, title):
    return client.post(
        f"/agreements/{code}/documents/new",
        data={"title": title, "file": (io.BytesIO(data), f"{title}.pdf")},
        content_type="multipart/form-data",
    )


def test_anchor_page_refuses_and_adds_then_badges_follow(
    app, client, auth, db, demo, ca, signer_cert
):
    auth.login(DIC, DEMO_PASSWORD)
    assert client.get("/admin/trust-anchors").status_code == 403
    auth.logout()
    auth.login(ADMIN, DEMO_PASSWORD)
    demo_anchors = db.session.scalar(sa.select(sa.func.count()).select_from(TrustAnchor))
    assert demo_anchors == 1  # the demo's test CA
    refused = _add_anchor(client, b"hello")
    assert refused.status_code == 422
    assert "không phải chứng thư số dạng PEM" in text_of(refused)
    leaf = _add_anchor(client, _pem(signer_cert))
    assert "không phải chứng thư số của tổ chức" in text_of(leaf)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrustAnchor)) == demo_anchors

    code = db.session.scalar(sa.select(Agreement.code).order_by(Agreement.id))
    signed = signed_pdf(signer_cert, (ca,))
    at = signed.index(b"Bien ban")
    for title, data in (
        ("Ban ky", signed),
        ("Ban sua", signed[:at] + b"Xien" + signed[at + 4 :]),
        ("Ban chua ky", plain_pdf()),
    ):
        assert _attach(client, code, data, title).status_code == 302
    page = text_of(client.get(f"/agreements/{code}"))
    assert "Đã ký số bởi Nguyễn Văn An (VNPT Quảng Trị) lúc" in page
    assert "chưa xác định được tổ chức cấp" in page
    assert ", không hợp lệ" in page
    assert "Chưa ký số" in page

    assert _add_anchor(client, _pem(ca)).status_code == 302
    assert "hợp lệ" in text_of(client.get(f"/agreements/{code}"))
    checks = {c.status.value for c in db.session.scalars(sa.select(SignatureCheck))}
    assert {"valid", "invalid", "unsigned"} <= checks
    duplicate = _add_anchor(client, _pem(ca))
    assert "đã là chứng thư gốc tin cậy" in text_of(duplicate)

    anchor = db.session.scalar(sa.select(TrustAnchor).order_by(TrustAnchor.id.desc()))
    confirm = client.get(f"/admin/trust-anchors/{anchor.id}/remove")
    assert "Gỡ chứng thư gốc tin cậy này?" in text_of(confirm)
    assert client.post(f"/admin/trust-anchors/{anchor.id}/remove").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrustAnchor)) == demo_anchors
    assert db.session.scalars(sa.select(Document)).all()


def test_cli_trust_add_list_and_recheck(app, db, ca, tmp_path):
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    refused = runner.invoke(args=["trust", "add", str(bad)])
    assert refused.exit_code != 0 and "khóa bí mật" in refused.output
    good = tmp_path / "ca.pem"
    good.write_bytes(_pem(ca))
    assert runner.invoke(args=["trust", "add", str(good)]).exit_code == 0
    listed = runner.invoke(args=["trust", "list"])
    assert "Tracker Demo CA" in listed.output
    rechecked = runner.invoke(args=["signatures", "recheck"])
    assert rechecked.exit_code == 0 and "Checked" in rechecked.output
