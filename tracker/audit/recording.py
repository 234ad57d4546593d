"""Writing the audit log: a session hook adds one entry per changed audited record, in the
same transaction as the change."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from tracker.audit.models import AuditEntry
from tracker.clock import utcnow
from tracker.db import ACTOR, REASON

#: Columns whose changes say nothing to a reader.
_SKIPPED = {"updated_at", "updated_by_id", "created_at", "created_by_id", "version", "search_text"}
#: Secrets and bookkeeping that must never be copied into the log.
_SKIPPED |= {"password_hash", "session_token", "calendar_token", "token_hash", "last_login_at"}


def jsonable(value):
    """A column value in a form the audit log can store as JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "value") and not isinstance(value, int | str):  # enum
        return value.value
    return value


def recorded(key: str) -> bool:
    """Whether changes to a column of this name are copied into the log (not secrets, nor
    bookkeeping nor the primary key)."""
    return key not in _SKIPPED and key != "id"


def column_change(state, key: str) -> list | None:
    """[before, after] of a column this flush changes, as JSON values; None when unchanged."""
    hist = state.attrs[key].history
    if hist.has_changes():
        before = hist.deleted[0] if hist.deleted else None
        after = hist.added[0] if hist.added else None
        if before != after:
            return [jsonable(before), jsonable(after)]
    return None


def _column_changes(obj, *, created: bool, deleted: bool) -> dict:
    state = sa.inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        if not recorded(attr.key):
            continue
        if created:
            value = getattr(obj, attr.key)
            if value is not None:
                changes[attr.key] = [None, jsonable(value)]
        elif deleted:
            value = state.attrs[attr.key].loaded_value
            if value is not None and value is not sa.orm.base.NO_VALUE:
                changes[attr.key] = [jsonable(value), None]
        elif (change := column_change(state, attr.key)) is not None:
            changes[attr.key] = change
    for rel in state.mapper.relationships:
        if (
            not rel.uselist
            or rel.viewonly
            or rel.key not in getattr(obj, "__audited_collections__", ())
        ):
            continue
        hist = state.attrs[rel.key].history
        if hist.has_changes():
            before = sorted(str(o) for o in list(hist.unchanged) + list(hist.deleted))
            after = sorted(str(o) for o in list(hist.unchanged) + list(hist.added))
            if before != after:
                changes[rel.key] = [before, after]
    return changes


@event.listens_for(Session, "after_flush")
def _record_changes(session, flush_context):
    """Write one audit row per changed audited object, inside the same transaction."""
    rows = []
    actor_id = session.info.get(ACTOR)
    reason = session.info.get(REASON)
    for kind, objs in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objs:
            if not getattr(obj, "__audited__", False):
                continue
            changes = _column_changes(obj, created=kind == "create", deleted=kind == "delete")
            if kind == "update" and not changes:
                continue
            rows.append(
                {
                    "at": utcnow(),
                    "actor_id": actor_id,
                    "action": kind,
                    "entity_type": type(obj).__name__,
                    "entity_id": obj.id,
                    "agreement_id": getattr(obj, "audit_agreement_id", None),
                    "changes": changes,
                    "reason": reason,
                }
            )
    if rows:
        session.connection().execute(sa.insert(AuditEntry), rows)
