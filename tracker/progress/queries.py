"""Queries the progress pages and services share, in a fixed number of statements each."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.agreements.models import Agreement, Commitment, Completion, Directive
from tracker.clock import local_date
from tracker.extensions import db
from tracker.progress.models import Evidence, ProgressReport, ReportingPeriod, ReportStatus
from tracker.signatures.models import SignatureCheck
from tracker.signatures.services import checks_for


@dataclass(frozen=True)
class EvidenceRow:
    """A piece of evidence with what it documents: a commitment's report of a period, or a
    directive."""

    evidence: Evidence
    commitment: Commitment | None = None
    report: ProgressReport | None = None
    period: ReportingPeriod | None = None
    directive: Directive | None = None
    #: The check of the file's digital signatures (None: not a PDF, or not checked yet).
    signature: SignatureCheck | None = None

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
    upload, then its directives' by date of the directive, with the checks of their signatures.
    Four queries."""
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
    checks = checks_for([row[0].sha256 for row in reports] + [row[0].sha256 for row in directives])
    return [
        EvidenceRow(
            ev,
            commitment=commitment,
            report=report,
            period=period,
            signature=checks.get(ev.sha256),
        )
        for ev, report, commitment, period in reports
    ] + [
        EvidenceRow(ev, directive=directive, signature=checks.get(ev.sha256))
        for ev, directive in directives
    ]


def evidence_of_reports(report_ids) -> dict[int, list[Evidence]]:
    """The evidence of each report, in upload order (one query)."""
    found: dict[int, list[Evidence]] = {}
    ids = sorted(set(report_ids))
    if ids:
        for ev in db.session.scalars(
            sa.select(Evidence).where(Evidence.report_id.in_(ids)).order_by(Evidence.id)
        ):
            found.setdefault(ev.report_id, []).append(ev)
    return found


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
