"""The audit log: every change to an audited record, with who, when, and before -> after."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from tracker.db import ACTOR, REASON, Base, jsonable, utcnow

#: Columns whose changes say nothing to a reader.
_SKIPPED = {"updated_at", "updated_by_id", "created_at", "created_by_id", "version", "search_text"}


class AuditEntry(Base):
    """One create, update or delete of one audited row."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(10))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int] = mapped_column()
    #: The agreement the row belongs to, so an agreement's history is one indexed query.
    agreement_id: Mapped[int | None] = mapped_column(index=True)
    #: {"field": [before, after]}
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(sa.Text)

    actor = sa.orm.relationship("User", foreign_keys=[actor_id], lazy="joined")

    __table_args__ = (sa.Index("ix_audit_entries_entity", "entity_type", "entity_id"),)


def _column_changes(obj, *, created: bool, deleted: bool) -> dict:
    state = sa.inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        if attr.key in _SKIPPED:
            continue
        if created:
            value = getattr(obj, attr.key)
            if value is not None and attr.key != "id":
                changes[attr.key] = [None, jsonable(value)]
        elif deleted:
            value = state.attrs[attr.key].loaded_value
            if value is not None and value is not sa.orm.base.NO_VALUE and attr.key != "id":
                changes[attr.key] = [jsonable(value), None]
        else:
            hist = state.attrs[attr.key].history
            if hist.has_changes():
                before = hist.deleted[0] if hist.deleted else None
                after = hist.added[0] if hist.added else None
                if before != after:
                    changes[attr.key] = [jsonable(before), jsonable(after)]
    for rel in state.mapper.relationships:
        if not rel.uselist or rel.viewonly or rel.key not in getattr(obj, "__audited_collections__", ()):
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
    for kind, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
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
