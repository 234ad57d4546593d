"""What a user is told (notifications), how they want to hear it (preferences) and what they
follow (watches)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.clock import utcnow
from tracker.db import Base, enum_column
from tracker.i18n import _l
from tracker.labels import LabelledEnum


class NotificationKind(LabelledEnum):
    """What happened; each user chooses per kind how to hear of it."""

    report_submitted = "report_submitted"
    report_returned = "report_returned"
    report_verified = "report_verified"
    extension_requested = "extension_requested"
    extension_decided = "extension_decided"
    directive_assigned = "directive_assigned"
    directive_changed = "directive_changed"
    comment = "comment"
    mention = "mention"
    submission_reminder = "submission_reminder"
    milestone_due = "milestone_due"
    milestone_overdue = "milestone_overdue"
    report_due = "report_due"
    report_overdue = "report_overdue"
    period_opening = "period_opening"
    period_locking = "period_locking"
    __labels__ = {
        "report_submitted": _l("A report is submitted for verification"),
        "report_returned": _l("A report is returned for revision"),
        "report_verified": _l("A report is verified"),
        "extension_requested": _l("An extension is requested"),
        "extension_decided": _l("An extension request is decided"),
        "directive_assigned": _l("A directive is assigned to my unit"),
        "directive_changed": _l("A directive I follow changes"),
        "comment": _l("A comment on something I follow"),
        "mention": _l("I or my unit am mentioned in a comment"),
        "submission_reminder": _l("A reminder to submit a report"),
        "milestone_due": _l("A milestone is due in 7 days"),
        "milestone_overdue": _l("A milestone is overdue"),
        "report_due": _l("A report is due in 7 days"),
        "report_overdue": _l("A report is overdue"),
        "period_opening": _l("A reporting period opens"),
        "period_locking": _l("A reporting period is about to lock"),
    }


class Delivery(LabelledEnum):
    """How a user hears of one kind of notification."""

    immediately = "immediately"
    digest = "digest"
    off = "off"
    __labels__ = {
        "immediately": _l("Immediately"),
        "digest": _l("In the daily digest"),
        "off": _l("Off"),
    }


#: Every kind is delivered at once by e-mail unless the user chooses otherwise, except the
#: scheduled notices, which the daily digest gathers.
DEFAULT_DELIVERY = {
    NotificationKind.milestone_due: Delivery.digest,
    NotificationKind.report_due: Delivery.digest,
    NotificationKind.period_opening: Delivery.digest,
}


def default_delivery(kind: NotificationKind) -> Delivery:
    """The delivery of a kind for a user who has not chosen."""
    return DEFAULT_DELIVERY.get(kind, Delivery.immediately)


class SubjectType(LabelledEnum):
    """The kind of record a notification or a watch concerns."""

    agreement = "agreement"
    commitment = "commitment"
    milestone = "milestone"
    report = "report"
    extension = "extension"
    directive = "directive"
    period = "period"
    __labels__ = {
        "agreement": _l("Agreement"),
        "commitment": _l("Commitment"),
        "milestone": _l("Milestone"),
        "report": _l("Progress report"),
        "extension": _l("Extension request"),
        "directive": _l("Leadership directive"),
        "period": _l("Reporting period"),
    }


class Notification(Base):
    """One thing one user is told about. Its text is written when it is shown, from its kind and
    the record, in the reader's language; ``detail`` keeps the words a person wrote (a reason,
    a comment's opening)."""

    __tablename__ = "notifications"
    __label__ = _l("Notification")
    __table_args__ = (
        # A scheduled notice (a deadline, a period) is made once per user and occasion.
        sa.UniqueConstraint("user_id", "dedupe_key"),
        sa.Index("ix_notifications_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = enum_column(NotificationKind, info={"label": _l("Kind")})
    #: The agreement the record belongs to (every record here belongs to one).
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    subject_type: Mapped[SubjectType] = enum_column(SubjectType)
    subject_id: Mapped[int]
    #: The commitment the record belongs to, when it belongs to one (for links and watchers).
    commitment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE")
    )
    #: The reporting period of a report due or a reminder.
    period_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reporting_periods.id", ondelete="CASCADE")
    )
    #: The comment of a comment or mention notice (the discussion package's id).
    comment_id: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    detail: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: How the user wanted it delivered when it was made (immediately or in the digest).
    delivery: Mapped[Delivery] = enum_column(Delivery)
    emailed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Sending attempts so far (the queue retries with backoff).
    mail_attempts: Mapped[int] = mapped_column(default=0)
    mail_error: Mapped[str | None] = mapped_column(sa.String(500))
    digested_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class NotificationPreference(Base):
    """A user's choice for one kind; without a row, `default_delivery` applies."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = enum_column(NotificationKind)
    delivery: Mapped[Delivery] = enum_column(Delivery)


class Watch(Base):
    """A user follows an agreement, a commitment or a directive and hears of what happens to it."""

    __tablename__ = "watches"
    __table_args__ = (sa.UniqueConstraint("user_id", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    subject_type: Mapped[SubjectType] = enum_column(SubjectType)
    subject_id: Mapped[int] = mapped_column(index=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    #: Followed by hand (False: followed automatically as submitter, verifier or assignee).
    explicit: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
