"""Keeping the search index up to date: one session hook re-indexes, in the same transaction,
every searchable record a flush creates, changes or deletes (and every record of an agreement
whose province, or whose units, were renamed or merged); `tracker search reindex` rebuilds the
whole index. Services, imports and the demo loader write through the session, so the index
follows whatever the entry point."""

import functools
import re

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from tracker import events
from tracker.agreements.models import Agreement, agreement_units
from tracker.extensions import db
from tracker.org.models import Province, Unit, preload
from tracker.search.models import SearchDocument
from tracker.search.sources import SOURCES, Source, source_for
from tracker.text import fold

#: A word: letters and digits (of any script), nothing else.
WORD = re.compile(r"[^\W_]+")


def words(text: str | None) -> list[str]:
    """The folded words of a text, as the index and the query see them: 'Đắk Lắk, QB-01' ->
    ['dak', 'lak', 'qb', '01'] (PostgreSQL and SQLite then split them the same way)."""
    return WORD.findall(fold(text))


@functools.lru_cache(maxsize=65_536)
def _folded_one(text: str) -> str:
    # Unit and province names, codes and generated titles repeat across thousands of records.
    return " ".join(words(text))


def _folded(*texts) -> str:
    return " ".join(f for text in texts if text and (f := _folded_one(str(text))))


def _lineage(body) -> list:
    """A province or unit and those that carry it on (Quảng Bình, then Quảng Trị)."""
    chain, seen = [], set()
    while body is not None and body.id not in seen:
        seen.add(body.id)
        chain.append(body)
        body = body.successor
    return chain


def document(source: Source, obj) -> dict | None:
    """The index row of a record, or None when it belongs to no agreement (yet)."""
    agreement = source.agreement(obj)
    if agreement is None or agreement.id is None:
        return None
    title, body = source.title(obj) or "", source.body(obj) or ""
    units = [u for unit in source.units(obj) for u in _lineage(unit)]
    names = [*source.names(obj), *(n for u in units for n in (u.name, u.short_name))]
    places = [p.name for p in _lineage(agreement.province)]
    if agreement is obj:
        # An agreement is named by its province: "quang tri" lists the agreements first.
        names += places
    return {
        "kind": source.kind,
        "record_id": obj.id,
        "agreement_id": agreement.id,
        "title": title,
        "body": body,
        "title_folded": _folded(title),
        "body_folded": _folded(body),
        "context_folded": _folded(*names),
        "place_folded": _folded(*places),
    }


def write(connection, kind_ids: dict[str, set[int]], rows: list[dict]) -> None:
    """Replace the index rows of these records (kind -> ids) by `rows`."""
    for kind, ids in kind_ids.items():
        if ids:
            connection.execute(
                sa.delete(SearchDocument).where(
                    SearchDocument.kind == kind, SearchDocument.record_id.in_(ids)
                )
            )
    if rows:
        connection.execute(sa.insert(SearchDocument), rows)


def _agreements_of(session, bodies) -> set[int]:
    """The agreements whose index rows name a changed province or unit: those of the province
    and of every province it carries on, and those the unit (or one it carries on) takes part
    in."""
    provinces = [b for b in bodies if isinstance(b, Province)]
    units = [b for b in bodies if isinstance(b, Unit)]
    ids: set[int] = set()
    if provinces:
        changed = {p.id for p in provinces}
        affected = {
            p.id
            for p in session.scalars(sa.select(Province))
            if changed & {q.id for q in _lineage(p)}
        }
        ids |= set(
            session.scalars(sa.select(Agreement.id).where(Agreement.province_id.in_(affected)))
        )
    if units:
        changed = {u.id for u in units}
        affected = {
            u.id for u in session.scalars(sa.select(Unit)) if changed & {q.id for q in _lineage(u)}
        }
        ids |= set(
            session.scalars(
                sa.select(agreement_units.c.agreement_id).where(
                    agreement_units.c.unit_id.in_(affected)
                )
            )
        )
    return ids


def _renamed(obj, *keys) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[key].history.has_changes() for key in keys)


def documents_of(session, agreement_ids: set[int] | None):
    """(kind -> ids, rows) of every searchable record of these agreements (None: all)."""
    kind_ids: dict[str, set[int]] = {}
    rows = []
    for source in SOURCES.values():
        for obj in session.scalars(source.records(agreement_ids)).unique():
            kind_ids.setdefault(source.kind, set()).add(obj.id)
            row = document(source, obj)
            if row is not None:
                rows.append(row)
    return kind_ids, rows


@event.listens_for(Session, "after_flush")
def _reindex_changes(session, flush_context):
    """Re-index what this flush created, changed or deleted, inside the same transaction."""
    kind_ids: dict[str, set[int]] = {}
    rows: list[dict] = []
    whole: set[int] = set()
    bodies = []
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, Province | Unit) and obj not in session.new:
            if _renamed(
                obj, "name", "successor_id", *(["short_name"] if isinstance(obj, Unit) else [])
            ):
                bodies.append(obj)
            continue
        source = source_for(obj)
        if source is None:
            continue
        kind_ids.setdefault(source.kind, set()).add(obj.id)
        if obj in session.deleted:
            continue
        if (
            isinstance(obj, Agreement)
            and obj not in session.new
            and _renamed(obj, "code", "province_id")
        ):
            whole.add(obj.id)
        row = document(source, obj)
        if row is not None:
            rows.append(row)
    if bodies:
        whole |= _agreements_of(session, bodies)
    if whole:
        # Every record of these agreements names the province or the code: all of them again.
        with session.no_autoflush:
            more_ids, more_rows = documents_of(session, whole)
        for kind, ids in more_ids.items():
            kind_ids.setdefault(kind, set()).update(ids)
        done = {(r["kind"], r["record_id"]) for r in more_rows}
        rows = [r for r in rows if (r["kind"], r["record_id"]) not in done] + more_rows
    if kind_ids:
        write(session.connection(), kind_ids, rows)


def reindex(session) -> int:
    """Rebuild the whole index from the records (`tracker search reindex`), one agreement at a
    time (its records loaded together, then let go), committing after each: a rebuild of a large
    database holds no single huge transaction (on SQLite its write-ahead log would grow without
    a checkpoint and every insert slow down), and searches meanwhile find the agreements done so
    far. Returns the number of records indexed."""
    session.connection().execute(sa.delete(SearchDocument))
    session.commit()
    count = 0
    for agreement_id in session.scalars(sa.select(Agreement.id).order_by(Agreement.id)).all():
        with session.no_autoflush:
            keep = preload(session)  # provinces and units: their successors without queries
            _, rows = documents_of(session, {agreement_id})
        if rows:
            session.connection().execute(sa.insert(SearchDocument), rows)
        # The commit expires the loaded records; the session holds them weakly, so they go
        # once `keep` lets the provinces and units go.
        session.commit()
        count += len(rows)
        del keep
    return count


@events.records_restored.connect
def _index_restored(item, *, rows, **_):
    """Records back from the recycle bin were re-inserted as they were (no flush saw them):
    index the searchable ones again, in the restoring transaction."""
    session = db.session
    by_table = {source.model.__table__.name: source for source in SOURCES.values()}
    kind_ids: dict[str, set[int]] = {}
    documents = []
    for table, record_id in rows:
        source = by_table.get(table)
        if source is None:
            continue
        obj = session.get(source.model, record_id)
        if obj is None:
            continue
        kind_ids.setdefault(source.kind, set()).add(record_id)
        row = document(source, obj)
        if row is not None:
            documents.append(row)
    if kind_ids:
        write(session.connection(), kind_ids, documents)
