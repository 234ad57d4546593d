"""Facts about many commitments at once, in a fixed number of queries, for the agreement page,
the dashboards and the PDF: milestones, latest verified indicator values, verified reports,
money spent, and the health derived from them."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from tracker.agreements.models import (
    Agreement,
    Commitment,
    Indicator,
    Measurement,
    Milestone,
    PeriodKind,
)
from tracker.db import local_today
from tracker.extensions import db
from tracker.progress.health import CommitmentFacts, Health, IndicatorFacts, health
from tracker.progress.models import ProgressReport, ReportingPeriod, ReportStatus

PERIOD_DAYS = {PeriodKind.quarter: 92, PeriodKind.half_year: 183, PeriodKind.year: 366}


@dataclass
class IndicatorRow:
    """An indicator with its latest verified value."""

    id: int
    commitment_id: int
    name: str
    unit: str
    baseline: Decimal
    target: Decimal
    target_on: date | None
    actual: Decimal | None = None
    actual_on: date | None = None

    @property
    def reached(self) -> bool:
        if self.actual is None:
            return False
        return (
            self.actual >= self.target
            if self.target >= self.baseline
            else self.actual <= self.target
        )


@dataclass
class Status:
    """Everything the pages show about a commitment's progress."""

    health: Health | None
    milestones_total: int = 0
    milestones_met: int = 0
    milestones_late: int = 0
    indicators: list[IndicatorRow] = field(default_factory=list)
    spent_vnd: int = 0
    last_verified_on: date | None = None


def commitment_status(agreements: list[Agreement], today: date | None = None) -> dict[int, Status]:
    """Status of every commitment of the given agreements: four queries whatever their size."""
    today = today or local_today()
    ids = [a.id for a in agreements]
    if not ids:
        return {}
    by_agreement = {a.id: a for a in agreements}
    # Plain column rows through the session's connection: no ORM row processing for the tens of
    # thousands of rows of a national view.
    run = db.session.connection().execute
    commitments = run(
        sa.select(
            Commitment.id, Commitment.agreement_id, Commitment.completion, Commitment.due_on
        ).where(Commitment.agreement_id.in_(ids))
    ).all()
    # Milestones summed up per commitment in the database (a national view has 100,000 of
    # them): how many, how many met, how many late, and the open due dates health looks at, the
    # earliest late one and the next one to come.
    open_ = Milestone.done_on.is_(None)
    late = sa.and_(open_, Milestone.due_on < today)
    milestones = {
        cid: (total, met or 0, late_count or 0, [d for d in (first_late, next_due) if d])
        for cid, total, met, late_count, first_late, next_due in run(
            sa.select(
                Milestone.commitment_id,
                sa.func.count(),
                sa.func.count(Milestone.done_on),
                sa.func.sum(sa.case((late, 1), else_=0)),
                sa.func.min(sa.case((late, Milestone.due_on))),
                sa.func.min(sa.case((sa.and_(open_, Milestone.due_on >= today), Milestone.due_on))),
            )
            .join(Commitment, Commitment.id == Milestone.commitment_id)
            .where(Commitment.agreement_id.in_(ids))
            .group_by(Milestone.commitment_id)
        )
    }

    # The latest verified value of each indicator, found through the (indicator_id, measured_on)
    # index; a GROUP BY over every measurement would scan the whole table.
    newer = sa.orm.aliased(Measurement)
    latest_id = (
        sa.select(newer.id)
        .where(newer.indicator_id == Indicator.id, newer.verified.is_(True))
        .order_by(newer.measured_on.desc())
        .limit(1)
        .correlate(Indicator)
        .scalar_subquery()
    )
    indicators = defaultdict(list)
    for row in run(
        sa.select(
            Indicator.id,
            Indicator.commitment_id,
            Indicator.name,
            Indicator.unit,
            Indicator.baseline,
            Indicator.target,
            Indicator.target_on,
            Measurement.value,
            Measurement.measured_on,
        )
        .join(Commitment, Commitment.id == Indicator.commitment_id)
        .outerjoin(Measurement, Measurement.id == latest_id)
        .where(Commitment.agreement_id.in_(ids))
        .order_by(Indicator.commitment_id, Indicator.position, Indicator.id)
    ):
        indicators[row[1]].append(IndicatorRow(*row))

    reports = {
        cid: (last_on, spent)
        for cid, last_on, spent in run(
            sa.select(
                ProgressReport.commitment_id,
                sa.func.max(ReportingPeriod.ends_on),
                sa.func.sum(ProgressReport.spent_vnd),
            )
            .join(ReportingPeriod, ReportingPeriod.id == ProgressReport.period_id)
            .join(Commitment, Commitment.id == ProgressReport.commitment_id)
            .where(Commitment.agreement_id.in_(ids), ProgressReport.status == ReportStatus.verified)
            .group_by(ProgressReport.commitment_id)
        )
    }

    result = {}
    for cid, aid, completion, due_on in commitments:
        agreement = by_agreement[aid]
        total, met, late_count, open_due = milestones.get(cid, (0, 0, 0, []))
        last_on, spent = reports.get(cid, (None, None))
        facts = CommitmentFacts(
            completion=completion,
            due_on=due_on,
            milestone_due_dates=open_due,
            milestones_met=met,
            indicators=[
                IndicatorFacts(
                    baseline=i.baseline,
                    target=i.target,
                    actual=i.actual,
                    starts_on=agreement.period_start,
                    target_on=i.target_on or due_on or agreement.period_end,
                )
                for i in indicators[cid]
            ],
            last_verified_on=last_on,
            period_days=PERIOD_DAYS[agreement.reporting_frequency],
        )
        result[cid] = Status(
            health=health(facts, today),
            milestones_total=total,
            milestones_met=met,
            milestones_late=late_count,
            indicators=indicators[cid],
            spent_vnd=int(spent or 0),
            last_verified_on=last_on,
        )
    return result
