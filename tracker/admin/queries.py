"""What the administration screens read: the searchable audit log."""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from tracker import audit


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_history(
    *,
    q: str = "",
    entity: str = "",
    actor_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
):
    """A SELECT of audit entries, newest first, by text (changes and reason), kind of record,
    person and day (both ends included)."""
    query = audit.history()
    entry = audit.AuditEntry
    if entity:
        query = query.where(entry.entity_type == entity)
    if actor_id:
        query = query.where(entry.actor_id == actor_id)
    if date_from:
        query = query.where(entry.at >= datetime.combine(date_from, time.min))
    if date_to and date_to < date.max:
        query = query.where(entry.at < datetime.combine(date_to + timedelta(days=1), time.min))
    if q:
        needle = _like(q)
        query = query.where(
            sa.or_(
                sa.cast(entry.changes, sa.Text).ilike(needle, escape="\\"),
                entry.reason.ilike(needle, escape="\\"),
            )
        )
    return query
