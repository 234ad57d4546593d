"""Configuration classes, read from the environment."""

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

#: Keys that must never reach production.
DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105


class Config:
    """Settings shared by every environment; each can be overridden by an environment variable."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'tracker.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "files"))
    #: Where `tracker demo` keeps its test CA and demo key files (never real keys).
    DEMO_SIGNING_FOLDER = os.environ.get("DEMO_SIGNING_FOLDER", str(INSTANCE / "demo-signing"))
    #: Largest accepted upload (request body), in bytes.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "25")) * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("vi", "en")
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    #: CSRF is checked on every state-changing request: by the view's FlaskForm in these
    #: blueprints (so an expired token keeps the user's input), by a global hook elsewhere.
    WTF_CSRF_CHECK_DEFAULT = False
    CSRF_FORM_BLUEPRINTS = ("admin", "agreements", "progress", "reports")
    #: Token-authenticated, no cookies.
    CSRF_EXEMPT_BLUEPRINTS = ("api",)
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_LIFETIME_HOURS = int(os.environ.get("SESSION_LIFETIME_HOURS", "12"))
    REMEMBER_COOKIE_DURATION = timedelta(days=7)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PAGE_SIZE = 25
    #: Reverse proxies in front of the app whose X-Forwarded-For/Proto to trust (0: none).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    PG_DUMP = os.environ.get("PG_DUMP", "pg_dump")
    PG_RESTORE = os.environ.get("PG_RESTORE", "pg_restore")
    DEMO_ALLOWED = True
    #: Outgoing mail (the `tracker remind` digests), sent with smtplib.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    #: STARTTLS after connecting.
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").strip().lower() in ("1", "true", "yes", "on")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "tracker@localhost")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "30"))
    #: The job queue (Huey): Redis when QUEUE_URL is redis://host:port/db, otherwise the
    #: embedded SQLite file QUEUE_FILE (no server needed). See docs/notifications.md.
    QUEUE_URL = os.environ.get("QUEUE_URL") or None
    QUEUE_FILE = os.environ.get("QUEUE_FILE", str(INSTANCE / "queue.sqlite3"))
    QUEUE_NAME = os.environ.get("QUEUE_NAME", "tracker")
    #: A notification e-mail that cannot be sent is tried again this many times, first after
    #: MAIL_RETRY_DELAY seconds, each wait MAIL_RETRY_BACKOFF times the previous one
    #: (30 s, 1 min, 2 min … about 4 h in all by default).
    MAIL_RETRIES = int(os.environ.get("MAIL_RETRIES", "9"))
    MAIL_RETRY_DELAY = float(os.environ.get("MAIL_RETRY_DELAY", "30"))
    MAIL_RETRY_BACKOFF = float(os.environ.get("MAIL_RETRY_BACKOFF", "2"))
    #: RFC 3161 timestamp authority for signed reviews (PAdES B-T); empty: B-B, no timestamp.
    TIMESTAMP_URL = os.environ.get("TIMESTAMP_URL") or None
    #: How long a review prepared for external signing (USB token, remote service) waits.
    EXTERNAL_SIGNING_MINUTES = int(os.environ.get("EXTERNAL_SIGNING_MINUTES", "15"))
    #: The address users reach the app at, for absolute links in e-mails.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")


class DevelopmentConfig(Config):
    """Local development: the embedded SQLite database under instance/."""


class TestingConfig(Config):
    """The test suite: a database from TEST_DATABASE_URL, SQLite file by default."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "TEST_DATABASE_URL", f"sqlite:///{INSTANCE / 'test.sqlite3'}"
    )
    WTF_CSRF_ENABLED = False
    SERVER_NAME = None
    #: The suite's queue (tests/conftest.py gives each run a fresh file; the queue tests build
    #: apps on Redis and on SQLite, and their worker subprocesses read these variables).
    QUEUE_URL = os.environ.get("TEST_QUEUE_URL") or None
    QUEUE_FILE = os.environ.get("TEST_QUEUE_FILE", str(INSTANCE / "test-queue.sqlite3"))
    QUEUE_NAME = os.environ.get("TEST_QUEUE_NAME", "tracker-test")


class ProductionConfig(Config):
    """Production: refuses to start without a real secret key."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    DEMO_ALLOWED = False


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env():
    """Pick the configuration class named by TRACKER_ENV (development by default)."""
    name = os.environ.get("TRACKER_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"TRACKER_ENV must be one of {', '.join(CONFIGS)}, not {name!r}"
        ) from None


def check_config(app):
    """Refuse unsafe settings in production: a missing or development secret key, debug on."""
    if app.config.get("ENV_NAME") != "production":
        return
    key = app.config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production"
        )
    if app.debug:
        raise RuntimeError("Debug mode must be off in production")
