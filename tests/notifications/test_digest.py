"""`tracker remind` is the digest of the preferences: the notifications a user chose to receive
daily (once each), then their to-do list; "off" means nothing at all."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests import factories
from tests.notifications import notified_world, submitted_report, told
from tests.progress import app_with_todo
from tests.progress.test_reminders import Inbox, _free_port
from tracker.clock import local_today
from tracker.notifications import services
from tracker.notifications.models import Delivery, Notification, NotificationKind
from tracker.notifications.queue import queue_of
from tracker.progress import services as progress


@pytest.fixture(scope="module")
def app(app):
    return app_with_todo(app)


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "MAIL_FROM", "theodoi@tracker.example.vn")
    monkeypatch.setitem(app.config, "BASE_URL", "https://theodoi.example.vn")
    yield inbox
    controller.stop()


def _remind(app):
    return app.test_cli_runner().invoke(args=["remind", "--today", local_today().isoformat()])


def test_off_means_no_notification_and_digest_means_in_the_digest_not_mailed(app, db, smtp):
    w = notified_world()
    qb = w["qb"]
    services.set_preferences(qb["dic"], {NotificationKind.report_submitted: Delivery.off})
    services.set_preferences(qb["dic2"], {NotificationKind.report_submitted: Delivery.digest})
    db.session.commit()
    with app.app_context():
        huey = queue_of(app).huey
        huey.flush()
        submitted_report(w)  # committed in this app, so its queue would get the e-mails
        db.session.remove()
        assert huey.pending_count() == 0  # nobody wants this one by e-mail now
    assert told() == {"report_submitted": ["dic2.qb@example.vn"]}

    result = _remind(app)
    assert result.exit_code == 0, result.output
    [message] = [m for _s, rcpts, m in smtp.messages if "dic2.qb@example.vn" in rcpts]
    text = message.get_body(("plain",)).get_content()
    assert "Thông báo (1)" in text
    assert f"{qb['vnpt'].full_name} đã gửi báo cáo về 1.1" in text and "chờ xác minh" in text
    assert "https://theodoi.example.vn/reports/" in text
    # The report waits for them in the to-do list too.
    assert "Báo cáo chờ xác minh" in text
    n = db.session.scalar(sa.select(Notification))
    db.session.refresh(n)
    assert n.digested_at is not None and n.emailed_at is None

    # Once in a digest, never again.
    smtp.messages.clear()
    assert _remind(app).exit_code == 0
    [again] = [m for _s, rcpts, m in smtp.messages if "dic2.qb@example.vn" in rcpts]
    assert "Thông báo (" not in again.get_body(("plain",)).get_content()


def test_the_digest_of_someone_with_only_notifications(app, db, smtp):
    w = notified_world()
    qb = w["qb"]
    services.set_preferences(qb["leader"], {NotificationKind.report_returned: Delivery.digest})
    services.watch(qb["leader"], qb["agreement"])
    db.session.commit()
    report = submitted_report(w)
    progress.return_report(
        db.session.merge(report), user=qb["dic"], reason="Thiếu biên bản nghiệm thu"
    )
    db.session.commit()
    result = _remind(app)
    assert result.exit_code == 0, result.output
    [message] = [m for _s, rcpts, m in smtp.messages if "leader.qb@example.vn" in rcpts]
    html = message.get_body(("html",)).get_content()
    assert (
        "đã trả lại báo cáo về 1.1" in html and 'href="https://theodoi.example.vn/reports/' in html
    )


def test_a_failed_digest_is_not_marked_digested(app, db, monkeypatch):
    w = notified_world()
    services.set_preferences(w["qb"]["dic2"], {NotificationKind.report_submitted: Delivery.digest})
    db.session.commit()
    submitted_report(w)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())
    result = _remind(app)
    assert result.exit_code == 1 and "failed" in result.output
    n = db.session.scalar(sa.select(Notification).where(Notification.delivery == Delivery.digest))
    assert n.digested_at is None


def test_remind_makes_the_days_notices_first_and_digests_them(app, db, smtp):
    w = notified_world()
    factories.milestone(
        w["qb"]["commitment"], title="Lắp đặt 5 trạm BTS", due_on=local_today() + timedelta(days=3)
    )
    db.session.commit()
    result = _remind(app)
    assert result.exit_code == 0, result.output
    assert "Made 3 notice(s)" in result.output
    [message] = [m for _s, rcpts, m in smtp.messages if "vnpt.qb@example.vn" in rcpts]
    text = message.get_body(("plain",)).get_content()
    assert "Thông báo (1)" in text
    assert "Mốc tiến độ Lắp đặt 5 trạm BTS (1.1) đến hạn trong vòng 7 ngày" in text
    assert "Made 0 notice(s)" in _remind(app).output
