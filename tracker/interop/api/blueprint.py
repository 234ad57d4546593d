"""The API's blueprint: personal-token authentication before every request, `no-store` after
it, and the error handlers of `tracker.interop.api.errors` registered on it. The routes are in
`tracker.interop.api.views`."""

import sqlalchemy as sa
from flask import Blueprint, current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from tracker.auth.models import User
from tracker.auth.tokens import TOKEN_PREFIX, ApiToken, hash_token
from tracker.clock import utcnow
from tracker.db import ACTOR
from tracker.extensions import csrf, db
from tracker.i18n import _
from tracker.interop.api.errors import HANDLERS, ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated: no session cookie is involved, so CSRF tokens have nothing to protect.
csrf.exempt(bp)

#: Endpoints that need no token.
PUBLIC = {"api.openapi", "api.fallback"}
#: Methods the catch-all route answers (with 404 or 405).
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"]

for _what, _handler in HANDLERS:
    bp.register_error_handler(_what, _handler)


class IdConverter(IntegerConverter):
    """`<id:…>` in the API's routes: any whole number. The app's `int` stops at the database's
    range and a bigger number then matches no route, which the app answers with its HTML 404;
    here the route matches and loading answers the JSON 404 (`loading.load`)."""


@bp.record_once
def _register_converter(state):
    # Runs before the routes are added (it is recorded first), as a rule needs its converter.
    state.app.url_map.converters["id"] = IdConverter


def api_user() -> User:
    """The user whose token authenticated the request."""
    return g.api_user


def allowed_methods() -> list[str]:
    """The methods the requested path has (not counting the catch-all route)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = set()
    for method in ALL_METHODS:
        try:
            endpoint, _args = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != "api.fallback":
            allowed.add(method)
    if "GET" in allowed:
        allowed.update({"HEAD", "OPTIONS"})
    return sorted(allowed)


@bp.before_request
def authenticate():
    """Find the token's user; every endpoint but the OpenAPI document needs one."""
    if request.method == "OPTIONS":  # say which methods the path has, nothing more
        response = current_app.response_class(status=204)
        response.headers["Allow"] = ", ".join(allowed_methods())
        return response
    if request.endpoint in PUBLIC:
        return
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    challenge = {"WWW-Authenticate": 'Bearer realm="tracker"'}
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "unauthorized",
            _("Send a personal API token in the header “Authorization: Bearer trk_…”."),
            headers=challenge,
        )
    row = None
    if token.startswith(TOKEN_PREFIX) and len(token) <= 200:
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    user = row.user if row is not None else None
    if row is None or not row.active or user is None or not user.active:
        raise ApiError(
            401,
            "unauthorized",
            _(
                "The token is not valid: it is unknown, revoked or expired, or its account is disabled."
            ),
            headers=challenge,
        )
    # A plain UPDATE: the audit log records changes people make, not each use of a token.
    db.session.execute(
        sa.update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=utcnow())
    )
    db.session.commit()
    g.api_user = db.session.get(User, user.id)
    db.session.info[ACTOR] = user.id


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
