"""Personal API tokens: created and revoked by their owner, stored only as a hash."""

import hashlib
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import local_today, utcnow
from tracker.db import Base
from tracker.i18n import _l

#: Tokens look like "trk_<43 url-safe characters>"; the prefix makes leaked tokens easy to spot.
TOKEN_PREFIX = "trk_"  # noqa: S105  (a prefix, not a secret)


def hash_token(token: str) -> str:
    """The stored form of a token (SHA-256 suffices: tokens are long random strings)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiToken(Base):
    """A user's personal token for the JSON API."""

    __tablename__ = "api_tokens"
    __audited__ = True
    __label__ = _l("API token")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True, info={"label": _l("Account")}
    )
    name: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Name")})
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The first characters, shown so the owner can tell tokens apart.
    hint: Mapped[str] = mapped_column(
        sa.String(12), info={"label": _l("First characters"), "in_history": False}
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), info={"label": _l("Last used at")}
    )
    expires_on: Mapped[date | None] = mapped_column(info={"label": _l("Expires on")})
    revoked_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), info={"label": _l("Revoked at")}
    )

    user = relationship("User")

    @property
    def active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_on is None or self.expires_on >= local_today()
