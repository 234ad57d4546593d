"""What an import changes: each created, updated or deleted record, collected from the
session's flushes while the services write, and the summary shown before and after."""

import json
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy import event

from tracker.agreements.models import (
    Agreement,
    Area,
    Commitment,
    Directive,
    Indicator,
    Measurement,
    Milestone,
    StatusChange,
)
from tracker.audit.recording import column_change
from tracker.extensions import db
from tracker.i18n import _l
from tracker.org.models import Province, Unit


def _iso(value: date | None):
    return value.isoformat() if value else None


@dataclass
class Change:
    """One record an import creates, updates or deletes; `fields` holds [before, after]."""

    kind: str
    action: str
    label: str
    fields: dict = field(default_factory=dict)


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do)."""

    code: str
    created: bool
    dry_run: bool
    changes: list[Change]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """{kind: {"create": n, "update": n, "delete": n}} for the kinds that change."""
        counts: dict[str, dict[str, int]] = {}
        for change in self.changes:
            row = counts.setdefault(change.kind, {"create": 0, "update": 0, "delete": 0})
            row[change.action] += 1
        return counts

    def lines(self) -> list[str]:
        """The summary as text lines (English, for the command line)."""
        verb = "would " if self.dry_run else ""
        head = "create" if self.created else "update"
        lines = [f"{self.code}: {verb}{head if self.dry_run else head + 'd'}"]
        if not self.changes:
            lines.append("  no changes")
        for kind, row in self.counts.items():
            parts = [f"{n} {action}" for action, n in row.items() if n]
            lines.append(f"  {kind}: {', '.join(parts)}")
        for change in self.changes:
            lines.append(f"  {change.action} {change.kind} {change.label}")
            for name, (before, after) in change.fields.items():
                lines.append(f"      {name}: {_short(before)} -> {_short(after)}")
        return lines


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


#: Columns an import summary leaves out: bookkeeping, and foreign keys (shown by relationship).
_NOT_SHOWN = {
    "id",
    "version",
    "created_at",
    "updated_at",
    "created_by_id",
    "updated_by_id",
    "search_text",
}
#: Collections whose membership is shown as a field (the others are records of their own).
_SHOWN_COLLECTIONS = {"support_units", "units"}


def _ref(obj):
    if obj is None:
        return None
    return getattr(obj, "code", None) or str(obj)


def _changed_fields(obj) -> dict:
    state = sa.inspect(obj)
    mapper = state.mapper
    fks = {c.key for rel in mapper.relationships for c in rel.local_columns if not rel.uselist}
    changes = {}
    for attr in mapper.column_attrs:
        if attr.key in _NOT_SHOWN or attr.key in fks:
            continue
        if (change := column_change(state, attr.key)) is not None:
            changes[attr.key] = change
    for rel in mapper.relationships:
        if rel.viewonly:
            continue
        hist = state.attrs[rel.key].history
        if not hist.has_changes():
            continue
        if rel.uselist and rel.key in _SHOWN_COLLECTIONS:
            before = sorted(_ref(o) for o in [*hist.unchanged, *hist.deleted])
            after = sorted(_ref(o) for o in [*hist.unchanged, *hist.added])
        elif not rel.uselist:
            before = _ref(hist.deleted[0]) if hist.deleted else None
            after = _ref(hist.added[0]) if hist.added else None
        else:
            continue
        if before != after:
            changes[rel.key] = [before, after]
    return changes


def label(obj) -> str:
    """How a summary or a refusal names a record."""
    try:
        if isinstance(obj, Agreement | Unit | Province):
            return obj.code
        if isinstance(obj, Area | Commitment):
            return f"{obj.code} {obj.title}"
        if isinstance(obj, Milestone):
            return obj.title
        if isinstance(obj, Indicator):
            return obj.name
        if isinstance(obj, Measurement):
            name = obj.indicator.name if obj.indicator is not None else "?"
            return f"{name} @ {_iso(obj.measured_on)}"
        if isinstance(obj, Directive):
            return f"{_iso(obj.issued_on)} {(obj.text or '')[:60]}"
        if isinstance(obj, StatusChange):
            return f"{obj.to_status.value} {_iso(obj.changed_on)}"
    except (AttributeError, sa.exc.SQLAlchemyError):
        pass
    return f"#{getattr(obj, 'id', '?')}"


#: What a refusal calls each kind of record (the words of the import page).
KIND_WORDS = {
    Province: _l("Province"),
    Unit: _l("Unit"),
    Agreement: _l("Agreement"),
    StatusChange: _l("Status change"),
    Area: _l("Area"),
    Commitment: _l("Commitment"),
    Milestone: _l("Milestone"),
    Indicator: _l("Indicator"),
    Measurement: _l("Value"),
    Directive: _l("Directive"),
}

#: The record kinds an import summary names.
KINDS = {
    Province: "province",
    Unit: "unit",
    Agreement: "agreement",
    StatusChange: "status_change",
    Area: "area",
    Commitment: "commitment",
    Milestone: "milestone",
    Indicator: "indicator",
    Measurement: "measurement",
    Directive: "directive",
}


class ChangeCollector:
    """Listens to the session's flushes and records each created, changed or deleted record."""

    def __init__(self):
        self._by_obj: dict[int, Change] = {}
        self.changes: list[Change] = []

    def __enter__(self):
        self.session = db.session()
        event.listen(self.session, "after_flush", self._after_flush)
        return self

    def __exit__(self, *exc):
        event.remove(self.session, "after_flush", self._after_flush)
        return False

    def _after_flush(self, session, flush_context):
        for action, objs in (
            ("create", session.new),
            ("update", session.dirty),
            ("delete", session.deleted),
        ):
            for obj in objs:
                kind = KINDS.get(type(obj))
                if kind is None:
                    continue
                fields = _changed_fields(obj) if action == "update" else {}
                if action == "update" and not fields:
                    continue
                seen = self._by_obj.get(id(obj))
                if seen is None:
                    change = Change(kind, action, label(obj), fields)
                    self._by_obj[id(obj)] = change
                    self.changes.append(change)
                elif action == "delete" and seen.action == "create":
                    # Made and removed by the same import (a draft's first status step that
                    # the file's history replaces): nothing changed.
                    self.changes.remove(seen)
                elif action == "delete":
                    seen.action, seen.fields = "delete", {}
                elif seen.action == "update":
                    for name, (before, after) in fields.items():
                        seen.fields[name] = [seen.fields.get(name, [before])[0], after]


def summarize(collector: ChangeCollector, code: str, *, dry_run: bool) -> ImportSummary:
    """The collected changes as a summary, in the order of KINDS."""
    created = any(c.kind == "agreement" and c.action == "create" for c in collector.changes)
    order = list(KINDS.values())
    changes = sorted(collector.changes, key=lambda c: order.index(c.kind))
    return ImportSummary(code, created, dry_run, changes)


def carry_out(action, *, dry_run: bool) -> ImportSummary:
    """Run an import (`action` returns the agreement it changed) in the session's transaction and
    say what changed. A refusal rolls it all back (nothing is half-imported), and so does a dry
    run; otherwise the caller commits."""
    try:
        with ChangeCollector() as collector:
            agreement = action()
        summary = summarize(collector, agreement.code, dry_run=dry_run)
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    return summary
