"""The job queue (Huey): e-mail is handed to it after the transaction commits and sent by the
`tracker worker` process, with retries and exponential backoff; a daily periodic task makes the
scheduled notices.

Storage: Redis when QUEUE_URL is ``redis://…`` (production), otherwise an SQLite file under
instance/ (the embedded default: no server to run). See docs/notifications.md for the choice."""

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from huey import PriorityRedisHuey, SqliteHuey, crontab
from redis import ConnectionPool
from sqlalchemy import event
from sqlalchemy.orm import Session

from tracker.clock import local_today, utcnow
from tracker.extensions import db
from tracker.notifications import mail
from tracker.notifications.models import Delivery, Notification
from tracker.notifications.scheduled import scan_notices
from tracker.notifications.services import PENDING_MAIL

log = logging.getLogger(__name__)

EXTENSION = "tracker.queue"


@dataclass
class TaskQueue:
    """The app's Huey instance and its tasks."""

    huey: object
    deliver: object
    scan: object
    resend_stalled: object

    def enqueue_mail(self, notification_ids) -> None:
        """Queue the e-mail of each notification (the task skips one already mailed)."""
        for notification_id in notification_ids:
            self.deliver(notification_id)


def make_huey(config):
    """A Huey on Redis (QUEUE_URL=redis://…) or on the embedded SQLite file (QUEUE_FILE)."""
    url = config.get("QUEUE_URL") or ""
    name = config["QUEUE_NAME"]
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Bounded waits: a Redis that does not answer must not hold a request for long (the
        # commit is done; `resend_stalled` queues the e-mail later). The consumer's blocking
        # read waits 1 s, well under the socket timeout.
        pool = ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return PriorityRedisHuey(name=name, connection_pool=pool, utc=True)
    return SqliteHuey(name=name, filename=config["QUEUE_FILE"], utc=True)


def init_app(app) -> TaskQueue:
    """Build the app's queue and register its tasks (each app gets its own Huey, so a test can
    run one on Redis and one on SQLite)."""
    huey = make_huey(app.config)
    config = app.config

    @huey.task(
        retries=config["MAIL_RETRIES"],
        retry_delay=config["MAIL_RETRY_DELAY"],
        retry_backoff=config["MAIL_RETRY_BACKOFF"],
        name="tracker.deliver_notification",
    )
    def deliver(notification_id: int) -> str:
        with app.app_context():
            try:
                return mail.deliver(notification_id)
            finally:
                db.session.remove()

    # 23:00 UTC is 06:00 in Vietnam: the day's notices are made before the working day.
    @huey.periodic_task(crontab(hour="23", minute="0"), name="tracker.scan_notices")
    def scan() -> int:
        with app.app_context():
            try:
                made = scan_notices(local_today())
                db.session.commit()
                return made
            finally:
                db.session.remove()

    @huey.periodic_task(crontab(minute="*/15"), name="tracker.resend_stalled")
    def resend_stalled() -> int:
        """Queue again the e-mail of notifications never tried (the queue was unreachable when
        their transaction committed)."""
        with app.app_context():
            try:
                ids = db.session.scalars(
                    sa.select(Notification.id).where(
                        Notification.delivery == Delivery.immediately,
                        Notification.emailed_at.is_(None),
                        Notification.mail_attempts == 0,
                        Notification.created_at < utcnow() - timedelta(minutes=15),
                    )
                ).all()
            finally:
                db.session.remove()
        for notification_id in ids:
            deliver(notification_id)
        return len(ids)

    queue = TaskQueue(huey=huey, deliver=deliver, scan=scan, resend_stalled=resend_stalled)
    app.extensions[EXTENSION] = queue
    return queue


def queue_of(app=None) -> TaskQueue:
    """The queue of the app (the current one by default)."""
    return (app or current_app).extensions[EXTENSION]


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session):
    """Hand the e-mail of the notifications this transaction made to the queue, now that they
    are committed (a worker reading them earlier would not find them)."""
    ids = session.info.pop(PENDING_MAIL, None)
    if not ids or not has_app_context() or EXTENSION not in current_app.extensions:
        return
    try:
        queue_of().enqueue_mail(ids)
    except Exception:  # the queue is down: `resend_stalled` picks them up later
        log.exception("could not queue the e-mail of notifications %s", ids)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    """A rolled-back transaction's notifications never existed: nothing to send."""
    session.info.pop(PENDING_MAIL, None)
