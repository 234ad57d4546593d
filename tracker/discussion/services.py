"""Writing comments: the only writer of `Comment`. Each function checks the permission, cleans
the text, resolves the mentions, flushes, sends `tracker.events.comment_posted` and returns; the
caller commits once. Nobody deletes a comment (its record's deletion takes it along)."""

from tracker import events
from tracker.clock import utcnow
from tracker.discussion.mentions import mentioned_ids, resolve
from tracker.discussion.models import ANCHOR_KINDS, SUBJECT_KINDS, Comment
from tracker.discussion.permissions import can_comment, can_edit_comment, can_view_thread
from tracker.errors import InvalidValue, NotAllowed, NotFound, check_version
from tracker.extensions import db
from tracker.i18n import _
from tracker.progress.models import ProgressReport, ReportAction
from tracker.text import clean_text

#: The longest comment, in characters.
MAX_LENGTH = 5000


def _clean(body: str | None) -> str:
    text = clean_text(body)
    if not text:
        raise InvalidValue(_("Write the comment before sending it."), "body")
    if len(text) > MAX_LENGTH:
        raise InvalidValue(_("A comment has at most %(max)d characters.", max=MAX_LENGTH), "body")
    return text


def _anchor(subject, anchor):
    """The indicator or milestone (given as such or as a ("indicator" | "milestone", id) pair)
    of the report's commitment a comment concerns; refused for another record."""
    if anchor is None:
        return None
    if not isinstance(subject, ProgressReport):
        raise InvalidValue(_("Only a comment on a progress report may concern one of its fields."))
    if isinstance(anchor, tuple):
        kind, item_id = anchor
        model = ANCHOR_KINDS.get(kind)
        anchor = db.session.get(model, item_id) if model is not None else None
    if anchor is None or anchor.commitment_id != subject.commitment_id:
        raise NotFound(_("This indicator or milestone is not one of the report's."))
    return anchor


def post_comment(subject, user, body, anchor=None, *, return_event=None) -> Comment:
    """Add a comment by `user` to the thread of a report, commitment or directive, optionally
    about one indicator or milestone of a report. Sends `comment_posted` with the people and
    units it mentions (not for a return's per-field notes: `report_returned` carries those)."""
    if not can_view_thread(user, subject):
        raise NotFound()
    if not can_comment(user, subject):
        raise NotAllowed()
    text = _clean(body)
    users, units = resolve(subject, text)
    comment = Comment(author=user, body=text, return_event=return_event)
    setattr(comment, _kind_of(subject, SUBJECT_KINDS), subject)
    target = _anchor(subject, anchor)
    if target is not None:
        setattr(comment, _kind_of(target, ANCHOR_KINDS), target)
    db.session.add(comment)
    db.session.flush()
    if return_event is None:
        events.comment_posted.send(
            comment, actor=user, edited=False, mentioned_users=users, mentioned_units=units
        )
    return comment


def edit_comment(comment: Comment, user, body, version=None) -> Comment:
    """Change the text of one's own comment; the earlier text stays in the history of changes.
    Sends `comment_posted` (edited) with the people and units newly mentioned."""
    if not can_view_thread(user, comment.subject):
        raise NotFound()
    if not can_edit_comment(user, comment):
        raise NotAllowed(_("Only its author may change a comment."))
    check_version(comment, version)
    text = _clean(body)
    users, units = resolve(comment.subject, text)
    before = mentioned_ids(comment.body)
    if text == comment.body:
        return comment
    comment.body, comment.edited_at = text, utcnow()
    db.session.flush()
    events.comment_posted.send(
        comment,
        actor=user,
        edited=True,
        mentioned_users={u for u in users if u.id not in before["user"]},
        mentioned_units={u for u in units if u.id not in before["unit"]},
    )
    return comment


def _kind_of(obj, kinds: dict) -> str:
    """The name under which `kinds` lists the record's model ("report", "indicator"…)."""
    kind = next((name for name, model in kinds.items() if isinstance(obj, model)), None)
    if kind is None:
        raise NotFound()
    return kind


@events.report_returned.connect
def store_field_notes(report, *, actor, field_notes=None, **_kwargs):
    """A verifier's per-field notes on returning a report become comments on the report, each
    about its indicator or milestone and tied to this return (same transaction)."""
    if not field_notes:
        return
    event = next(e for e in reversed(report.events) if e.action == ReportAction.returned)
    for anchor, note in field_notes.items():
        if clean_text(note):
            post_comment(report, actor, note, anchor, return_event=event)
