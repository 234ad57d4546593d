"""Writing notifications, preferences and watches: the one place that decides who is told.

Every notification goes through `notify`, which drops the actor, anyone who may not read the
record, anyone who turned the kind off, and a scheduled notice already made for that occasion.
Notifications to deliver immediately are remembered on the session and handed to the job queue
only after the transaction commits (tracker/notifications/queue.py)."""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from tracker.agreements.models import Agreement, Commitment, Directive
from tracker.agreements.permissions import can_view_agreement
from tracker.auth.models import Role, User
from tracker.auth.permissions import unit_acts_for
from tracker.clock import utcnow
from tracker.errors import NotAllowed
from tracker.extensions import db
from tracker.notifications.models import (
    Delivery,
    Notification,
    NotificationKind,
    NotificationPreference,
    SubjectType,
    Watch,
    default_delivery,
)
from tracker.org.models import Province, Unit, preload
from tracker.progress.models import Extension, ProgressReport
from tracker.progress.permissions import can_report, can_verify

#: Session info key: ids of the notifications of this transaction to e-mail after the commit.
PENDING_MAIL = "tracker.notifications.pending_mail"


@dataclass(frozen=True)
class Subject:
    """The record a notification concerns, with what is needed to link it and find watchers."""

    type: SubjectType
    id: int
    agreement: Agreement
    commitment_id: int | None = None
    period_id: int | None = None
    directive_id: int | None = None


def subject_of(record) -> Subject:
    """The Subject of a commitment, progress report, extension, directive or agreement."""
    if isinstance(record, Agreement):
        return Subject(SubjectType.agreement, record.id, record)
    if isinstance(record, Commitment):
        return Subject(SubjectType.commitment, record.id, record.agreement, record.id)
    if isinstance(record, Directive):
        return Subject(SubjectType.directive, record.id, record.agreement, directive_id=record.id)
    if isinstance(record, ProgressReport):
        return Subject(
            SubjectType.report,
            record.id,
            record.commitment.agreement,
            record.commitment_id,
            record.period_id,
        )
    if isinstance(record, Extension):
        return Subject(
            SubjectType.extension,
            record.id,
            record.commitment.agreement,
            record.commitment_id,
            record.period_id,
        )
    raise TypeError(f"no notification subject for {type(record).__name__}")


# -- who -----------------------------------------------------------------------------------------


def users_of_units(units: Iterable) -> list[User]:
    """Active users whose unit is one of these units or carries it on today (`unit_acts_for`:
    the users of a merged unit's successor)."""
    units = [u for u in units if u is not None]
    ids = {u.id for u in units} | {u.current().id for u in units}
    if not ids:
        return []
    candidates = db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.unit_id.in_(ids)).order_by(User.id)
    ).all()
    return [user for user in candidates if any(unit_acts_for(user, unit) for unit in units)]


def commitment_units(commitment: Commitment) -> list:
    """The lead and supporting units of a commitment."""
    return [commitment.lead_unit, *commitment.support_units]


def verifiers(agreement: Agreement) -> list[User]:
    """The DIC staff who may verify the agreement's reports (`can_verify`). Administrators may
    too, but are not told of every province's reports."""
    # Only DIC staff of a province that is (or became) the agreement's can be in scope; the rule
    # itself is `can_verify`, asked of each of them.
    provinces = preload(db.session)
    today = db.session.get(Province, agreement.province_id).current()
    same = {p.id for p in provinces if isinstance(p, Province) and p.current().id == today.id}
    candidates = db.session.scalars(
        sa.select(User)
        .join(Unit, User.unit_id == Unit.id)
        .where(User.active.is_(True), User.role == Role.dic, Unit.province_id.in_(same))
        .order_by(User.id)
    ).all()
    return [user for user in candidates if can_verify(user, agreement)]


def reporters(commitment: Commitment) -> list[User]:
    """The users of the commitment's units who may report on it (`can_report`)."""
    return [u for u in users_of_units(commitment_units(commitment)) if can_report(u, commitment)]


def watchers(subject: Subject) -> list[User]:
    """Active users who follow the record's agreement, commitment or directive."""
    followed = [(SubjectType.agreement, subject.agreement.id)]
    if subject.commitment_id:
        followed.append((SubjectType.commitment, subject.commitment_id))
    if subject.directive_id:
        followed.append((SubjectType.directive, subject.directive_id))
    condition = sa.or_(
        *(sa.and_(Watch.subject_type == t, Watch.subject_id == i) for t, i in followed)
    )
    return db.session.scalars(
        sa.select(User)
        .join(Watch, Watch.user_id == User.id)
        .where(condition, User.active.is_(True))
        .distinct()
        .order_by(User.id)
    ).all()


# -- preferences -------------------------------------------------------------------------------


def deliveries(user_ids: Iterable[int], kind: NotificationKind) -> dict[int, Delivery]:
    """How each user wants to hear of this kind (their choice, else the default), one query."""
    user_ids = list(user_ids)
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.user_id, NotificationPreference.delivery).where(
                NotificationPreference.user_id.in_(user_ids or [-1]),
                NotificationPreference.kind == kind,
            )
        ).all()
    )
    return {uid: chosen.get(uid, default_delivery(kind)) for uid in user_ids}


def preferences(user: User) -> dict[NotificationKind, Delivery]:
    """The user's delivery of every kind."""
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {kind: chosen.get(kind, default_delivery(kind)) for kind in NotificationKind}


def set_preferences(user: User, choices: dict[NotificationKind, Delivery]) -> None:
    """Save the user's choices (a row only where it differs from the default)."""
    rows = {
        p.kind: p
        for p in db.session.scalars(
            sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for kind, delivery in choices.items():
        row = rows.get(kind)
        if delivery == default_delivery(kind):
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, delivery=delivery))
        else:
            row.delivery = delivery
    db.session.flush()


# -- notifying -------------------------------------------------------------------------------


def notify(
    kind: NotificationKind,
    recipients: Iterable[User],
    *,
    subject: Subject,
    actor: User | None = None,
    detail: str | None = None,
    dedupe_key: str | None = None,
    comment_id: int | None = None,
) -> list[Notification]:
    """Tell each recipient once, except the actor, those who may not read the record, those who
    turned the kind off and (with a dedupe key) those already told on this occasion."""
    people: dict[int, User] = {}
    for user in recipients:
        if user is None or not user.active or (actor is not None and user.id == actor.id):
            continue
        if user.id not in people and can_view_agreement(user, subject.agreement):
            people[user.id] = user
    if not people:
        return []
    wanted = deliveries(people, kind)
    if dedupe_key is not None:
        already = set(
            db.session.scalars(
                sa.select(Notification.user_id).where(
                    Notification.user_id.in_(people), Notification.dedupe_key == dedupe_key
                )
            )
        )
    else:
        already = set()
    made = []
    for uid in people:
        if wanted[uid] == Delivery.off or uid in already:
            continue
        made.append(
            Notification(
                user_id=uid,
                kind=kind,
                agreement_id=subject.agreement.id,
                subject_type=subject.type,
                subject_id=subject.id,
                commitment_id=subject.commitment_id,
                period_id=subject.period_id,
                comment_id=comment_id,
                actor_id=actor.id if actor is not None else None,
                detail=(detail or None) and detail[:2000],
                delivery=wanted[uid],
                dedupe_key=dedupe_key,
            )
        )
    db.session.add_all(made)
    db.session.flush()
    pending = db.session.info.setdefault(PENDING_MAIL, [])
    pending.extend(n.id for n in made if n.delivery == Delivery.immediately)
    return made


# -- reading -----------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """How many notifications the user has not read (one COUNT on an index)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def notification_for(user: User, notification_id: int) -> Notification | None:
    """The user's own notification (None for another's: they are private)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


def mark_read(notification: Notification, *, user: User) -> None:
    """Mark one of the user's notifications read."""
    if notification.user_id != user.id:
        raise NotAllowed()
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# -- watching ------------------------------------------------------------------------------------


def _watch_row(user: User, subject: Subject) -> Watch | None:
    return db.session.scalar(
        sa.select(Watch).where(
            Watch.user_id == user.id,
            Watch.subject_type == subject.type,
            Watch.subject_id == subject.id,
        )
    )


def is_watching(user: User, record) -> bool:
    """Whether the user follows this agreement, commitment or directive."""
    return _watch_row(user, subject_of(record)) is not None


def watch(user: User, record, *, explicit: bool = True) -> Watch:
    """Follow an agreement, commitment or directive; anyone who may read it may."""
    subject = subject_of(record)
    if subject.type not in (SubjectType.agreement, SubjectType.commitment, SubjectType.directive):
        raise TypeError("only agreements, commitments and directives are followed")
    if not can_view_agreement(user, subject.agreement):
        raise NotAllowed()
    row = _watch_row(user, subject)
    if row is None:
        row = Watch(
            user_id=user.id,
            subject_type=subject.type,
            subject_id=subject.id,
            agreement_id=subject.agreement.id,
            explicit=explicit,
        )
        db.session.add(row)
        db.session.flush()
    elif explicit and not row.explicit:
        row.explicit = True
        db.session.flush()
    return row


def unwatch(user: User, record) -> None:
    """Stop following a record."""
    subject = subject_of(record)
    if not can_view_agreement(user, subject.agreement):
        raise NotAllowed()
    row = _watch_row(user, subject)
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def follow_automatically(users: Iterable[User], record) -> None:
    """Submitters, verifiers and assignees follow what they work on (unless they may not read it)."""
    for user in users:
        if (
            user is not None
            and user.active
            and can_view_agreement(user, subject_of(record).agreement)
        ):
            watch(user, record, explicit=False)
