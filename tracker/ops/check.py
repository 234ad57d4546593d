"""`tracker check`: is this instance fit to serve? Configuration, the upload folder, database
connectivity, migration state, the PDF fonts, the translation catalogs, the stored files and the backup tools, each giving
one line: OK, or FAIL with what is wrong and what to do."""

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from tracker import storage
from tracker.catalogs import catalog_problem
from tracker.config import DEV_SECRET_KEY
from tracker.extensions import db
from tracker.ops import backup
from tracker.reports.pdf import fonts

#: A production key must be at least this long, with at least this many distinct characters.
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 10
#: The first bytes of a TrueType / OpenType font file.
FONT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO")


@dataclass(frozen=True)
class Finding:
    """One checked thing: passed or not, and the line to show."""

    ok: bool
    topic: str
    message: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'}  {self.topic}: {self.message}"


def _ok(topic, message):
    return Finding(True, topic, message)


def _fail(topic, message):
    return Finding(False, topic, message)


def secret_key_problem(key) -> str | None:
    """Why a secret key is unfit for production, or None."""
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    if not key:
        return "SECRET_KEY is not set"
    if key == DEV_SECRET_KEY:
        return "SECRET_KEY is the development key"
    if len(key) < MIN_SECRET_LENGTH:
        return f"SECRET_KEY is too short ({len(key)} characters, need {MIN_SECRET_LENGTH}+)"
    if len(set(key)) < MIN_SECRET_DISTINCT:
        return "SECRET_KEY is not random (too few distinct characters)"
    return None


def check_configuration(app) -> list[Finding]:
    """Production settings: a strong secret key, debug and testing off, secure cookies, CSRF on."""
    env = app.config.get("ENV_NAME", "development")
    if env != "production":
        return [_ok("configuration", f"environment {env} (production-only checks skipped)")]
    findings = []
    problem = secret_key_problem(app.config.get("SECRET_KEY"))
    if problem:
        findings.append(
            _fail(
                "configuration",
                f"{problem}: set it to a random value, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`",
            )
        )
    if app.debug:
        findings.append(_fail("configuration", "debug mode is on: unset FLASK_DEBUG"))
    if app.testing:
        findings.append(_fail("configuration", "TESTING is on in production"))
    if not app.config.get("SESSION_COOKIE_SECURE"):
        findings.append(_fail("configuration", "SESSION_COOKIE_SECURE is off in production"))
    if app.config.get("WTF_CSRF_ENABLED") is False:
        findings.append(_fail("configuration", "CSRF protection is off in production"))
    if not findings:
        findings.append(
            _ok("configuration", "production settings (secret key, debug off, cookies)")
        )
    return findings


def check_upload_folder(app) -> list[Finding]:
    """The upload folder exists, is writable and is not served as static files."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    resolved = folder.resolve()
    static = Path(app.static_folder).resolve() if app.static_folder else None
    if static is not None and (resolved == static or static in resolved.parents):
        return [
            _fail(
                "upload folder",
                f"UPLOAD_FOLDER {folder} is inside the static folder {static}: files would be "
                "served to anyone; move it outside",
            )
        ]
    if not folder.is_dir():
        return [
            _fail(
                "upload folder",
                f"UPLOAD_FOLDER {folder} does not exist: create it, writable by the app's user",
            )
        ]
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".check-"):
            pass
    except OSError as exc:
        return [_fail("upload folder", f"UPLOAD_FOLDER {folder} is not writable: {exc.strerror}")]
    return [_ok("upload folder", f"{folder} exists and is writable")]


def _error_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_connect(engine) -> tuple[list[Finding], bool]:
    url = engine.url
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        path = url.database
        if (
            path
            and path != ":memory:"
            and not path.startswith("file:")
            and not Path(path).is_file()
        ):
            # Connecting would create an empty file; say what is wrong instead.
            return [
                _fail(
                    "database",
                    f"the SQLite database {path} does not exist: run `tracker db upgrade`",
                )
            ], False
    try:
        with backup.reading(engine) as conn:
            conn.execute(sa.text("SELECT 1"))
            if conn.dialect.name == "postgresql":
                detail = f"PostgreSQL {conn.scalar(sa.text('SHOW server_version'))}"
            else:
                detail = f"SQLite {conn.scalar(sa.text('SELECT sqlite_version()'))}"
    except Exception as exc:  # any driver error means "cannot connect"
        return [_fail("database", f"cannot connect to {shown}: {_error_line(exc)}")], False
    return [_ok("database", f"connected to {shown} ({detail})")], True


def check_migrations(engine) -> tuple[list[Finding], bool]:
    """The database is at the head revision of the code's migrations."""
    head = backup.head_revision()
    with backup.reading(engine) as conn:
        current = backup.alembic_revision(conn)
    if current is None:
        return [
            _fail(
                "migrations",
                f"no migration applied (code head {head}): run `tracker db upgrade`",
            )
        ], False
    if current == head:
        return [_ok("migrations", f"at head {head}")], True
    script = backup.script_directory()
    try:
        for rev in current.split(","):
            script.get_revision(rev)
    except Exception:  # an unknown revision: alembic raises several kinds
        return [
            _fail(
                "migrations",
                f"database at {current}, unknown to this code (head {head}): the database was "
                "migrated by a newer version",
            )
        ], False
    return [
        _fail("migrations", f"database at {current}, code head is {head}: run `tracker db upgrade`")
    ], False


def font_paths() -> list[Path]:
    """The font files the PDF builder registers."""

    return [fonts.FONT_DIR / name for name in fonts._FACES.values()]


def check_fonts() -> list[Finding]:
    """Every shipped font face is there and is a font file."""
    problems = []
    paths = font_paths()
    for path in paths:
        if not path.is_file():
            problems.append(f"{path.name} is missing")
            continue
        with open(path, "rb") as fh:
            if fh.read(4) not in FONT_MAGIC:
                problems.append(f"{path.name} is not a TrueType font")
    if problems:
        folder = paths[0].parent if paths else "?"
        return [_fail("fonts", f"in {folder}: {'; '.join(problems)}: reinstall the package")]
    return [_ok("fonts", f"{len(paths)} faces in {paths[0].parent}")]


def check_catalogs(app) -> list[Finding]:
    """Each translation catalog is compiled and not older than its source."""
    directories = app.config["BABEL_TRANSLATION_DIRECTORIES"]
    problem = catalog_problem(directories)
    if problem:
        return [_fail("translations", problem)]
    return [_ok("translations", f"catalogs compiled in {directories}")]


def check_files(engine) -> list[Finding]:
    """Every file a row references is in the upload folder (existence only: hashing every file
    is for `tracker backup`)."""
    with backup.reading(engine) as conn:
        hashes = storage.referenced_hashes(conn)
    missing = sorted(h for h in hashes if not storage.path_for(h).is_file())
    if missing:
        return [
            _fail(
                "files",
                f"{len(missing)} of {len(hashes)} referenced files are missing from "
                f"UPLOAD_FOLDER (e.g. {missing[0][:2]}/{missing[0]}): restore them from a backup",
            )
        ]
    return [_ok("files", f"all {len(hashes)} referenced files present")]


def check_backup_tools(app, engine) -> list[Finding]:
    """With PostgreSQL, pg_dump and pg_restore exist and are not older than the server."""
    if engine.url.get_backend_name() != "postgresql":
        return []
    with backup.reading(engine) as conn:
        server_major = int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000
    findings = []
    for tool, key in (("pg_dump", "PG_DUMP"), ("pg_restore", "PG_RESTORE")):
        program = app.config.get(key) or tool
        try:
            out = subprocess.run(  # noqa: S603  (a configured program, fixed arguments)
                [program, "--version"], capture_output=True, text=True, check=True, timeout=30
            ).stdout
        except (OSError, subprocess.SubprocessError):
            findings.append(
                _fail(
                    "backups",
                    f"{program} not found or not working: install postgresql-client-"
                    f"{server_major} (or set {key})",
                )
            )
            continue
        match = re.search(r"(\d+)(?:\.\d+)?", out)
        major = int(match.group(1)) if match else 0
        if major < server_major:
            findings.append(
                _fail(
                    "backups",
                    f"{program} is version {major}, older than the server ({server_major}): "
                    f"install postgresql-client-{server_major}",
                )
            )
    if not findings:
        findings.append(_ok("backups", f"pg_dump and pg_restore match server {server_major}"))
    return findings


def run_checks(app) -> list[Finding]:
    """Every check, in order; checks that need the database are skipped when it is unreachable."""
    findings = [
        *check_configuration(app),
        *check_upload_folder(app),
        *check_fonts(),
        *check_catalogs(app),
    ]
    engine = db.engine
    connect, connected = _check_connect(engine)
    findings += connect
    if connected:
        migrations, at_head = check_migrations(engine)
        findings += migrations
        if at_head and Path(app.config["UPLOAD_FOLDER"]).is_dir():
            findings += check_files(engine)
        findings += check_backup_tools(app, engine)
    return findings
