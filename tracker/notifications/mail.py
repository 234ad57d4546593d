"""E-mailing one notification, exactly once: the queue's task calls `deliver`, which re-reads the
notification, skips it if it is already mailed, sends it and marks it mailed in one short
transaction. A failure to reach the SMTP server raises, so the queue retries with backoff; a
permanent refusal (5xx) is recorded and not retried."""

import smtplib

from flask import current_app, url_for
from flask_babel import force_locale
from markupsafe import Markup

from tracker.clock import utcnow
from tracker.extensions import db
from tracker.i18n import _
from tracker.notifications.models import Delivery, Notification
from tracker.notifications.presentation import show
from tracker.progress.reminders import MAIL_LANGUAGE, mail_domain, new_message, send_message


class TransientMailError(Exception):
    """The SMTP server could not be reached or answered 4xx: try again later."""


def message_id(notification: Notification) -> str:
    """The same Message-ID each time this notification is sent, so a receiving server or mail
    client recognises a copy sent again after a crash between sending and marking it mailed."""
    created = notification.created_at
    return f"<notification-{notification.id}.{created:%Y%m%d%H%M%S}@{mail_domain() or 'tracker'}>"


def build_message(notification: Notification):
    """The e-mail of one notification, in the mail language (needs a request context)."""
    [shown] = show([notification], external=True)
    settings = url_for("notifications.settings", _external=True)
    text = [shown.text]
    if notification.detail:
        text += ["", notification.detail]
    text += [
        "",
        shown.url,
        "",
        "-- ",
        _("This message was sent automatically by the Cooperation Agreement Tracker."),
        _("Choose which notifications you receive: %(url)s", url=settings),
    ]
    html = Markup(
        '<!doctype html><html lang="{lang}"><meta charset="utf-8"><body>'
        '<p><a href="{url}">{text}</a></p>{detail}'
        '<p><small>{footer} <a href="{settings}">{choose}</a></small></p></body></html>'
    ).format(
        lang=MAIL_LANGUAGE,
        url=shown.url,
        text=shown.text,
        detail=Markup("<blockquote>{}</blockquote>").format(notification.detail)
        if notification.detail
        else "",
        footer=_("This message was sent automatically by the Cooperation Agreement Tracker."),
        settings=settings,
        choose=_("Choose which notifications you receive."),
    )
    return new_message(
        notification.user,
        f"[{shown.agreement_code}] {shown.text}",
        "\n".join(text) + "\n",
        str(html),
        message_id=message_id(notification),
    )


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def deliver(notification_id: int) -> str:
    """Send one notification's e-mail unless it is already mailed; returns what happened
    ("sent", "skipped", "refused"), raises TransientMailError to be retried."""
    app = current_app._get_current_object()
    # On PostgreSQL the row stays locked while it is sent, so two workers given the same id
    # (a task queued again by `resend_stalled`) cannot both send it; on SQLite such a lock
    # would lock the whole database for as long as the SMTP server takes, so none is taken.
    lock = {"skip_locked": True} if db.session.get_bind().dialect.name == "postgresql" else None
    notification = db.session.get(Notification, notification_id, with_for_update=lock)
    if (
        notification is None
        or notification.emailed_at is not None
        or notification.delivery != Delivery.immediately
        or not notification.user.active
    ):
        db.session.rollback()
        return "skipped"
    with app.test_request_context(base_url=app.config["BASE_URL"]), force_locale(MAIL_LANGUAGE):
        msg = build_message(notification)
    # Nothing is written before the message is sent: on SQLite a write would hold the database
    # lock for as long as the SMTP server takes (PostgreSQL holds only this row's lock).
    try:
        send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        notification.mail_attempts += 1
        notification.mail_error = f"{type(exc).__name__}: {exc}"[:500]
        db.session.commit()
        if _permanent(exc):
            return "refused"
        raise TransientMailError(str(exc)) from exc
    notification.mail_attempts += 1
    notification.emailed_at, notification.mail_error = utcnow(), None
    db.session.commit()
    return "sent"
