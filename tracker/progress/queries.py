"""Queries the progress pages share."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.agreements.models import Agreement, Commitment, Directive
from tracker.agreements.permissions import agreements_visible_to
from tracker.clock import local_date
from tracker.extensions import db
from tracker.progress.models import Evidence, ProgressReport, ReportingPeriod


@dataclass(frozen=True)
class EvidenceRow:
    """A piece of evidence with what it documents: a commitment's report of a period, or a
    directive."""

    evidence: Evidence
    agreement_code: str
    commitment: Commitment | None = None
    report: ProgressReport | None = None
    period: ReportingPeriod | None = None
    directive: Directive | None = None

    @property
    def day(self) -> date | None:
        """The date of the document, else the day it was uploaded."""
        return self.evidence.issued_on or local_date(self.evidence.created_at)

    @property
    def unit(self):
        """The unit that reported it, or the directive's assignee."""
        if self.report is not None:
            return self.report.unit
        return self.directive.assignee if self.directive else None


def evidence_visible_to(user) -> list[EvidenceRow]:
    """The evidence of every agreement a user may see (reports' and directives'), by agreement,
    then commitment, period and upload; directives' evidence after the reports'. Two queries."""
    visible = agreements_visible_to(user).with_only_columns(Agreement.id).scalar_subquery()
    reports = db.session.execute(
        sa.select(Evidence, ProgressReport, Commitment, ReportingPeriod, Agreement.code)
        .join(ProgressReport, Evidence.report_id == ProgressReport.id)
        .join(Commitment, ProgressReport.commitment_id == Commitment.id)
        .join(ReportingPeriod, ProgressReport.period_id == ReportingPeriod.id)
        .join(Agreement, Commitment.agreement_id == Agreement.id)
        .where(Agreement.id.in_(visible))
        .options(selectinload(ProgressReport.unit))
        .order_by(
            Agreement.code,
            Commitment.position,
            Commitment.id,
            ReportingPeriod.starts_on,
            Evidence.id,
        )
    ).all()
    directives = db.session.execute(
        sa.select(Evidence, Directive, Agreement.code)
        .join(Directive, Evidence.directive_id == Directive.id)
        .join(Agreement, Directive.agreement_id == Agreement.id)
        .where(Agreement.id.in_(visible))
        .order_by(Agreement.code, Directive.issued_on, Evidence.id)
    ).all()
    return [
        EvidenceRow(ev, code, commitment=commitment, report=report, period=period)
        for ev, report, commitment, period, code in reports
    ] + [EvidenceRow(ev, code, directive=directive) for ev, directive, code in directives]
