"""One migration history: it upgrades from empty, matches the models, and downgrades to base,
on SQLite and on PostgreSQL (a scratch database next to the test database)."""

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from tracker import create_app
from tracker.config import ROOT, TestingConfig
from tracker.db import include_name
from tracker.demo.loader import load_demo
from tracker.extensions import db


@pytest.fixture
def scratch_app(tmp_path):
    """An app bound to an empty scratch database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql"):
        base = sa.engine.make_url(url)
        name = f"{base.database}_migrations"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        scratch_url = base.set(database=name).render_as_string(hide_password=False)
    else:
        scratch_url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = scratch_url

    app = create_app(Config)
    yield app
    with app.app_context():
        db.engine.dispose()
    if url and url.startswith("postgresql"):
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_single_head():
    script = ScriptDirectory(str(ROOT / "migrations"))
    assert len(script.get_heads()) == 1


def test_upgrade_matches_models_and_downgrades_to_base(scratch_app):
    with scratch_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, db.metadata)
            assert diff == [], diff
            tables = set(sa.inspect(conn).get_table_names())
        assert {
            "agreements",
            "commitments",
            "units",
            "provinces",
            "users",
            "audit_entries",
        } <= tables
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade()


def test_complete_commitments_are_brought_to_100_percent(scratch_app):
    """0005: a commitment recorded complete at 0 % (before the rule) is 100 % after upgrading."""

    with scratch_app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE commitments SET percent_complete = 0 WHERE completion = 'complete'")
            )
        downgrade(revision="0004")
        upgrade()
        with db.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.text(
                        "SELECT percent_complete FROM commitments WHERE completion = 'complete'"
                    )
                )
                .scalars()
                .all()
            )
        db.session.remove()
    assert rows and set(rows) == {100}
