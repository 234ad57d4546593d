"""Cross-cutting security: the security log, session lifetimes, CSRF on every state-changing
request, security headers and generic error pages with an incident id."""

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

from tracker.extensions import csrf, db
from tracker.i18n import _
from tracker.text import LINE_CONTROL_CHARS

log = logging.getLogger("tracker.security")


def security_event(kind: str, **fields) -> None:
    """One JSON line on the security log: no secrets, control characters escaped by JSON."""
    entry = {"event": kind, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    if has_request_context():
        entry.update(
            address=request.remote_addr,
            path=request.path,
            method=request.method,
            request_id=getattr(g, "request_id", None),
        )
        if current_user and getattr(current_user, "is_authenticated", False):
            entry["user_id"] = current_user.id
    entry.update({k: (str(v)[:200] if v is not None else None) for k, v in fields.items()})
    log.warning(json.dumps(entry, ensure_ascii=True))


def local_path(target: str | None) -> str | None:
    """A redirect target taken from the request (``next``, ``back``) only when it is a path of
    this site: one leading ``/``, no scheme, no host, no backslash, no control character or
    whitespace a browser would drop (``/\\t/evil.example`` is ``//evil.example`` to it). None
    otherwise, so the caller falls back to its own page."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if LINE_CONTROL_CHARS.search(target) or "\\" in target or any(c.isspace() for c in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def form_csrf(view):
    """Mark a view whose form validates the CSRF token itself, so an expired token re-shows the
    form with the user's input instead of an error page."""
    view._csrf_in_form = True
    return view


def init_app(app) -> None:
    """Install the hooks."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)

    @app.before_request
    def check_csrf():
        # Every state-changing request is checked here, except views whose FlaskForm checks the
        # token itself (they keep the user's input when the token has expired) and the API
        # (token authentication, no cookies).
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE") or not app.config.get(
            "WTF_CSRF_ENABLED", True
        ):
            return None
        view = app.view_functions.get(request.endpoint)
        if view is None or getattr(view, "_csrf_in_form", False):
            return None
        if request.blueprint in current_app.config["CSRF_FORM_BLUEPRINTS"]:
            return None  # every POST there is handled through a FlaskForm (tests/test_csrf.py)
        if request.blueprint in current_app.config["CSRF_EXEMPT_BLUEPRINTS"]:
            return None
        csrf.protect()
        return None

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        security_event("csrf_failure", reason=error.description)
        return render_template("errors/csrf.html"), 400

    @app.before_request
    def session_lifetime():
        if not current_user.is_authenticated:
            return None
        now = datetime.now(UTC)
        started = _timestamp(session.get("signed_in_at")) or now
        seen = _timestamp(session.get("seen_at")) or now
        idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
        lifetime = timedelta(hours=app.config["SESSION_LIFETIME_HOURS"])
        if now - seen > idle or now - started > lifetime:
            security_event("session_expired", user_id=current_user.id)
            logout_user()
            session.clear()
            flash(_("Your session has expired; please sign in again."), "warning")
            return redirect(
                url_for("auth.login", next=request.full_path if request.method == "GET" else None)
            )
        session.setdefault("signed_in_at", now.isoformat())
        session["seen_at"] = now.isoformat()
        return None

    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(403)
    def forbidden(error):
        security_event("forbidden")
        return render_template("errors/403.html"), 403

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        incident = uuid.uuid4().hex[:12]
        current_app.logger.error(
            "incident %s: %s %s",
            incident,
            request.method,
            request.path,
            exc_info=getattr(error, "original_exception", None) or error,
        )
        return render_template("errors/500.html", incident=incident), 500


def _timestamp(value):
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
