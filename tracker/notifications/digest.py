"""`tracker remind`: the daily digest. It first makes the day's scheduled notices, then e-mails
each user the notifications they chose to receive in the daily digest (not yet digested) and
their to-do list, and marks those notifications digested."""

import smtplib
from datetime import date

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from tracker.auth.models import User
from tracker.clock import local_today, utcnow
from tracker.extensions import db
from tracker.notifications.models import Delivery, Notification
from tracker.notifications.presentation import show
from tracker.notifications.scheduled import scan_notices
from tracker.progress.reminders import MAIL_LANGUAGE, build_digest, send_message
from tracker.progress.todo import todo_for_user


def recipients():
    """Active users who belong to a unit, in a stable order."""
    return db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.unit_id.is_not(None)).order_by(User.id)
    ).all()


def digest_notifications(user: User) -> list[Notification]:
    """The user's notifications waiting for the daily digest, oldest first."""
    return db.session.scalars(
        sa.select(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.delivery == Delivery.digest,
            Notification.digested_at.is_(None),
        )
        .order_by(Notification.created_at, Notification.id)
    ).all()


def run_digest(today: date, *, dry_run: bool = False, echo=click.echo) -> tuple[int, int, int]:
    """Send every digest; returns (users mailed, items, failures). Needs a request context."""
    mailed = items = failed = 0
    for user in recipients():
        todo = todo_for_user(user, today)
        waiting = digest_notifications(user)
        if not todo and not waiting:
            continue
        notices = [(shown.text, shown.url) for shown in show(waiting, external=True)]
        msg = build_digest(user, todo, notices)
        if dry_run:
            echo(f"To: {msg['To']}\nSubject: {msg['Subject']}\n")
            echo(msg.get_body(("plain",)).get_content())
        else:
            try:
                send_message(msg)
            except (smtplib.SMTPException, OSError) as exc:
                failed += 1
                echo(f"Could not send to {user.email}: {exc}", err=True)
                continue
            now = utcnow()
            for notification in waiting:
                notification.digested_at = now
            db.session.commit()
        mailed += 1
        items += len(todo) + len(waiting)
    return mailed, items, failed


@click.command("remind")
@click.option("--dry-run", is_flag=True, help="Print the e-mails instead of sending them.")
@click.option(
    "--today",
    "today_",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Pretend today is this date (YYYY-MM-DD).",
)
@with_appcontext
def remind_command(dry_run, today_):
    """Make the day's notices, then e-mail each user their digest (notifications they chose to
    receive daily, and what they have to do)."""
    today = today_.date() if today_ else local_today()
    app = current_app._get_current_object()
    if not dry_run:
        notices = scan_notices(today)
        db.session.commit()
        click.echo(f"Made {notices} notice(s)")
    with app.test_request_context(base_url=app.config["BASE_URL"]), force_locale(MAIL_LANGUAGE):
        mailed, items, failed = run_digest(today, dry_run=dry_run)
    verb = "Would mail" if dry_run else "Mailed"
    summary = f"{verb} {mailed} user(s), {items} item(s) on {today:%d/%m/%Y}"
    if failed:
        summary += f"; {failed} failed"
    click.echo(summary)
    if failed:
        click.get_current_context().exit(1)
