"""The audit log's table: one row per create, update or delete of an audited record."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base


class AuditEntry(Base):
    """One create, update or delete of one audited row."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(10))
    #: The audited model's class name ("Commitment").
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int] = mapped_column()
    #: The agreement the row belongs to, so an agreement's history is one indexed query.
    agreement_id: Mapped[int | None] = mapped_column(index=True)
    #: {"field": [before, after]}
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(sa.Text)

    actor = relationship("User", foreign_keys=[actor_id], lazy="joined")

    __table_args__ = (sa.Index("ix_audit_entries_entity", "entity_type", "entity_id"),)
