"""The search index: one row per searchable record, its text as shown and folded for matching."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import UNMODELLED, Base

#: Made by hand in migration 0009 (tracker.db.UNMODELLED): on SQLite the FTS5 table over the
#: folded columns and its shadow tables; on PostgreSQL the full-text and trigram GIN indexes.
FTS_TABLE = "search_fts"
UNMODELLED.update(
    {
        FTS_TABLE,
        *(f"{FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "docsize", "config", "content")),
        "ix_search_documents_fts",
        "ix_search_documents_trgm",
    }
)


class SearchDocument(Base):
    """A record as the global search sees it (written by tracker.search.index only)."""

    __tablename__ = "search_documents"
    __table_args__ = (sa.UniqueConstraint("kind", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The search source (tracker.search.sources): "agreement", "commitment", "evidence", …
    kind: Mapped[str] = mapped_column(sa.String(40))
    record_id: Mapped[int]
    #: Whose scope the record is in: a user finds it when they may read this agreement.
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    #: The text as shown (for the highlighted result).
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
    #: Folded words (tracker.search.index.words), ranked from the title's down to the place's:
    #: the record's own text, then what names it (codes, units and their successors), then where
    #: it is (its province and the provinces that carry it on).
    title_folded: Mapped[str] = mapped_column(sa.Text)
    body_folded: Mapped[str] = mapped_column(sa.Text)
    context_folded: Mapped[str] = mapped_column(sa.Text)
    place_folded: Mapped[str] = mapped_column(sa.Text)
