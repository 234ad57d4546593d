"""The recycle bin: every delete asks first and goes to the bin, from which the DIC of the
province (or an administrator) restores the record with its children, its files and its history
for 30 days; then `tracker gc` purges it and lets its files go."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.conftest import sign_in, text_of
from tracker import audit, storage, trash
from tracker.agreements import services as agreement_services
from tracker.agreements.models import Agreement, Commitment, Document, Measurement, Milestone
from tracker.clock import utcnow
from tracker.errors import InvalidValue, WrongState
from tracker.ops.gc import collect_garbage
from tracker.progress import services as progress_services
from tracker.progress.models import Evidence
from tracker.trash import TrashItem

PASSWORD = factories.PASSWORD
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n% bien ban thung rac\n"


@pytest.fixture
def w(db):
    """factories.world() plus, in Quảng Bình, a commitment with a milestone, an indicator and a
    value (nothing reports on it, so it may be deleted) and a draft agreement with a file."""
    world = factories.world()
    qb = world["qb"]
    c = factories.commitment(qb["area"], qb["branch"], code="1.9", title="Phủ sóng xã biên giới")
    factories.milestone(c, title="Lắp 5 trạm BTS")
    ind = factories.indicator(c, name="Số xã biên giới có băng rộng", target=2)
    db.session.add(Measurement(indicator=ind, measured_on=date(2021, 12, 31), value=Decimal(1)))
    qb["spare_commitment"] = c
    draft = factories.agreement(qb["province"], code="QB-DU-THAO")
    factories.area(draft, code="I", title="Hạ tầng số")
    stored = storage.store(FileStorage(io.BytesIO(PDF), filename="biên bản.pdf"))
    db.session.add(
        Document(
            agreement=draft,
            title="Dự thảo thỏa thuận",
            file_name=stored.file_name,
            sha256=stored.sha256,
            size=stored.size,
            content_type=stored.content_type,
        )
    )
    qb["draft"], qb["sha"] = draft, stored.sha256
    db.session.commit()
    return world


def login(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def only_item(db) -> TrashItem:
    db.session.expire_all()
    items = db.session.scalars(sa.select(TrashItem)).all()
    assert len(items) == 1
    return items[0]


# -- delete: asked first, then in the bin --------------------------------------------------------


def test_the_confirmation_page_lists_what_goes_with_the_record(client, db, w):
    c = w["qb"]["spare_commitment"]
    login(client, w["qb"]["dic"])
    page = text_of(client.get(f"/delete/commitment/{c.id}"))
    assert "Xóa cam kết?" in page
    assert "Phủ sóng xã biên giới" in page
    assert "Mốc tiến độ (1): Lắp 5 trạm BTS" in page
    assert "Số xã biên giới có băng rộng" in page
    assert "Số liệu chỉ tiêu (1): 31/12/2021" in page
    assert "khôi phục trong 30 ngày" in page
    assert db.session.get(Commitment, c.id) is not None  # the page deleted nothing


def test_a_refused_delete_says_why_on_the_confirmation_page(client, db, w):
    login(client, w["qb"]["dic"])
    response = client.get(f"/delete/area/{w['qb']['area'].id}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Vui lòng chuyển hoặc xóa các cam kết thuộc lĩnh vực này trước." in page
    assert 'method="post" action="/delete' not in response.get_data(as_text=True)
    assert only_count(db) == 0


def only_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(TrashItem))


def test_deleted_commitment_comes_back_with_its_children_and_history(client, db, w):
    qb = w["qb"]
    c = qb["spare_commitment"]
    commitment_id, code = c.id, qb["agreement"].code
    milestone_ids = [m.id for m in c.milestones]
    login(client, qb["dic"])
    response = client.post(f"/delete/commitment/{commitment_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/agreements/{code}")
    assert client.get(f"/commitments/{commitment_id}").status_code == 404
    assert "Phủ sóng xã biên giới" not in text_of(client.get(f"/agreements/{code}"))
    assert (
        db.session.scalar(sa.select(Milestone.id).where(Milestone.id == milestone_ids[0])) is None
    )

    item = only_item(db)
    assert item.label == "Phủ sóng xã biên giới"
    assert item.deleted_by_id == qb["dic"].id
    listing = text_of(client.get("/admin/trash"))
    assert "Phủ sóng xã biên giới" in listing
    assert code in listing
    assert qb["dic"].full_name in listing
    assert trash.days_left(item) == 30
    assert trash.days_left(item, now=trash.expires_at(item) - timedelta(hours=1)) == 1
    assert trash.days_left(item, now=trash.expires_at(item)) == 0

    page = text_of(client.get(f"/admin/trash/{item.id}/restore"))
    assert "Khôi phục “Phủ sóng xã biên giới”?" in page
    assert "Lắp 5 trạm BTS" in page
    response = client.post(f"/admin/trash/{item.id}/restore", follow_redirects=True)
    assert "Đã khôi phục “Phủ sóng xã biên giới”." in text_of(response)
    assert only_count(db) == 0

    page = text_of(client.get(f"/commitments/{commitment_id}"))
    assert "Phủ sóng xã biên giới" in page
    assert "Lắp 5 trạm BTS" in page
    assert "Số xã biên giới có băng rộng" in page
    db.session.expire_all()
    restored = db.session.get(Commitment, commitment_id)
    assert [u.code for u in restored.support_units] == []
    assert [m.id for m in restored.milestones] == milestone_ids
    assert len(restored.indicators[0].measurements) == 1

    entries = db.session.scalars(
        audit.history(entities=[("Commitment", [commitment_id])]).order_by(None)
    ).all()
    assert sorted(e.action for e in entries) == ["create", "delete", "restore"]
    restore_entry = next(e for e in entries if e.action == "restore")
    assert restore_entry.actor_id == qb["dic"].id
    assert next(e for e in entries if e.action == "delete").actor_id == qb["dic"].id
    history = text_of(client.get(f"/agreements/{code}/history"))
    assert "khôi phục từ thùng rác" in history
    assert "xóa" in history.replace("khôi phục từ thùng rác", "")


def test_a_draft_agreement_comes_back_with_its_file(app, client, db, w):
    qb = w["qb"]
    draft_id, sha = qb["draft"].id, qb["sha"]
    document_id = qb["draft"].documents[0].id
    login(client, qb["dic"])
    assert "Dự thảo thỏa thuận" in text_of(client.get("/agreements/QB-DU-THAO/delete"))
    assert client.post("/agreements/QB-DU-THAO/delete").status_code == 302
    assert client.get("/agreements/QB-DU-THAO").status_code == 404
    storage.remove_unused(sha)
    collect_garbage(min_age=0)
    assert storage.path_for(sha).exists(), "a file in the bin is kept"
    item = only_item(db)
    assert [f.sha256 for f in item.files] == [sha]

    client.post(f"/admin/trash/{item.id}/restore")
    assert client.get("/agreements/QB-DU-THAO").status_code == 200
    response = client.get(f"/documents/{document_id}")
    assert response.status_code == 200
    assert response.data == PDF
    db.session.expire_all()
    assert [a.title for a in db.session.get(Agreement, draft_id).areas] == ["Hạ tầng số"]


def test_deleted_evidence_keeps_its_file_and_comes_back(db, w):
    qb = w["qb"]
    stored = storage.store(FileStorage(io.BytesIO(PDF + b"% ev\n"), filename="ảnh.pdf"))
    evidence = progress_services.add_directive_evidence(
        qb["directive"], user=qb["dic"], stored=stored, title="Biên bản nghiệm thu", kind="minutes"
    )
    db.session.commit()
    evidence_id = evidence.id
    progress_services.delete_evidence(evidence, user=qb["dic"])
    db.session.commit()
    storage.remove_unused(stored.sha256)
    assert storage.path_for(stored.sha256).exists()
    assert db.session.scalar(sa.select(Evidence.id).where(Evidence.id == evidence_id)) is None
    trash.restore(only_item(db), user=qb["dic"])
    db.session.commit()
    assert db.session.get(Evidence, evidence_id).title == "Biên bản nghiệm thu"


# -- who sees the bin ----------------------------------------------------------------------------


def test_the_dic_of_another_province_neither_sees_nor_restores(client, db, w):
    c = w["qb"]["spare_commitment"]
    agreement_services.delete_record(c, agreement=w["qb"]["agreement"], user=w["qb"]["dic"])
    db.session.commit()
    item = only_item(db)
    login(client, w["vl"]["dic"])
    assert "Phủ sóng xã biên giới" not in text_of(client.get("/admin/trash"))
    assert client.get(f"/admin/trash/{item.id}/restore").status_code == 404
    assert client.post(f"/admin/trash/{item.id}/restore").status_code == 404
    assert only_count(db) == 1
    client.post("/logout")
    login(client, w["qb"]["vnpt"])
    assert client.get("/admin/trash").status_code == 403
    assert client.post(f"/admin/trash/{item.id}/restore").status_code == 404
    client.post("/logout")
    login(client, w["qb"]["dic"])
    assert client.post(f"/admin/trash/{item.id}/purge").status_code == 403
    client.post("/logout")
    login(client, w["admin"])
    assert "Phủ sóng xã biên giới" in text_of(client.get("/admin/trash"))
    assert client.post(f"/admin/trash/{item.id}/purge").status_code == 302
    assert only_count(db) == 0


# -- 30 days, then gone ------------------------------------------------------------------------


def test_after_30_days_gc_purges_the_record_and_its_file(app, db, w):
    qb = w["qb"]
    agreement_services.delete_agreement(qb["draft"], user=qb["dic"])
    db.session.commit()
    item = only_item(db)
    item.deleted_at = utcnow() - timedelta(days=29, hours=23)
    db.session.commit()
    found = collect_garbage(min_age=0)
    assert found.purged == [] and storage.path_for(qb["sha"]).exists()

    item = only_item(db)
    item.deleted_at = utcnow() - timedelta(days=30, minutes=1)
    db.session.commit()
    with pytest.raises(WrongState, match="quá 30 ngày"):
        trash.restore(item, user=qb["dic"])
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["gc", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    assert "purged from the recycle bin: Agreement QB-DU-THAO" in result.output
    assert only_count(db) == 0
    assert not storage.path_for(qb["sha"]).exists()


# -- what stands in the way of a restore -------------------------------------------------------


def test_restore_is_refused_when_the_code_is_taken_meanwhile(client, db, w):
    qb = w["qb"]
    login(client, qb["dic"])
    client.post("/agreements/QB-DU-THAO/delete")
    item = only_item(db)
    factories.agreement(qb["province"], code="QB-DU-THAO", title="Thỏa thuận mới")
    db.session.commit()
    response = client.post(f"/admin/trash/{item.id}/restore", follow_redirects=True)
    assert "Một thỏa thuận khác hiện đang có mã “QB-DU-THAO”" in text_of(response)
    assert only_count(db) == 1
    db.session.expire_all()
    assert db.session.scalars(
        sa.select(Agreement.title).where(Agreement.code == "QB-DU-THAO")
    ).all() == ["Thỏa thuận mới"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


def test_restore_is_refused_while_the_parent_is_gone(db, w):
    qb = w["qb"]
    c = qb["spare_commitment"]
    milestone = c.milestones[0]
    agreement_services.delete_record(milestone, agreement=qb["agreement"], user=qb["dic"])
    agreement_services.delete_record(c, agreement=qb["agreement"], user=qb["dic"])
    db.session.commit()
    items = {i.kind: i for i in db.session.scalars(sa.select(TrashItem))}
    with pytest.raises(InvalidValue, match="Cam kết chứa bản ghi này không còn nữa"):
        trash.restore(items["Milestone"], user=qb["dic"])
    db.session.rollback()
    assert only_kinds(db) == {"Milestone", "Commitment"}
    trash.restore(items["Commitment"], user=qb["dic"])
    trash.restore(items["Milestone"], user=qb["dic"])
    db.session.commit()
    db.session.expire_all()
    assert [m.title for m in db.session.get(Commitment, c.id).milestones] == ["Lắp 5 trạm BTS"]


def test_an_indicator_value_is_named_by_its_indicator_and_date(client, db, w):
    indicator = w["qb"]["spare_commitment"].indicators[0]
    value = indicator.measurements[0]
    login(client, w["qb"]["dic"])
    page = text_of(client.get(f"/delete/measurement/{value.id}"))
    assert "Số xã biên giới có băng rộng: 1 (31/12/2021)" in page
    client.post(f"/delete/measurement/{value.id}")
    assert only_item(db).label == "Số xã biên giới có băng rộng: 1 (31/12/2021)"


def only_kinds(db) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(TrashItem.kind)))


# -- in the browser -----------------------------------------------------------------------------


def test_delete_with_confirmation_then_restore_in_the_browser(app, db, w, server_url, browser):
    """With scripts on, the confirmation opens in a dialog; Cancel keeps the record."""
    qb = w["qb"]
    c = qb["spare_commitment"]
    page = browser.new_context(locale="vi-VN").new_page()
    sign_in(page, server_url, qb["dic"].email)
    page.goto(f"{server_url}/commitments/{c.id}")
    page.click("header a.btn-danger[data-confirm-dialog]")
    dialog = page.locator("dialog.confirm-dialog[open]")
    dialog.wait_for()
    assert "Lắp 5 trạm BTS" in dialog.inner_text()
    dialog.locator("a[data-cancel]").click()
    assert page.locator("dialog.confirm-dialog").count() == 0
    assert page.url == f"{server_url}/commitments/{c.id}"

    page.click("header a.btn-danger[data-confirm-dialog]")
    page.locator("dialog.confirm-dialog[open] button.btn-danger").click()
    page.wait_for_url(f"{server_url}/agreements/{qb['agreement'].code}")
    assert "Đã chuyển vào thùng rác" in page.inner_text("main")
    assert "Phủ sóng xã biên giới" not in page.inner_text("main")
    page.click('nav.mainnav a[href="/admin/trash"]')
    assert "Phủ sóng xã biên giới" in page.inner_text("table.trash")
    page.click("table.trash a.btn:has-text('Khôi phục')")
    assert "Lắp 5 trạm BTS" in page.inner_text("main")
    page.click("main form button.btn-primary")
    page.wait_for_url(f"{server_url}/admin/trash")
    assert "Đã khôi phục “Phủ sóng xã biên giới”." in page.inner_text("main")
    page.goto(f"{server_url}/commitments/{c.id}")
    assert "Lắp 5 trạm BTS" in page.inner_text("main")


def test_without_scripts_a_delete_asks_on_its_own_page(app, db, w, server_url, browser):
    qb = w["qb"]
    milestone = qb["spare_commitment"].milestones[0]
    page = browser.new_context(locale="vi-VN", java_script_enabled=False).new_page()
    sign_in(page, server_url, qb["dic"].email)
    page.goto(f"{server_url}/commitments/{qb['spare_commitment'].id}")
    page.click(f"a[data-confirm-dialog][href^='/delete/milestone/{milestone.id}']")
    page.wait_for_url(re.compile(rf".*/delete/milestone/{milestone.id}\?back=.*"))
    assert "Xóa mốc tiến độ?" in page.inner_text("main")
    page.click("main form button.btn-danger")
    page.wait_for_url(re.compile(rf".*/commitments/{qb['spare_commitment'].id}(#milestones)?$"))
    assert "Đã chuyển vào thùng rác" in page.inner_text("main")
    assert only_kinds(db) == {"Milestone"}
