"""The `tracker.agreement/v1` interchange format: export an agreement, import (create or update)
one. The demo data are files in this format.

Import is three steps: `load_json` (size limit, UTF-8, JSON syntax), `validate_document` (the
JSON Schema in docs/tracker.agreement.v1.schema.json, every problem reported with its JSON path)
and `import_agreement` (the semantic checks, then the writes). `run_import` wraps the last one to
list what changed, and rolls everything back for a dry run."""

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import ngettext
from jsonschema import Draft202012Validator
from sqlalchemy import event

from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Completion,
    Direction,
    Directive,
    FundingSource,
    Indicator,
    Measurement,
    Milestone,
    MilestoneStatus,
    PeriodKind,
    StatusChange,
)
from tracker.config import ROOT
from tracker.db import jsonable
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.i18n import _, _l, fmt_number
from tracker.org.models import Province, Side, Unit, UnitKind

FORMAT = "tracker.agreement/v1"
#: The JSON Schema of the format (draft 2020-12); the importer validates against it first.
SCHEMA_PATH = ROOT / "docs" / "tracker.agreement.v1.schema.json"
#: Largest document accepted for import, checked before parsing.
MAX_JSON_BYTES = 10 * 1024 * 1024
#: How many schema problems are listed before "… and N more".
MAX_REPORTED_ERRORS = 50


class DocumentError(InvalidValue):
    """A refused document, with every problem found as "JSON path: reason".

    The reasons are in the language of the request (gettext), the JSON paths as they are: build
    them inside a request, or an app context under `flask_babel.force_locale` (the commands)."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


# -- export ------------------------------------------------------------------------------------


def _d(value: date | None):
    return value.isoformat() if value else None


def json_number(value: Decimal | None):
    """A Decimal as the JSON number it stands for: an int when whole, else a float."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral() else float(value.normalize())


def export_agreement(agreement: Agreement) -> dict:
    """The agreement as a `tracker.agreement/v1` document (documented keys plus extras)."""
    units = {u.code: u for u in agreement.units}
    for area in agreement.areas:
        for c in area.commitments:
            units.setdefault(c.lead_unit.code, c.lead_unit)
            for s in c.support_units:
                units.setdefault(s.code, s)
    for d in agreement.directives:
        units.setdefault(d.assignee.code, d.assignee)
    return {
        "format": FORMAT,
        "agreement": {
            "code": agreement.code,
            "title": agreement.title,
            "province": agreement.province.code,
            "province_name": agreement.province.name,
            "partner": agreement.partner,
            "signed_on": _d(agreement.signed_on),
            "period_start": _d(agreement.period_start),
            "period_end": _d(agreement.period_end),
            "vision_year": agreement.vision_year,
            "status": agreement.status.value,
            "reporting_frequency": agreement.reporting_frequency.value,
            "report_deadline_days": agreement.report_deadline_days,
            "legal_bases": list(agreement.legal_bases or []),
            "description": agreement.description,
            "province_signatory": agreement.province_signatory,
            "partner_signatory": agreement.partner_signatory,
            "predecessor": agreement.predecessor.code if agreement.predecessor else None,
            "status_history": [
                {"status": ch.to_status.value, "on": _d(ch.changed_on), "note": ch.note}
                for ch in agreement.status_changes
            ],
            "units": [
                {"code": u.code, "name": u.name, "side": u.side.value}
                for u in sorted(units.values(), key=lambda u: u.code)
            ],
            "areas": [
                {
                    "code": area.code,
                    "title": area.title,
                    "description": area.description,
                    "commitments": [
                        {
                            "code": c.code,
                            "title": c.title,
                            "description": c.description,
                            "committed_by": c.committed_by.value,
                            "lead_unit": c.lead_unit.code,
                            "support_units": [u.code for u in c.support_units],
                            "budget_vnd": c.budget_vnd,
                            "funding_source": c.funding_source.value if c.funding_source else None,
                            "due_on": _d(c.due_on),
                            "priority": c.priority,
                            "completion": c.completion.value,
                            "milestones": [
                                {
                                    "title": m.title,
                                    "due_on": _d(m.due_on),
                                    "done_on": _d(m.done_on),
                                    "status": m.status.value,
                                }
                                for m in c.milestones
                            ],
                            "indicators": [
                                {
                                    "name": i.name,
                                    "unit": i.unit,
                                    "baseline": json_number(i.baseline),
                                    "target": json_number(i.target),
                                    "target_on": _d(i.target_on),
                                    "direction": i.direction.value,
                                    "measurements": [
                                        {
                                            "on": _d(m.measured_on),
                                            "value": json_number(m.value),
                                            "verified": m.verified,
                                            "note": m.note,
                                        }
                                        for m in i.measurements
                                    ],
                                }
                                for i in c.indicators
                            ],
                        }
                        for c in area.commitments
                    ],
                }
                for area in agreement.areas
            ],
            "directives": [
                {
                    "issued_on": _d(d.issued_on),
                    "issued_by": d.issued_by,
                    "meeting": d.meeting,
                    "text": d.text,
                    "assignee": d.assignee.code,
                    "due_on": _d(d.due_on),
                    "done_on": _d(d.done_on),
                }
                for d in agreement.directives
            ],
        },
    }


def document_bytes(document: dict) -> bytes:
    """A document as the UTF-8 bytes of a .json file (readable Vietnamese, stable layout)."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# -- loading and schema validation ------------------------------------------------------------


@functools.cache
def schema() -> dict:
    """The JSON Schema of `tracker.agreement/v1` (docs/tracker.agreement.v1.schema.json)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


class _NotAJsonNumber(ValueError):
    """NaN, Infinity or -Infinity in a document: Python accepts them, JSON does not."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _no_constants(name: str):
    raise _NotAJsonNumber(name)


#: The syntax errors of Python's json module (their own wording, used as keys; "\\uXXXX" is
#: Python's text for four hex digits), worded for the people who write these files.
JSON_SYNTAX = {
    "Expecting value": _l("Expecting value"),
    "Expecting property name enclosed in double quotes": _l(
        "Expecting property name enclosed in double quotes"
    ),
    "Expecting ':' delimiter": _l("Expecting ':' delimiter"),
    "Expecting ',' delimiter": _l("Expecting ',' delimiter"),
    "Unterminated string starting at": _l("Unterminated string starting at"),
    "Invalid control character at": _l("Invalid control character at"),
    "Invalid \\escape": _l("Invalid \\escape"),
    "Invalid \\uXXXX escape": _l("Invalid \\uXXXX escape"),
    "Extra data": _l("Extra data"),
    "Illegal trailing comma before end of object": _l(
        "Illegal trailing comma before end of object"
    ),
    "Illegal trailing comma before end of array": _l("Illegal trailing comma before end of array"),
}


def syntax_problem(exc: json.JSONDecodeError) -> str:
    """Where and why a text is not JSON, in the reader's language."""
    return _(
        "malformed JSON at line %(line)s, column %(col)s: %(reason)s",
        line=exc.lineno,
        col=exc.colno,
        reason=str(JSON_SYNTAX.get(exc.msg, exc.msg)),
    )


def encoding_problem(exc: UnicodeDecodeError) -> str:
    return _("not UTF-8 text (invalid byte at position %(pos)s)", pos=exc.start)


def load_json(data: bytes | str, *, limit: int = MAX_JSON_BYTES):
    """Parse a document's bytes: refused (DocumentError) when too large, not UTF-8 or not JSON."""
    if len(data) > limit:
        raise DocumentError(
            [
                _(
                    "file: larger than %(mb)s MB (%(size)s bytes); refused",
                    mb=limit // (1024 * 1024),
                    size=fmt_number(len(data)),
                )
            ]
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError([_("file: %(problem)s", problem=encoding_problem(exc))]) from None
    try:
        return json.loads(data, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise DocumentError([_("file: %(problem)s", problem=syntax_problem(exc))]) from None
    except _NotAJsonNumber as exc:
        raise DocumentError(
            [_("file: malformed JSON: %(name)s is not a JSON number", name=exc.name)]
        ) from None
    except RecursionError:
        raise DocumentError([_("file: malformed JSON: nested too deeply")]) from None
    except ValueError as exc:
        raise DocumentError([_("file: malformed JSON: %(reason)s", reason=exc)]) from None


def json_path(parts) -> str:
    """'agreement.areas[0].code' from a jsonschema path."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


_TYPE_WORDS = {
    "string": _l("text"),
    "integer": _l("a whole number"),
    "number": _l("a number"),
    "array": _l("a list"),
    "object": _l("an object"),
    "boolean": _l("true or false"),
    "null": "null",
}


def _problem(path: str, reason) -> str:
    """'path: reason', the way every problem is listed (the path is never translated)."""
    return f"{path}: {reason}"


def _describe(error) -> str:
    """One schema problem as 'path: reason', worded for the people who write these files."""
    return _problem(*explain(error))


def _either(words) -> str:
    """'a or b or c' in the current language."""
    text = ""
    for word in words:
        text = str(word) if not text else _("%(first)s or %(second)s", first=text, second=word)
    return text


def explain(error) -> tuple[str, str]:
    """A jsonschema error as (JSON path, reason), the reason in the request's language."""
    path = json_path(error.absolute_path)
    value, kind = error.instance, error.validator
    is_money = path.endswith("_vnd")
    if kind == "required":
        missing = next((k for k in error.validator_value if k not in value), "?")
        return json_path([*error.absolute_path, missing]), _("required")
    if kind == "type":
        if is_money:
            return path, _(
                "expected a whole number of VND (no decimals), got %(value)s", value=repr(value)
            )
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        words = _either(_TYPE_WORDS.get(t, t) for t in expected)
        got = json.dumps(value, ensure_ascii=False)[:80]
        return path, _("expected %(expected)s, got %(value)s", expected=words, value=got)
    if kind == "format" and error.validator_value == "date":
        return path, _("%(value)s is not a valid date (YYYY-MM-DD)", value=repr(value))
    if kind == "enum":
        allowed = ", ".join("null" if v is None else str(v) for v in error.validator_value)
        return path, _(
            "unknown value %(value)s (allowed: %(allowed)s)", value=repr(value), allowed=allowed
        )
    if kind == "const":
        return path, _(
            "expected %(expected)s, got %(value)s",
            expected=repr(error.validator_value),
            value=repr(value),
        )
    if kind == "minimum":
        if is_money:
            return path, _("cannot be negative (%(value)s)", value=value)
        return path, _(
            "must be at least %(min)s (got %(value)s)", min=error.validator_value, value=value
        )
    if kind == "maximum":
        return path, _(
            "must be at most %(max)s (got %(value)s)", max=error.validator_value, value=value
        )
    if kind in ("exclusiveMinimum", "exclusiveMaximum"):
        return path, _("%(value)s is out of range", value=value)
    if kind == "pattern" and error.validator_value != "\\S":
        return path, _(
            "%(value)s does not match the pattern %(pattern)s",
            value=repr(value),
            pattern=error.validator_value,
        )
    if kind in ("minLength", "pattern"):
        return path, _("required (empty text)")
    if kind == "maxLength":
        return path, _("longer than %(max)s characters", max=error.validator_value)
    if (
        kind == "additionalProperties"
        and error.validator_value is False
        and isinstance(value, dict)
    ):
        known = error.schema.get("properties", {})
        extra = ", ".join(repr(k) for k in value if k not in known)
        return path, _("unknown keys: %(keys)s", keys=extra)
    return path, error.message


def _path_key(error):
    return [(0, p) if isinstance(p, int) else (1, str(p)) for p in error.absolute_path]


def validate_document(document) -> None:
    """Check a parsed document against the JSON Schema; raise DocumentError listing every
    problem (JSON path and reason), in document order."""
    errors = sorted(_validator().iter_errors(document), key=_path_key)
    if not errors:
        return
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        # A file of another kind: one clear message rather than a page of consequences.
        raise DocumentError([_not_a_tracker_file(document)])
    messages = [_describe(e) for e in errors]
    messages = list(dict.fromkeys(messages))  # one line per problem, in order
    if len(messages) > MAX_REPORTED_ERRORS:
        rest = len(messages) - MAX_REPORTED_ERRORS
        more = ngettext("… and %(num)d more problem", "… and %(num)d more problems", rest)
        messages = [*messages[:MAX_REPORTED_ERRORS], more]
    raise DocumentError(messages)


def _not_a_tracker_file(document) -> str:
    fmt = document.get("format") if isinstance(document, dict) else None
    if fmt is None:
        return _problem(
            "format",
            _(
                'expected %(format)s (no "format" key); is this a tracker file?',
                format=repr(FORMAT),
            ),
        )
    return _problem(
        "format",
        _(
            "expected %(format)s (got %(value)s); is this a tracker file?",
            format=repr(FORMAT),
            value=repr(fmt),
        ),
    )


# -- what an import changes --------------------------------------------------------------------


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
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before != after:
                changes[attr.key] = [jsonable(before), jsonable(after)]
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


def _label(obj) -> str:
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
            return f"{name} @ {_d(obj.measured_on)}"
        if isinstance(obj, Directive):
            return f"{_d(obj.issued_on)} {(obj.text or '')[:60]}"
        if isinstance(obj, StatusChange):
            return f"{obj.to_status.value} {_d(obj.changed_on)}"
    except (AttributeError, sa.exc.SQLAlchemyError):
        pass
    return f"#{getattr(obj, 'id', '?')}"


#: What a refusal calls each kind of record (the words of the import page).
_KIND_WORDS = {
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
                    change = Change(kind, action, _label(obj), fields)
                    self._by_obj[id(obj)] = change
                    self.changes.append(change)
                elif action == "delete":
                    seen.action, seen.fields = "delete", {}
                elif seen.action == "update":
                    for name, (before, after) in fields.items():
                        seen.fields[name] = [seen.fields.get(name, [before])[0], after]


def run_import(document, *, dry_run: bool = False, user=None) -> ImportSummary:
    """Import a parsed document and say what changed. Everything happens in the session's
    transaction: a refusal rolls it all back (nothing is half-imported), and so does a dry run.
    Otherwise the caller commits."""
    try:
        with ChangeCollector() as collector:
            agreement = import_agreement(document, user=user)
        created = any(c.kind == "agreement" and c.action == "create" for c in collector.changes)
        order = list(KINDS.values())
        changes = sorted(collector.changes, key=lambda c: order.index(c.kind))
        summary = ImportSummary(agreement.code, created, dry_run, changes)
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    return summary


# -- import ------------------------------------------------------------------------------------


_FORBIDDEN_CHARS = re.compile(r"[\x00\ud800-\udfff]")


def _check_text(path: str, value: str) -> None:
    """Refuse text no database can store: NUL characters and lone surrogates."""
    if _FORBIDDEN_CHARS.search(value):
        raise InvalidValue(
            _problem(path, _("contains a NUL character or an invalid Unicode code point"))
        )


class _Reader:
    """Typed access to the document with precise error paths."""

    def __init__(self, path: str, data):
        self.path, self.data = path, data
        if not isinstance(data, dict):
            raise InvalidValue(_problem(path, _("expected an object")))

    def at(self, key):
        return f"{self.path}.{key}"

    def str(self, key, *, required=True, max_len=None):
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise InvalidValue(_problem(self.at(key), _("required")))
            return None
        if not isinstance(value, str):
            raise InvalidValue(_problem(self.at(key), _("expected text")))
        _check_text(self.at(key), value)
        value = value.strip()
        if not value:
            if required:
                raise InvalidValue(_problem(self.at(key), _("required")))
            return None
        if max_len and len(value) > max_len:
            raise InvalidValue(
                _problem(self.at(key), _("longer than %(max)s characters", max=max_len))
            )
        return value

    def date(self, key, *, required=False):
        value = self.data.get(key)
        if value is None:
            if required:
                raise InvalidValue(_problem(self.at(key), _("required")))
            return None
        if not isinstance(value, str):
            raise InvalidValue(_problem(self.at(key), _("expected an ISO date")))
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidValue(
                _problem(
                    self.at(key),
                    _("%(value)s is not a valid date (YYYY-MM-DD)", value=repr(value)),
                )
            ) from None

    def enum(self, key, enum_cls, *, required=True, default=None):
        value = self.data.get(key)
        if value is None:
            if required and default is None:
                raise InvalidValue(_problem(self.at(key), _("required")))
            return default
        if value not in enum_cls.__members__:
            allowed = ", ".join(enum_cls.__members__)
            raise InvalidValue(
                _problem(
                    self.at(key),
                    _(
                        "unknown value %(value)s (allowed: %(allowed)s)",
                        value=repr(value),
                        allowed=allowed,
                    ),
                )
            )
        return enum_cls(value)

    def money(self, key):
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(_problem(self.at(key), _("expected a whole number of VND")))
        if value < 0:
            raise InvalidValue(_problem(self.at(key), _("cannot be negative")))
        return value

    def number(self, key, *, required=True):
        value = self.data.get(key)
        if value is None:
            if required:
                raise InvalidValue(_problem(self.at(key), _("required")))
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue(_problem(self.at(key), _("expected a number")))
        try:
            return Decimal(str(value)).quantize(Decimal("0.0001"))
        except InvalidOperation:
            raise InvalidValue(_problem(self.at(key), _("expected a number"))) from None

    def list(self, key):
        value = self.data.get(key) or []
        if not isinstance(value, list):
            raise InvalidValue(_problem(self.at(key), _("expected a list")))
        return value

    def bool(self, key, default=False):
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise InvalidValue(_problem(self.at(key), _("expected true or false")))
        return value


def _sync(existing: list, incoming: list, key, create, update, keep=None, path=None) -> list:
    """Match rows by key: update matches, create the rest, delete the others (except those
    `keep` says belong to someone else); return the new ordered list. A row that progress
    reports or evidence depend on is never deleted: the import is refused instead."""
    by_key = {key(obj): obj for obj in existing}
    result = []
    for item in incoming:
        obj = by_key.pop(item["__key__"], None)
        if obj is None:
            obj = create()
        update(obj, item)
        result.append(obj)
    for obj in by_key.values():
        if keep is not None and keep(obj):
            result.append(obj)
        else:
            _refuse_if_in_use(obj, path)
            db.session.delete(obj)
    return result


def _refuse_if_in_use(obj, path) -> None:
    """Deleting what the reporting workflow refers to would silently lose the record."""
    from tracker.progress.models import Evidence, ProgressReport, ReportMilestone, ReportValue

    def count(model, column, ids) -> int:
        ids = [i for i in ids if i is not None]
        if not ids:
            return 0
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(column.in_(ids))
        )

    used = False
    if isinstance(obj, Area):
        used = count(ProgressReport, ProgressReport.commitment_id, [c.id for c in obj.commitments])
    elif isinstance(obj, Commitment):
        used = count(ProgressReport, ProgressReport.commitment_id, [obj.id])
    elif isinstance(obj, Milestone):
        used = count(ReportMilestone, ReportMilestone.milestone_id, [obj.id])
    elif isinstance(obj, Indicator):
        used = count(ReportValue, ReportValue.indicator_id, [obj.id])
    elif isinstance(obj, Directive):
        used = count(Evidence, Evidence.directive_id, [obj.id])
    if used:
        raise InvalidValue(
            _problem(
                path or "agreement",
                _(
                    "%(kind)s %(label)s is not in the file, but progress reports or evidence "
                    "refer to it; an import cannot delete it (keep it in the file, or delete it "
                    "in the app)",
                    kind=_KIND_WORDS.get(type(obj), _l("Record")),
                    label=repr(_label(obj)),
                ),
            )
        )


def _resolve_units(reader: _Reader, province: Province) -> dict[str, Unit]:
    codes: dict[str, Unit] = {}
    for i, raw in enumerate(reader.list("units")):
        r = _Reader(f"{reader.at('units')}[{i}]", raw)
        code = r.str("code", max_len=40)
        if code in codes:
            raise InvalidValue(
                _problem(r.at("code"), _("duplicated unit code %(code)s", code=repr(code)))
            )
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
        if unit is None:
            side = r.enum("side", Side)
            unit = Unit(
                code=code,
                name=r.str("name", max_len=300),
                side=side,
                kind=UnitKind.vnpt_branch if side == Side.vnpt else UnitKind.other,
                province=province,
            )
            db.session.add(unit)
        codes[code] = unit
    return codes


def import_agreement(document, *, user=None) -> Agreement:
    """Create or update (by code) an agreement from a `tracker.agreement/v1` document.

    The document is first checked against the JSON Schema (DocumentError lists every problem),
    then rows are matched by code (areas, commitments), title (milestones), name (indicators),
    date (measurements) and date + text (directives), so importing the same file twice changes
    nothing. With a `user` (imports from the app), the user must be allowed to edit the
    agreement. Raises Invalid naming the first bad path; the caller rolls back."""
    validate_document(document)
    with db.session.no_autoflush:
        agreement = _import(document, user)
    db.session.flush()
    return agreement


def _check_allowed(user, agreement: Agreement | None, province: Province | None) -> None:
    """Imports from the app follow the app's rules: DIC staff and admins, within their scope."""
    from tracker.auth.permissions import can_create_agreement, can_edit_agreement, in_scope

    if agreement is not None:
        if not can_edit_agreement(user, agreement):
            raise InvalidValue(
                _("You may not change the agreement %(code)s.", code=agreement.code), "file"
            )
        if not agreement.editable:
            raise InvalidValue(_("A closed agreement cannot be changed."), "file")
    elif not can_create_agreement(user):
        raise InvalidValue(_("You may not create agreements."), "file")
    if province is None:
        if not user.is_admin:
            raise InvalidValue(
                _("The province of the file does not exist; only an administrator can add it."),
                "file",
            )
    elif not in_scope(user, province.id):
        raise InvalidValue(_("The file's province is outside your scope."), "file")


def _import(document, user=None) -> Agreement:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidValue(_not_a_tracker_file(document))
    r = _Reader("agreement", document.get("agreement"))
    code = r.str("code", max_len=40)
    province_code = r.str("province", max_len=40)
    province = db.session.scalar(sa.select(Province).where(Province.code == province_code))
    if user is not None:
        _check_allowed(
            user,
            db.session.scalar(sa.select(Agreement).where(Agreement.code == code)),
            province,
        )
    if province is None:
        province = Province(
            code=province_code, name=r.str("province_name", required=False) or province_code
        )
        db.session.add(province)
    units = _resolve_units(r, province)

    def unit(ref, path):
        if ref not in units:
            raise InvalidValue(
                _problem(path, _("unit %(unit)s is not in agreement.units", unit=repr(ref)))
            )
        return units[ref]

    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == code))
    created = agreement is None
    if created:
        agreement = Agreement(code=code)
        db.session.add(agreement)
    period_start, period_end = (
        r.date("period_start", required=True),
        r.date("period_end", required=True),
    )
    if period_end <= period_start:
        raise InvalidValue(_problem(r.at("period_end"), _("must be after period_start")))
    predecessor_code = r.str("predecessor", required=False)
    predecessor = None
    if predecessor_code:
        predecessor = db.session.scalar(
            sa.select(Agreement).where(Agreement.code == predecessor_code)
        )
        if predecessor is None:
            raise InvalidValue(
                _problem(
                    r.at("predecessor"),
                    _("no agreement with code %(code)s", code=repr(predecessor_code)),
                )
            )
    vision = r.data.get("vision_year")
    if vision is not None and (not isinstance(vision, int) or isinstance(vision, bool)):
        raise InvalidValue(_problem(r.at("vision_year"), _("expected a year")))
    legal = r.list("legal_bases")
    if not all(isinstance(x, str) for x in legal):
        raise InvalidValue(_problem(r.at("legal_bases"), _("expected a list of text")))
    for i, basis in enumerate(legal):
        _check_text(f"{r.at('legal_bases')}[{i}]", basis)
    agreement.title = r.str("title", max_len=500)
    agreement.province = province
    agreement.partner = r.str("partner", max_len=255)
    agreement.signed_on = r.date("signed_on")
    agreement.period_start, agreement.period_end, agreement.vision_year = (
        period_start,
        period_end,
        vision,
    )
    agreement.status = r.enum("status", AgreementStatus)
    agreement.reporting_frequency = r.enum(
        "reporting_frequency", PeriodKind, default=PeriodKind.quarter
    )
    days = r.data.get("report_deadline_days", 6)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 90:
        raise InvalidValue(
            _problem(r.at("report_deadline_days"), _("expected a number of days from 0 to 90"))
        )
    agreement.report_deadline_days = days
    agreement.legal_bases = [x.strip() for x in legal]
    agreement.description = r.str("description", required=False)
    agreement.province_signatory = r.str("province_signatory", required=False, max_len=255)
    agreement.partner_signatory = r.str("partner_signatory", required=False, max_len=255)
    agreement.predecessor = predecessor

    history = []
    for i, raw in enumerate(r.list("status_history")):
        h = _Reader(f"{r.at('status_history')}[{i}]", raw)
        history.append(
            {
                "__key__": (h.enum("status", AgreementStatus).value, h.date("on", required=True)),
                "to": h.enum("status", AgreementStatus),
                "on": h.date("on", required=True),
                "note": h.str("note", required=False),
            }
        )
    # A file without the key gets the current status as its history; an empty list is kept empty
    # (so export → import → export gives the same document).
    if "status_history" not in r.data and created:
        history.append(
            {
                "__key__": (agreement.status.value, agreement.signed_on or period_start),
                "to": agreement.status,
                "on": agreement.signed_on or period_start,
                "note": None,
            }
        )
    if history:
        previous = [None] + [h["to"] for h in history[:-1]]
        for h, before in zip(history, previous, strict=True):
            h["from"] = before

        def upd_change(ch, h):
            ch.to_status, ch.changed_on, ch.note, ch.from_status = (
                h["to"],
                h["on"],
                h["note"],
                h["from"],
            )

        agreement.status_changes = _sync(
            agreement.status_changes,
            history,
            lambda ch: (ch.to_status.value, ch.changed_on),
            StatusChange,
            upd_change,
        )

    seen_commitments: dict[str, str] = {}
    areas_in = []
    for i, raw in enumerate(r.list("areas")):
        a = _Reader(f"{r.at('areas')}[{i}]", raw)
        areas_in.append({"__key__": a.str("code", max_len=20), "reader": a, "position": i})
    seen_areas: dict[str, int] = {}
    for item in areas_in:
        if item["__key__"] in seen_areas:
            first = seen_areas[item["__key__"]]
            raise InvalidValue(
                _problem(
                    item["reader"].at("code"),
                    _(
                        "duplicated area code %(code)s (also %(other)s)",
                        code=repr(item["__key__"]),
                        other=f"{r.at('areas')}[{first}].code",
                    ),
                )
            )
        seen_areas[item["__key__"]] = item["position"]

    def upd_area(area: Area, item):
        a = item["reader"]
        area.agreement = agreement
        area.code, area.title, area.position = (
            item["__key__"],
            a.str("title", max_len=500),
            item["position"],
        )
        area.description = a.str("description", required=False)
        commitments_in = []
        for j, raw_c in enumerate(a.list("commitments")):
            c = _Reader(f"{a.at('commitments')}[{j}]", raw_c)
            c_code = c.str("code", max_len=20)
            if c_code in seen_commitments:
                raise InvalidValue(
                    _problem(
                        c.at("code"),
                        _(
                            "duplicated commitment code %(code)s (also %(other)s)",
                            code=repr(c_code),
                            other=seen_commitments[c_code],
                        ),
                    )
                )
            seen_commitments[c_code] = c.at("code")
            commitments_in.append({"__key__": c_code, "reader": c, "position": j})
        existing = (
            db.session.scalars(
                sa.select(Commitment).where(
                    Commitment.agreement_id == agreement.id,
                    Commitment.code.in_([x["__key__"] for x in commitments_in]),
                )
            ).all()
            if agreement.id
            else []
        )
        current = {c.code: c for c in list(area.commitments) + list(existing)}
        area.commitments = _sync(
            list(current.values()),
            commitments_in,
            lambda c: c.code,
            lambda: Commitment(agreement=agreement),
            upd_commitment,
            # A commitment listed under another area of the file moves there; not deleted.
            keep=lambda c: c.code in codes_in_file,
            path=a.at("commitments"),
        )

    def upd_commitment(commitment: Commitment, item):
        c = item["reader"]
        commitment.agreement = agreement
        commitment.code, commitment.position = item["__key__"], item["position"]
        commitment.title = c.str("title", max_len=500)
        commitment.description = c.str("description", required=False)
        commitment.committed_by = c.enum("committed_by", Side)
        commitment.lead_unit = unit(c.str("lead_unit"), c.at("lead_unit"))
        supports = []
        for k, ref in enumerate(c.list("support_units")):
            u = unit(ref, f"{c.at('support_units')}[{k}]")
            if u is commitment.lead_unit or u in supports:
                raise InvalidValue(
                    _problem(
                        f"{c.at('support_units')}[{k}]",
                        _("%(unit)s is already the lead or listed twice", unit=repr(ref)),
                    )
                )
            supports.append(u)
        commitment.support_units = supports
        commitment.budget_vnd = c.money("budget_vnd")
        commitment.funding_source = c.enum("funding_source", FundingSource, required=False)
        commitment.due_on = c.date("due_on")
        commitment.priority = c.bool("priority")
        completion = c.enum("completion", Completion, default=Completion.not_started)
        if commitment.id not in reported:  # verified reports own the official completion
            commitment.completion = completion
        milestones_in = []
        for k, raw_m in enumerate(c.list("milestones")):
            m = _Reader(f"{c.at('milestones')}[{k}]", raw_m)
            milestones_in.append({"__key__": m.str("title", max_len=500), "reader": m})
        if len({x["__key__"] for x in milestones_in}) != len(milestones_in):
            raise InvalidValue(_problem(c.at("milestones"), _("duplicated milestone title")))
        commitment.milestones = _sync(
            commitment.milestones,
            milestones_in,
            lambda m: m.title,
            Milestone,
            upd_milestone,
            path=c.at("milestones"),
        )
        indicators_in = []
        for k, raw_i in enumerate(c.list("indicators")):
            ind = _Reader(f"{c.at('indicators')}[{k}]", raw_i)
            indicators_in.append(
                {"__key__": ind.str("name", max_len=500), "reader": ind, "position": k}
            )
        if len({x["__key__"] for x in indicators_in}) != len(indicators_in):
            raise InvalidValue(_problem(c.at("indicators"), _("duplicated indicator name")))
        commitment.indicators = _sync(
            commitment.indicators,
            indicators_in,
            lambda i: i.name,
            Indicator,
            upd_indicator,
            path=c.at("indicators"),
        )
        agreement_units.update({u.code: u for u in [commitment.lead_unit, *supports]})

    def upd_milestone(milestone: Milestone, item):
        m = item["reader"]
        milestone.title, milestone.due_on = item["__key__"], m.date("due_on", required=True)
        milestone.done_on = m.date("done_on")
        default = MilestoneStatus.met if milestone.done_on else MilestoneStatus.scheduled
        milestone.status = m.enum("status", MilestoneStatus, default=default)

    def upd_indicator(indicator: Indicator, item):
        i = item["reader"]
        indicator.name, indicator.position = item["__key__"], item["position"]
        indicator.unit = i.str("unit", max_len=40)
        indicator.baseline = i.number("baseline", required=False) or Decimal("0.0000")
        indicator.target = i.number("target")
        indicator.target_on = i.date("target_on")
        indicator.direction = i.enum("direction", Direction, default=Direction.increase)
        if indicator.direction == Direction.increase and indicator.target < indicator.baseline:
            raise InvalidValue(
                _problem(i.at("target"), _("below the baseline for an increasing indicator"))
            )
        if indicator.direction == Direction.decrease and indicator.target > indicator.baseline:
            raise InvalidValue(
                _problem(i.at("target"), _("above the baseline for a decreasing indicator"))
            )
        values_in = []
        for k, raw_v in enumerate(i.list("measurements")):
            v = _Reader(f"{i.at('measurements')}[{k}]", raw_v)
            values_in.append({"__key__": v.date("on", required=True), "reader": v})
        if len({x["__key__"] for x in values_in}) != len(values_in):
            raise InvalidValue(_problem(i.at("measurements"), _("two values on the same date")))

        def upd_value(measurement: Measurement, item):
            v = item["reader"]
            measurement.measured_on, measurement.value = item["__key__"], v.number("value")
            measurement.verified = v.bool("verified")
            measurement.note = v.str("note", required=False)

        # Values that came from verified progress reports belong to the reporting workflow.
        indicator.measurements = sorted(
            _sync(
                indicator.measurements,
                values_in,
                lambda m: m.measured_on,
                Measurement,
                upd_value,
                keep=lambda m: m.report_id is not None,
            ),
            key=lambda m: m.measured_on,
        )

    reported = set()
    if agreement.id is not None:
        from tracker.progress.models import ProgressReport, ReportStatus

        reported = set(
            db.session.scalars(
                sa.select(ProgressReport.commitment_id)
                .join(Commitment)
                .where(
                    Commitment.agreement_id == agreement.id,
                    ProgressReport.status == ReportStatus.verified,
                )
            )
        )
    agreement_units: dict[str, Unit] = {}
    codes_in_file = {
        str(raw_c.get("code", "")).strip()
        for item in areas_in
        for raw_c in item["reader"].list("commitments")
        if isinstance(raw_c, dict)
    }
    agreement.areas = _sync(
        agreement.areas, areas_in, lambda a: a.code, Area, upd_area, path=r.at("areas")
    )

    directives_in = []
    for i, raw in enumerate(r.list("directives")):
        d = _Reader(f"{r.at('directives')}[{i}]", raw)
        issued_on, text = d.date("issued_on", required=True), d.str("text", max_len=5000)
        directives_in.append({"__key__": (issued_on, text), "reader": d})

    def upd_directive(directive: Directive, item):
        d = item["reader"]
        directive.issued_on, directive.text = item["__key__"]
        directive.issued_by = d.str("issued_by", max_len=255)
        directive.meeting = d.str("meeting", required=False, max_len=500)
        directive.assignee = unit(d.str("assignee"), d.at("assignee"))
        directive.due_on, directive.done_on = d.date("due_on"), d.date("done_on")
        agreement_units[directive.assignee.code] = directive.assignee

    agreement.directives = _sync(
        agreement.directives,
        directives_in,
        lambda d: (d.issued_on, d.text),
        Directive,
        upd_directive,
        path=r.at("directives"),
    )
    agreement.units = sorted({**units, **agreement_units}.values(), key=lambda u: u.code)
    return agreement
