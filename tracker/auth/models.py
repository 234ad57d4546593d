"""Users and their roles."""

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.clock import utcnow
from tracker.db import Base, VersionedMixin, enum_column
from tracker.i18n import _l
from tracker.labels import LabelledEnum
from tracker.org.models import Unit

#: werkzeug's hashing method; the test suite lowers the cost to keep the suite fast.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  (a method name, not a password)


class Role(LabelledEnum):
    """The four roles of DESIGN §2."""

    admin = "admin"
    dic = "dic"
    vnpt = "vnpt"
    leader = "leader"
    __labels__ = {
        "admin": _l("Administrator"),
        "dic": _l("DIC officer"),
        "vnpt": _l("VNPT counterpart"),
        "leader": _l("Leadership"),
    }


class User(UserMixin, VersionedMixin, Base):
    """A person who signs in; belongs to one unit (admins and national users may have none)."""

    __tablename__ = "users"
    __audited__ = True
    __label__ = _l("Account")
    #: What shows the record where another one refers to it (the history of changes).
    __display__ = "full_name"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, info={"label": _l("E-mail")})
    full_name: Mapped[str] = mapped_column(sa.String(120), info={"label": _l("Full name")})
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = enum_column(Role, info={"label": _l("Role")})
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id"), index=True, info={"label": _l("Unit")}
    )
    #: Disabled accounts cannot sign in.
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Active")})
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: The generation of the account's sessions: part of every session's id. Renewed at a
    #: password change or when the account is disabled, which ends every session at once.
    session_token: Mapped[str | None] = mapped_column(sa.String(64))
    #: Secret part of the user's calendar feed URL (None until the user asks for one).
    calendar_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    unit: Mapped[Unit | None] = relationship(lazy="joined", foreign_keys=[unit_id])

    def __str__(self):
        return self.full_name or self.email

    @property
    def is_active(self) -> bool:
        return self.active

    #: The secret of the browser session this object was loaded for (see `UserSession`).
    session_secret: str = ""

    def get_id(self) -> str:
        """Flask-Login's session id: the user id, the sessions' generation and this browser
        session's secret."""
        return f"{self.id}:{self.session_token or ''}:{self.session_secret}"

    def renew_session_token(self) -> None:
        """End every session of this user (password change, account disabled)."""
        self.session_token = secrets.token_urlsafe(32)
        session = sa.orm.object_session(self)
        if session is not None and self.id is not None:
            session.execute(sa.delete(UserSession).where(UserSession.user_id == self.id))

    def set_password(self, password: str) -> None:
        """Store a salted hash (werkzeug's scrypt default), never the password."""
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)

    def check_password(self, password: str) -> bool:
        """Whether the password matches the stored hash."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def is_national(self) -> bool:
        """Admins and users of a national unit (VNPT headquarters) see every province."""
        return self.is_admin or (self.unit is not None and self.unit.province_id is None)


class LoginAttempt(Base):
    """One sign-in attempt, kept to throttle guessing per account and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email", "at"),
        sa.Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    address: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    success: Mapped[bool] = mapped_column(default=False)


class UserSession(Base):
    """One signed-in browser. Its secret is in the session cookie (and the remember-me cookie),
    only its SHA-256 here: signing out deletes the row, so that browser's cookie, or a copy of
    it, no longer opens a session, while the user's other browsers stay signed in."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    @staticmethod
    def digest(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()


def start_session(session, user: User, *, keep_for: timedelta) -> str:
    """A new browser session for the user: its secret (set on `user`, for `get_id`). Sessions
    older than `keep_for` (the longest a cookie can live) are removed on the way."""
    session.execute(
        sa.delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.created_at < utcnow() - keep_for
        )
    )
    secret = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=UserSession.digest(secret)))
    user.session_secret = secret
    return secret


def end_session(session, user: User) -> None:
    """Sign this browser out: its session row goes, the user's other sessions stay."""
    if user.session_secret:
        session.execute(
            sa.delete(UserSession).where(
                UserSession.user_id == user.id,
                UserSession.token_hash == UserSession.digest(user.session_secret),
            )
        )
