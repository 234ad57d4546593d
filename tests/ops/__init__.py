"""Helpers shared by the operations tests: apps of their own on their own databases (a SQLite
file, or a PostgreSQL database created next to TEST_DATABASE_URL's and dropped afterwards)."""

import contextlib
import hashlib
import io
import os
import shutil
import sqlite3

import sqlalchemy as sa
from flask_migrate import upgrade
from PIL import Image

from tracker import create_app
from tracker.config import TestingConfig
from tracker.extensions import db
from tracker.ops.cli import backup_command, check_command, gc_command, restore_command
from tracker.ops.web import bp, init_request_logging


def pg_test_url() -> str | None:
    """The PostgreSQL URL the suite runs against, or None for SQLite."""
    url = os.environ.get("TEST_DATABASE_URL") or None
    return url if url and url.startswith("postgresql") else None


def register_ops(app):
    """Register the operations blueprint, hooks and commands unless the factory already does."""

    if "ops" not in app.blueprints:
        app.register_blueprint(bp)
    init_request_logging(app)
    for command in (backup_command, restore_command, check_command, gc_command):
        if command.name not in app.cli.commands:
            app.cli.add_command(command)
    return app


def make_app(url: str, upload_folder, base=TestingConfig, **settings):
    """An app of its own on `url`, storing files in `upload_folder`."""

    class Config(base):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = str(upload_folder)

    for key, value in settings.items():
        setattr(Config, key, value)
    return register_ops(create_app(Config))


@contextlib.contextmanager
def database(tmp_path, name: str, template: str | None = None):
    """A new database, empty or a copy of `template` (a URL from this function): a SQLite file
    under tmp_path, or a PostgreSQL database named after the test database with `name` appended
    (dropped when done). A template must have no open connection."""
    pg = pg_test_url()
    if pg is None:
        path = tmp_path / f"{name}.sqlite3"
        if template:
            shutil.copyfile(sa.engine.make_url(template).database, path)
        yield f"sqlite:///{path}"
        return
    url = sa.engine.make_url(pg)
    db_name = f"{url.database}_{name}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    copy = f' TEMPLATE "{sa.engine.make_url(template).database}"' if template else ""
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{db_name}"{copy}'))
        yield url.set(database=db_name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def migrated_database(tmp_path, name: str):
    """A database with the schema and no rows, to copy for each test (`database(template=…)`)."""
    with database(tmp_path, name) as url:
        app = make_app(url, tmp_path / "unused-files")
        migrate(app)
        close(app)
        yield url


def close(app):
    """Release an app's connections (a PostgreSQL database cannot be dropped while in use)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Upload:
    """Enough of werkzeug's FileStorage for tracker.storage.store."""

    def __init__(self, name: str, data: bytes):
        self.filename, self.stream = name, io.BytesIO(data)


def pdf_bytes(tag: str, size: int = 2000) -> bytes:
    """A file the upload check accepts as a PDF, unique to `tag`."""
    body = hashlib.sha256(tag.encode()).hexdigest().encode() * (size // 64 + 1)
    return b"%PDF-1.4\n% " + tag.encode() + b"\n" + body[:size] + b"\n%%EOF\n"


def png_bytes(seed: int) -> bytes:
    """A small PNG image, different for each seed."""

    image = Image.new("RGB", (40, 30), ((seed * 37) % 256, (seed * 91) % 256, 120))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def sha256_file(path) -> str:
    """The SHA-256 of a file's content."""
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def migrate(app, revision: str = "head"):
    """Run the migrations on the app's database."""
    with app.app_context():
        upgrade(revision=revision)
        db.session.remove()


def assert_consistent(conn, url):
    """The database passes its integrity check and every foreign key points at a row."""
    if url.get_backend_name() == "sqlite":
        raw = sqlite3.connect(url.database)
        try:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            raw.close()
        return
    # PostgreSQL enforces the keys on restore; check them anyway, table by table.
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            parent = fk.column.table.alias("parent")
            orphans = conn.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(fk.parent.is_not(None))
                .where(~sa.exists().where(parent.c[fk.column.name] == fk.parent))
            )
            assert orphans == 0, f"{table.name}.{fk.parent.name} -> {fk.column.table.name}"
