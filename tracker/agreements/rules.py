"""The rules on an agreement's records that every figure is judged by, as of a date: when an
agreement is judged, when a milestone is late, when an indicator is due. (When a directive is
overdue: `directive_overdue`, beside the Directive model.) The progress package's figures
(tracker/progress/figures.py) and the agreement lists use them."""

from datetime import date

import sqlalchemy as sa

from tracker.agreements.models import AgreementStatus, Milestone, MilestoneStatus
from tracker.clock import local_today


def as_of_for(agreement, wanted: date | None = None, today: date | None = None) -> date:
    """The date an agreement's figures are judged as of.

    Today for an agreement not closed; the end of its period for a closed one; never later than
    today. A date asked for (`?as_of=`) is taken as it is, except that a closed agreement is
    never judged after the end of its period."""
    today = today or local_today()
    latest = today
    if agreement.status == AgreementStatus.closed:
        latest = min(agreement.period_end, today)
    return min(wanted, latest) if wanted is not None else latest


def indicator_end(target_on: date | None, due_on: date | None, period_end: date) -> date:
    """The date an indicator should reach its target: its own target date, else its
    commitment's due date, else the end of the agreement."""
    return target_on or due_on or period_end


def milestone_state(due_on: date, done_on: date | None, as_of: date) -> MilestoneStatus:
    """A milestone as of a date: met by then, not met when past due, else scheduled."""
    if done_on is not None and done_on <= as_of:
        return MilestoneStatus.met
    return MilestoneStatus.not_met if due_on < as_of else MilestoneStatus.scheduled


def milestone_late_by(as_of: date):
    """`milestone_state` in SQL: the milestones not met by the date and due before it."""
    return sa.and_(
        sa.or_(Milestone.done_on.is_(None), Milestone.done_on > as_of),
        Milestone.due_on < as_of,
    )
