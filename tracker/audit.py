"""The audit log: every change to an audited record, with who, when, and before -> after."""

import functools
from datetime import date, datetime
from decimal import Decimal

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


def labels(entries=()) -> dict:
    """Translated names for the audit table (entity kinds, actions) and each entry's changes
    as the reader should see them (see `present`)."""
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
            "ApiToken": _("API token"),
            "GeneratedReport": _("Generated review"),
        },
        "action_labels": {"create": _("created"), "update": _("changed"), "delete": _("deleted")},
        "changes": present(entries),
    }


# -- presentation -------------------------------------------------------------------------------

#: Columns a reader does not need: the record's place in its parent (the page shows the parent),
#: ordering, and technical fields.
_HIDDEN = {
    "agreement_id",
    "area_id",
    "commitment_id",
    "indicator_id",
    "report_id",
    "period_id",
    "milestone_id",
    "directive_id",
    "position",
    "thumbnail_sha256",
    "content_type",
    "data_fingerprint",
    "options",
    "hint",
}


def _field_labels() -> dict:
    from tracker.i18n import _

    return {
        "title": _("Title"),
        "code": _("Code"),
        "status": _("Status"),
        "due_on": _("Due date"),
        "done_on": _("Done on"),
        "target": _("Target"),
        "target_on": _("Target date"),
        "baseline": _("Baseline"),
        "direction": _("Direction"),
        "unit": _("Unit of measure"),
        "value": _("Value"),
        "measured_on": _("Date of the value"),
        "verified": _("Verified"),
        "note": _("Source or note"),
        "budget_vnd": _("Planned budget"),
        "funding_source": _("Funding source"),
        "committed_by": _("Committed by"),
        "priority": _("Priority"),
        "percent_complete": _("Percent complete"),
        "completion": _("Completion"),
        "description": _("Description"),
        "name": _("Name"),
        "short_name": _("Short name"),
        "signed_on": _("Signed on"),
        "period_start": _("Period start"),
        "period_end": _("Period end"),
        "vision_year": _("Vision to year"),
        "partner": _("Partner"),
        "province_signatory": _("Signatory for the province"),
        "partner_signatory": _("Signatory for the partner"),
        "legal_bases": _("Legal bases"),
        "predecessor_id": _("Continues"),
        "reporting_frequency": _("Reporting frequency"),
        "report_deadline_days": _("Days to report after the period"),
        "province_id": _("Province"),
        "units": _("Participating units"),
        "text": _("Directive"),
        "issued_on": _("Issued on"),
        "issued_by": _("Issued by"),
        "meeting": _("Meeting"),
        "assignee_unit_id": _("Assigned to"),
        "reopened_until": _("Accept reports until"),
        "starts_on": _("Starts on"),
        "ends_on": _("Ends on"),
        "deadline_on": _("Reporting deadline"),
        "year": _("Year"),
        "number": _("Number"),
        "kind": _("Kind"),
        "lead_unit_id": _("Lead unit"),
        "support_units": _("Supporting units"),
        "unit_id": _("Unit"),
        "spent_vnd": _("Spent in the period"),
        "narrative": _("Results, difficulties and next steps"),
        "submitted_at": _("Submitted at"),
        "submitted_by_id": _("Submitted by"),
        "verified_at": _("Verified at"),
        "verified_by_id": _("Verified by"),
        "file_name": _("File"),
        "sha256": "SHA-256",
        "size": _("Size"),
        "superseded_by_id": _("Replaced by"),
        "original_due_on": _("Original due date"),
        "original_on": _("Original date"),
        "requested_on": _("Requested date"),
        "requested_by_id": _("Requested by"),
        "reason": _("Reason"),
        "decided_at": _("Decided at"),
        "decided_by_id": _("Decided by"),
        "decision_note": _("Decision note"),
        "valid_from": _("Valid from"),
        "valid_to": _("Valid until"),
        "successor_id": _("Carried on by"),
        "change_kind": _("How it changed"),
        "is_city": _("Centrally governed city"),
        "side": _("Side"),
        "email": _("E-mail"),
        "full_name": _("Full name"),
        "role": _("Role"),
        "active": _("Active"),
        "user_id": _("Account"),
        "expires_on": _("Expires on"),
        "revoked_at": _("Revoked at"),
        "last_used_at": _("Last used at"),
        "lang": _("Language"),
        "date_from": _("From"),
        "date_to": _("To"),
        "pages": _("Number of pages"),
    }


@functools.cache
def _columns() -> dict[tuple[str, str], sa.Column]:
    """(class name, attribute) -> column, for the audited models."""
    return {
        (mapper.class_.__name__, attr.key): attr.columns[0]
        for mapper in Base.registry.mappers
        if getattr(mapper.class_, "__audited__", False)
        for attr in mapper.column_attrs
    }


def _names(entries, columns) -> dict[str, dict]:
    """The names of the units, accounts, provinces and agreements the entries refer to, read
    in one query per table."""
    from tracker.agreements.models import Agreement
    from tracker.auth.models import User
    from tracker.extensions import db
    from tracker.org.models import Province, Unit

    models = {"units": (Unit, Unit.name), "users": (User, User.full_name)}
    models |= {"provinces": (Province, Province.name), "agreements": (Agreement, Agreement.code)}
    wanted = {table: set() for table in models}
    for e in entries:
        for field, pair in (e.changes or {}).items():
            column = columns.get((e.entity_type, field))
            for key in column.foreign_keys if column is not None else ():
                table = key.column.table.name
                if table in wanted:
                    wanted[table] |= {v for v in pair if isinstance(v, int)}
    names = {}
    for table, ids in wanted.items():
        model, name = models[table]
        names[table] = (
            dict(db.session.execute(sa.select(model.id, name).where(model.id.in_(ids))).all())
            if ids
            else {}
        )
    return names


def _show(value, column, names) -> str:
    """One stored value as the reader expects it: dates dd/mm/yyyy, amounts in đồng, enum
    labels, yes/no, names instead of ids."""
    from tracker.i18n import _, fmt_date, fmt_datetime, fmt_number, fmt_vnd

    if value is None:
        return "—"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "—"
    if column is None:
        return str(value)
    for key in column.foreign_keys:
        table = key.column.table.name
        if table in names:
            return names[table].get(value) or f"#{value}"
        return f"#{value}"
    kind = column.type
    try:
        if isinstance(kind, sa.Enum) and kind.enum_class is not None:
            member = kind.enum_class(value)
            return member.text if hasattr(member, "text") else str(member.value)
        if isinstance(kind, sa.Boolean):
            return _("yes") if value else _("no")
        if isinstance(kind, sa.DateTime):
            return fmt_datetime(datetime.fromisoformat(value))
        if isinstance(kind, sa.Date):
            return fmt_date(date.fromisoformat(value))
        if column.key.endswith("_vnd"):
            return fmt_vnd(int(value))
        if column.key == "size":  # of a file, as the evidence lists show it
            return f"{fmt_number(-(-int(value) // 1024))} KB"
        if isinstance(kind, sa.Numeric | sa.Integer) and not isinstance(value, bool):
            return fmt_number(Decimal(str(value)))
    except (ValueError, TypeError, ArithmeticError):
        pass  # a value from before a change of type: shown as stored
    return str(value)


def present(entries) -> dict[int, list[tuple[str, str, str]]]:
    """Each entry's changes as (field label, before, after) in the reader's language, hidden
    fields left out."""
    entries = list(entries)
    if not entries:
        return {}
    columns, field_labels = _columns(), _field_labels()
    names = _names(entries, columns)
    out = {}
    for e in entries:
        rows = []
        for field, pair in (e.changes or {}).items():
            if field in _HIDDEN:
                continue
            column = columns.get((e.entity_type, field))
            before, after = (_show(v, column, names) for v in pair)
            rows.append((str(field_labels.get(field, field)), before, after))
        out[e.id] = rows
    return out
