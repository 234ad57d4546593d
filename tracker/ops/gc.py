"""`tracker gc`: remove stored files no row references, and temporary files left by uploads that
were cut off (a crash, a killed worker).

A file is written under its SHA-256 a moment before the row that references it is committed, so
an unreferenced file younger than `min_age` may belong to an upload in progress and is kept. The
references are read again just before anything is deleted.

Records deleted more than 30 days ago leave the recycle bin first (tracker.trash): their files
then count as unreferenced like any other. While a record is in the bin its files are
referenced (table `trash_files`) and kept."""

import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tracker import storage, trash
from tracker.extensions import db
from tracker.ops.backup import reading

#: Prefixes of the temporary files tracker.storage writes before renaming them into place.
TEMP_PREFIXES = (".upload-", ".thumb-", ".generated-")
#: Temporary files younger than this may still be being written.
TEMP_MAX_AGE = 3600
#: Default grace period for unreferenced files (seconds).
DEFAULT_MIN_AGE = 600
_STORED = re.compile(r"[0-9a-f]{64}")
_PREFIX = re.compile(r"[0-9a-f]{2}")


@dataclass
class Garbage:
    """What a collection found (and removed, unless it was a dry run)."""

    orphans: list[Path] = field(default_factory=list)
    temporary: list[Path] = field(default_factory=list)
    kept_young: int = 0
    missing: list[str] = field(default_factory=list)
    bytes: int = 0
    removed: bool = False
    #: Records purged from the recycle bin (or that would be, in a dry run).
    purged: list[str] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [*self.orphans, *self.temporary]


def _referenced() -> set[str]:
    with reading(db.engine) as conn:
        return storage.referenced_hashes(conn)


def _purge_bin(dry_run: bool, now: float) -> list[str]:
    """Purge the records deleted more than 30 days ago from the recycle bin (committed)."""
    moment = datetime.fromtimestamp(now, UTC)
    if dry_run:
        expired = db.session.scalars(
            trash.items(None).where(trash.TrashItem.deleted_at <= moment - trash.RETENTION)
        ).all()
        labels = [f"{item.kind} {item.label}" for item in expired]
        db.session.rollback()
        return labels
    labels = [f"{item.kind} {item.label}" for item in trash.purge_expired(moment)]
    db.session.commit()
    return labels


def collect_garbage(
    *, dry_run: bool = False, min_age: float = DEFAULT_MIN_AGE, now=None
) -> Garbage:
    """Find (and unless `dry_run`, delete) unreferenced stored files older than `min_age`
    seconds and temporary files older than an hour. Referenced files are never touched."""
    found = Garbage()
    now = time.time() if now is None else now
    found.purged = _purge_bin(dry_run, now)
    folder = storage.root()
    if not folder.is_dir():
        return found
    referenced = _referenced()
    sizes: dict[Path, int] = {}
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False) and entry.name.startswith(TEMP_PREFIXES):
            stat = entry.stat(follow_symlinks=False)
            if now - stat.st_mtime >= TEMP_MAX_AGE:
                found.temporary.append(Path(entry.path))
                sizes[Path(entry.path)] = stat.st_size
        elif entry.is_dir(follow_symlinks=False) and _PREFIX.fullmatch(entry.name):
            for item in os.scandir(entry.path):
                name = item.name
                if not (item.is_file(follow_symlinks=False) and _STORED.fullmatch(name)):
                    continue
                if name[:2] != entry.name or name in referenced:
                    continue
                stat = item.stat(follow_symlinks=False)
                if now - stat.st_mtime < min_age:
                    found.kept_young += 1
                    continue
                found.orphans.append(Path(item.path))
                sizes[Path(item.path)] = stat.st_size
    found.missing = sorted(h for h in referenced if not storage.path_for(h).is_file())
    if found.orphans:
        # A row may have been committed meanwhile (an upload of content already on disk).
        referenced = _referenced()
        found.orphans = [p for p in found.orphans if p.name not in referenced]
    found.orphans.sort()
    found.temporary.sort()
    found.bytes = sum(sizes[p] for p in found.paths)
    if not dry_run:
        for path in found.paths:
            path.unlink(missing_ok=True)
        found.removed = True
    return found
