"""Audit entries as a reader sees them: the record kinds, field labels and values in the reader's
language (dates dd/mm/yyyy, amounts in đồng, enum labels, yes/no, names of the records referred
to instead of their ids).

Everything comes from what the models declare (`__label__`, ``info={"label": ...}``,
``info={"in_history": False}``, `__display__`; see tracker/db.py), so no feature package is
imported here."""

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from tracker.collation import sort_key
from tracker.db import Base
from tracker.extensions import db
from tracker.i18n import _, fmt_date, fmt_datetime, fmt_number, fmt_vnd
from tracker.labels import in_history, kind_label, label_of


@dataclass(frozen=True)
class _Field:
    """A recorded attribute of an audited model: its column (None for a collection), its label
    and whether the history shows it."""

    column: sa.Column | None
    label: object
    shown: bool


def _audited_models() -> list[type]:
    return [m.class_ for m in Base.registry.mappers if getattr(m.class_, "__audited__", False)]


@functools.cache
def _fields() -> dict[tuple[str, str], _Field]:
    """(class name, attribute) -> field, for every column and audited collection of the audited
    models."""
    fields = {}
    for model in _audited_models():
        mapper = sa.inspect(model)
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            label = label_of(column, default=attr.key)
            fields[model.__name__, attr.key] = _Field(column, label, in_history(column))
        for key in getattr(model, "__audited_collections__", ()):
            fields[model.__name__, key] = _Field(None, label_of(mapper.relationships[key]), True)
    return fields


@functools.cache
def _model_of_table() -> dict[sa.Table, type]:
    return {mapper.local_table: mapper.class_ for mapper in Base.registry.mappers}


def _display(target: sa.Column):
    """The column that names the records a foreign key points to (the model's `__display__`),
    or None when the model declares none (the record is then shown by its id)."""
    model = _model_of_table().get(target.table)
    name = getattr(model, "__display__", None)
    return getattr(model, name) if name else None


def record_text(obj) -> str | None:
    """How a reader names a record: the column its model names (``__display__``), else its own
    ``label`` (a reporting period's "Quý I/2024"), title or name; never its id."""
    name = getattr(type(obj), "__display__", None)
    if name:
        return str(getattr(obj, name))
    for attribute in ("label", "title", "name", "text"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str) and value:
            return value if len(value) <= 90 else value[:89] + "…"
    return None


def _texts(model, ids) -> dict:
    """The names of some records of a model, by id, in one query."""
    display = getattr(model, "__display__", None)
    if display:
        key = sa.inspect(model).primary_key[0]
        return dict(
            db.session.execute(sa.select(key, getattr(model, display)).where(key.in_(ids))).all()
        )
    rows = db.session.scalars(sa.select(model).where(sa.inspect(model).primary_key[0].in_(ids)))
    return {obj.id: record_text(obj) for obj in rows}


def _names(entries, fields) -> dict[sa.Column, dict]:
    """The names of the records the entries refer to (units, accounts, provinces, agreements,
    reporting periods…), by referenced column and id, read in one query per table."""
    wanted: dict[sa.Column, set] = {}
    for e in entries:
        for key, pair in (e.changes or {}).items():
            field = fields.get((e.entity_type, key))
            for fk in field.column.foreign_keys if field and field.column is not None else ():
                if fk.column.table in _model_of_table():
                    ids = wanted.setdefault(fk.column, set())
                    ids |= {v for v in pair if isinstance(v, int)}
    return {
        target: _texts(_model_of_table()[target.table], ids)
        for target, ids in wanted.items()
        if ids
    }


def record_names(entries) -> dict[tuple[str, int], str]:
    """The name of each entry's record, by (kind, id): read in one query per kind, or for a
    deleted record taken from the values its last entry kept."""
    models = {model.__name__: model for model in _audited_models()}
    wanted: dict[str, set] = {}
    for e in entries:
        if e.entity_type in models:
            wanted.setdefault(e.entity_type, set()).add(e.entity_id)
    names = {
        (kind, record_id): text
        for kind, ids in wanted.items()
        for record_id, text in _texts(models[kind], ids).items()
        if text
    }
    for e in entries:
        display = getattr(models.get(e.entity_type), "__display__", None) or "title"
        pair = (e.changes or {}).get(display)
        if (e.entity_type, e.entity_id) not in names and isinstance(pair, list):
            text = next((v for v in reversed(pair) if isinstance(v, str) and v), None)
            if text:
                names[e.entity_type, e.entity_id] = text
    return names


def _show(value, column, names) -> str:
    """One stored value as the reader expects it: dates dd/mm/yyyy, amounts in đồng, enum
    labels, yes/no, names instead of ids."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "—"
    if column is None:
        return str(value)
    for fk in column.foreign_keys:
        return names.get(fk.column, {}).get(value) or "—"
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
        if column.key.endswith("_vnd"):  # money is an integer number of đồng
            return fmt_vnd(int(value))
        if column.key == "size":  # of a file, as the evidence lists show it
            return f"{fmt_number(-(-int(value) // 1024))} KB"
        if column.key == "year" or column.key.endswith("_year"):
            return str(value)  # 2030, not 2.030
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
    fields = _fields()
    names = _names(entries, fields)
    out = {}
    for e in entries:
        rows = []
        for key, pair in (e.changes or {}).items():
            field = fields.get((e.entity_type, key))
            if field is not None and not field.shown:
                continue
            column = field.column if field else None
            before, after = (_show(v, column, names) for v in pair)
            rows.append((str(field.label if field else key), before, after))
        out[e.id] = rows
    return out


def labels(entries=()) -> dict:
    """Translated names for the audit table (record kinds, sorted by name, and actions) and each
    entry's changes as the reader should see them (see `present`)."""
    kinds = {model.__name__: str(kind_label(model)) for model in _audited_models()}
    return {
        "entity_labels": dict(sorted(kinds.items(), key=lambda kv: sort_key(kv[1]))),
        "action_labels": {
            "create": _("created"),
            "update": _("changed"),
            "delete": _("deleted"),
            "restore": _("restored from the recycle bin"),
        },
        "changes": present(entries),
        "record_names": record_names(entries),
    }
