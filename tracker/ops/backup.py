"""Online backups and restores.

A backup is one tar archive (optionally gzipped) holding a consistent snapshot of the database
(SQLite's backup API, or `pg_dump` of an exported snapshot), every stored file that snapshot
references, and `manifest.json` with the SHA-256 and size of each member. It is taken while the
app serves and writes. A restore goes only into an empty instance and checks every hash before it
touches anything."""

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy.pool import NullPool

from tracker import storage
from tracker.db import UNMODELLED
from tracker.extensions import db
from tracker.ops import app_version

FORMAT = "tracker.backup/v1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/tracker.sqlite3"
POSTGRES_MEMBER = "database/tracker.pgdump"
#: Stored files keep their layout under files/: files/ab/ab…(64 hex digits).
FILE_MEMBER = re.compile(r"files/([0-9a-f]{2})/([0-9a-f]{64})")
#: Largest manifest read back (a manifest lists every file: ~150 bytes each).
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
#: How often a backup starts again when a file disappears because its row was deleted meanwhile.
ATTEMPTS = 3
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in one line."""


@dataclass
class Snapshot:
    """A consistent copy of the database and what it says about itself."""

    kind: str
    path: Path
    member: str
    dump_format: str
    revision: str | None
    counts: dict[str, int]
    hashes: set[str]


@dataclass
class BackupResult:
    """What `create_backup` wrote."""

    path: Path
    size: int
    sha256: str
    manifest: dict


@dataclass
class RestoreResult:
    """What `restore_backup` did."""

    manifest: dict
    files_written: int
    files_present: int
    revision: str | None
    upgraded_to: str | None = None
    notes: list[str] = field(default_factory=list)


def database_kind(url: sa.engine.URL) -> str:
    """'sqlite' or 'postgresql'; anything else is not supported."""
    backend = url.get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return backend
    raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")


# -- what the database references ---------------------------------------------------------------


def reading(engine: sa.Engine) -> sa.Connection:
    """A connection for reads outside any transaction (on SQLite every transaction takes the
    write lock, which would make the app's writers wait)."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def table_counts(conn: sa.Connection) -> dict[str, int]:
    """Rows per table, every table of the database."""
    return {
        name: conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
        for name in sorted(sa.inspect(conn).get_table_names())
    }


def alembic_revision(conn: sa.Connection) -> str | None:
    """The migration the database is at (heads joined by commas), None before any."""

    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None


def script_directory():
    """The migration scripts of this code."""

    ext = current_app.extensions["migrate"]
    return ScriptDirectory.from_config(ext.migrate.get_config(ext.directory))


def head_revision() -> str:
    """The head the code's migrations lead to (heads joined by commas)."""
    return ",".join(sorted(script_directory().get_heads()))


# -- PostgreSQL client tools --------------------------------------------------------------------


def libpq_target(url: sa.engine.URL) -> tuple[str, dict]:
    """A libpq connection URI without the password, and the environment carrying the password
    (so it never appears on a command line)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    key = {"pg_dump": "PG_DUMP", "pg_restore": "PG_RESTORE"}[name]
    return current_app.config.get(key) or name


def run_tool(args: list[str], env: dict, what: str) -> None:
    """Run a PostgreSQL client tool; its last error line becomes a BackupError."""
    try:
        done = subprocess.run(  # noqa: S603  (fixed program, arguments built here)
            args, env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise BackupError(
            f"{args[0]} not found: install the PostgreSQL client tools matching the server "
            f"(Debian: postgresql-client-15) or set {'PG_DUMP' if 'dump' in what else 'PG_RESTORE'}"
        ) from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr or "").strip().splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {done.returncode}"
        raise BackupError(f"{what} failed: {detail}")


# -- snapshots ----------------------------------------------------------------------------------


def _describe(conn: sa.Connection) -> tuple[str | None, dict[str, int], set[str]]:
    return alembic_revision(conn), table_counts(conn), storage.referenced_hashes(conn)


def _sqlite_path(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("the SQLite database must be a file to be backed up or restored")
    return Path(url.database)


def snapshot_sqlite(url: sa.engine.URL, workdir: Path) -> Snapshot:
    """Copy the live database with SQLite's backup API (one step: a consistent read snapshot;
    in WAL mode writers carry on meanwhile), then read the copy."""
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    out = workdir / "tracker.sqlite3"
    src = sqlite3.connect(source, timeout=60)
    try:
        src.execute("PRAGMA busy_timeout=60000")
        dst = sqlite3.connect(out)
        try:
            src.backup(dst)
            # A self-contained file: no -wal next to it.
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA integrity_check").fetchall()
        finally:
            dst.close()
    finally:
        src.close()
    if check != [("ok",)]:
        raise BackupError(f"the copied database fails its integrity check: {check[0][0]}")
    engine = sa.create_engine(f"sqlite:///{out}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            revision, counts, hashes = _describe(conn)
    finally:
        engine.dispose()
    return Snapshot("sqlite", out, SQLITE_MEMBER, "sqlite3", revision, counts, hashes)


def snapshot_postgres(engine: sa.Engine, workdir: Path) -> Snapshot:
    """`pg_dump` of a snapshot exported from a repeatable-read transaction, so the dump, the
    table counts and the list of referenced files all see the same moment."""
    out = workdir / "tracker.pgdump"
    target, env = libpq_target(engine.url)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot_id = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
            revision, counts, hashes = _describe(conn)
            run_tool(
                [
                    _pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot_id}",
                    f"--file={out}",
                    f"--dbname={target}",
                ],
                env,
                "pg_dump",
            )
    return Snapshot("postgresql", out, POSTGRES_MEMBER, "pg_dump-custom", revision, counts, hashes)


def take_snapshot(workdir: Path) -> Snapshot:
    """A consistent snapshot of the app's database in `workdir`."""
    engine = db.engine
    if database_kind(engine.url) == "sqlite":
        return snapshot_sqlite(engine.url, workdir)
    return snapshot_postgres(engine, workdir)


# -- writing the archive ------------------------------------------------------------------------


class _Vanished(Exception):
    def __init__(self, sha256):
        self.sha256 = sha256


class _HashingReader:
    """Reads a file for tarfile while computing its SHA-256."""

    def __init__(self, fh):
        self.fh = fh
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _tar_info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> tuple[str, int]:
    """Add a file to the archive; return the SHA-256 and size of what was written."""
    with open(path, "rb") as fh:
        stat = os.fstat(fh.fileno())
        reader = _HashingReader(fh)
        tar.addfile(_tar_info(name, stat.st_size, stat.st_mtime), reader)
    return reader.digest.hexdigest(), stat.st_size


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_archive(tar: tarfile.TarFile, snapshot: Snapshot, created_at: str) -> dict:
    db_sha, db_size = _add_file(tar, snapshot.member, snapshot.path)
    files, mismatched = [], []
    for sha in sorted(snapshot.hashes):
        try:
            path = storage.path_for(sha)
        except ValueError:
            mismatched.append(f"{sha!r} (not a SHA-256)")
            continue
        name = f"files/{sha[:2]}/{sha}"
        try:
            got, size = _add_file(tar, name, path)
        except FileNotFoundError:
            raise _Vanished(sha) from None
        if got != sha:
            mismatched.append(f"{sha[:2]}/{sha} (content hashes to {got})")
        files.append({"path": name, "sha256": sha, "size": size})
    if mismatched:
        raise BackupError(
            f"{len(mismatched)} stored file(s) no longer match their SHA-256: "
            + ", ".join(mismatched[:5])
            + (" …" if len(mismatched) > 5 else "")
        )
    manifest = {
        "format": FORMAT,
        "created_at": created_at,
        "app_version": app_version(),
        "database": {
            "kind": snapshot.kind,
            "path": snapshot.member,
            "format": snapshot.dump_format,
            "sha256": db_sha,
            "size": db_size,
        },
        "alembic_revision": snapshot.revision,
        "counts": snapshot.counts,
        "files": files,
        "totals": {"files": len(files), "bytes": sum(f["size"] for f in files)},
    }
    data = json.dumps(manifest, indent=1, sort_keys=True).encode()
    tar.addfile(_tar_info(MANIFEST, len(data), datetime.now(UTC).timestamp()), io.BytesIO(data))
    return manifest


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _compressed(path: Path) -> bool:
    return path.name.endswith((".gz", ".tgz"))


def create_backup(out) -> BackupResult:
    """Write a backup archive to `out` atomically (a temporary file renamed into place).

    Raises BackupError when a referenced file is missing or no longer matches its hash."""
    out = Path(out).absolute()
    if not out.parent.is_dir():
        raise BackupError(f"the folder {out.parent} does not exist")
    workdir = Path(tempfile.mkdtemp(prefix=".tracker-backup-", dir=out.parent))
    try:
        for _attempt in range(ATTEMPTS):
            snapshot = take_snapshot(workdir)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as fh:
                    mode = "w:gz" if _compressed(out) else "w"
                    kwargs = {"compresslevel": 6} if _compressed(out) else {}
                    with tarfile.open(
                        fileobj=fh, mode=mode, format=tarfile.PAX_FORMAT, **kwargs
                    ) as tar:
                        manifest = _write_archive(
                            tar, snapshot, datetime.now(UTC).isoformat(timespec="seconds")
                        )
                    fh.flush()
                    os.fsync(fh.fileno())
            except _Vanished as gone:
                tmp.unlink(missing_ok=True)
                with reading(db.engine) as conn:
                    still_referenced = gone.sha256 in storage.referenced_hashes(conn)
                if still_referenced:
                    raise BackupError(
                        f"a referenced file is missing from UPLOAD_FOLDER: "
                        f"{gone.sha256[:2]}/{gone.sha256}"
                    ) from None
                # Its row was deleted after the snapshot: take a new snapshot.
                snapshot.path.unlink(missing_ok=True)
                continue
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            os.replace(tmp, out)
            _fsync_dir(out.parent)
            return BackupResult(out, out.stat().st_size, _sha256_of(out), manifest)
        raise BackupError("stored files kept disappearing during the backup; try again")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# -- reading and verifying an archive -----------------------------------------------------------


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> tuple[str, int]:
    source = tar.extractfile(member)
    digest, size = hashlib.sha256(), 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def read_archive(path, staging: Path) -> dict:
    """Unpack an archive into `staging`, checking every member against the manifest; return the
    manifest. Raises BackupError for anything unexpected, missing or corrupted."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no such file: {path}")
    seen: dict[str, tuple[str, int]] = {}
    raw_manifest = None
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                name = member.name
                if member.isdir():
                    continue
                if not member.isfile():
                    raise BackupError(f"unexpected entry in the archive: {name!r}")
                if name in seen or (name == MANIFEST and raw_manifest is not None):
                    raise BackupError(f"the archive holds {name!r} twice")
                if name == MANIFEST:
                    if member.size > MAX_MANIFEST_BYTES:
                        raise BackupError("the manifest is too large")
                    raw_manifest = tar.extractfile(member).read()
                elif name in (SQLITE_MEMBER, POSTGRES_MEMBER) or FILE_MEMBER.fullmatch(name):
                    # The name was checked against fixed patterns: it stays inside staging.
                    seen[name] = _copy_member(tar, member, staging / name)
                else:
                    raise BackupError(f"unexpected entry in the archive: {name!r}")
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error) as exc:
        raise BackupError(f"{path} is not a readable backup archive: {exc}") from None
    if raw_manifest is None:
        raise BackupError(f"{path} is not a tracker backup: it has no {MANIFEST}")
    try:
        manifest = json.loads(raw_manifest)
    except ValueError:
        raise BackupError("the manifest is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"not a {FORMAT} archive (format {manifest.get('format')!r})")
    _verify(manifest, seen)
    return manifest


def _verify(manifest: dict, seen: dict[str, tuple[str, int]]) -> None:
    try:
        database = manifest["database"]
        expected = {database["path"]: (database["sha256"], database["size"])}
        if database["path"] not in (SQLITE_MEMBER, POSTGRES_MEMBER):
            raise BackupError(f"unexpected database member {database['path']!r}")
        for item in manifest["files"]:
            match = FILE_MEMBER.fullmatch(item["path"])
            if (
                not match
                or match.group(2) != item["sha256"]
                or match.group(1) != item["sha256"][:2]
            ):
                raise BackupError(f"bad file entry in the manifest: {item['path']!r}")
            expected[item["path"]] = (item["sha256"], item["size"])
    except (KeyError, TypeError):
        raise BackupError("the manifest is incomplete") from None
    problems = []
    for name, (sha, size) in sorted(expected.items()):
        if name not in seen:
            problems.append(f"{name} is missing")
        elif seen[name][0] != sha:
            problems.append(f"{name} is corrupted (SHA-256 {seen[name][0]}, expected {sha})")
        elif seen[name][1] != size:
            problems.append(f"{name} has {seen[name][1]} bytes, expected {size}")
    problems += [f"{name} is not in the manifest" for name in sorted(set(seen) - set(expected))]
    if problems:
        raise BackupError(
            f"the archive fails verification ({len(problems)} problem(s)): "
            + "; ".join(problems[:5])
            + (" …" if len(problems) > 5 else "")
        )


# -- restoring ----------------------------------------------------------------------------------


def rows_present(conn: sa.Connection) -> dict[str, int]:
    """Tables holding rows (the migration bookkeeping aside, and the tables the migrations make
    by hand beside the models, such as SQLite's full-text index, whose bookkeeping rows exist in
    an empty database)."""
    return {
        name: count
        for name, count in table_counts(conn).items()
        if count and name != "alembic_version" and name not in UNMODELLED
    }


def _refuse_unless_empty(engine: sa.Engine) -> None:
    with reading(engine) as conn:
        rows = rows_present(conn)
    if rows:
        first = [n for n in ("users", "agreements") if n in rows]
        shown = first + sorted(n for n in rows if n not in first)
        listing = ", ".join(f"{n}: {rows[n]}" for n in shown[:6]) + (" …" if len(shown) > 6 else "")
        raise BackupError(
            f"refusing to restore: the database is not empty ({listing}); restore only into an "
            "empty instance (a new database, at most `tracker db upgrade` run on it)"
        )


def _check_revision_known(revision: str | None) -> None:
    if revision is None:
        raise BackupError("the backup holds no migration revision; it cannot be restored safely")
    script = script_directory()
    for rev in revision.split(","):
        try:
            script.get_revision(rev)
        except Exception:  # alembic raises several kinds for an unknown revision
            raise BackupError(
                f"the backup's database is at migration {rev}, unknown to this version of the "
                f"code (head {head_revision()}): restore with the version that made the backup"
            ) from None


def _restore_sqlite(staged: Path) -> None:
    engine = db.engine
    target = _sqlite_path(engine.url).absolute()
    db.session.remove()
    engine.dispose()  # no connection may be open while the file is replaced
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".restore", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(staged, tmp_name)
        with open(tmp_name, "rb+") as fh:
            os.fsync(fh.fileno())
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _restore_postgres(staged: Path) -> None:
    engine = db.engine
    db.session.remove()
    with engine.begin() as conn:
        if sa.inspect(conn).get_table_names():
            # An instance that was merely migrated: the dump recreates everything, so start from
            # a blank schema. Checked again here, in the transaction that drops it.
            if rows_present(conn):
                raise BackupError("refusing to restore: rows appeared in the database meanwhile")
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    target, env = libpq_target(engine.url)
    run_tool(
        [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={target}",
            str(staged),
        ],
        env,
        "pg_restore",
    )


def _place_files(manifest: dict, staging: Path) -> tuple[int, int]:
    """Move the verified files into UPLOAD_FOLDER; a file already there with the right content
    is kept. Returns (written, already present)."""
    written = present = 0
    for item in manifest["files"]:
        sha = item["sha256"]
        staged = staging / item["path"]
        target = storage.path_for(sha)
        if target.is_file() and _sha256_of(target) == sha:
            present += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        written += 1
    return written, present


def restore_backup(path, *, verify_only: bool = False) -> RestoreResult:
    """Restore an archive into this (empty) instance: verify everything, then the files, then the
    database, then bring the schema to the code's head. `verify_only` stops after verifying."""
    engine = db.engine
    kind = database_kind(engine.url)
    folder = storage.root()
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=folder))
    try:
        manifest = read_archive(path, staging)
        result = RestoreResult(manifest, 0, 0, manifest.get("alembic_revision"))
        if verify_only:
            return result
        if manifest["database"]["kind"] != kind:
            raise BackupError(
                f"this backup holds a {manifest['database']['kind']} database; this instance "
                f"uses {kind}"
            )
        _check_revision_known(manifest.get("alembic_revision"))
        _refuse_unless_empty(engine)
        # Files first: should the database step fail, they are only orphans `tracker gc` removes.
        result.files_written, result.files_present = _place_files(manifest, staging)
        staged_db = staging / manifest["database"]["path"]
        if kind == "sqlite":
            _restore_sqlite(staged_db)
        else:
            _restore_postgres(staged_db)
        with reading(engine) as conn:
            counts = table_counts(conn)
            result.revision = alembic_revision(conn)
        if counts != manifest["counts"]:
            differ = sorted(
                n
                for n in set(counts) | set(manifest["counts"])
                if counts.get(n) != manifest["counts"].get(n)
            )
            raise BackupError(
                f"the restored database differs from the manifest in {', '.join(differ)}"
            )
        head = head_revision()
        if result.revision != head:
            upgrade()
            result.upgraded_to = head
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)
