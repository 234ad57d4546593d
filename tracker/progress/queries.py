"""What the reporting pages and services read about a period, in a fixed number of statements."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.agreements.models import Commitment, Completion
from tracker.extensions import db
from tracker.progress.models import ProgressReport, ReportingPeriod, ReportStatus


@dataclass
class PeriodReports:
    """A period's commitments, their reports, and those still without a submitted report."""

    commitments: list[Commitment]
    #: commitment id → its report of the period
    reports: dict[int, ProgressReport]
    #: the commitments (not withdrawn) with no report, or only a draft or a returned one
    missing: list[Commitment]


def period_reports(period: ReportingPeriod) -> PeriodReports:
    """Who has and who has not reported for a period: the period page lists it, "Nhắc nộp báo
    cáo" reminds the `missing` ones."""
    commitments = db.session.scalars(
        sa.select(Commitment)
        .where(Commitment.agreement_id == period.agreement_id)
        .options(selectinload(Commitment.area), selectinload(Commitment.support_units))
        .order_by(Commitment.area_id, Commitment.position, Commitment.id)
    ).all()
    reports = {
        r.commitment_id: r
        for r in db.session.scalars(
            sa.select(ProgressReport).where(ProgressReport.period_id == period.id)
        )
    }
    missing = [
        c
        for c in commitments
        if c.completion != Completion.withdrawn
        and (
            c.id not in reports
            or reports[c.id].status in (ReportStatus.draft, ReportStatus.returned)
        )
    ]
    return PeriodReports(list(commitments), reports, missing)
