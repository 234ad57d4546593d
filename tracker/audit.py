"""The audit log: every change to an audited record, with who, when, and before -> after."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from tracker.db import ACTOR, REASON, Base, jsonable, utcnow

#: Columns whose changes say nothing to a reader.
_SKIPPED = {"updated_at", "updated_by_id", "created_at", "created_by_id", "version", "search_text"}
#: Secrets and bookkeeping that must never be copied into the log.
_SKIPPED |= {"password_hash", "session_token", "calendar_token", "token_hash", "last_login_at"}


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


def history(
    *, agreement_id: int | None = None, entities: list[tuple[str, list[int]]] | None = None
):
    """A SELECT of audit entries, newest first: an agreement's, or those of given records."""
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if agreement_id is not None:
        query = query.where(AuditEntry.agreement_id == agreement_id)
    if entities:
        query = query.where(
            sa.or_(
                *(
                    sa.and_(AuditEntry.entity_type == kind, AuditEntry.entity_id.in_(ids or [-1]))
                    for kind, ids in entities
                )
            )
        )
    return query


def labels():
    """Translated names for the audit table (entity kinds, actions, common fields)."""
    from tracker.i18n import _

    return {
        "entity_labels": {
            "Agreement": _("Agreement"),
            "Area": _("Area"),
            "Commitment": _("Commitment"),
            "Milestone": _("Milestone"),
            "Indicator": _("Indicator"),
            "Measurement": _("Value"),
            "Directive": _("Directive"),
            "Document": _("Document"),
            "Province": _("Province"),
            "Unit": _("Unit"),
            "User": _("Account"),
            "ProgressReport": _("Progress report"),
            "ReportingPeriod": _("Period"),
            "Evidence": _("Evidence"),
            "Extension": _("Extension request"),
        },
        "action_labels": {"create": _("created"), "update": _("changed"), "delete": _("deleted")},
        "field_labels": {
            "title": _("Title"),
            "code": _("Code"),
            "status": _("Status"),
            "due_on": _("Due date"),
            "done_on": _("Done on"),
            "target": _("Target"),
            "baseline": _("Baseline"),
            "value": _("Value"),
            "budget_vnd": _("Planned budget"),
            "percent_complete": _("Percent complete"),
            "completion": _("Completion"),
            "description": _("Description"),
            "name": _("Name"),
            "signed_on": _("Signed on"),
            "period_start": _("Period start"),
            "period_end": _("Period end"),
            "text": _("Directive"),
            "reopened_until": _("Accept reports until"),
            "lead_unit_id": _("Lead unit"),
            "support_units": _("Supporting units"),
            "spent_vnd": _("Spent in the period"),
            "narrative": _("Results, difficulties and next steps"),
        },
    }
