"""The demo's signing world: a test certificate authority made on this machine (never a real
key), the PKCS#12 keys of the demo leaders and organisations in the instance folder, the CA as
a trust anchor, signature and seal images, and the documents of the evidence that shows each
signature status (a signed PDF and one changed after signing, beside the unsigned scans).

Everything lives under `instance/demo-signing/` (`DEMO_SIGNING_FOLDER`); running `tracker demo` again reuses it."""

import io
import os
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import load_pem_x509_certificate
from flask import current_app
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from tracker.agreements.models import Agreement
from tracker.auth.models import User
from tracker.extensions import db
from tracker.reports import register, signing
from tracker.reports.pdf.fonts import FONT_DIR, SERIF, SERIF_BOLD, register_fonts
from tracker.signatures import appearance, demo_ca, demo_images, keys, pades
from tracker.signatures.models import TrustAnchor
from tracker.signatures.services import add_anchor, fingerprint_of

#: The password of every demo key file (also in password.txt beside them).
KEY_PASSWORD = "Demo-2026-tracker"  # noqa: S105  (a demo key's password, printed by `tracker demo`)

#: The demo's key holders: file stem → (common name, organisation).
HOLDERS = {
    "leader-quangtri": ("Nguyễn Quốc Hưng", "Ủy ban nhân dân tỉnh Quảng Trị"),
    "ubnd-quangtri": ("Ủy ban nhân dân tỉnh Quảng Trị", "Ủy ban nhân dân tỉnh Quảng Trị"),
    "leader-vinhlong": ("Lý Thanh Bình", "Ủy ban nhân dân tỉnh Vĩnh Long"),
    "ubnd-vinhlong": ("Ủy ban nhân dân tỉnh Vĩnh Long", "Ủy ban nhân dân tỉnh Vĩnh Long"),
    "vnpt-quangtri": ("Lê Văn Minh", "VNPT Quảng Trị"),
}

#: Leaders whose signature image the demo sets: e-mail → seed of the drawn signature.
SIGNATURES = {"leader.quangtri@demo.vn": 3, "leader.vinhlong@demo.vn": 7}


def folder() -> Path:
    """instance/demo-signing/ (`DEMO_SIGNING_FOLDER`), private to the server's user."""
    path = Path(current_app.config["DEMO_SIGNING_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _ca(base: Path) -> demo_ca.Issued:
    """The demo CA: made once, its key kept beside its certificate to issue the demo keys."""
    cert_path, key_path = base / "demo-ca.pem", base / "demo-ca-key.pem"
    if cert_path.exists() and key_path.exists():
        return demo_ca.Issued(
            load_pem_x509_certificate(cert_path.read_bytes()),
            serialization.load_pem_private_key(key_path.read_bytes(), None),
        )
    ca = demo_ca.make_ca()
    _write_private(key_path, ca.key_pem)
    cert_path.write_bytes(ca.certificate_pem)
    return ca


def _key_files(base: Path, ca: demo_ca.Issued) -> dict[str, bytes]:
    """The demo PKCS#12 files (made when missing), by file stem."""
    files = {}
    for stem, (name, organisation) in HOLDERS.items():
        path = base / f"{stem}.p12"
        if not path.exists():
            issued = demo_ca.issue(ca, name, organisation)
            _write_private(path, demo_ca.pkcs12_bytes(issued, KEY_PASSWORD.encode(), (ca,)))
        files[stem] = path.read_bytes()
    (base / "password.txt").write_text(KEY_PASSWORD + "\n", encoding="utf-8")
    return files


def _trust(ca: demo_ca.Issued) -> None:
    fingerprint = fingerprint_of(ca.certificate)
    if db.session.scalar(sa.select(TrustAnchor.id).where(TrustAnchor.fingerprint == fingerprint)):
        return
    add_anchor(ca.certificate_pem, user=None)


def _drawn(base: Path, name: str, draw) -> bytes:
    """A demo image, drawn once and kept beside the keys (drawing a seal takes a while)."""
    path = base / name
    if not path.exists():
        path.write_bytes(draw())
    return path.read_bytes()


def _images(base: Path) -> None:
    """The leaders' signature images and the People's Committees' seals, when missing."""
    for email, seed in SIGNATURES.items():
        leader = db.session.scalar(sa.select(User).where(User.email == email))
        if leader is not None and signing.signature_image(leader) is None:
            png = _drawn(
                base, f"signature-{seed}.png", lambda s=seed: demo_images.signature_png(seed=s)
            )
            signing.set_signature_image(leader, user=leader, data=png)
    for stem in ("ubnd-quangtri", "ubnd-vinhlong"):
        name = HOLDERS[stem][0]
        for issuer in _issuers():
            if str(issuer).casefold() == name.casefold() and not issuer.seal_sha256:
                png = _drawn(
                    base,
                    f"seal-{stem}.png",
                    lambda n=name: demo_images.seal_png(
                        text=n.upper(), font_path=str(FONT_DIR / "LiberationSerif-Bold.ttf")
                    ),
                )
                signing.set_seal(issuer, user=None, data=png)


def _issuers():
    from_provinces = {a.province.current() for a in db.session.scalars(sa.select(Agreement))}
    return [register.issuer_for(p) for p in from_provinces]


def _paper(title: str, signer: str) -> bytes:
    """A one-page A4 document of the kind VNPT signs in its own system."""
    register_fonts()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setTitle(title)
    page.setFont(SERIF_BOLD, 13)
    page.drawCentredString(A4[0] / 2, A4[1] - 30 * mm, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    page.drawCentredString(A4[0] / 2, A4[1] - 36 * mm, "Độc lập - Tự do - Hạnh phúc")
    page.setFont(SERIF_BOLD, 14)
    page.drawCentredString(A4[0] / 2, A4[1] - 55 * mm, title.split(" (")[0].upper())
    page.setFont(SERIF, 13)
    y = A4[1] - 70 * mm
    for line in (
        "Tài liệu minh chứng của dữ liệu demo, ký số bằng chứng thư thử nghiệm.",
        f"Người ký: {signer}.",
    ):
        page.drawString(30 * mm, y, line)
        y -= 7 * mm
    page.showPage()
    page.save()
    return buffer.getvalue()


def _signed(data: bytes, key: keys.SigningKey, text: str) -> bytes:
    width, height = appearance.stamp_size(text, SERIF)
    x2, y2 = A4[0] - 20 * mm, A4[1] - 12 * mm
    field = pades.Field(
        "Signature1",
        pades.Slot(0, (x2 - width, y2 - height, x2, y2)),
        appearance.stamp_appearance(text, font=SERIF),
    )
    return pades.sign(data, key, field)


def _modified(signed: bytes) -> bytes:
    """The signed file with its page's content changed in a later revision (what someone who
    edits a signed PDF produces): its check says "modified after signing"."""
    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    extra = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 12 Tf 85 420 Td (Da sua so lieu) Tj ET")
    )
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), extra])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def evidence_pdf(title: str, how: str) -> bytes:
    """A demo document signed by VNPT Quảng Trị's demo key; with `how` "modified", changed in a
    later revision (its check says "modified after signing")."""
    base = folder()
    key = keys.load_pkcs12(_key_files(base, _ca(base))["vnpt-quangtri"], KEY_PASSWORD)
    data = _signed(_paper(title, key.signer_name), key, f"{key.signer_name}, VNPT Quảng Trị")
    return _modified(data) if how == "modified" else data


def load_signing() -> list[str]:
    """Make (or reuse) the demo's keys, trust its CA, set the images; return lines describing
    it for `tracker demo`. (The signed evidence comes with the progress reports: evidence_pdf.)"""
    base = folder()
    ca = _ca(base)
    _key_files(base, ca)
    _trust(ca)
    _images(base)
    return [
        f"Demo signing keys (test CA, never real) in {base}: "
        + ", ".join(f"{stem}.p12" for stem in HOLDERS)
        + f"; password {KEY_PASSWORD} (also in password.txt).",
    ]
