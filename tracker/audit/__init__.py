"""The audit log: every change to an audited record, with who, when, and before -> after.

- `models`: the `AuditEntry` table.
- `recording`: the session hook that writes an entry for each create, update and delete.
- `reading`: the query of an agreement's or some records' entries, newest first.
- `presentation`: entries as a reader sees them (labels, dates, amounts, names of the records
  referred to), from what the models declare: no feature package is imported here.
"""

from tracker.audit import recording  # noqa: F401  (registers the session hook)
from tracker.audit.models import AuditEntry
from tracker.audit.presentation import labels, present
from tracker.audit.reading import history

__all__ = ["AuditEntry", "history", "labels", "present"]
