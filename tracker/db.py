"""Declarative base, mixins and the session hooks every model shares."""

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same way."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """Who created and last changed a row, and when (filled in by the flush hook)."""

    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    #: Who created and who last changed the row (user ids; not foreign keys, because users,
    #: units and provinces all carry these columns and users are never deleted, only disabled).
    created_by_id: Mapped[int | None] = mapped_column(sa.Integer)
    updated_by_id: Mapped[int | None] = mapped_column(sa.Integer)


class VersionedMixin(TimestampMixin):
    """Optimistic locking: an UPDATE that finds another version raises StaleDataError."""

    #: Incremented on every update; forms carry it to detect a stale edit.
    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


def nfc(value):
    """Text normalised to NFC (Vietnamese typed on some systems arrives decomposed)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    return value


def fold(text: str | None) -> str:
    """Lower-case text without diacritics, for searching: 'Đắk Lắk' -> 'dak lak'."""
    if not text:
        return ""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.lower().split())


def jsonable(value):
    """A column value in a form the audit log can store as JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "value") and not isinstance(value, int | str):  # enum
        return value.value
    return value


#: Session info keys: the acting user's id and an optional reason for the change.
ACTOR = "actor_id"
REASON = "change_reason"


@event.listens_for(Session, "before_flush")
def _before_flush(session, flush_context, instances):
    """Normalise text to NFC, stamp the author of each change, and refresh derived columns."""
    actor_id = session.info.get(ACTOR)
    for obj in list(session.new) + list(session.dirty):
        mapper = sa.inspect(obj).mapper
        for attr in mapper.column_attrs:
            value = getattr(obj, attr.key, None)
            if isinstance(value, str):
                normalised = unicodedata.normalize("NFC", value)
                if normalised != value:
                    setattr(obj, attr.key, normalised)
        if hasattr(obj, "refresh_derived"):
            obj.refresh_derived()
        if isinstance(obj, TimestampMixin) and actor_id is not None:
            if obj in session.new and obj.created_by_id is None:
                obj.created_by_id = actor_id
            if session.is_modified(obj) or obj in session.new:
                obj.updated_by_id = actor_id


_LABELS: dict = {}


class LabelledEnum(StrEnum):
    """A string enum whose members carry a lazily translated label (``__labels__`` by value)."""

    @property
    def label(self):
        return type(self).__labels__[self.value]

    @property
    def text(self) -> str:
        """The label translated now, cached per language (for long tables)."""

        key = (type(self).__name__, self.value, str(get_locale()))
        cached = _LABELS.get(key)
        if cached is None:
            cached = _LABELS[key] = str(self.label)
        return cached

    @classmethod
    def choices(cls):
        """(value, label) pairs for a select field."""
        return [(m.value, m.label) for m in cls]


def enum_column(enum_cls, **kwargs):
    """A VARCHAR column holding an enum's values (portable, no native ENUM type)."""
    return mapped_column(
        sa.Enum(
            enum_cls,
            native_enum=False,
            length=24,
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
        **kwargs,
    )


# -- labels -------------------------------------------------------------------------------------
#
# What a reader calls a column or a record is declared where it is declared, once: a column says
# ``mapped_column(..., info={"label": _l("Due date")})`` (a relationship the same way), a model
# ``__label__ = _l("Commitment")``. Forms, the history of changes and exports read them here.
# ``info={"in_history": False}`` leaves a column out of the history of changes (the record's
# place in its parent, which the page shows, ordering and technical fields); ``__display__``
# names the column that shows a record where another one refers to it (a unit by its name).


def _info(attribute) -> dict:
    """The ``info`` of a column, a model attribute (``Commitment.due_on``) or a relationship."""
    prop = getattr(attribute, "property", attribute)  # an instrumented attribute -> its property
    if isinstance(prop, sa.orm.ColumnProperty):
        return prop.columns[0].info
    return prop.info


_NO_DEFAULT = object()


def label_of(attribute, default=_NO_DEFAULT):
    """The lazily translated label a column or relationship declares (``info["label"]``);
    `default` if it declares none, or LookupError when no default is given."""
    label = _info(attribute).get("label", default)
    if label is _NO_DEFAULT:
        raise LookupError(f"{attribute} declares no label (info={{'label': ...}})")
    return label


def kind_label(model_or_obj):
    """What a record of this model is called (its ``__label__``), lazily translated."""
    cls = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    try:
        return cls.__dict__["__label__"]
    except KeyError:
        raise LookupError(f"{cls.__name__} declares no __label__") from None


def in_history(column) -> bool:
    """Whether the history of changes shows changes to this column."""
    return _info(column).get("in_history", True)


def local_today() -> date:
    """Today's date in Vietnam (deadlines are local dates, the server may run in UTC)."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


#: How long a connection waits for another one's write lock before giving up with "database is
#: locked" (ms). Under load several writers wait in turn; this stays below gunicorn's default 30 s
#: worker timeout, so a request that waits too long fails cleanly instead of having its worker
#: killed.
SQLITE_BUSY_TIMEOUT_MS = 20_000

#: Statements that never start a write transaction: reads, transaction control, and what must
#: run outside a transaction (VACUUM, ATTACH).
_SQLITE_NO_WRITE = re.compile(
    r"\s*(?:SELECT|EXPLAIN|PRAGMA|VALUES|BEGIN|COMMIT|END|ROLLBACK|RELEASE|VACUUM|ATTACH|DETACH)\b",
    re.IGNORECASE,
)
_SQLITE_DML = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _sqlite_writes(statement: str, context) -> bool:
    """Whether a statement writes (or asks for a write lock): DML, DDL, SAVEPOINT, ANALYZE…,
    and SELECT … FOR UPDATE, which SQLite does not know but which says the same."""
    compiled = getattr(context, "compiled", None)
    if compiled is not None:
        if context.isinsert or context.isupdate or context.isdelete:
            return True
        if getattr(compiled.statement, "_for_update_arg", None) is not None:
            return True
    if _SQLITE_NO_WRITE.match(statement):
        return False
    if statement.lstrip()[:4].upper() == "WITH":
        return bool(_SQLITE_DML.search(statement))
    return True


def configure_sqlite(engine) -> None:
    """SQLite as a server database: foreign keys on, WAL, a busy timeout, and write transactions
    started with BEGIN IMMEDIATE, so parallel writers wait for each other instead of failing
    with "database is locked".

    The driver's own transaction handling is off (``isolation_level = None``, as in SQLAlchemy's
    recipe "Serializable isolation / Savepoints / Transactional DDL"). Instead of emitting BEGIN
    IMMEDIATE on the engine's "begin" event, which would make every transaction a writer, BEGIN
    IMMEDIATE is emitted just before the first statement that writes (DML, DDL, SAVEPOINT,
    SELECT … FOR UPDATE). Why:

    * A DEFERRED transaction takes the write lock only at its first write. If it has read before
      (every request reads the signed-in user first), SQLite does not wait with the busy timeout:
      it fails at once with SQLITE_BUSY ("database is locked") when another connection holds the
      write lock, and in WAL mode also when another one committed since the transaction's read
      snapshot (SQLITE_BUSY_SNAPSHOT). Only running the whole request again could help. So a
      write transaction must start with BEGIN IMMEDIATE: the lock is taken first (waiting for it
      with the busy timeout), and everything in the transaction sees the latest committed state.
    * BEGIN IMMEDIATE on the "begin" event (the engine cannot tell there whether the transaction
      will write: a GET may write, a POST may only read) makes every reader a writer too. In WAL
      mode readers never block a writer nor wait for one; with IMMEDIATE everywhere they do: one
      transaction at a time per database file, and any session that has read something and
      stays open blocks every writer until it ends. Tried here, it failed the test suite (a test
      reading through its session while the app writes through another waited for the busy
      timeout and got "database is locked"); in production a slow page or a CLI job would hold
      up every save the same way.
    * So reads before a transaction's first write run in autocommit mode, each statement on the
      latest committed state (as pysqlite did before, and like PostgreSQL's Read Committed, where
      the app runs in production): a stale read is caught when the write is made, by the version
      column (UPDATE … WHERE version = ?) and the unique constraints, exactly as on PostgreSQL.
      Code that must read and write as one unit uses ``select(...).with_for_update()``: on SQLite
      that statement starts the write transaction (the whole database is locked for writing).
    * DDL starts the write transaction too, so Alembic's migration steps and the version stamp
      commit together, and a SAVEPOINT nests inside the real transaction instead of starting one
      of its own.

    A connection set to AUTOCOMMIT (``execution_options(isolation_level="AUTOCOMMIT")``) gets no
    BEGIN at all: each statement is its own transaction."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        # The driver must not emit its own (deferred) BEGIN before DML: we emit BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, connection_record, connection_proxy):
        # SQLAlchemy puts the driver back in its own mode after a connection used AUTOCOMMIT.
        if dbapi_connection.isolation_level is not None:
            dbapi_connection.isolation_level = None

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_immediate(conn, cursor, statement, parameters, context, executemany):
        dbapi_connection = cursor.connection
        if dbapi_connection.in_transaction or not _sqlite_writes(statement, context):
            return
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        dbapi_connection.execute("BEGIN IMMEDIATE")
