"""Running a search: the words of the query, matched by the database's own index (PostgreSQL
full text and trigrams, SQLite FTS5), in the user's scope, ranked, one page at a time."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup

from tracker.agreements.models import Agreement
from tracker.agreements.permissions import agreements_visible_to
from tracker.extensions import db
from tracker.listing import Paged
from tracker.search.highlight import excerpt
from tracker.search.index import words
from tracker.search.models import FTS_TABLE, SearchDocument
from tracker.search.sources import SOURCES

#: Results per page.
PER_PAGE = 20
#: A query shorter than this (letters and digits, diacritics and spaces aside) finds nothing
#: useful; the page says so instead of listing half the database.
MIN_LENGTH = 2
#: Words of a query beyond these are ignored (a pasted paragraph is not a query).
MAX_WORDS = 12

#: The weighted vector of migration 0009's GIN index, the same expression (PostgreSQL uses an
#: expression index only for an identical expression): title A, body B, names C, place D.
PG_VECTOR = sa.literal_column(
    "setweight(to_tsvector('simple'::regconfig, title_folded), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_folded), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, context_folded), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, place_folded), 'D')"
)
#: The folded columns, best first (the FTS5 columns and the PostgreSQL weights A, B, C, D).
COLUMNS = ("title_folded", "body_folded", "context_folded", "place_folded")
#: FTS5's bm25 weights of the same four columns.
SQLITE_WEIGHTS = (10.0, 4.0, 2.0, 1.0)


def query_words(q: str | None) -> list[str]:
    """The distinct folded words of a query, in order (at most MAX_WORDS)."""
    return list(dict.fromkeys(words(q)))[:MAX_WORDS]


def too_short(q: str | None) -> bool:
    """Whether a query holds too little to search for."""
    return len("".join(query_words(q))) < MIN_LENGTH


def _tier(found_in) -> sa.ColumnElement:
    """Where the words are: 0 all in the title, 1 in the record's own text, 2 with its names
    (codes, units), 3 only with its place. `found_in(n)` says whether they are in the n best
    columns."""
    return sa.case(*((found_in(n), n - 1) for n in (1, 2, 3)), else_=3)


def _kind_order() -> sa.ColumnElement:
    """The bigger record first among equals: agreements, commitments, directives, …"""
    return sa.case(
        {source.kind: source.priority for source in SOURCES.values()},
        value=SearchDocument.kind,
        else_=len(SOURCES),
    )


def _postgresql(terms: list[str], phrase: str, *, close: bool = False):
    """Every word a word of the record (full text); or, when `close`, the title close to the
    query (trigrams: a typo still finds it). Scored by the weighted full-text rank and how
    close the title is."""
    simple = sa.literal_column("'simple'::regconfig")
    tsquery = sa.func.to_tsquery(simple, " & ".join(f"'{t}'" for t in terms))
    near = SearchDocument.title_folded.op("%")(phrase)
    matches = near if close else PG_VECTOR.op("@@")(tsquery)

    def found_in(n):
        weights = ",".join("abcd"[:n])
        kept = sa.func.ts_filter(PG_VECTOR, sa.literal_column(f"'{{{weights}}}'::\"char\"[]"))
        return kept.op("@@")(tsquery)

    named = sa.func.ts_filter(PG_VECTOR, sa.literal_column("'{a,b,c}'::\"char\"[]"))
    as_phrase = named.op("@@")(sa.func.phraseto_tsquery(simple, phrase))
    score = sa.func.ts_rank(PG_VECTOR, tsquery) + 0.5 * sa.func.similarity(
        SearchDocument.title_folded, phrase
    )
    return sa.select(SearchDocument).where(matches), [
        sa.not_(as_phrase),
        _tier(found_in),
        score.desc(),
    ]


def _sqlite(terms: list[str], phrase: str, *, close: bool = False):
    """Every word a word of the record (FTS5), scored by bm25 over the weighted columns (no
    near matches: `close` finds nothing more)."""
    fts = sa.table(FTS_TABLE, sa.column("rowid"))
    match = sa.literal_column(FTS_TABLE).op("MATCH")
    expression = " ".join(f'"{t}"' for t in terms)

    def found_in(n):
        columns = " ".join(COLUMNS[:n])
        within = sa.select(fts.c.rowid).where(match(f"{{{columns}}} : ({expression})"))
        return SearchDocument.id.in_(within.scalar_subquery())

    named = " ".join(COLUMNS[:3])
    as_phrase = SearchDocument.id.in_(
        sa.select(fts.c.rowid).where(match(f'{{{named}}} : "{phrase}"')).scalar_subquery()
    )
    weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
    score = sa.literal_column(f"bm25({FTS_TABLE}, {weights})")
    query = (
        sa.select(SearchDocument)
        .join(fts, fts.c.rowid == SearchDocument.id)
        .where(match(expression) if not close else sa.false())
    )
    return query, [sa.not_(as_phrase), _tier(found_in), score]


def matching(user, q: str, *, close: bool = False) -> sa.Select:
    """A SELECT of the index rows a query finds in the user's scope, best first: those whose
    own text or names hold the words as one phrase ("quảng trị", not "chủ trì … Quảng"), then
    by where the words are (title, own text, names, place), the kind of record, and the
    database's score."""
    terms = query_words(q)
    build = _postgresql if db.engine.dialect.name == "postgresql" else _sqlite
    query, order = build(terms, " ".join(terms), close=close)
    visible = agreements_visible_to(user).with_only_columns(Agreement.id).scalar_subquery()
    phrase_first, tier, score = order
    return query.where(SearchDocument.agreement_id.in_(visible)).order_by(
        phrase_first, tier, _kind_order(), score, SearchDocument.id
    )


@dataclass
class Result:
    """One record found: what it is, where it belongs, its highlighted text and its link."""

    label: str
    title: Markup
    excerpt: Markup | None
    url: str
    agreement: Agreement


@dataclass
class Results(Paged):
    """A page of results, with what the pager needs."""

    q: str
    page: int
    total: int
    items: list[Result] = field(default_factory=list)
    #: Nothing matched the words: these are records whose title is close to the query.
    close: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))

    @property
    def first(self) -> int:
        """The number of the page's first result."""
        return (self.page - 1) * PER_PAGE + 1



def search(user, q: str, *, page: int = 1) -> Results:
    """One page of what the user finds for a query (an empty page for a too-short query); when
    no record holds its words, the records whose title is close to it (PostgreSQL)."""
    if too_short(q):
        return Results(q=q, page=page, total=0)
    for close in (False, True):
        query = matching(user, q, close=close)
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
        if total:
            break
    documents = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    terms = query_words(q)
    return Results(q=q, page=page, total=total, items=_present(documents, terms), close=close)


def _present(documents: list[SearchDocument], terms: list[str]) -> list[Result]:
    """The records behind the rows (one query per kind, one for their agreements), in order;
    a row whose record is gone (deleted outside the session) is left out."""
    by_kind: dict[str, set[int]] = {}
    for d in documents:
        by_kind.setdefault(d.kind, set()).add(d.record_id)
    records = {}
    for kind, ids in by_kind.items():
        source = SOURCES.get(kind)
        if source is None:
            continue
        pk = sa.inspect(source.model).primary_key[0]
        for obj in db.session.scalars(sa.select(source.model).where(pk.in_(ids))):
            records[kind, obj.id] = obj
    agreements = {
        a.id: a
        for a in db.session.scalars(
            sa.select(Agreement).where(Agreement.id.in_({d.agreement_id for d in documents}))
        )
    }
    results = []
    for d in documents:
        obj = records.get((d.kind, d.record_id))
        if obj is None:
            continue
        source = SOURCES[d.kind]
        results.append(
            Result(
                label=str(source.label),
                title=excerpt(d.title, terms, width=300),
                excerpt=excerpt(d.body, terms, width=240, only_if_matched=True),
                url=source.url(obj),
                agreement=agreements[d.agreement_id],
            )
        )
    return results
