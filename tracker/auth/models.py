"""Users and their roles."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.db import Base, LabelledEnum, VersionedMixin, enum_column, utcnow
from tracker.i18n import _l
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

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = enum_column(Role)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: Disabled accounts cannot sign in.
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Server-side session token: part of the session's user id, renewed at sign-in, sign-out,
    #: password change and disabling, so a copied cookie stops working.
    session_token: Mapped[str | None] = mapped_column(sa.String(64))
    #: Secret part of the user's calendar feed URL (None until the user asks for one).
    calendar_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    unit: Mapped[Unit | None] = relationship(lazy="joined", foreign_keys=[unit_id])

    def __str__(self):
        return self.full_name or self.email

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Flask-Login's session id: the user id and the current session token."""
        return f"{self.id}:{self.session_token or ''}"

    def renew_session_token(self) -> None:
        """Invalidate every existing session of this user."""
        self.session_token = secrets.token_urlsafe(32)

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
