"""How the API answers a failure: always {"error": {"code", "message", "details"}} with its HTTP
status. `ApiError` is raised by the API's own code (authentication, parsing, loading); the
handlers below map everything else once: HTTP errors, the refusals of the services (one handler
for every `Refusal`: its class gives the status and the code), stale and conflicting writes, and
unexpected exceptions. `tracker.interop.api.blueprint` registers them (`HANDLERS`)."""

from flask import current_app, jsonify, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from tracker.errors import NotAllowed, NotFound, Refusal, StaleVersion
from tracker.extensions import db
from tracker.i18n import _, _l


class ApiError(Exception):
    """An error answered as {"error": {"code", "message", "details"}} with an HTTP status."""

    def __init__(self, status: int, code: str, message, details=None, headers=None):
        super().__init__(str(message))
        self.status, self.code, self.message = status, code, str(message)
        self.details, self.headers = details or {}, headers or {}


def error_response(status: int, code: str, message, details=None, headers=None):
    """The JSON error response every failure of the API uses."""
    response = jsonify({"error": {"code": code, "message": str(message), "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def not_found() -> ApiError:
    """404, for a missing object and for one outside the user's scope alike."""
    return ApiError(404, "not_found", _("Not found."))


def invalid_request(problems: list[tuple[str, str]], message=None) -> ApiError:
    """400 invalid_request, listing each (path or parameter, reason)."""
    return ApiError(
        400,
        "invalid_request",
        message or _("The request does not match its schema."),
        {"errors": [{"path": path, "message": reason} for path, reason in problems]},
    )


# -- the handlers -----------------------------------------------------------------------------


def api_error(exc: ApiError):
    db.session.rollback()
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def http_error(exc: HTTPException):
    db.session.rollback()
    codes = {
        400: "invalid_request",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        415: "unsupported_media_type",
    }
    messages = {
        404: _("Not found."),
        413: _("The request is too large (at most %(mb)d MB).", mb=_max_mb()),
    }
    headers = {}
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return error_response(
        exc.code or 500,
        codes.get(exc.code, "http_error"),
        messages.get(exc.code, exc.description or exc.name),
        headers=headers,
    )


def _max_mb() -> int:
    return current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)


#: What the API says when a refusal carries no message of its own.
_DEFAULT_MESSAGES = {
    NotAllowed: _l("You are not allowed to do this."),
    NotFound: _l("Not found."),
    StaleVersion: _l(
        "Someone else changed this record since you read it; read it again and retry."
    ),
    Refusal: _l("You are not allowed to do this."),
}


def refused(exc: Refusal):
    """Every refusal of a service, mapped once: its class gives the status and the code."""
    db.session.rollback()
    details = dict(exc.details)
    if exc.field:
        details["field"] = exc.field
    message = exc.message
    if message is None:
        message = next(m for cls, m in _DEFAULT_MESSAGES.items() if isinstance(exc, cls))
    return error_response(exc.status, exc.code, str(message), details)


def stale(exc):
    return refused(StaleVersion())


def integrity(exc):
    db.session.rollback()
    return error_response(
        409, "conflict", _("The change conflicts with another record; read it again and retry.")
    )


def server_error(exc):
    db.session.rollback()
    current_app.logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "server_error", _("An unexpected error occurred."))


#: (what, handler) in the order the blueprint registers them. The codes the app answers with an
#: HTML page (404, 413) are registered by code too: Flask looks for a handler by code, in the
#: blueprint then the app, before it looks for one by class.
HANDLERS = [
    (ApiError, api_error),
    (404, http_error),
    (413, http_error),
    (HTTPException, http_error),
    (Refusal, refused),
    (StaleDataError, stale),
    (IntegrityError, integrity),
    (Exception, server_error),
]
