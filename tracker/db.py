"""Declarative base, mixins and the session hooks every model shares."""

import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same way."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """Who created and last changed a row, and when (filled in by the flush hook)."""

    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    #: Who created and who last changed the row (user ids; not foreign keys, because users,
    #: units and provinces all carry these columns and users are never deleted, only disabled).
    created_by_id: Mapped[int | None] = mapped_column(sa.Integer)
    updated_by_id: Mapped[int | None] = mapped_column(sa.Integer)


class VersionedMixin(TimestampMixin):
    """Optimistic locking: an UPDATE that finds another version raises StaleDataError."""

    #: Incremented on every update; forms carry it to detect a stale edit.
    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class StaleEdit(Exception):
    """Someone else saved the record since the form was loaded."""

    def __init__(self, obj):
        super().__init__(f"{type(obj).__name__} {getattr(obj, 'id', None)} changed meanwhile")
        self.obj = obj


def check_version(obj, version) -> None:
    """Raise StaleEdit when the version the user edited is not the stored one."""
    if version is None or str(version) == "":
        return
    if int(version) != obj.version:
        raise StaleEdit(obj)


def nfc(value):
    """Text normalised to NFC (Vietnamese typed on some systems arrives decomposed)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    return value


def fold(text: str | None) -> str:
    """Lower-case text without diacritics, for searching: 'Đắk Lắk' -> 'dak lak'."""
    if not text:
        return ""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.lower().split())


def jsonable(value):
    """A column value in a form the audit log can store as JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "value") and not isinstance(value, int | str):  # enum
        return value.value
    return value


#: Session info keys: the acting user's id and an optional reason for the change.
ACTOR = "actor_id"
REASON = "change_reason"


@event.listens_for(Session, "before_flush")
def _before_flush(session, flush_context, instances):
    """Normalise text to NFC, stamp the author of each change, and refresh derived columns."""
    actor_id = session.info.get(ACTOR)
    for obj in list(session.new) + list(session.dirty):
        mapper = sa.inspect(obj).mapper
        for attr in mapper.column_attrs:
            value = getattr(obj, attr.key, None)
            if isinstance(value, str):
                normalised = unicodedata.normalize("NFC", value)
                if normalised != value:
                    setattr(obj, attr.key, normalised)
        if hasattr(obj, "refresh_derived"):
            obj.refresh_derived()
        if isinstance(obj, TimestampMixin) and actor_id is not None:
            if obj in session.new and obj.created_by_id is None:
                obj.created_by_id = actor_id
            if session.is_modified(obj) or obj in session.new:
                obj.updated_by_id = actor_id


_LABELS: dict = {}


class LabelledEnum(StrEnum):
    """A string enum whose members carry a lazily translated label (``__labels__`` by value)."""

    @property
    def label(self):
        return type(self).__labels__[self.value]

    @property
    def text(self) -> str:
        """The label translated now, cached per language (for long tables)."""
        from flask_babel import get_locale

        key = (type(self).__name__, self.value, str(get_locale()))
        cached = _LABELS.get(key)
        if cached is None:
            cached = _LABELS[key] = str(self.label)
        return cached

    @classmethod
    def choices(cls):
        """(value, label) pairs for a select field."""
        return [(m.value, m.label) for m in cls]


def enum_column(enum_cls, **kwargs):
    """A VARCHAR column holding an enum's values (portable, no native ENUM type)."""
    return mapped_column(
        sa.Enum(
            enum_cls,
            native_enum=False,
            length=24,
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
        **kwargs,
    )


def local_today() -> date:
    """Today's date in Vietnam (deadlines are local dates, the server may run in UTC)."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def configure_sqlite(engine) -> None:
    """SQLite as a server database: foreign keys on, WAL, a busy timeout."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


class Invalid(ValueError):
    """A change a service refuses, with a user-facing message and the form field it concerns."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class Forbidden(Exception):
    """The user may not do this to this object (the view answers 403 or 404)."""
