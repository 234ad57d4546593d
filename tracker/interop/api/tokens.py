"""Personal API tokens: each user lists, creates and revokes their own on /account/tokens.

A token is shown once, when it is created; only its SHA-256 is stored, with a short hint so the
owner can tell tokens apart."""

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import SelectField, StringField

from tracker.auth.tokens import ApiToken, hash_token, new_token
from tracker.clock import local_today, utcnow
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.forms import BaseForm, max_length, options, required
from tracker.i18n import _, _l

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")

#: Most tokens a user may hold at once (revoked and expired ones do not count).
MAX_ACTIVE_TOKENS = 20
#: How many characters of a token are kept as its hint ("trk_" and the next eight).
HINT_LENGTH = 12

EXPIRY_CHOICES = [
    ("30", _l("30 days")),
    ("90", _l("90 days")),
    ("365", _l("1 year")),
    ("0", _l("Never")),
]


class TokenForm(BaseForm):
    """Name a new token and choose how long it lives."""

    name = StringField(
        _l("Name"),
        description=_l("What the token is for, e.g. “VNPT reporting system”."),
        validators=[required(), max_length(100)],
    )
    expires = SelectField(_l("Expires after"), choices=options(EXPIRY_CHOICES), default="90")


class RevokeForm(BaseForm):
    """CSRF only."""


# -- services ----------------------------------------------------------------------------------


def create_token(user, *, name: str, days: int | None) -> tuple[ApiToken, str]:
    """A new token for the user; returns the record and the token itself (shown once)."""
    active = [t for t in tokens_of(user) if t.active]
    if len(active) >= MAX_ACTIVE_TOKENS:
        raise InvalidValue(
            _(
                "You already have %(n)d active tokens; revoke one you no longer use.",
                n=MAX_ACTIVE_TOKENS,
            )
        )
    secret = new_token()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        hint=secret[:HINT_LENGTH],
        expires_on=local_today() + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke_token(token: ApiToken, *, user) -> ApiToken:
    """Revoke one of the user's own tokens (revoking twice changes nothing)."""
    if token.user_id != user.id:
        raise InvalidValue(_("This token is not yours."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
    return token


def tokens_of(user) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()


def state_of(token: ApiToken) -> str:
    """active, revoked or expired."""
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.active else "expired"


# -- pages --------------------------------------------------------------------------------------


def _page(form, *, secret=None, created=None, status=200):
    return (
        render_template(
            "api/tokens.html",
            tokens=tokens_of(current_user),
            form=form,
            revoke_form=RevokeForm(),
            state_of=state_of,
            secret=secret,
            created=created,
            states={
                "active": _("Active"),
                "revoked": _("Revoked"),
                "expired": _("Expired"),
            },
        ),
        status,
    )


@bp.route("", methods=["GET"])
@login_required
def index():
    """The user's tokens: hint, name, dates and state; the form to create one."""
    return _page(TokenForm())


@bp.route("", methods=["POST"])
@login_required
def create():
    """Create a token and show it once (the answer is not cached and nothing keeps it)."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        token, secret = create_token(
            current_user, name=form.name.data, days=int(form.expires.data) or None
        )
        db.session.commit()
    except InvalidValue as exc:
        db.session.rollback()
        form.form_errors.append(str(exc.message))
        return _page(form, status=400)
    return _page(TokenForm(formdata=None), secret=secret, created=token)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id):
    """Revoke one of the user's tokens; it stops working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if RevokeForm().validate_on_submit():
        revoke_token(token, user=current_user)
        db.session.commit()
        flash(_("The token “%(name)s” has been revoked.", name=token.name), "success")
    return redirect(url_for(".index"))
