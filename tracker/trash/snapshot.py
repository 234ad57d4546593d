"""Taking a record and everything that goes with it out of the database as plain JSON rows, and
putting them back with their ids.

Which rows go with a record is read from the models' metadata, not from a list per feature: the
rows whose foreign key to it deletes with it (``ondelete="CASCADE"``), the rows of a relationship
that cascades deletes, and the link rows of its many-to-many relationships, recursively. Rows
outside the snapshot whose nullable reference to it the database clears are remembered as links
and set again on restore."""

import base64
import enum
import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa

from tracker.db import Base
from tracker.extensions import db


@dataclass
class Snapshot:
    """The rows of a record and its children, parents first, and the links to restore."""

    rows: list[tuple[sa.Table, dict]] = field(default_factory=list)
    links: list[tuple[sa.Table, dict, str, object]] = field(default_factory=list)


# -- values as JSON ------------------------------------------------------------------------------

_TAG = "__trash__"


def encode(value):
    """A column value as JSON (dates, times, decimals and bytes tagged so they come back)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return {_TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {_TAG: "date", "v": value.isoformat()}
    if isinstance(value, time):
        return {_TAG: "time", "v": value.isoformat()}
    if isinstance(value, Decimal):
        return {_TAG: "decimal", "v": str(value)}
    if isinstance(value, bytes | memoryview):
        return {_TAG: "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    return value


_DECODERS = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "decimal": Decimal,
    "bytes": base64.b64decode,
}


def decode(value):
    """The column value `encode` wrote."""
    if isinstance(value, dict) and _TAG in value:
        return _DECODERS[value[_TAG]](value["v"])
    return value


# -- what goes with a record ---------------------------------------------------------------------


def _pk(table: sa.Table, row: dict) -> tuple:
    return tuple(row[c.name] for c in table.primary_key.columns)


@functools.cache
def _model_of_table() -> dict[sa.Table, type]:
    return {mapper.local_table: mapper.class_ for mapper in Base.registry.mappers}


def model_of(table: sa.Table):
    """The model mapped to a table (None for a link table)."""
    return _model_of_table().get(table)


@functools.cache
def _dependent_keys(table: sa.Table) -> tuple[tuple[sa.ForeignKey, bool], ...]:
    """The foreign keys pointing at `table`, each with whether its rows go with the row they
    point to (deleted with it) or only lose the reference."""
    orm_cascaded: set[sa.Column] = set()
    model = model_of(table)
    if model is not None:
        for rel in sa.inspect(model).relationships:
            if rel.secondary is not None:
                orm_cascaded.update(rel.secondary.columns)
            elif rel.cascade.delete and rel.direction.name == "ONETOMANY":
                orm_cascaded.update(rel.remote_side)
    found = []
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table:
                goes = (fk.ondelete or "").upper() == "CASCADE" or fk.parent in orm_cascaded
                found.append((fk, goes))
    return tuple(found)


def capture(obj) -> Snapshot:
    """The rows of an ORM object and of everything deleted with it, read before it is deleted."""
    db.session.flush()
    conn = db.session.connection()
    root_table = sa.inspect(obj).mapper.local_table
    key = dict(
        zip((c.name for c in root_table.primary_key.columns), sa.inspect(obj).identity, strict=True)
    )
    snapshot = Snapshot()
    seen: set[tuple[str, tuple]] = set()
    queue: list[tuple[sa.Table, sa.ColumnElement]] = [
        (root_table, sa.and_(*(root_table.c[k] == v for k, v in key.items())))
    ]
    while queue:
        table, condition = queue.pop(0)
        rows = [dict(r._mapping) for r in conn.execute(sa.select(table).where(condition))]
        rows = [r for r in rows if (table.name, _pk(table, r)) not in seen]
        if not rows:
            continue
        for row in rows:
            seen.add((table.name, _pk(table, row)))
            snapshot.rows.append((table, row))
        for fk, goes in _dependent_keys(table):
            values = {r[fk.column.name] for r in rows} - {None}
            if not values:
                continue
            child = fk.parent.table
            where = fk.parent.in_(values)
            if goes:
                queue.append((child, where))
            elif fk.parent.nullable:
                for r in conn.execute(sa.select(child).where(where)):
                    row = dict(r._mapping)
                    if (child.name, _pk(child, row)) not in seen:
                        pk = {c.name: row[c.name] for c in child.primary_key.columns}
                        snapshot.links.append((child, pk, fk.parent.name, row[fk.parent.name]))
    snapshot.links = [
        link for link in snapshot.links if (link[0].name, tuple(link[1].values())) not in seen
    ]
    return snapshot


def stored_files(snapshot: Snapshot) -> set[str]:
    """The SHA-256 of the stored files the snapshot's rows reference."""
    return {
        row[column.name]
        for table, row in snapshot.rows
        for column in table.columns
        if column.info.get("stored_file") and row.get(column.name)
    }


def to_json(snapshot: Snapshot) -> tuple[list, list]:
    """The snapshot's rows and links as JSON."""
    rows = [[t.name, {k: encode(v) for k, v in row.items()}] for t, row in snapshot.rows]
    links = [[t.name, pk, column, encode(value)] for t, pk, column, value in snapshot.links]
    return rows, links


def from_json(rows: list, links: list) -> Snapshot:
    """The snapshot `to_json` wrote (columns the table no longer has are left out)."""
    tables = Base.metadata.tables
    snapshot = Snapshot()
    for name, values in rows:
        table = tables[name]
        snapshot.rows.append((table, {k: decode(v) for k, v in values.items() if k in table.c}))
    for name, pk, column, value in links:
        snapshot.links.append((tables[name], pk, column, decode(value)))
    return snapshot


# -- putting it back -----------------------------------------------------------------------------


def insert(snapshot: Snapshot) -> None:
    """Insert the rows with their ids (parents first, references among rows of one table set
    afterwards) and set the links again; the caller has checked they fit."""
    conn = db.session.connection()
    order = {t: i for i, t in enumerate(Base.metadata.sorted_tables)}
    later: list[tuple[sa.Table, dict, dict]] = []
    for table, row in sorted(snapshot.rows, key=lambda tr: order[tr[0]]):
        deferred = {
            fk.parent.name: row[fk.parent.name]
            for fk in table.foreign_keys
            if order[fk.column.table] >= order[table] and row.get(fk.parent.name) is not None
        }
        conn.execute(sa.insert(table).values({**row, **dict.fromkeys(deferred)}))
        if deferred:
            later.append((table, row, deferred))
    for table, row, deferred in later:
        conn.execute(sa.update(table).where(*_where(table, row)).values(deferred))
    for table, pk, column, value in snapshot.links:
        conn.execute(
            sa.update(table)
            .where(*(table.c[k] == v for k, v in pk.items()), table.c[column].is_(None))
            .values({column: value})
        )


def _where(table: sa.Table, row: dict) -> list:
    return [c == row[c.name] for c in table.primary_key.columns]


# -- what stands in the way ----------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """Why a snapshot cannot go back: its parent is gone (`missing`), or a row now holds its id
    or one of its unique values (`taken`)."""

    reason: str  # "missing" | "taken"
    table: sa.Table
    columns: tuple[sa.Column, ...] = ()
    values: tuple = ()


def _unique_column_sets(table: sa.Table) -> list[tuple[sa.Column, ...]]:
    sets = [tuple(c.columns) for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    sets += [tuple(i.columns) for i in table.indexes if i.unique]
    sets += [(c,) for c in table.columns if c.unique]
    return list(dict.fromkeys(sets))


def conflicts(snapshot: Snapshot) -> list[Conflict]:
    """What keeps the snapshot from going back as it was, read in the current transaction."""
    conn = db.session.connection()
    inside = {(t.name, _pk(t, row)) for t, row in snapshot.rows}
    found: list[Conflict] = []
    for table, row in snapshot.rows:
        pk = tuple(table.primary_key.columns)
        if conn.scalar(sa.select(sa.func.count()).select_from(table).where(*_where(table, row))):
            found.append(Conflict("taken", table, pk, _pk(table, row)))
        for fk in table.foreign_keys:
            value = row.get(fk.parent.name)
            target = fk.column.table
            if value is None or (target.name, (value,)) in inside:
                continue
            if not conn.scalar(
                sa.select(sa.func.count()).select_from(target).where(fk.column == value)
            ):
                found.append(Conflict("missing", target, (fk.column,), (value,)))
        for columns in _unique_column_sets(table):
            values = tuple(row.get(c.name) for c in columns)
            if any(v is None for v in values):
                continue
            taken = conn.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(*(c == v for c, v in zip(columns, values, strict=True)))
            )
            if taken:
                found.append(Conflict("taken", table, columns, values))
    # A missing parent first, then a value now taken, then an id a new row reuses (SQLite hands
    # out the highest id again once its row is deleted): the most telling reason is given.
    rank = {"missing": 0, "taken": 1}
    return sorted(
        dict.fromkeys(found),
        key=lambda c: (rank[c.reason], all(col.primary_key for col in c.columns)),
    )
