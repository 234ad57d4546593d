"""Stored files: which rows reference them (one registry, declared on the model columns), what an
office document may contain, and the names downloads are served under."""

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.conftest import text_of
from tracker import storage, trash
from tracker.agreements.models import Document
from tracker.progress import services
from tracker.progress.models import Evidence
from tracker.reports.models import GeneratedReport, ReviewKind

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file())


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


# -- the registry ----------------------------------------------------------------------------------


def test_every_stored_file_column_is_in_the_registry(app):
    assert {(c.table.name, c.name) for c in storage.stored_file_columns()} == {
        ("evidence", "sha256"),
        ("evidence", "thumbnail_sha256"),
        ("agreement_documents", "sha256"),
        ("generated_reports", "sha256"),
        ("generated_reports", "signed_sha256"),  # the signed review (the document of record)
        ("external_signings", "prepared_sha256"),  # a review waiting for a token's signature
        ("issuing_organisations", "seal_sha256"),
        ("signature_images", "image_sha256"),
        ("trash_files", "sha256"),  # the files of records in the recycle bin
    }


def _review(agreement, sha256):
    return GeneratedReport(
        agreement_id=agreement.id,
        kind=ReviewKind.annual,
        lang="vi",
        date_from=date(2024, 1, 1),
        date_to=date(2024, 12, 31),
        data_fingerprint="0" * 64,
        sha256=sha256,
        size=len(PDF),
    )


def _document(agreement, stored):
    return Document(
        agreement=agreement,
        title="Văn bản thỏa thuận",
        file_name=stored.file_name,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
    )


def test_a_generated_review_keeps_its_file(app, db):
    p = factories.province()
    agreement = factories.agreement(p)
    stored = storage.store_bytes(PDF + b"% review\n", "bao-cao.pdf", storage.PDF)
    db.session.add(_review(agreement, stored.sha256))
    db.session.commit()
    assert storage.in_use(stored.sha256)
    assert stored.sha256 in storage.referenced_hashes()
    storage.remove_unused(stored.sha256)
    assert storage.path_for(stored.sha256).exists()


def test_deleting_evidence_keeps_the_file_a_document_shares(app, db):
    """The same content attached to an agreement and to a directive: deleting the evidence
    leaves the document's file."""
    p = factories.province()
    dic = factories.unit(p)
    agreement = factories.agreement(p)
    directive = factories.directive(agreement, dic)
    user = factories.user(unit=dic)
    stored = storage.store(upload(PDF + b"% shared\n", "bien-ban.pdf"))
    db.session.add(_document(agreement, stored))
    evidence = services.add_directive_evidence(
        directive, user=user, stored=stored, title="Biên bản", kind="minutes"
    )
    db.session.commit()
    services.delete_evidence(evidence, user=user)
    db.session.commit()
    storage.remove_unused(stored.sha256)
    assert storage.path_for(stored.sha256).exists()
    assert db.session.get(Evidence, evidence.id) is None

    db.session.delete(db.session.scalar(sa.select(Document)))
    db.session.commit()
    assert storage.in_use(stored.sha256), "the deleted evidence in the recycle bin holds it"
    storage.remove_unused(stored.sha256)
    assert storage.path_for(stored.sha256).exists()
    trash.purge(db.session.scalar(sa.select(trash.TrashItem)))
    db.session.commit()
    assert not storage.in_use(stored.sha256)
    storage.remove_unused(stored.sha256)
    assert not storage.path_for(stored.sha256).exists()


# -- receiving uploads ------------------------------------------------------------------------------


def _xlsx(**extra: bytes) -> bytes:
    buffer = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Chỉ tiêu"
    book.save(buffer)
    if extra:
        with zipfile.ZipFile(buffer, "a") as archive:
            for name, data in extra.items():
                archive.writestr(name, data)
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = {
    "[Content_Types].xml": b"<Types/>",
    "_rels/.rels": b"<Relationships/>",
    "word/document.xml": b"<w:document/>",
    "word/media/image1.png": b"\x89PNG",
    "docProps/thumbnail.emf": b"",
}
ODT = {
    "mimetype": b"application/vnd.oasis.opendocument.text",
    "content.xml": b"<office:document-content/>",
    "META-INF/manifest.xml": b"<manifest/>",
    "Pictures/1.png": b"\x89PNG",
    "ObjectReplacements/Object 1": b"",
    "Configurations2/": b"",
}


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (_xlsx(), storage.XLSX),
        (_zip(DOCX), storage.DOCX),
        (_zip(ODT), "application/vnd.oasis.opendocument.text"),
    ],
)
def test_office_documents_are_accepted(app, data, content_type):
    with storage.Incoming() as incoming:
        assert incoming.receive(upload(data, "tai-lieu")).stored.content_type == content_type


@pytest.mark.parametrize(
    ("data", "member"),
    [
        (_xlsx(**{"payload.exe": b"MZ\x90\x00"}), "payload.exe"),
        (_xlsx(**{"xl/media/index.html": b"<script>alert(1)</script>"}), "index.html"),
        (_zip({**DOCX, "word/macro.js": b"alert(1)"}), "macro.js"),
        (_zip({**ODT, "Scripts/run.vbs": b"MsgBox 1"}), "run.vbs"),
    ],
)
def test_an_office_document_carrying_another_file_is_refused(app, data, member):
    before = files(app)
    with pytest.raises(storage.UploadError) as refused, storage.Incoming() as incoming:
        incoming.receive(upload(data, "bang-chi-tieu.xlsx"))
    message = str(refused.value.message)
    assert "chứa một tệp không thuộc" in message and member in message
    assert refused.value.field == "file"
    assert files(app) == before


def test_a_received_file_enters_the_store_only_when_kept(app, db):
    before = files(app)
    with pytest.raises(RuntimeError), storage.Incoming() as incoming:
        received = incoming.receive(upload(PDF + b"% refused\n", "tu-choi.pdf"))
        raise RuntimeError("the service refused")
    assert files(app) == before
    assert not storage.path_for(received.stored.sha256).exists()
    with storage.Incoming() as incoming:
        received = incoming.receive(upload(PDF + b"% kept\n", "giu.pdf"))
        incoming.keep()
    # Kept, but no row references it once the block ends: removed.
    assert files(app) == before


# -- download names -------------------------------------------------------------------------------

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.mark.parametrize(
    ("name", "content_type", "served"),
    [
        ("bao-cao.hta", storage.PDF, "bao-cao.pdf"),
        ("bao-cao.PDF", storage.PDF, "bao-cao.PDF"),
        ("bao-cao", storage.PDF, "bao-cao.pdf"),
        ("Báo cáo 1.5 năm", storage.PDF, "Báo cáo 1.5 năm.pdf"),
        ("anh.jpeg", storage.JPEG, "anh.jpeg"),
        ("anh.png", storage.JPEG, "anh.jpg"),
        ("bang.xls", storage.XLSX, "bang.xlsx"),
        ("van-ban.docx.exe", storage.DOCX, "van-ban.docx"),
        ("ho-so.zip", storage.ZIP, "ho-so.zip"),
        ("bien-ban.html", "application/vnd.oasis.opendocument.text", "bien-ban.odt"),
        (".hta", storage.PDF, "hta.pdf"),
    ],
)
def test_download_names_end_with_the_detected_type(name, content_type, served):
    assert storage.download_name(name, content_type) == served


@pytest.mark.parametrize(
    ("stream", "served"),
    [("Workbook", "bang.xls"), ("WordDocument", "bang.doc"), ("PowerPoint Document", "bang.ppt")],
)
def test_an_old_office_file_gets_the_extension_of_its_kind(tmp_path, stream, served):
    path = tmp_path / "ole"
    path.write_bytes(OLE_HEADER + b"\x00" * 100 + stream.encode("utf-16-le") + b"\x00" * 100)
    assert storage.download_name("bang.hta", storage.OLE, path) == served
    assert storage.download_name("bang.xls", storage.OLE, path) == "bang.xls"


def test_a_workbook_carrying_a_program_is_refused_as_an_agreement_document(app, client, auth, db):
    w = factories.world()
    auth.login(w["qb"]["dic"].email)
    before = files(app)
    response = client.post(
        f"/agreements/{w['qb']['agreement'].code}/documents/new",
        data={
            "title": "Bảng chỉ tiêu",
            "file": (io.BytesIO(_xlsx(**{"payload.exe": b"MZ\x90\x00"})), "chi-tieu.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "chứa một tệp không thuộc loại tài liệu đó (payload.exe)" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    assert files(app) == before
