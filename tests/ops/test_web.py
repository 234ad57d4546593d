"""`/healthz` and the structured request log with its request id."""

import json
import logging
import re
import time

import pytest
import sqlalchemy as sa
from flask import g

from tests import factories
from tests.ops import close, database, make_app, migrate
from tracker.extensions import db
from tracker.ops import app_version
from tracker.ops.web import init_proxy_fix, init_request_logging, request_logger

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """An app with a user, a route that fails, and a hook that reads the request id."""
    tmp = tmp_path_factory.mktemp("web")
    with database(tmp, "ops_web") as url:
        app = make_app(url, tmp / "files", PROPAGATE_EXCEPTIONS=False)
        migrate(app)
        seen = []

        @app.route("/ops-test/boom")
        def boom():
            raise RuntimeError("boom")

        @app.before_request
        def later_hook():
            seen.append(g.get("request_id"))

        with app.app_context():
            user = factories.user(email="ops.web@example.vn")
            db.session.commit()
            app.config["TEST_USER_ID"] = user.id
            db.session.remove()
        app.config["SEEN_IDS"] = seen
        yield app
        close(app)


@pytest.fixture
def lines(caplog):
    """The request log lines written during the test, parsed."""
    # Alembic's fileConfig (run by the migrations) disables loggers that existed before it.
    request_logger.disabled = False
    caplog.set_level(logging.INFO, logger="tracker.request")

    def parsed():
        return [
            (r, json.loads(r.getMessage())) for r in caplog.records if r.name == "tracker.request"
        ]

    return parsed


def test_healthz_answers_without_sign_in(web):
    response = web.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "version": app_version()}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"


def test_healthz_does_not_queue_behind_a_writer(web):
    with web.app_context(), db.engine.connect() as writer:
        writer.begin()  # on SQLite: BEGIN IMMEDIATE, the write lock held
        writer.execute(sa.text("UPDATE users SET full_name = full_name"))
        started = time.monotonic()
        response = web.test_client().get("/healthz")
        elapsed = time.monotonic() - started
        writer.rollback()
    assert response.status_code == 200
    assert elapsed < 2


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-folder/tracker.sqlite3",
        "postgresql+psycopg://tracker:s3cret@127.0.0.1:1/tracker",
    ],
)
def test_healthz_reports_a_database_failure(tmp_path, url, caplog):
    app = make_app(url, tmp_path)
    response = app.test_client().get("/healthz")
    close(app)
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error", "version": app_version()}
    body = response.get_data(as_text=True)
    assert "s3cret" not in body and "nonexistent" not in body and "127.0.0.1" not in body


def test_one_json_line_per_request(web, lines):
    response = web.test_client().get("/login?next=/agreements&token=SECRET-TOKEN-VALUE")
    assert response.status_code == 200
    [(record, line)] = lines()
    assert set(line) == {
        "time",
        "request_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "user_id",
        "remote_addr",
        "length",
    }
    assert line["method"] == "GET" and line["path"] == "/login" and line["status"] == 200
    assert line["user_id"] is None and line["remote_addr"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert HEX32.fullmatch(line["request_id"])
    assert response.headers["X-Request-ID"] == line["request_id"]
    assert line["time"].endswith("+00:00")
    assert "SECRET-TOKEN-VALUE" not in record.getMessage()
    assert record.levelno == logging.INFO


def test_signed_in_user_is_logged(web, lines):
    client = web.test_client()
    response = client.post(
        "/login", data={"email": "ops.web@example.vn", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    client.get("/")
    user_id = web.config["TEST_USER_ID"]
    assert [line["user_id"] for _, line in lines()] == [user_id, user_id]


@pytest.mark.parametrize(
    "incoming, kept",
    [
        ("abc-123_x.Y", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("two words", False),
        ("semi;colon", False),
        ("a/b", False),
        ("caf\u00e9", False),
        ("", False),
    ],
)
def test_incoming_request_id_kept_only_when_safe(web, lines, incoming, kept):
    response = web.test_client().get("/healthz", headers={"X-Request-ID": incoming})
    [(_, line)] = lines()
    returned = response.headers["X-Request-ID"]
    assert returned == line["request_id"]
    if kept:
        assert returned == incoming
    else:
        assert HEX32.fullmatch(returned)


def test_control_characters_are_escaped(web, lines):
    response = web.test_client().get("/nope%0a%1b[31mfake%22line")
    assert response.status_code == 404
    [(record, line)] = lines()
    message = record.getMessage()
    assert "\n" not in message and "\x1b" not in message
    assert line["path"] == '/nope\n\x1b[31mfake"line'
    assert line["status"] == 404


def test_server_errors_are_logged_with_their_id(web, lines):
    response = web.test_client().get("/ops-test/boom")
    assert response.status_code == 500
    [(record, line)] = lines()
    assert line["status"] == 500 and line["path"] == "/ops-test/boom"
    assert record.levelno == logging.WARNING
    assert response.headers["X-Request-ID"] == line["request_id"]


def test_other_hooks_see_the_request_id(web, lines):
    web.config["SEEN_IDS"].clear()
    response = web.test_client().get("/healthz", headers={"X-Request-ID": "trace-42"})
    assert web.config["SEEN_IDS"] == ["trace-42"]
    assert response.headers["X-Request-ID"] == "trace-42"


def test_initialising_twice_logs_once(web, lines):
    init_request_logging(web)
    web.test_client().get("/healthz")
    assert len(lines()) == 1


@pytest.mark.parametrize(
    "hops, address, secure", [(0, "127.0.0.1", False), (1, "203.0.113.7", True)]
)
def test_trusted_proxy_gives_the_client_address(tmp_path, lines, hops, address, secure):
    app = make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path, TRUSTED_PROXIES=hops)
    init_proxy_fix(app)
    init_proxy_fix(app)  # idempotent
    response = app.test_client().get(
        "/healthz",
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    close(app)
    [(_, line)] = lines()
    assert line["remote_addr"] == address
    assert ("Strict-Transport-Security" in response.headers) is secure
