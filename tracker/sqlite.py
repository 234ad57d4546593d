"""SQLite as a server database: the connection settings and when a write transaction begins."""

import re

from sqlalchemy import event

from tracker.collation import register_sqlite

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
        # ORDER BY name COLLATE vi: Vietnamese order, as PostgreSQL's ICU collation gives it.
        register_sqlite(dbapi_connection)

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
