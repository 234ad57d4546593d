"""What the thread and the report pages read: a record's comments, the names their mentions
refer to, the earlier texts of edited comments, and a return's per-field notes."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker.auth.models import User
from tracker.discussion.mentions import mentioned_ids
from tracker.discussion.models import SUBJECT_KINDS, Comment
from tracker.extensions import db
from tracker.org.models import Unit
from tracker.progress.models import ReportAction


def subject_of(kind: str, subject_id: int):
    """The report, commitment or directive a URL names, or None."""
    model = SUBJECT_KINDS.get(kind)
    return db.session.get(model, subject_id) if model is not None else None


def kind_of(subject) -> str:
    """ "report", "commitment" or "directive"."""
    return next(kind for kind, model in SUBJECT_KINDS.items() if isinstance(subject, model))


def comments_of(subject) -> list[Comment]:
    """The record's comments, oldest first."""
    column = getattr(Comment, f"{kind_of(subject)}_id")
    return db.session.scalars(
        sa.select(Comment)
        .where(column == subject.id)
        .options(selectinload(Comment.indicator), selectinload(Comment.milestone))
        .order_by(Comment.created_at, Comment.id)
    ).all()


def mention_names(comments) -> dict[tuple[str, int], str]:
    """The current name of each person and unit the comments mention, one query per kind."""
    wanted = {"user": set(), "unit": set()}
    for comment in comments:
        for kind, ids in mentioned_ids(comment.body).items():
            wanted[kind] |= ids
    names = {}
    if wanted["user"]:
        rows = db.session.execute(
            sa.select(User.id, User.full_name).where(User.id.in_(wanted["user"]))
        )
        names.update({("user", i): name for i, name in rows})
    if wanted["unit"]:
        rows = db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(wanted["unit"])))
        names.update({("unit", i): name for i, name in rows})
    return names


def earlier_texts(comments) -> dict[int, list]:
    """For each edited comment, its earlier texts (when replaced, by whom, the text), from the
    history of changes, oldest first."""
    edited = [c.id for c in comments if c.edited_at is not None]
    if not edited:
        return {}
    entries = db.session.scalars(
        audit.history(entities=[("Comment", edited)]).where(audit.AuditEntry.action == "update")
    ).all()
    out: dict[int, list] = {}
    for entry in reversed(entries):
        pair = (entry.changes or {}).get("body")
        if pair:
            out.setdefault(entry.entity_id, []).append((entry.at, entry.actor, pair[0]))
    return out


def last_return_notes(report) -> dict[tuple[str, int], list[Comment]]:
    """The verifier's notes per field of the report's last return: {("indicator", id): [...],
    ("milestone", id): [...]}; empty when it was never returned."""
    if report is None:
        return {}
    returns = [e for e in report.events if e.action == ReportAction.returned]
    if not returns:
        return {}
    notes: dict[tuple[str, int], list[Comment]] = {}
    for comment in db.session.scalars(
        sa.select(Comment).where(Comment.return_event_id == returns[-1].id).order_by(Comment.id)
    ):
        key = (
            ("indicator", comment.indicator_id)
            if comment.indicator_id
            else (
                "milestone",
                comment.milestone_id,
            )
        )
        notes.setdefault(key, []).append(comment)
    return notes
