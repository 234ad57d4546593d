"""`tracker check`: OK lines on a sound instance; exit 1 and one clear line per problem."""

import shutil
import tempfile

import pytest
import sqlalchemy as sa

from tests import factories
from tests.ops import close, database, make_app, migrate, migrated_database, pg_test_url
from tracker.agreements.models import Document
from tracker.config import DEV_SECRET_KEY, ROOT, ProductionConfig
from tracker.extensions import db
from tracker.ops.backup import head_revision
from tracker.reports.pdf import fonts

STRONG_KEY = "0n3-5tr0ng_r4nd0m-k3y-f0r-t3st1ng-purp0s3s-only"


def check(app):
    """Run `tracker check` on app; return (exit code, output lines)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["check"])
    return result.exit_code, result.output.splitlines()


def failures(lines):
    return [line for line in lines if line.startswith("FAIL")]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    with migrated_database(tmp_path_factory.mktemp("check-template"), "ops_check_empty") as url:
        yield url


@pytest.fixture(scope="module")
def production(tmp_path_factory, migrated):
    """A sound production instance: migrated, an upload folder, a strong key."""
    tmp = tmp_path_factory.mktemp("check")
    (tmp / "files").mkdir()
    with database(tmp, "ops_check", template=migrated) as url:
        app = make_app(url, tmp / "files", base=ProductionConfig, SECRET_KEY=STRONG_KEY)
        yield app
        close(app)


def test_a_sound_instance_passes(production):
    code, lines = check(production)
    assert code == 0, lines
    assert not failures(lines)
    topics = [line.split(":")[0].split()[-1] for line in lines]
    assert topics == [
        "configuration",
        "folder",
        "fonts",
        "translations",
        "database",
        "migrations",
        "files",
        *(["backups"] if pg_test_url() else []),
    ]
    assert all(line.startswith("OK") for line in lines)
    assert f"OK    migrations: at head {head_revision()}" in lines


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("SECRET_KEY", DEV_SECRET_KEY, "SECRET_KEY is the development key"),
        ("SECRET_KEY", "", "SECRET_KEY is not set"),
        ("SECRET_KEY", "short-key", "SECRET_KEY is too short (9 characters, need 32+)"),
        ("SECRET_KEY", "ab" * 20, "SECRET_KEY is not random"),
        ("DEBUG", True, "debug mode is on"),
        ("TESTING", True, "TESTING is on in production"),
        ("SESSION_COOKIE_SECURE", False, "SESSION_COOKIE_SECURE is off in production"),
        ("WTF_CSRF_ENABLED", False, "CSRF protection is off in production"),
    ],
)
def test_unsafe_production_settings_fail(production, monkeypatch, key, value, message):
    monkeypatch.setitem(production.config, key, value)
    code, lines = check(production)
    assert code == 1
    assert failures(lines) == [next(line for line in lines if message in line)]
    assert failures(lines)[0].startswith("FAIL  configuration: ")
    assert lines[-1] == "1 problem(s) found."
    if key == "SECRET_KEY" and value:
        assert value not in "\n".join(lines)  # the key itself is never printed


def test_development_skips_the_production_checks(tmp_path, migrated):
    with database(tmp_path, "ops_dev", template=migrated) as url:
        app = make_app(url, tmp_path)
        code, lines = check(app)
        close(app)
    assert code == 0
    assert lines[0] == "OK    configuration: environment testing (production-only checks skipped)"


def test_missing_upload_folder(production, monkeypatch, tmp_path):
    monkeypatch.setitem(production.config, "UPLOAD_FOLDER", str(tmp_path / "nowhere"))
    code, lines = check(production)
    assert code == 1
    assert failures(lines) == [
        f"FAIL  upload folder: UPLOAD_FOLDER {tmp_path / 'nowhere'} does not exist: create it, "
        "writable by the app's user"
    ]


def test_upload_folder_inside_static(production, monkeypatch):
    monkeypatch.setitem(production.config, "UPLOAD_FOLDER", str(ROOT / "static" / "uploads"))
    code, lines = check(production)
    assert code == 1
    [line] = failures(lines)
    assert "is inside the static folder" in line and "served to anyone" in line


def test_upload_folder_not_writable(production, monkeypatch):
    # The suite may run as root, for whom permissions do not stop a write: simulate the refusal.
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    code, lines = check(production)
    assert code == 1
    [line] = failures(lines)
    assert line.startswith("FAIL  upload folder: UPLOAD_FOLDER ")
    assert line.endswith("is not writable: Permission denied")


def test_missing_and_broken_fonts(production, monkeypatch, tmp_path):

    shutil.copy(fonts.FONT_DIR / "LiberationSerif-Regular.ttf", tmp_path)
    (tmp_path / "LiberationSerif-Bold.ttf").write_text("not a font")
    monkeypatch.setattr(fonts, "FONT_DIR", tmp_path)
    code, lines = check(production)
    assert code == 1
    [line] = failures(lines)
    assert line == (
        f"FAIL  fonts: in {tmp_path}: LiberationSerif-Bold.ttf is not a TrueType font; "
        "LiberationSerif-Italic.ttf is missing; LiberationSerif-BoldItalic.ttf is missing: "
        "reinstall the package"
    )


def test_missing_sqlite_database(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'none.sqlite3'}", tmp_path)
    code, lines = check(app)
    assert code == 1
    assert failures(lines) == [
        f"FAIL  database: the SQLite database {tmp_path / 'none.sqlite3'} does not exist: run "
        "`tracker db upgrade`"
    ]
    assert not (tmp_path / "none.sqlite3").exists()  # the check did not create it


def test_unreachable_postgresql(tmp_path):
    app = make_app("postgresql+psycopg://tracker:s3cret@127.0.0.1:1/tracker", tmp_path)
    code, lines = check(app)
    close(app)
    assert code == 1
    [line] = failures(lines)
    assert line.startswith(
        "FAIL  database: cannot connect to postgresql+psycopg://tracker:***@127.0.0.1:1/tracker: "
    )
    assert "s3cret" not in "\n".join(lines)
    assert not any(line.startswith(("OK    migrations", "FAIL  migrations")) for line in lines)


def test_database_without_migrations(tmp_path):
    with database(tmp_path, "ops_nomig") as url:
        app = make_app(url, tmp_path)
        with app.app_context(), db.engine.connect() as conn:  # creates the SQLite file
            conn.execute(sa.text("SELECT 1"))
        code, lines = check(app)
        close(app)
    assert code == 1
    assert failures(lines) == [
        f"FAIL  migrations: no migration applied (code head {head_revision()}): "
        "run `tracker db upgrade`"
    ]


def test_database_behind_the_code(tmp_path):
    with database(tmp_path, "ops_behind") as url:
        app = make_app(url, tmp_path)
        migrate(app, "0003")
        code, lines = check(app)
        close(app)
    assert code == 1
    assert failures(lines) == [
        f"FAIL  migrations: database at 0003, code head is {head_revision()}: "
        "run `tracker db upgrade`"
    ]


def test_database_ahead_of_the_code(tmp_path, migrated):
    with database(tmp_path, "ops_ahead", template=migrated) as url:
        app = make_app(url, tmp_path)
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        code, lines = check(app)
        close(app)
    assert code == 1
    assert failures(lines) == [
        f"FAIL  migrations: database at 9999, unknown to this code (head {head_revision()}): "
        "the database was migrated by a newer version"
    ]


def test_referenced_file_missing(tmp_path, migrated):

    (tmp_path / "files").mkdir()
    with database(tmp_path, "ops_files", template=migrated) as url:
        app = make_app(url, tmp_path / "files")
        with app.app_context():
            agreement = factories.agreement(factories.province())
            db.session.add(
                Document(
                    agreement=agreement,
                    title="Văn bản",
                    file_name="a.pdf",
                    sha256="ab" * 32,
                    size=1,
                    content_type="application/pdf",
                )
            )
            db.session.commit()
            db.session.remove()
        code, lines = check(app)
        close(app)
    assert code == 1
    assert failures(lines) == [
        f"FAIL  files: 1 of 1 referenced files are missing from UPLOAD_FOLDER "
        f"(e.g. ab/{'ab' * 32}): restore them from a backup"
    ]


def test_missing_pg_dump(production, monkeypatch):
    """On PostgreSQL a missing pg_dump fails the check; on SQLite backups do not need it."""
    monkeypatch.setitem(production.config, "PG_DUMP", "/nonexistent/pg_dump")
    code, lines = check(production)
    if not pg_test_url():
        assert code == 0 and failures(lines) == []
        return
    assert code == 1
    [line] = failures(lines)
    assert line.startswith(
        "FAIL  backups: /nonexistent/pg_dump not found or not working: install postgresql-client-"
    )
    assert line.endswith(" (or set PG_DUMP)")


def test_several_problems_one_line_each(production, monkeypatch, tmp_path):
    monkeypatch.setitem(production.config, "SECRET_KEY", "x")
    monkeypatch.setitem(production.config, "DEBUG", True)
    monkeypatch.setitem(production.config, "UPLOAD_FOLDER", str(tmp_path / "nowhere"))
    code, lines = check(production)
    assert code == 1
    assert len(failures(lines)) == 3
    assert lines[-1] == "3 problem(s) found."
