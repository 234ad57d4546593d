"""What the DIC sees of the signatures on evidence: a signed, a tampered and an unsigned PDF
uploaded through the report form show their status on the report page, in the review queue
(before verifying), in the evidence register and its Excel export."""

import io

import pytest
import sqlalchemy as sa

from tests.agreements.test_views import _count_queries
from tests.conftest import text_of
from tests.interop import reporting_world
from tests.progress.test_workflow import report_data, report_url, the_report, upload
from tests.test_lists import sheet_rows
from tracker import storage
from tracker.progress.models import Evidence
from tracker.signatures.models import SignatureCheck
from tracker.signatures.services import add_anchor

from .conftest import plain_pdf, signed_pdf

SIGNED = "Đã ký số bởi Nguyễn Văn An (VNPT Quảng Trị) lúc"


@pytest.fixture
def rw(db):
    return reporting_world()


def _tampered(signed: bytes) -> bytes:
    at = signed.index(b"Bien ban")
    return signed[:at] + b"Xien" + signed[at + 4 :]


def _uploaded(client, auth, db, rw, ca, signer_cert):
    """The VNPT reporter's report with the three files, submitted; the demo CA trusted."""
    add_anchor(ca.certificate_pem, user=None)
    db.session.commit()
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    report = the_report(db, rw)
    signed = signed_pdf(signer_cert, (ca,))
    for title, data in (
        ("Biên bản ký số", signed),
        ("Biên bản bị sửa", _tampered(signed)),
        ("Biên bản giấy", plain_pdf()),
    ):
        assert upload(client, report.id, data, name=f"{title}.pdf", title=title).status_code == 302
    client.post(f"/reports/{report.id}/submit", data={"version": the_report(db, rw).version})
    auth.logout()
    return report


def test_evidence_badges_on_every_page_the_dic_reads(client, auth, db, rw, ca, signer_cert):
    report = _uploaded(client, auth, db, rw, ca, signer_cert)
    checks = {c.status.value for c in db.session.scalars(sa.select(SignatureCheck))}
    assert checks == {"valid", "invalid", "unsigned"}

    auth.login(rw["qb"]["dic"].email)
    code = rw["qb"]["agreement"].code
    report_page = text_of(client.get(f"/reports/{report.id}"))
    queue = text_of(client.get("/review"))
    register = text_of(client.get(f"/agreements/{code}/evidence"))
    for page in (report_page, queue, register):
        assert f"{SIGNED}" in page
        assert ", hợp lệ" in page
        assert ", không hợp lệ" in page
        assert "nội dung đã ký không khớp với chữ ký" in page
        assert "Chưa ký số" in page

    head, rows = sheet_rows(client.get(f"/agreements/{code}/evidence?export=xlsx"))
    column = head.index("Chữ ký số")
    by_title = {row[0]: row[column] for row in rows}
    assert by_title["Biên bản ký số"].startswith(SIGNED)
    assert by_title["Biên bản ký số"].endswith("hợp lệ")
    assert by_title["Biên bản bị sửa"].startswith(SIGNED)
    assert by_title["Biên bản bị sửa"].endswith(", không hợp lệ")
    assert by_title["Biên bản giấy"] == "Chưa ký số"


def test_a_file_checked_before_the_ca_was_trusted_changes_badge(
    client, auth, db, rw, ca, signer_cert
):
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    report = the_report(db, rw)
    upload(client, report.id, signed_pdf(signer_cert, (ca,)), title="Biên bản ký số")
    page = text_of(client.get(f"/reports/{report.id}"))
    assert "chưa xác định được tổ chức cấp" in page
    add_anchor(ca.certificate_pem, user=None)
    db.session.commit()
    page = text_of(client.get(f"/reports/{report.id}"))
    assert "chưa xác định được tổ chức cấp" not in page
    assert f"{SIGNED}" in page and ", hợp lệ" in page


def test_evidence_register_statements_do_not_grow_with_files(client, auth, db, rw, ca, signer_cert):
    report = _uploaded(client, auth, db, rw, ca, signer_cert)
    auth.login(rw["qb"]["dic"].email)
    code = rw["qb"]["agreement"].code
    pages = (f"/agreements/{code}/evidence", "/review", f"/reports/{report.id}")
    few = {p: _count_queries(db, lambda p=p: client.get(p)) for p in pages}
    auth.logout()
    auth.login(rw["qb"]["vnpt"].email)
    for i in range(6):
        data = signed_pdf(signer_cert, (ca,)) if i % 2 else plain_pdf(f"Bien ban {i}")
        # A submitted report takes no more uploads: the rows go in through the storage writer
        # the form uses (which checks the signatures).
        db.session.add(
            Evidence(
                report_id=report.id,
                title=f"Thêm {i}",
                kind="minutes",
                **_stored(data, f"Thêm {i}.pdf"),
            )
        )
    db.session.commit()
    auth.logout()
    auth.login(rw["qb"]["dic"].email)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 9
    many = {p: _count_queries(db, lambda p=p: client.get(p)) for p in pages}
    assert many == few


class _Upload:
    """Enough of werkzeug's FileStorage for tracker.storage.store."""

    def __init__(self, name: str, data: bytes):
        self.filename, self.stream = name, io.BytesIO(data)


def _stored(data: bytes, name: str) -> dict:
    stored = storage.store(_Upload(name, data))
    return {
        "file_name": stored.file_name,
        "sha256": stored.sha256,
        "size": stored.size,
        "content_type": stored.content_type,
    }
