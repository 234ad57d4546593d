"""Cooperation Agreement Tracker: the application factory."""

from pathlib import Path

from flask import Flask, render_template
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from tracker.catalogs import check_catalogs
from tracker.config import ROOT, check_config, config_from_env
from tracker.forms import MAX_INT

__all__ = ["create_app"]


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` in every route: an id beyond the database's integer range matches no route (404)
    instead of reaching a query that fails."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, MAX_INT if max is None else max, signed)


def create_app(config=None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages and the CLI."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config or config_from_env())
    if isinstance(config, dict):
        app.config.update(config)
    check_config(app)
    check_catalogs(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.url_map.converters["int"] = BoundedIntegerConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_hooks(app)
    register_error_handlers(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extensions and the models they manage."""
    import sqlalchemy as sa

    from tracker import audit, i18n  # noqa: F401  (audit registers its session hooks)
    from tracker.agreements import models as _agreements  # noqa: F401
    from tracker.auth import tokens as _tokens  # noqa: F401
    from tracker.auth.models import User, UserSession
    from tracker.discussion import models as _discussion  # noqa: F401
    from tracker.extensions import babel, csrf, db, login_manager, migrate
    from tracker.notifications import models as _notifications  # noqa: F401
    from tracker.progress import models as _progress  # noqa: F401
    from tracker.reports import models as _reports  # noqa: F401
    from tracker.search import index as _search  # noqa: F401  (its session hook keeps the index)
    from tracker.signatures import models as _signatures  # noqa: F401
    from tracker.trash import models as _trash  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = i18n._l("Please sign in to see this page.")
    login_manager.login_message_category = "warning"

    @login_manager.user_loader
    def load_user(session_id: str):
        # "<user id>:<generation>:<session secret>": the browser's session row must still exist
        # (signing out deletes it) and the generation must be current (a password change or a
        # disabled account renews it, ending every session); one query.
        user_id, generation, secret = (session_id.split(":") + ["", ""])[:3]
        if not (user_id.isdigit() and generation and secret):
            return None
        user = db.session.scalar(
            sa.select(User)
            .join(UserSession, UserSession.user_id == User.id)
            .where(User.id == int(user_id), UserSession.token_hash == UserSession.digest(secret))
        )
        if user is None or not user.active or user.session_token != generation:
            return None
        user.session_secret = secret
        return user

    i18n.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from tracker.sqlite import configure_sqlite

        with app.app_context():
            configure_sqlite(db.engine)


def register_blueprints(app: Flask) -> None:
    """Import the feature blueprints here, never at module level, to avoid import cycles."""
    from tracker.admin.anchors import bp as anchors_bp
    from tracker.admin.issuers import bp as issuers_bp
    from tracker.admin.trash import bp as trash_bp
    from tracker.admin.views import bp as admin_bp
    from tracker.agreements.views import bp as agreements_bp
    from tracker.auth.views import bp as auth_bp
    from tracker.cli import register_commands
    from tracker.discussion import pages as discussion_pages
    from tracker.progress import pages  # noqa: F401  (adds its figures to the agreement pages)
    from tracker.progress.dashboard import bp as dashboard_bp
    from tracker.progress.feeds import bp as todo_bp
    from tracker.progress.views import bp as progress_bp
    from tracker.reports.views import bp as reports_bp
    from tracker.search.views import bp as search_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(agreements_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(trash_bp)
    app.register_blueprint(anchors_bp)
    app.register_blueprint(issuers_bp)
    app.register_blueprint(progress_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(todo_bp)
    app.register_blueprint(reports_bp)
    discussion_pages.init_app(app)
    app.register_blueprint(search_bp)
    from tracker.interop.api.tokens import bp as tokens_bp
    from tracker.interop.api.views import bp as api_bp
    from tracker.interop.views import bp as interop_bp
    from tracker.ops.web import bp as ops_bp
    from tracker.ops.web import init_proxy_fix, init_request_logging

    app.register_blueprint(ops_bp)
    app.register_blueprint(interop_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(tokens_bp)
    from tracker import notifications
    from tracker.signatures import badges

    notifications.init_app(app)
    badges.init_app(app)
    init_request_logging(app)
    init_proxy_fix(app)
    register_commands(app)


def register_hooks(app: Flask) -> None:
    """Record who acts, expose helpers to templates, set response headers."""
    from tracker.agreements.models import sum_known
    from tracker.db import ACTOR
    from tracker.extensions import db

    app.add_template_global(sum_known)

    @app.before_request
    def remember_actor():
        if current_user.is_authenticated:
            db.session.info[ACTOR] = current_user.id

    @app.context_processor
    def inject_helpers():
        return {"languages": app.config["LANGUAGES"]}


def register_error_handlers(app: Flask) -> None:
    """Generic error pages in the user's language."""

    def render(code: int, template: str | None = None):
        return render_template(f"errors/{template or code}.html", code=code), code

    app.register_error_handler(404, lambda e: render(404))
    app.register_error_handler(413, lambda e: render(413))

    from tracker import security

    security.init_app(app)
