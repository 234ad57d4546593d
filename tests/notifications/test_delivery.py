"""E-mail delivery through the real job queue: handed over only after the commit, sent by a real
`tracker worker` process (Huey consumer) through a real SMTP server (aiosmtpd) that is down for a
while, then refuses with 4xx, then accepts: every e-mail arrives exactly once. Against Redis on
127.0.0.1:6379 and against the embedded SQLite queue. A page that makes notifications answers at
once while the SMTP server hangs."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient

from tests import factories
from tests.factories import PASSWORD
from tests.notifications import notified_world, submitted_report
from tracker import create_app
from tracker.agreements.models import Commitment
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.notifications.mail import message_id
from tracker.notifications.models import Delivery, Notification, NotificationKind
from tracker.notifications.queue import queue_of
from tracker.notifications.services import set_preferences
from tracker.progress import services as progress
from tracker.progress.models import ProgressReport, ReportingPeriod

REDIS_URL = "redis://127.0.0.1:6379/13"
TRACKER = str(Path(sys.executable).with_name("tracker"))
#: Extra DIC users of Quảng Bình, so one submitted report makes a batch of e-mails.
EXTRA_VERIFIERS = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that answers "451 try again later" until `accept_from` (a monotonic
    time), then keeps what it receives."""

    def __init__(self, accept_from: float):
        self.accept_from = accept_from
        self.messages = []
        self.refused = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if time.monotonic() < self.accept_from:
            with self.lock:
                self.refused += 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class Worker:
    """`tracker worker` in a subprocess, on the suite's database and the given queue."""

    def __init__(self, app, queue_env: dict, mail_port: int, log: Path, mail_timeout: int = 5):
        env = dict(os.environ)
        env.update(
            TRACKER_ENV="testing",
            TEST_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(mail_port),
            MAIL_FROM="theodoi@tracker.example.vn",
            MAIL_TIMEOUT=str(mail_timeout),
            BASE_URL="https://theodoi.example.vn",
            **queue_env,
        )
        self.log = log
        self.process = subprocess.Popen(
            [TRACKER, "worker", "--workers", "4", "--no-periodic", "--max-delay", "0.3"],
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        """Wait until the consumer says it has started."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Huey consumer started" in self.log.read_text():
                return
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.1)
        raise AssertionError(f"the worker did not start: {self.log.read_text()}")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log.read_text()


#: Retries as the enqueuing process sets them (Huey stores them with each task): fast here.
RETRIES = {"MAIL_RETRIES": 30, "MAIL_RETRY_DELAY": 0.3, "MAIL_RETRY_BACKOFF": 1.5}


def _web_app(app, **queue_config):
    """An app on the suite's database with its own queue (as the web processes would run)."""
    web = create_app(dict(app.config, **RETRIES, **queue_config))
    web.test_client_class = app.test_client_class
    queue_of(web).huey.flush()  # the test starts from a clean queue
    return web


QUEUES = {
    "redis": lambda tmp: (
        {"QUEUE_URL": REDIS_URL, "QUEUE_NAME": f"tracker-test-{os.getpid()}"},
        {"TEST_QUEUE_URL": REDIS_URL, "TEST_QUEUE_NAME": f"tracker-test-{os.getpid()}"},
    ),
    "sqlite": lambda tmp: (
        {"QUEUE_URL": None, "QUEUE_FILE": str(tmp / "queue.sqlite3"), "QUEUE_NAME": "tracker"},
        {"TEST_QUEUE_FILE": str(tmp / "queue.sqlite3"), "TEST_QUEUE_NAME": "tracker"},
    ),
}


def _world_with_verifiers():
    w = notified_world()
    for n in range(EXTRA_VERIFIERS):
        factories.user(Role.dic, w["qb"]["dic_unit"], email=f"kiemtra{n}.qb@example.vn")
    # One verifier chose the daily digest: their notification is not mailed now.
    set_preferences(w["qb"]["dic2"], {NotificationKind.report_submitted: Delivery.digest})
    db.session.commit()
    return w


def _mail_state(web) -> list[tuple[Notification, str]]:
    """Every notification as the database has it now, with its recipient's address."""
    with web.app_context():
        rows = db.session.execute(
            sa.select(Notification, User.email)
            .join(User, User.id == Notification.user_id)
            .order_by(Notification.id)
        ).all()
        db.session.expunge_all()
        db.session.remove()
        return [tuple(row) for row in rows]


@pytest.mark.parametrize("backend", ["redis", "sqlite"])
def test_smtp_down_then_up_every_email_arrives_exactly_once(app, tmp_path, backend):
    config, worker_env = QUEUES[backend](tmp_path)
    web = _web_app(app, **config)
    w = _world_with_verifiers()
    port = _free_port()
    down_for, refusing_for = 2.5, 2.0

    worker = Worker(app, worker_env, port, tmp_path / "worker.log")
    controller = None
    try:
        worker.wait_ready()
        started = time.monotonic()
        with web.app_context():
            submitted_report(w)  # committed in the web app: its queue gets the tasks
            db.session.remove()
        immediate = [
            (n, email) for n, email in _mail_state(web) if n.delivery == Delivery.immediately
        ]
        assert len(immediate) == EXTRA_VERIFIERS + 1  # the digest one is not queued
        time.sleep(down_for)  # nothing listens on the port: connection refused
        inbox = Inbox(accept_from=time.monotonic() + refusing_for)
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()  # up, but answering 451 for a while
        deadline = time.monotonic() + 60
        while len(inbox.messages) < len(immediate) and time.monotonic() < deadline:
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        time.sleep(2)  # time for a duplicate to show up, if any would
    finally:
        output = worker.stop()
        if controller is not None:
            controller.stop()

    recipients = sorted(r for rcpts, _m in inbox.messages for r in rcpts)
    assert recipients == sorted(email for _n, email in immediate), output[-3000:]
    ids = [m["Message-ID"] for _r, m in inbox.messages]
    assert len(set(ids)) == len(ids) == len(immediate)
    assert all(m["Subject"].startswith("[QB-2020] ") for _r, m in inbox.messages)
    body = inbox.messages[0][1].get_body(("plain",)).get_content()
    assert "chờ xác minh" in body and "https://theodoi.example.vn/reports/" in body

    state = [n for n, _email in _mail_state(web)]
    mailed = [n for n in state if n.delivery == Delivery.immediately]
    assert all(n.emailed_at is not None and n.mail_error is None for n in mailed)
    assert [n.emailed_at for n in state if n.delivery == Delivery.digest] == [None]
    assert sorted(ids) == sorted(_message_id(web, n) for n in mailed)
    attempts = [n.mail_attempts for n in mailed]
    assert min(attempts) >= 2  # each failed at least once while the server was down
    print(
        f"\n[{backend}] {len(inbox.messages)} e-mails sent, each exactly once, for "
        f"{len(immediate)} notifications; attempts per e-mail min {min(attempts)}, "
        f"max {max(attempts)}, total {sum(attempts)}; refused with 451: {inbox.refused}; "
        f"SMTP down {down_for}s then refusing {refusing_for}s; all delivered "
        f"{elapsed:.1f}s after the commit"
    )


def _message_id(web, notification) -> str:
    with web.app_context():
        web.config["MAIL_FROM"] = "theodoi@tracker.example.vn"
        return message_id(notification)


class Blackhole:
    """An "SMTP server" that accepts connections and never answers (a hung mail server)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(50)
        self.port = self.socket.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.socket.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self):
        for conn in self.connections:
            conn.close()
        self.socket.close()


def test_a_page_that_notifies_answers_at_once_while_smtp_hangs(app, tmp_path):
    config, worker_env = QUEUES["redis"](tmp_path)
    hung = Blackhole()
    web = _web_app(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=hung.port, MAIL_TIMEOUT=5, **config)
    w = _world_with_verifiers()
    qb = w["qb"]
    report = progress.save_report(
        None,
        commitment=qb["commitment"],
        period=qb["period"],
        user=qb["vnpt"],
        percent_complete=40,
        completion=qb["commitment"].completion,
        spent_vnd=None,
        narrative="Đã lắp đặt 3/5 trạm BTS",
        values={},
        milestones={},
    )
    db.session.commit()
    report_id, version = report.id, report.version
    worker = Worker(app, worker_env, hung.port, tmp_path / "worker.log", mail_timeout=5)
    try:
        worker.wait_ready()
        client: FlaskClient = web.test_client()
        assert (
            client.post(
                "/login", data={"email": "vnpt.qb@example.vn", "password": PASSWORD}
            ).status_code
            == 302
        )
        began = time.monotonic()
        response = client.post(f"/reports/{report_id}/submit", data={"version": version})
        took = time.monotonic() - began
        assert response.status_code == 302
        time.sleep(1.0)  # the worker has taken the tasks and hangs on the SMTP server
        connected = len(hung.connections)
    finally:
        worker.stop()
        hung.close()
    assert took < 1.0, f"the page took {took:.2f}s"
    with web.app_context():
        assert db.session.get(ProgressReport, report_id).status.value == "submitted"
        unsent = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.emailed_at.is_(None))
        )
        db.session.remove()
    assert unsent == EXTRA_VERIFIERS + 2  # made, committed, none sent
    assert connected >= 1  # the worker, not the page, is the one waiting on SMTP
    print(f"\n[page] submit answered in {took * 1000:.0f} ms while the SMTP server hung")


def test_nothing_is_queued_for_a_rolled_back_transaction(app, tmp_path):
    config, _env = QUEUES["sqlite"](tmp_path)
    web = _web_app(app, **config)
    w = _world_with_verifiers()
    huey = queue_of(web).huey
    with web.app_context():
        session = db.session
        commitment = session.get(Commitment, w["qb"]["commitment"].id)
        period = session.get(ReportingPeriod, w["qb"]["period"].id)
        vnpt = session.get(User, w["qb"]["vnpt"].id)
        report = progress.save_report(
            None,
            commitment=commitment,
            period=period,
            user=vnpt,
            percent_complete=10,
            completion=commitment.completion,
            spent_vnd=None,
            narrative=None,
            values={},
            milestones={},
        )
        progress.submit_report(report, user=vnpt)
        assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 12
        session.rollback()
        assert huey.pending_count() == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0

        report = progress.save_report(
            None,
            commitment=commitment,
            period=period,
            user=vnpt,
            percent_complete=10,
            completion=commitment.completion,
            spent_vnd=None,
            narrative=None,
            values={},
            milestones={},
        )
        progress.submit_report(report, user=vnpt)
        session.flush()
        assert huey.pending_count() == 0  # not before the commit
        session.commit()
        # One task per notification to mail now (the digest one waits for the digest).
        assert huey.pending_count() == EXTRA_VERIFIERS + 1
        session.remove()


def test_a_queue_down_at_commit_loses_nothing(app, tmp_path):
    dead = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    down = _web_app_unflushed(app, QUEUE_URL=dead, QUEUE_NAME="tracker-down")
    w = _world_with_verifiers()
    began = time.monotonic()
    with down.app_context():
        submitted_report(w)  # the commit succeeds; the hand-over to the queue fails and is logged
        db.session.remove()
    assert time.monotonic() - began < 5
    with down.app_context():
        unsent = db.session.scalars(
            sa.select(Notification).where(Notification.delivery == Delivery.immediately)
        ).all()
        assert len(unsent) == EXTRA_VERIFIERS + 1
        assert all(n.mail_attempts == 0 and n.emailed_at is None for n in unsent)
        # A quarter of an hour later the worker's periodic task queues them again.
        for n in unsent:
            n.created_at = n.created_at - timedelta(minutes=20)
        db.session.commit()
        db.session.remove()
    config, _env = QUEUES["sqlite"](tmp_path)
    up = _web_app(app, **config)
    huey = queue_of(up).huey
    assert queue_of(up).resend_stalled.call_local() == EXTRA_VERIFIERS + 1
    assert huey.pending_count() == EXTRA_VERIFIERS + 1


def _web_app_unflushed(app, **queue_config):
    web = create_app(dict(app.config, **RETRIES, **queue_config))
    web.test_client_class = app.test_client_class
    return web
