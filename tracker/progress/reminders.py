"""The e-mail of what a user has to do (their to-do list, and the notifications they chose to
receive in the daily digest), and the one place that sends e-mail over SMTP. The `tracker remind`
command that sends the digests is tracker/notifications/digest.py."""

import smtplib
import ssl
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, url_for
from flask_babel import ngettext
from markupsafe import Markup, escape

from tracker.auth.models import User
from tracker.i18n import _, fmt_date
from tracker.progress.todo import TodoItem, TodoList, item_url

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


def _notices_heading(notices) -> str:
    return f"{_('Notifications')} ({len(notices)})"


def digest_text(user: User, todo: TodoList, notices=()) -> str:
    """The plain-text body (needs a request context for the links)."""
    lines = [
        _("Hello %(name)s,", name=user.full_name),
    ]
    if notices:
        heading = _notices_heading(notices)
        lines += ["", heading, "-" * len(heading)]
        for text, url in notices:
            lines += [f"- {text}", f"  {url}"]
    lines += ["", _intro(todo)]
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


def digest_html(user: User, todo: TodoList, notices=()) -> str:
    """A simple HTML alternative of the same digest."""
    parts = [
        Markup('<!doctype html><html lang="{lang}"><meta charset="utf-8"><body>').format(
            lang=MAIL_LANGUAGE
        ),
        Markup("<p>{}</p>").format(_("Hello %(name)s,", name=user.full_name)),
    ]
    if notices:
        parts.append(Markup("<h2>{}</h2><ul>").format(_notices_heading(notices)))
        for text, url in notices:
            parts.append(Markup('<li><a href="{}">{}</a></li>').format(url, text))
        parts.append(Markup("</ul>"))
    parts.append(Markup("<p>{}</p>").format(_intro(todo)))
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


def mail_domain() -> str | None:
    """The domain of MAIL_FROM, for Message-IDs."""
    return current_app.config["MAIL_FROM"].rpartition("@")[2].strip("> ") or None


def new_message(
    user: User, subject: str, text: str, html: str, *, message_id: str | None = None
) -> EmailMessage:
    """An automatic e-mail to one user: plain text with an HTML alternative. ``message_id``
    keeps the same Message-ID when the same message is sent again."""
    config = current_app.config
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = config["MAIL_FROM"]
    msg["To"] = Address(display_name=user.full_name or "", addr_spec=user.email)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id or make_msgid(domain=mail_domain())
    # RFC 3834: tells mail servers and vacation responders not to answer.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def build_digest(user: User, todo: TodoList, notices=()) -> EmailMessage:
    """The reminder e-mail for one user: plain text with an HTML alternative. ``notices`` are
    (text, url) pairs shown before the to-do list (the notifications gathered for the digest)."""
    return new_message(
        user,
        digest_subject(todo.today),
        digest_text(user, todo, notices),
        digest_html(user, todo, notices),
    )


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
