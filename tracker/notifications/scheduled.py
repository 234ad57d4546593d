"""Scheduled notices, made by a scan as of a date: a milestone or a report due within 7 days or
just overdue, a reporting period opening or about to lock. Each notice has a dedupe key (the
occasion: the item and its date), so running the scan again the same day, or every day, makes
each notice once per user. `tracker remind` and the queue's daily task run it."""

from datetime import date, timedelta

import sqlalchemy as sa

from tracker.agreements.models import Agreement, Commitment, Completion
from tracker.auth.models import User
from tracker.extensions import db
from tracker.notifications import services as s
from tracker.notifications.models import NotificationKind as K
from tracker.notifications.models import SubjectType
from tracker.progress.models import ProgressReport, ReportingPeriod, ReportStatus
from tracker.progress.todo import REPORTING_STATUSES, ItemKind, todo_for_user

#: "Due soon" notices: this many days ahead (DESIGN: due soon means 7 days or less).
DUE_SOON_DAYS = 7
#: An item overdue for longer than this when the scan first sees it gets no overdue notice
#: (the to-do list shows it): the scan catches up on missed days, it does not replay years.
OVERDUE_CATCH_UP_DAYS = 7
#: A period "about to lock": its deadline is at most this many days ahead.
LOCK_NOTICE_DAYS = 3
#: A period "opening" notice is still made this many days after the period starts.
OPENING_CATCH_UP_DAYS = 7


def _item_notice(item, today: date) -> tuple[K, str] | None:
    days = (item.date - today).days if item.date else None
    if days is None:
        return None
    what = "milestone" if item.kind == ItemKind.milestone else "report"
    key = f"{item.id}" if item.kind == ItemKind.milestone else f"{item.id}:{item.period_id}"
    if 0 <= days <= DUE_SOON_DAYS:
        kind = K.milestone_due if what == "milestone" else K.report_due
        return kind, f"{what}-due:{key}:{item.date.isoformat()}"
    if -OVERDUE_CATCH_UP_DAYS <= days < 0:
        kind = K.milestone_overdue if what == "milestone" else K.report_overdue
        return kind, f"{what}-overdue:{key}:{item.date.isoformat()}"
    return None


def _deadline_notices(today: date, agreements: dict) -> int:
    made = 0
    users = db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.unit_id.is_not(None)).order_by(User.id)
    ).all()
    for user in users:
        todo = todo_for_user(user, today, horizon_days=DUE_SOON_DAYS)
        for item in [*todo.milestones, *todo.reports_due]:
            notice = _item_notice(item, today)
            agreement = agreements.get(item.agreement_code)
            if notice is None or agreement is None:
                continue
            kind, key = notice
            if item.kind == ItemKind.milestone:
                subject = s.Subject(SubjectType.milestone, item.id, agreement, item.commitment_id)
            else:
                subject = s.Subject(
                    SubjectType.commitment,
                    item.commitment_id,
                    agreement,
                    item.commitment_id,
                    item.period_id,
                )
            made += len(s.notify(kind, [user], subject=subject, dedupe_key=key))
    return made


def _reporting(period: ReportingPeriod, *, without_report: bool) -> list[User]:
    commitments = db.session.scalars(
        sa.select(Commitment).where(
            Commitment.agreement_id == period.agreement_id,
            Commitment.completion != Completion.withdrawn,
        )
    ).all()
    if without_report:
        handed_in = set(
            db.session.scalars(
                sa.select(ProgressReport.commitment_id).where(
                    ProgressReport.period_id == period.id,
                    ProgressReport.status.in_(
                        [ReportStatus.submitted, ReportStatus.verified, ReportStatus.returned]
                    ),
                )
            )
        )
        commitments = [c for c in commitments if c.id not in handed_in]
    return [user for commitment in commitments for user in s.reporters(commitment)]


def _period_notices(today: date) -> int:
    made = 0
    periods = db.session.scalars(
        sa.select(ReportingPeriod)
        .join(Agreement, ReportingPeriod.agreement_id == Agreement.id)
        .where(
            Agreement.status.in_(REPORTING_STATUSES),
            Agreement.signed_on.is_not(None),
            sa.or_(
                ReportingPeriod.starts_on.between(
                    today - timedelta(days=OPENING_CATCH_UP_DAYS), today
                ),
                ReportingPeriod.deadline_on.between(
                    today, today + timedelta(days=LOCK_NOTICE_DAYS)
                ),
            ),
        )
        .order_by(ReportingPeriod.id)
    ).all()
    for period in periods:
        subject = s.Subject(SubjectType.period, period.id, period.agreement, period_id=period.id)
        if today - timedelta(days=OPENING_CATCH_UP_DAYS) <= period.starts_on <= today:
            made += len(
                s.notify(
                    K.period_opening,
                    _reporting(period, without_report=False),
                    subject=subject,
                    dedupe_key=f"period-opening:{period.id}:{period.starts_on.isoformat()}",
                )
            )
        if today <= period.deadline_on <= today + timedelta(days=LOCK_NOTICE_DAYS):
            made += len(
                s.notify(
                    K.period_locking,
                    [*_reporting(period, without_report=True), *s.verifiers(period.agreement)],
                    subject=subject,
                    dedupe_key=f"period-locking:{period.id}:{period.deadline_on.isoformat()}",
                )
            )
    return made


def scan_notices(today: date) -> int:
    """Make the scheduled notices missing as of `today`; returns how many were made. The caller
    commits."""
    agreements = {a.code: a for a in db.session.scalars(sa.select(Agreement))}
    return _deadline_notices(today, agreements) + _period_notices(today)
