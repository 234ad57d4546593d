"""Queries the progress pages share."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.agreements.models import Agreement, Commitment, Directive
from tracker.clock import local_date
from tracker.extensions import db
from tracker.progress.models import Evidence, ProgressReport, ReportingPeriod


@dataclass(frozen=True)
class EvidenceRow:
    """A piece of evidence with what it documents: a commitment's report of a period, or a
    directive."""

    evidence: Evidence
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


def agreement_evidence(agreement: Agreement) -> list[EvidenceRow]:
    """The evidence register of an agreement: its reports' evidence by commitment, period and
    upload, then its directives' by date of the directive. Three queries."""
    reports = db.session.execute(
        sa.select(Evidence, ProgressReport, Commitment, ReportingPeriod)
        .join(ProgressReport, Evidence.report_id == ProgressReport.id)
        .join(Commitment, ProgressReport.commitment_id == Commitment.id)
        .join(ReportingPeriod, ProgressReport.period_id == ReportingPeriod.id)
        .where(Commitment.agreement_id == agreement.id)
        .options(selectinload(ProgressReport.unit))
        .order_by(Commitment.position, Commitment.id, ReportingPeriod.starts_on, Evidence.id)
    ).all()
    directives = db.session.execute(
        sa.select(Evidence, Directive)
        .join(Directive, Evidence.directive_id == Directive.id)
        .where(Directive.agreement_id == agreement.id)
        .order_by(Directive.issued_on, Evidence.id)
    ).all()
    return [
        EvidenceRow(ev, commitment=commitment, report=report, period=period)
        for ev, report, commitment, period in reports
    ] + [EvidenceRow(ev, directive=directive) for ev, directive in directives]
