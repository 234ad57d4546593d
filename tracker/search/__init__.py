"""The global search over the records a user may read (PostgreSQL full text, SQLite FTS5)."""
