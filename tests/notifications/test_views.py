"""The bell, /notifications, opening one, marking all read, the settings page and the
"Theo dõi" buttons, through the real pages."""

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tests.conftest import text_of
from tests.factories import PASSWORD
from tests.notifications import notified_world, submitted_report
from tracker.extensions import db
from tracker.notifications import services
from tracker.notifications.models import Delivery, Notification, NotificationKind


def _login(client, email):
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def _bell(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r'<a class="bell".*?</a>', html, re.S)
    assert match, "no bell in the header"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


@pytest.fixture
def world(db):
    w = notified_world()
    submitted_report(w)
    return w


def test_the_bell_counts_the_unread_with_one_query(app, client, world):
    _login(client, "dic.qb@example.vn")
    statements = []

    def count(conn, cursor, statement, *args):
        if "notifications" in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert _bell(response) == "Thông báo 1 chưa đọc"
    assert len(statements) == 1 and "count" in statements[0].lower()

    client.post("/logout")
    _login(client, "leader.qb@example.vn")
    assert _bell(client.get("/")) == "Thông báo"  # nothing unread: no number


def test_the_list_shows_unread_first_and_opening_one_marks_it_read(client, world):
    qb = world["qb"]
    _login(client, "dic.qb@example.vn")
    page = client.get("/notifications")
    assert page.status_code == 200
    text = text_of(page)
    assert (
        f"{qb['vnpt'].full_name} đã gửi báo cáo về 1.1 {qb['commitment'].title} "
        f"({qb['period'].label}) chờ xác minh"
    ) in text
    assert "Mới" in text and "QB-2020" in text
    [n] = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == qb["dic"].id)
    ).all()
    opened = client.get(f"/notifications/{n.id}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/reports/{n.subject_id}")
    db.session.expire_all()
    assert db.session.get(Notification, n.id).read_at is not None
    assert "Mới" not in text_of(client.get("/notifications"))
    assert "Không có thông báo nào." in text_of(client.get("/notifications?show=unread"))
    assert "chờ xác minh" in text_of(client.get("/notifications?show=read"))


def test_someone_elses_notification_is_not_found(client, world):
    n = db.session.scalars(sa.select(Notification)).first()
    _login(client, "vnpt.qb@example.vn")
    assert client.get(f"/notifications/{n.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, n.id).read_at is None


def test_mark_all_read(client, world):
    qb = world["qb"]
    services.notify(
        NotificationKind.comment,
        [qb["dic"]],
        subject=services.subject_of(qb["commitment"]),
        actor=qb["vnpt"],
        detail="Đã bổ sung",
    )
    db.session.commit()
    _login(client, "dic.qb@example.vn")
    assert _bell(client.get("/")) == "Thông báo 2 chưa đọc"
    response = client.post("/notifications/read-all", follow_redirects=True)
    assert "Đã đánh dấu đã đọc 2 thông báo." in text_of(response)
    assert _bell(response) == "Thông báo"
    assert services.unread_count(qb["dic2"]) == 1  # another user's are untouched


def test_the_list_is_paginated(app, client, world, monkeypatch):
    qb = world["qb"]
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for _ in range(3):
        services.notify(
            NotificationKind.comment,
            [qb["dic"]],
            subject=services.subject_of(qb["commitment"]),
            actor=qb["vnpt"],
        )
    db.session.commit()
    _login(client, "dic.qb@example.vn")
    first = text_of(client.get("/notifications"))
    assert "Trang 1/2" in first and first.count("đã bình luận về") == 2
    second = client.get("/notifications?page=2").get_data(as_text=True)
    # Four in all (three comments and the report to verify), two a page.
    assert "Trang 2/2" in second and second.count('<li class="notification') == 2
    assert client.get("/notifications?page=x").status_code == 404


def test_settings_save_each_kind_and_refuse_an_unknown_choice(client, world):
    qb = world["qb"]
    _login(client, "vnpt.qb@example.vn")
    page = client.get("/notifications/settings")
    assert page.status_code == 200
    text = text_of(page)
    assert "Ngay lập tức" in text and "Trong bản tin hằng ngày" in text and "Tắt" in text
    assert "Báo cáo bị trả lại để bổ sung" in text
    saved = client.post(
        "/notifications/settings",
        data={"report_returned": "digest", "report_verified": "off"},
        follow_redirects=True,
    )
    assert "Đã lưu cài đặt thông báo của bạn." in text_of(saved)
    prefs = services.preferences(qb["vnpt"])
    assert prefs[NotificationKind.report_returned] == Delivery.digest
    assert prefs[NotificationKind.report_verified] == Delivery.off
    assert prefs[NotificationKind.report_submitted] == Delivery.immediately

    bad = client.post("/notifications/settings", data={"report_returned": "sometimes"})
    assert bad.status_code == 400
    assert "Hãy chọn một trong các lựa chọn cho từng loại thông báo." in text_of(bad)
    assert services.preferences(qb["vnpt"])[NotificationKind.report_returned] == Delivery.digest


def test_follow_and_unfollow_an_agreement_and_a_commitment(client, world):
    qb = world["qb"]
    _login(client, "leader.qb@example.vn")
    page = client.get(f"/agreements/{qb['agreement'].code}")
    assert "Theo dõi" in text_of(page) and "Bỏ theo dõi" not in text_of(page)
    response = client.post(
        f"/watch/agreement/{qb['agreement'].id}", data={"next": "/agreements/QB-2020"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/agreements/QB-2020"
    assert "Bỏ theo dõi" in text_of(client.get("/agreements/QB-2020"))
    assert services.is_watching(qb["leader"], qb["agreement"])

    commitment_page = f"/commitments/{qb['commitment'].id}"
    assert "Theo dõi" in text_of(client.get(commitment_page))
    client.post(f"/watch/commitment/{qb['commitment'].id}")
    assert "Bỏ theo dõi" in text_of(client.get(commitment_page))
    client.post(f"/unwatch/commitment/{qb['commitment'].id}")
    assert not services.is_watching(qb["leader"], qb["commitment"])
    # An outside redirect target is ignored.
    away = client.post(f"/unwatch/agreement/{qb['agreement'].id}", data={"next": "//evil.example"})
    assert away.headers["Location"] == "/agreements/QB-2020"


@pytest.mark.parametrize("kind", ["agreement", "commitment", "directive"])
def test_someone_who_cannot_read_the_record_cannot_follow_it(client, world, kind):
    vl_record = world["vl"][kind]
    _login(client, "vnpt.qb@example.vn")
    assert client.post(f"/watch/{kind}/{vl_record.id}").status_code == 404
    assert client.post(f"/unwatch/{kind}/{vl_record.id}").status_code == 404
    assert client.post(f"/watch/report/{vl_record.id}").status_code == 404
    assert client.post("/watch/agreement/999999").status_code == 404
    assert not services.is_watching(world["qb"]["vnpt"], vl_record)


def test_the_pages_need_a_signed_in_user_and_a_post_with_csrf(app, client, world, monkeypatch):
    assert client.get("/notifications").status_code == 302
    assert client.get("/watch/agreement/1").status_code == 405
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    _login_with_csrf(client)
    assert client.post("/notifications/read-all").status_code == 400
    assert services.unread_count(world["qb"]["dic"]) == 1


def _login_with_csrf(client):
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post(
        "/login", data={"email": "dic.qb@example.vn", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
