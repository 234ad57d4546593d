"""The to-do page and the personal calendar feed (iCalendar, RFC 5545) with its settings page."""

import secrets
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.auth.models import User
from tracker.clock import utcnow
from tracker.extensions import db
from tracker.i18n import _
from tracker.progress import lists
from tracker.progress.todo import SECTIONS, ItemKind, TodoItem, item_url, todo_for_user

bp = Blueprint("todo", __name__)

#: Calendar feed tokens are at least this long (secrets.token_urlsafe(32) gives 43 characters).
MIN_TOKEN_LENGTH = 32


# -- pages ----------------------------------------------------------------------------------------


@bp.route("/todo")
@login_required
def index():
    """What the signed-in user has to do: overdue and upcoming items, by section."""
    todo = todo_for_user(current_user)
    shown = lists.TO_DO_LIST.show(todo.items)
    if shown.exporting:
        return shown.download()
    kinds = {key: kind for key, kind, _label in SECTIONS}
    sections = [
        (key, label, [item for item in shown.rows if item.kind == kinds[key]])
        for key, label, _items in todo.sections(include_empty=True)
    ]
    return render_template(
        "progress/todo.html", todo=todo, shown=shown, sections=sections, item_url=item_url
    ), shown.status


@bp.route("/account/calendar", methods=["GET", "POST"])
@login_required
def calendar():
    """The user's calendar feed address. POST action=renew creates a new secret (the old address
    stops working); action=disable turns the feed off. CSRFProtect checks every POST."""
    action = request.form.get("action") if request.method == "POST" else None
    if action == "renew":
        renew_calendar_token(current_user)
        db.session.commit()
        flash(_("A new calendar address has been created; the old one stops working."), "success")
        return redirect(url_for(".calendar"))
    if action == "disable":
        disable_calendar_feed(current_user)
        db.session.commit()
        flash(_("The calendar feed has been turned off."), "info")
        return redirect(url_for(".calendar"))
    feed_url = None
    if current_user.calendar_token:
        feed_url = url_for(".calendar_feed", token=current_user.calendar_token, _external=True)
    return render_template("progress/calendar.html", feed_url=feed_url)


@bp.route("/calendar/<token>.ics")
def calendar_feed(token):
    """The user's deadlines as an iCalendar feed; the secret token in the URL is the sign-in."""
    if len(token) < MIN_TOKEN_LENGTH:
        abort(404)
    user = db.session.scalar(sa.select(User).where(User.calendar_token == token))
    if user is None or not user.active:
        abort(404)
    todo = todo_for_user(user, horizon_days=None)
    body = render_calendar(
        [item for item in todo.items if item.kind in CALENDAR_KINDS and item.date is not None],
        name=_("Deadlines — %(name)s", name=user.full_name),
        url_for_item=lambda item: item_url(item, external=True),
    )
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="tracker.ics"'
    response.headers["Cache-Control"] = "private, max-age=900"
    return response


# -- services -------------------------------------------------------------------------------------


def renew_calendar_token(user: User) -> str:
    """Give the user a new secret calendar token (the previous feed address stops working)."""
    user.calendar_token = secrets.token_urlsafe(32)
    db.session.flush()
    return user.calendar_token


def disable_calendar_feed(user: User) -> None:
    """Remove the user's calendar token: the feed answers 404 until a new one is created."""
    user.calendar_token = None
    db.session.flush()


# -- iCalendar ------------------------------------------------------------------------------------

#: Items with a date worth a calendar entry: deadlines, not review work.
CALENDAR_KINDS = (
    ItemKind.milestone,
    ItemKind.directive,
    ItemKind.report_due,
    ItemKind.report_returned,
)


def ical_escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold_line(line: str, limit: int = 75) -> str:
    """Fold a content line into lines of at most `limit` octets (RFC 5545 §3.1), never inside
    a UTF-8 character; continuation lines start with a space."""
    parts, current, size = [], [], 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        room = limit if not parts else limit - 1  # the leading space counts
        if size + width > room:
            parts.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _summary(item: TodoItem) -> str:
    if item.kind == ItemKind.milestone:
        return _("Milestone: %(title)s", title=item.title)
    if item.kind == ItemKind.directive:
        return _("Directive: %(text)s", text=item.title)
    if item.kind == ItemKind.report_returned:
        return _(
            "Revise report: %(commitment)s (%(period)s)", commitment=item.label, period=item.detail
        )
    return _("Report due: %(commitment)s (%(period)s)", commitment=item.label, period=item.detail)


def _description(item: TodoItem, url: str) -> str:
    lines = [_("Agreement: %(code)s", code=item.agreement_code)]
    if item.kind in (ItemKind.milestone, ItemKind.directive) and item.detail:
        lines.append(item.detail)
    if item.unit:
        lines.append(_("Unit: %(unit)s", unit=item.unit))
    lines.append(url)
    return "\n".join(lines)


def render_calendar(items: list[TodoItem], *, name: str, url_for_item, stamp=None) -> str:
    """An iCalendar document with one all-day VEVENT per dated item (CRLF line endings)."""
    stamp = (stamp or utcnow()).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Cooperation Agreement Tracker//Deadlines//VI",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(name)}",
        "X-WR-TIMEZONE:Asia/Ho_Chi_Minh",
    ]
    for item in items:
        url = url_for_item(item)
        day: date = item.date
        lines += [
            "BEGIN:VEVENT",
            f"UID:{item.uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ical_escape(_summary(item))}",
            f"DESCRIPTION:{ical_escape(_description(item, url))}",
            f"URL:{url}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)
