"""Fixtures: the app on SQLite (default) or on PostgreSQL (TEST_DATABASE_URL), a clean database
for each test, signed-in clients for each role, and the demo data for read-only modules."""

import contextvars
import html as _html
import os
import re
import threading

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests import factories
from tracker import create_app
from tracker.auth import models as auth_models
from tracker.config import TestingConfig
from tracker.demo.loader import load_demo
from tracker.extensions import db as _db
from tracker.reports import pdf as _pdf  # noqa: F401  (its fonts set reportlab's defaults before a test imports reportlab)

PASSWORD = factories.PASSWORD


def pytest_configure(config):
    config.addinivalue_line("markers", "demo_data: the module reads the demo data, loaded once")


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own app context, `g` and
    database session, not the ones the test itself holds."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """One app for the whole run, its schema built by the migrations."""
    auth_models.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    url = os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    )

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = str(tmp_path_factory.mktemp("files"))
        # The demo's test CA and keys: made once per run, reused by every demo load.
        DEMO_SIGNING_FOLDER = str(tmp_path_factory.mktemp("demo-signing"))
        # A fresh job-queue file for each run (nothing consumes it; the queue tests make apps
        # on Redis and on their own SQLite file).
        QUEUE_FILE = str(tmp_path_factory.mktemp("queue") / "queue.sqlite3")

    application = create_app(Config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        if url.startswith("postgresql"):
            _reset_postgres()
        upgrade()
    return application


def _reset_postgres():
    """Drop everything left by an earlier run so the migrations start from empty."""
    with _db.engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))


def _truncate():
    tables = [t for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def db(app, request):
    """The database, emptied after each test (modules marked demo_data keep theirs)."""
    if request.node.get_closest_marker("demo_data"):
        yield _db
        return
    yield _db
    _db.session.remove()
    _truncate()


@pytest.fixture(scope="module")
def demo(app, request):
    """The demo data, loaded once for a read-only module and removed after it."""

    with app.app_context():
        _truncate()
        load_demo()
        _db.session.commit()
        _db.session.remove()
    yield
    with app.app_context():
        _db.session.remove()
        _truncate()


@pytest.fixture
def client(app):
    """A test client that does not keep request contexts between requests (pytest-flask's
    does, which would share `g` and the database session with the test)."""
    return app.test_client()


class Auth:
    """Sign in and out through the real pages (like the Flask tutorial's AuthActions)."""

    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


def text_of(response) -> str:
    """The visible text of an HTML response, whitespace collapsed (for assertions)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)

    return " ".join(_html.unescape(text).split())


# -- real browser ------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def server_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(page, base, email, password=PASSWORD):
    """Sign in through the real form in the browser."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button.btn-primary")
    page.wait_for_url(f"{base}/")
