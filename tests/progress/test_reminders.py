"""`tracker remind` sends one digest per user with something to do, to a real SMTP server."""

import socket
from datetime import date, timedelta
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale

from tests import factories
from tests.progress import app_with_todo, period, quiet, report, sign
from tracker.auth.models import Role
from tracker.progress.models import ReportStatus
from tracker.progress.reminders import digest_subject

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def app(app):
    return app_with_todo(app)


class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses addresses starting with
    'reject'."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m for _sender, rcpts, m in self.messages if address in rcpts]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    """A local SMTP server the app is configured to send through."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "MAIL_FROM", "theodoi@tracker.example.vn")
    monkeypatch.setitem(app.config, "BASE_URL", "https://theodoi.example.vn")
    yield inbox
    controller.stop()


def _world():
    """Things to do for the Quảng Bình VNPT branch (a milestone, a report) and DIC (a directive)."""
    w = quiet(factories.world())
    qb = w["qb"]
    a = sign(qb["agreement"])
    factories.milestone(
        qb["commitment"],
        title="Khánh thành hệ thống, đưa vào sử dụng",
        due_on=TODAY - timedelta(days=1),
    )
    factories.directive(
        a, qb["dic_unit"], text="Sở TT&TT tổng hợp báo cáo", due_on=TODAY + timedelta(days=7)
    )
    p = period(a, starts_on=date(2026, 9, 15), deadline_on=date(2026, 12, 20))
    report(qb["commitment"], p, ReportStatus.submitted)  # nothing left for the branch to submit
    factories.db.session.commit()
    return w


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["remind", "--today", TODAY.isoformat(), *args])


def test_remind_sends_one_digest_per_user_with_something_to_do(app, db, smtp):
    w = _world()
    qb = w["qb"]
    result = _run(app)
    assert result.exit_code == 0, result.output

    recipients = sorted(r for _sender, rcpts, _m in smtp.messages for r in rcpts)
    # The branch (milestone), the DIC (milestone it supports, directive, report to verify);
    # nobody else has anything to do, and admins without a unit get no mail.
    assert recipients == sorted([qb["vnpt"].email, qb["dic"].email])
    assert all(sender == "theodoi@tracker.example.vn" for sender, _r, _m in smtp.messages)

    [msg] = smtp.to(qb["vnpt"].email)
    with app.test_request_context(), force_locale("vi"):
        expected_subject = digest_subject(TODAY)
    assert msg["Subject"] == expected_subject and "22/11/2026" in msg["Subject"]
    assert msg["To"].addresses[0].display_name == qb["vnpt"].full_name  # "Người dùng …", decoded
    assert msg["Auto-Submitted"] == "auto-generated"
    text = msg.get_body(("plain",)).get_content()
    assert "Khánh thành hệ thống, đưa vào sử dụng" in text
    assert "21/11/2026" in text and "QB-2020" in text
    assert "QUÁ HẠN" in text  # the overdue flag, already translated
    assert f"https://theodoi.example.vn/commitments/{qb['commitment'].id}#milestones" in text
    assert "https://theodoi.example.vn/todo" in text
    assert "Sở TT&TT tổng hợp báo cáo" not in text  # the DIC's directive, not the branch's
    html = msg.get_body(("html",)).get_content()
    assert (
        "Khánh thành hệ thống, đưa vào sử dụng" in html
        and 'href="https://theodoi.example.vn/' in html
    )
    assert "Sở TT&amp;TT" not in html

    [dic_msg] = smtp.to(qb["dic"].email)
    dic_text = dic_msg.get_body(("plain",)).get_content()
    assert "Sở TT&TT tổng hợp báo cáo" in dic_text and "29/11/2026" in dic_text
    assert "Sở TT&amp;TT tổng hợp báo cáo" in dic_msg.get_body(("html",)).get_content()

    assert "Mailed 2 user(s)" in result.output


def test_inactive_users_and_users_without_a_unit_get_nothing(app, db, smtp):
    w = _world()
    w["qb"]["vnpt"].active = False
    factories.db.session.commit()
    assert _run(app).exit_code == 0
    recipients = [r for _s, rcpts, _m in smtp.messages for r in rcpts]
    assert recipients == [w["qb"]["dic"].email]


def test_dry_run_prints_and_sends_nothing(app, db, smtp):
    w = _world()
    result = _run(app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert smtp.messages == []
    assert w["qb"]["vnpt"].email in result.output
    assert "Khánh thành hệ thống, đưa vào sử dụng" in result.output
    assert "Would mail 2 user(s)" in result.output


def test_nothing_to_do_sends_nothing(app, db, smtp):
    quiet(factories.world())
    result = _run(app)
    assert result.exit_code == 0 and smtp.messages == []
    assert "Mailed 0 user(s), 0 item(s)" in result.output


def test_a_failure_for_one_user_is_reported_and_the_others_still_get_theirs(app, db, smtp):
    w = _world()
    qb = w["qb"]
    refused = factories.user(Role.vnpt, qb["branch"], email="reject.me@example.vn")
    factories.db.session.commit()
    result = _run(app)
    assert result.exit_code == 1
    assert "reject.me@example.vn" in result.output
    assert smtp.to(refused.email) == []
    assert len(smtp.to(qb["vnpt"].email)) == 1 and len(smtp.to(qb["dic"].email)) == 1
    assert "Mailed 2 user(s)" in result.output and "1 failed" in result.output


def test_an_unreachable_server_fails_every_user(app, db, monkeypatch):
    _world()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())
    result = _run(app)
    assert result.exit_code == 1
    assert "2 failed" in result.output
