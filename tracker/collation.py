"""Vietnamese alphabetical order (a ă â b c d đ e ê …, tones after letters), from ICU's `vi`
collation: one sort key for lists sorted in Python, and one ORDER BY expression for names sorted
by the database. Python's default order puts every Đ name after Z; a home-made key gets the tones
wrong, so both go to ICU: PyICU here, PostgreSQL's ICU collation `vi` (created by the
migrations), and on SQLite a collation `vi` registered on every connection with the same PyICU
collator (`tracker.sqlite`)."""

import threading

import icu
import sqlalchemy as sa

#: The collation name, the same on both databases: `CREATE COLLATION vi (provider = icu,
#: locale = 'vi')` on PostgreSQL, `create_collation("vi", …)` on SQLite.
COLLATION = "vi"

_local = threading.local()


def _collator() -> icu.Collator:
    # A collator per thread: ICU collators are cheap to keep and not meant to be shared while
    # one thread compares and another one sorts.
    collator = getattr(_local, "collator", None)
    if collator is None:
        collator = _local.collator = icu.Collator.createInstance(icu.Locale(COLLATION))
    return collator


def sort_key(text: str | None) -> bytes:
    """The key that sorts text in Vietnamese alphabetical order: `sorted(names, key=sort_key)`."""
    return _collator().getSortKey(text or "")


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as a comes before, with or after b in Vietnamese order (SQLite's collation)."""
    return _collator().compare(a, b)


def by_name(column):
    """An ORDER BY expression that sorts a name column in Vietnamese order on either database:
    `select(Province).order_by(by_name(Province.name))`."""
    return sa.collate(column, COLLATION)


def register_sqlite(dbapi_connection) -> None:
    """Give a sqlite3 connection the `vi` collation (called on every new connection)."""
    dbapi_connection.create_collation(COLLATION, compare)
