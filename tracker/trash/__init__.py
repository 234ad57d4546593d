"""The recycle bin: a deleted record goes in with its children (milestones, indicators, values,
documents, evidence, link rows…) and their files, and can be restored as it was for 30 days;
then `tracker gc` purges it and its files.

Generic: what goes with a record is read from the models' metadata (see `snapshot`), so this
package imports no feature package. The deletion services call `discard` instead of deleting;
the recycle bin's screens (tracker/admin) call `restore` and `purge` after checking who may.

- `models`: the `trash_items` and `trash_files` tables.
- `snapshot`: reading the rows that go with a record, and putting them back.
"""

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tracker import events
from tracker.audit.models import AuditEntry
from tracker.audit.presentation import record_text
from tracker.clock import utcnow
from tracker.db import Base
from tracker.errors import InvalidValue, WrongState
from tracker.extensions import db
from tracker.i18n import _, fmt_date
from tracker.labels import kind_label, label_of
from tracker.trash import snapshot as snap
from tracker.trash.models import TrashFile, TrashItem

__all__ = [
    "RETENTION",
    "TrashFile",
    "TrashItem",
    "contents",
    "discard",
    "days_left",
    "expires_at",
    "item_contents",
    "items",
    "kind_text",
    "purge",
    "purge_expired",
    "restore",
]

#: How long a deleted record can be restored.
RETENTION = timedelta(days=30)


def _aware(moment: datetime) -> datetime:
    """SQLite gives timestamps back without their zone: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def expires_at(item: TrashItem) -> datetime:
    """When the record leaves the bin for good."""
    return _aware(item.deleted_at) + RETENTION


def days_left(item: TrashItem, now: datetime | None = None) -> int:
    """Days left to restore it, counting the day under way (30 just after the delete, 1 on its
    last day, 0 once expired)."""
    left = expires_at(item) - (now or utcnow())
    return max(-(-left // timedelta(days=1)), 0)


def _kind_text(table) -> str:
    model = snap.model_of(table)
    try:
        return str(kind_label(model)) if model is not None else _("record")
    except LookupError:
        return _("record")


def _row_name(table, row: dict) -> str | None:
    model = snap.model_of(table)
    display = getattr(model, "__display__", None)
    for key in (display, "label", "title", "name", "text"):
        value = row.get(key) if key else None
        if isinstance(value, str) and value:
            return value if len(value) <= 90 else value[:89] + "…"
    for key, value in row.items():  # a dated value: by its date
        if key.endswith("_on") and isinstance(value, date):
            return fmt_date(value)
    return None


def _summary(rows) -> list[tuple[str, list[str]]]:
    found: dict[str, list[str]] = {}
    for table, row in rows:
        model = snap.model_of(table)
        if model is None or not getattr(model, "__audited__", False):
            continue
        found.setdefault(_kind_text(table), []).append(
            _row_name(table, row) or _("no. %(id)s", id=row.get("id"))
        )
    return list(found.items())


def contents(obj) -> list[tuple[str, list[str]]]:
    """What deleting `obj` takes with it, for the confirmation page: (kind, names) per kind of
    audited record, in the order they were found."""
    return _summary(snap.capture(obj).rows[1:])


def item_contents(item: TrashItem) -> list[tuple[str, list[str]]]:
    """What came into the bin with the record, as `contents` says it."""
    return _summary(snap.from_json(item.rows, []).rows[1:])


def kind_text(item: TrashItem) -> str:
    """What the deleted record is called ("Cam kết")."""
    table = Base.metadata.tables.get(item.rows[0][0]) if item.rows else None
    return _kind_text(table) if table is not None else item.kind


def discard(
    obj,
    *,
    user,
    label: str | None = None,
    province_id: int | None = None,
    agreement_id: int | None = None,
    agreement_label: str | None = None,
) -> TrashItem:
    """Put a record and what goes with it in the bin, then delete them (the caller has checked
    the deletion is allowed). The audit log records each deleted row as usual."""
    taken = snap.capture(obj)
    rows, links = snap.to_json(taken)
    item = TrashItem(
        kind=type(obj).__name__,
        entity_id=sa.inspect(obj).identity[0],
        label=(label or record_text(obj) or _kind_text(taken.rows[0][0]))[:300],
        province_id=province_id,
        agreement_id=agreement_id,
        agreement_label=agreement_label,
        deleted_by_id=getattr(user, "id", None),
        deleted_at=utcnow(),
        rows=rows,
        links=links,
        files=[TrashFile(sha256=sha) for sha in sorted(snap.stored_files(taken))],
    )
    db.session.add(item)
    # Its collections may still hold children deleted earlier in this transaction: read afresh.
    db.session.expire(obj)
    db.session.delete(obj)
    db.session.flush()
    return item


def _refusal(conflict: snap.Conflict) -> InvalidValue:
    kind = _kind_text(conflict.table)
    if conflict.reason == "missing":
        return InvalidValue(
            _(
                "The %(kind)s this record belongs to no longer exists: restore it first (it may "
                "be in the recycle bin).",
                kind=kind,
            )
        )
    if all(c.primary_key for c in conflict.columns):
        return InvalidValue(
            _(
                "A %(kind)s created since has been given this record's internal number: it "
                "cannot come back.",
                kind=kind.lower(),
            )
        )
    fields = ", ".join(
        str(label_of(c, default=c.name)) for c in conflict.columns if not c.foreign_keys
    )
    values = ", ".join(
        str(v) for c, v in zip(conflict.columns, conflict.values, strict=True) if not c.foreign_keys
    )
    return InvalidValue(
        _(
            "Another %(kind)s now has the %(field)s “%(value)s”: change it there first, then "
            "restore this one.",
            kind=kind.lower(),
            field=fields.lower(),
            value=values,
        )
    )


def restore(item: TrashItem, *, user) -> None:
    """Put the record and its children back with their ids, their files and their history, and
    record who restored each; all or nothing (InvalidValue says what stands in the way)."""
    if utcnow() >= expires_at(item):
        raise WrongState(_("This record was deleted more than 30 days ago and cannot be restored."))
    taken = snap.from_json(item.rows, item.links)
    db.session.flush()
    found = snap.conflicts(taken)
    if found:
        raise _refusal(found[0])
    with db.session.begin_nested():
        snap.insert(taken)
        entries = []
        for table, row in taken.rows:
            model = snap.model_of(table)
            if model is None or not getattr(model, "__audited__", False):
                continue
            obj = db.session.get(model, row["id"])
            entries.append(
                AuditEntry(
                    at=utcnow(),
                    actor_id=getattr(user, "id", None),
                    action="restore",
                    entity_type=model.__name__,
                    entity_id=row["id"],
                    agreement_id=getattr(obj, "audit_agreement_id", None),
                    changes={},
                )
            )
        db.session.add_all(entries)
        db.session.delete(item)
        db.session.flush()
    events.records_restored.send(
        item, actor=user, rows=[(t.name, row.get("id")) for t, row in taken.rows]
    )


def purge(item: TrashItem) -> set[str]:
    """Remove a record from the bin for good; returns its files' hashes, which the caller hands
    to `storage.remove_unused` after the commit."""
    shas = {f.sha256 for f in item.files}
    db.session.delete(item)
    db.session.flush()
    return shas


def purge_expired(now: datetime | None = None) -> list[TrashItem]:
    """Purge every record deleted more than 30 days ago; returns them."""
    limit = (now or utcnow()) - RETENTION
    expired = db.session.scalars(sa.select(TrashItem).where(TrashItem.deleted_at <= limit)).all()
    for item in expired:
        purge(item)
    return list(expired)


def items(province_ids: set[int] | None):
    """A SELECT of the records in the bin, newest first: all of them (None), or those of the
    given provinces."""
    query = sa.select(TrashItem).order_by(TrashItem.deleted_at.desc(), TrashItem.id.desc())
    if province_ids is not None:
        query = query.where(TrashItem.province_id.in_(province_ids or [-1]))
    return query
