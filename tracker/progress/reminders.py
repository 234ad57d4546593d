"""`tracker remind`: one e-mail digest per user of what they have to do, sent over SMTP."""

import smtplib
import ssl
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import click
import sqlalchemy as sa
from flask import current_app, url_for
from flask.cli import with_appcontext
from flask_babel import force_locale, ngettext
from markupsafe import Markup, escape

from tracker.auth.models import User
from tracker.clock import local_today
from tracker.extensions import db
from tracker.i18n import _, fmt_date
from tracker.progress.todo import TodoItem, TodoList, item_url, todo_for_user

#: Reminders are written in the users' default language.
MAIL_LANGUAGE = "vi"


def digest_subject(today: date) -> str:
    """'[Theo dõi thỏa thuận] Việc cần làm ngày 22/11/2026' (in the current locale)."""
    return _("[Agreement tracker] To do on %(date)s", date=fmt_date(today))


def _item_line(item: TodoItem) -> str:
    """One line of the plain-text digest: date, agreement, what, and a late flag."""
    when = fmt_date(item.date) if item.date else "—"
    line = f"{when} · {item.agreement_code} · {item.label}"
    if item.detail:
        line += f" ({item.detail})"
    if item.overdue:
        line = f"[{_('overdue').upper()}] {line}"
    return line


def _intro(todo: TodoList) -> str:
    return _(
        "Here is what you have to do as of %(date)s: %(items)s, %(late)d overdue.",
        date=fmt_date(todo.today),
        items=ngettext("%(num)d item", "%(num)d items", len(todo)),
        late=todo.overdue_count,
    )


def digest_text(user: User, todo: TodoList) -> str:
    """The plain-text body (needs a request context for the links)."""
    lines = [
        _("Hello %(name)s,", name=user.full_name),
        "",
        _intro(todo),
    ]
    for _key, label, items in todo.sections():
        lines += ["", f"{label} ({len(items)})", "-" * len(f"{label} ({len(items)})")]
        for item in items:
            lines.append(f"- {_item_line(item)}")
            lines.append(f"  {item_url(item, external=True)}")
    lines += [
        "",
        _("Your to-do list: %(url)s", url=url_for("todo.index", _external=True)),
        "",
        "-- ",
        _("This message was sent automatically by the Cooperation Agreement Tracker."),
    ]
    return "\n".join(lines) + "\n"


def digest_html(user: User, todo: TodoList) -> str:
    """A simple HTML alternative of the same digest."""
    parts = [
        Markup('<!doctype html><html lang="{lang}"><meta charset="utf-8"><body>').format(
            lang=MAIL_LANGUAGE
        ),
        Markup("<p>{}</p>").format(_("Hello %(name)s,", name=user.full_name)),
        Markup("<p>{}</p>").format(_intro(todo)),
    ]
    for _key, label, items in todo.sections():
        parts.append(Markup("<h2>{} ({})</h2><ul>").format(label, len(items)))
        for item in items:
            text = escape(_item_line(item))
            if item.overdue:
                text = Markup('<strong style="color:#b42318">{}</strong>').format(text)
            parts.append(
                Markup('<li>{} — <a href="{}">{}</a></li>').format(
                    text, item_url(item, external=True), _("Open")
                )
            )
        parts.append(Markup("</ul>"))
    parts.append(
        Markup('<p><a href="{}">{}</a></p>').format(
            url_for("todo.index", _external=True), _("Open your to-do list")
        )
    )
    parts.append(
        Markup("<p><small>{}</small></p></body></html>").format(
            _("This message was sent automatically by the Cooperation Agreement Tracker.")
        )
    )
    return str(Markup("\n").join(parts))


def build_digest(user: User, todo: TodoList) -> EmailMessage:
    """The reminder e-mail for one user: plain text with an HTML alternative."""
    config = current_app.config
    msg = EmailMessage()
    msg["Subject"] = digest_subject(todo.today)
    msg["From"] = config["MAIL_FROM"]
    msg["To"] = Address(display_name=user.full_name or "", addr_spec=user.email)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(
        domain=config["MAIL_FROM"].rpartition("@")[2].strip("> ") or None
    )
    # RFC 3834: tells mail servers and vacation responders not to answer.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(digest_text(user, todo))
    msg.add_alternative(digest_html(user, todo), subtype="html")
    return msg


def send_message(msg: EmailMessage) -> None:
    """Send one message with the MAIL_* settings (a connection per message, so one failure
    leaves the others unaffected)."""
    config = current_app.config
    with smtplib.SMTP(
        config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config.get("MAIL_TIMEOUT", 30)
    ) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(msg)


def recipients():
    """Active users who belong to a unit, in a stable order."""
    return db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.unit_id.is_not(None)).order_by(User.id)
    ).all()


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
    """E-mail each user a digest of what they have to do (overdue and coming due)."""
    today = today_.date() if today_ else local_today()
    app = current_app._get_current_object()
    mailed = items = failed = 0
    with app.test_request_context(base_url=app.config["BASE_URL"]), force_locale(MAIL_LANGUAGE):
        for user in recipients():
            todo = todo_for_user(user, today)
            if not todo:
                continue
            msg = build_digest(user, todo)
            if dry_run:
                click.echo(f"To: {msg['To']}\nSubject: {msg['Subject']}\n")
                click.echo(msg.get_body(("plain",)).get_content())
                mailed += 1
                items += len(todo)
                continue
            try:
                send_message(msg)
            except (smtplib.SMTPException, OSError) as exc:
                failed += 1
                click.echo(f"Could not send to {user.email}: {exc}", err=True)
                continue
            mailed += 1
            items += len(todo)
    verb = "Would mail" if dry_run else "Mailed"
    summary = f"{verb} {mailed} user(s), {items} item(s) on {today:%d/%m/%Y}"
    if failed:
        summary += f"; {failed} failed"
    click.echo(summary)
    if failed:
        click.get_current_context().exit(1)
