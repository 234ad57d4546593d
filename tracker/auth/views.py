"""Sign-in, sign-out, language choice and the user's own account."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from tracker.auth.forms import LoginForm, PasswordChangeForm
from tracker.auth.models import User, end_session, start_session
from tracker.auth.services import authenticate, password_problem, record_attempt, sign_in_locked
from tracker.clock import utcnow
from tracker.extensions import db
from tracker.i18n import _
from tracker.security import form_csrf, local_path, security_event

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@form_csrf
def login():
    """The sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("agreements.home"))
    form = LoginForm()
    if form.validate_on_submit():
        address = request.remote_addr or "?"
        if sign_in_locked(form.email.data, address):
            security_event("sign_in_locked", email=form.email.data)
            flash(_("Too many failed attempts: signing in is paused for 15 minutes."), "danger")
            return render_template("auth/login.html", form=form), 429
        user = authenticate(form.email.data, form.password.data)
        record_attempt(form.email.data, address, success=user is not None)
        if user is None:
            db.session.commit()
            security_event("sign_in_failed", email=form.email.data)
            flash(_("The e-mail address or password is not correct."), "danger")
        else:
            lang = session.get("lang")
            session.clear()  # a new session: nothing from before signing in survives
            if lang:
                session["lang"] = lang
            # Plain UPDATEs, not versioned edits: two sign-ins of one account at once must both
            # succeed (the version column is for people editing the record).
            db.session.execute(
                sa.update(User)
                .where(User.id == user.id, User.session_token.is_(None))
                .values(session_token=secrets.token_urlsafe(32))
            )
            db.session.execute(
                sa.update(User).where(User.id == user.id).values(last_login_at=utcnow())
            )
            db.session.refresh(user)
            start_session(db.session, user, keep_for=_session_keep())
            db.session.commit()
            login_user(user, remember=form.remember.data)
            security_event("sign_in", user_id=user.id)
            return redirect(local_path(request.args.get("next")) or url_for("agreements.home"))
    return render_template("auth/login.html", form=form)


def _session_keep():
    """How long a session row may be needed: the longest a session or remember-me cookie
    lives."""
    config = current_app.config
    return max(
        config["REMEMBER_COOKIE_DURATION"], timedelta(hours=config["SESSION_LIFETIME_HOURS"])
    )


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, CSRF-protected)."""
    lang = session.get("lang")
    if current_user.is_authenticated:
        # This browser's session row goes: a copy of its cookie no longer opens a session. The
        # user's other browsers stay signed in.
        end_session(db.session, current_user)
        db.session.commit()
        security_event("sign_out", user_id=current_user.id)
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language."""
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(local_path(request.form.get("next")) or url_for("agreements.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@form_csrf
def change_password():
    """A user changes their own password."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("The current password is not correct."))
        elif problem := password_problem(form.new_password.data, email=current_user.email):
            form.new_password.errors.append(problem)
        else:
            user = current_user._get_current_object()
            user.set_password(form.new_password.data)
            user.renew_session_token()  # every session ends…
            start_session(db.session, user, keep_for=_session_keep())  # …but this one goes on
            db.session.commit()
            login_user(user)
            security_event("password_changed", user_id=current_user.id)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("agreements.home"))
    return render_template("auth/password.html", form=form)
