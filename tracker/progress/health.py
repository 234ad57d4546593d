"""A commitment's health, derived — never stored — from its facts on a given day.

The rule (docs/health.md explains it with examples), first match wins:

1. **done**      the verified completion is *complete*.
2. **late**      the commitment's due date has passed, or a milestone is past its due date and
                 not met.
3. **not started** nothing verified yet: no verified report, no milestone met, no verified
                 indicator value.
4. **at risk**   a milestone falls due within 7 days (DUE_SOON_DAYS) and is not met; or an
                 indicator is behind its pro-rata target by more than 15 percentage points of the
                 way from baseline to target (TOLERANCE); or the last verified report is older
                 than two reporting periods (stale).
5. **on track**  otherwise.

Withdrawn commitments have no health (None): they are out of the count.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tracker.agreements.models import Completion
from tracker.i18n import _l
from tracker.labels import LabelledEnum

DUE_SOON_DAYS = 7
TOLERANCE = Decimal("0.15")


class Health(LabelledEnum):
    """Derived state of a commitment."""

    done = "done"
    on_track = "on_track"
    at_risk = "at_risk"
    late = "late"
    not_started = "not_started"
    __labels__ = {
        "done": _l("Done"),
        "on_track": _l("On track"),
        "at_risk": _l("At risk"),
        "late": _l("Late"),
        "not_started": _l("Not started"),
    }


@dataclass
class IndicatorFacts:
    """What the health rule needs to know about one indicator."""

    baseline: Decimal
    target: Decimal
    #: Latest verified value, None when nothing is verified.
    actual: Decimal | None
    starts_on: date
    target_on: date


@dataclass
class CommitmentFacts:
    """What the health rule needs to know about one commitment."""

    completion: Completion
    due_on: date | None
    milestone_due_dates: list[date] = field(default_factory=list)  # of milestones not met
    milestones_met: int = 0
    indicators: list[IndicatorFacts] = field(default_factory=list)
    last_verified_on: date | None = None  # end of the last verified report's period
    #: Days in a reporting period (a report older than two of them is stale).
    period_days: int = 92


def expected_fraction(indicator: IndicatorFacts, today: date) -> Decimal:
    """Share of the way from baseline to target that should be reached by today (0–1)."""
    span = (indicator.target_on - indicator.starts_on).days
    if span <= 0:
        return Decimal(1)
    elapsed = (today - indicator.starts_on).days
    return min(max(Decimal(elapsed) / Decimal(span), Decimal(0)), Decimal(1))


def achieved_fraction(indicator: IndicatorFacts) -> Decimal | None:
    """Share of the way from baseline to target reached by the latest verified value."""
    if indicator.actual is None:
        return None
    distance = indicator.target - indicator.baseline
    if distance == 0:
        return Decimal(1)
    return (indicator.actual - indicator.baseline) / distance


def indicator_behind(indicator: IndicatorFacts, today: date) -> bool:
    """Behind its pro-rata target by more than the tolerance (no verified value: not judged)."""
    achieved = achieved_fraction(indicator)
    if achieved is None:
        return False
    return achieved < expected_fraction(indicator, today) - TOLERANCE


def health(facts: CommitmentFacts, today: date) -> Health | None:
    """Apply the rule above."""
    if facts.completion == Completion.withdrawn:
        return None
    if facts.completion == Completion.complete:
        return Health.done
    if facts.due_on is not None and facts.due_on < today:
        return Health.late
    if any(due < today for due in facts.milestone_due_dates):
        return Health.late
    verified_values = any(i.actual is not None for i in facts.indicators)
    if (
        facts.last_verified_on is None
        and not facts.milestones_met
        and not verified_values
        and facts.completion == Completion.not_started
    ):
        return Health.not_started
    if any(0 <= (due - today).days <= DUE_SOON_DAYS for due in facts.milestone_due_dates):
        return Health.at_risk
    if any(indicator_behind(i, today) for i in facts.indicators):
        return Health.at_risk
    if (
        facts.last_verified_on is not None
        and (today - facts.last_verified_on).days > 2 * facts.period_days
    ):
        return Health.at_risk
    return Health.on_track
