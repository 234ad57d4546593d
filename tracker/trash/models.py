"""The recycle bin's tables: one row per deleted record with a snapshot of it and its children,
and the stored files the snapshot references (so they stay on disk while in the bin)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base
from tracker.i18n import _l
from tracker.storage import STORED_FILE


class TrashItem(Base):
    """A deleted record with its children, restorable until it is purged."""

    __tablename__ = "trash_items"
    __label__ = _l("Deleted record")

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The deleted record's model class name ("Commitment").
    kind: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int] = mapped_column()
    #: How the record was named when it was deleted.
    label: Mapped[str] = mapped_column(sa.String(300))
    #: The province whose DIC may see and restore it (None: administrators only).
    province_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provinces.id"), index=True)
    #: The agreement it belonged to (not a foreign key: the agreement may be in the bin too).
    agreement_id: Mapped[int | None] = mapped_column(index=True)
    agreement_label: Mapped[str | None] = mapped_column(sa.String(200))
    deleted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    deleted_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )
    #: The deleted rows, parents first: [[table name, {column: value}], ...].
    rows: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Rows outside the snapshot whose reference to it the database cleared:
    #: [[table name, {primary key column: value}, column, value], ...].
    links: Mapped[list] = mapped_column(sa.JSON, default=list)

    deleted_by = relationship("User", foreign_keys=[deleted_by_id], lazy="joined")
    files: Mapped[list["TrashFile"]] = relationship(
        back_populates="item", cascade="all, delete-orphan", passive_deletes=True
    )


class TrashFile(Base):
    """A stored file a record in the bin references: it counts as referenced (tracker.storage),
    so `tracker gc` keeps it until the record is restored or purged."""

    __tablename__ = "trash_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trash_items.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(sa.String(64), info=STORED_FILE)

    item: Mapped[TrashItem] = relationship(back_populates="files")
