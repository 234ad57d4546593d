"""The health endpoint for load balancers and monitors, structured request logs (one JSON line per
request on the `tracker.request` logger, carrying a request id that is also sent back in the
`X-Request-ID` header and kept in `flask.g.request_id` for error pages and other logs), and the
client's real address behind a reverse proxy."""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Flask, g, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker.extensions import db
from tracker.ops import app_version
from tracker.ops.backup import reading

bp = Blueprint("ops", __name__)

request_logger = logging.getLogger("tracker.request")
_log = logging.getLogger("tracker.ops")

REQUEST_ID_HEADER = "X-Request-ID"
#: An incoming request id is kept only when it is a short token of these characters.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@bp.get("/healthz")
def healthz():
    """Is the app up and does its database answer? No sign-in, no details beyond ok / error."""
    try:
        # Outside any transaction: on SQLite a transaction would queue for the write lock.
        with reading(db.engine) as conn:
            conn.execute(sa.text("SELECT 1"))
        database = "ok"
    except Exception:  # whatever the driver raises, the answer is "database: error"
        _log.exception("health check: the database does not answer")
        database = "error"
    ok = database == "ok"
    response = jsonify(status="ok" if ok else "error", database=database, version=app_version())
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def request_id_from(value: str | None) -> str:
    """The caller's request id when it is a safe token, else a new one."""
    if value and _SAFE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _user_id():
    # Only a user Flask-Login already loaded for this request: logging must not query.
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return getattr(user, "id", None)
    return None


def _start_request():
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def _log_request(response):
    request_id = g.get("request_id") or request_id_from(None)
    g.request_id = request_id
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    record = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": request_id,
        "method": request.method,
        # The path only: query strings may carry tokens.
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "user_id": _user_id(),
        "remote_addr": request.remote_addr,
        "length": response.content_length,
    }
    level = logging.WARNING if response.status_code >= 500 else logging.INFO
    # ensure_ascii: control characters and anything unusual in the path come out escaped.
    request_logger.log(level, json.dumps(record, ensure_ascii=True), extra={"request": record})
    return response


def init_request_logging(app: Flask) -> None:
    """Give every request an id and log it as one JSON line when it ends.

    The hooks go first among the app's hooks: the id exists before any other hook runs, and the
    line is written after every other hook has had its say on the response."""
    if app.extensions.get("tracker.request_logging"):
        return
    app.extensions["tracker.request_logging"] = True
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    # after_request hooks run in reverse order of registration: first in the list runs last.
    app.after_request_funcs.setdefault(None, []).insert(0, _log_request)
    if request_logger.level == logging.NOTSET:
        request_logger.setLevel(logging.INFO)
    if not request_logger.handlers and not logging.getLogger().handlers:
        # Nothing configured logging (gunicorn leaves the root logger alone): write the lines
        # to stderr, which gunicorn and systemd collect.
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_logger.addHandler(handler)


def init_proxy_fix(app: Flask) -> None:
    """Behind a reverse proxy, take the client's address and scheme from the X-Forwarded-For and
    X-Forwarded-Proto headers set by the TRUSTED_PROXIES proxies in front of the app (0: none,
    the default). Without it every request seems to come from the proxy: the request log, the
    security log and the per-address sign-in throttle would all see one address."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops <= 0 or app.extensions.get("tracker.proxy_fix"):
        return

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.extensions["tracker.proxy_fix"] = True
