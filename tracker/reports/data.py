"""The data a review document is built from: verified figures only, as of the end of the range,
gathered in a fixed number of queries and returned as plain values (no ORM objects), so the PDF
builder needs no database and the same data always give the same fingerprint."""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field, is_dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.agreements.models import (
    Agreement,
    Area,
    Commitment,
    Completion,
    Directive,
    Indicator,
    Measurement,
    Milestone,
    MilestoneStatus,
)
from tracker.extensions import db
from tracker.progress.health import CommitmentFacts, Health, IndicatorFacts, health
from tracker.progress.models import Evidence, ProgressReport, ReportingPeriod, ReportStatus
from tracker.progress.queries import PERIOD_DAYS


@dataclass
class IndicatorRow:
    name: str
    unit: str
    baseline: Decimal
    target: Decimal
    target_on: date | None
    actual: Decimal | None
    actual_on: date | None
    series: list[tuple[date, Decimal]] = field(default_factory=list)
    commitment_code: str = ""

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
class MilestoneRow:
    title: str
    due_on: date
    done_on: date | None
    status: str


@dataclass
class CommitmentRow:
    code: str
    title: str
    committed_by: str
    lead_unit: str
    lead_unit_now: str | None
    support_units: list[str]
    due_on: date | None
    budget_vnd: int | None
    spent_vnd: int
    completion: str
    percent: int
    health: str | None
    priority: bool
    milestones: list[MilestoneRow]
    indicators: list[IndicatorRow]


@dataclass
class AreaRow:
    code: str
    title: str
    commitments: list[CommitmentRow]


@dataclass
class DirectiveRow:
    issued_on: date
    issued_by: str
    meeting: str | None
    text: str
    assignee: str
    due_on: date | None
    done_on: date | None


@dataclass
class EvidenceRow:
    title: str
    issued_on: date | None
    kind: str
    unit: str
    sha256: str
    commitment_code: str


@dataclass
class ReviewData:
    code: str
    title: str
    province: str
    province_now: str | None
    province_is_city: bool
    partner: str
    province_signatory: str | None
    partner_signatory: str | None
    signed_on: date | None
    period_start: date
    period_end: date
    vision_year: int | None
    status: str
    legal_bases: list[str]
    description: str | None
    predecessor: str | None
    date_from: date
    date_to: date
    areas: list[AreaRow]
    directives: list[DirectiveRow]
    evidence: list[EvidenceRow]

    def fingerprint(self) -> str:
        """SHA-256 of the data, canonically serialised."""
        text = json.dumps(self, sort_keys=True, default=_plain, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value):
    """JSON for the fingerprint: a row as its fields (what `asdict` gives, without its deep
    copies, which cost more than the rest of the fingerprint), anything else as text."""
    if is_dataclass(value):
        return vars(value)
    return str(value)


def review_data(agreement: Agreement, date_from: date, date_to: date) -> ReviewData:
    """Everything verified about an agreement as of `date_to` (reports and values from `date_from`)."""
    areas = db.session.scalars(
        sa.select(Area)
        .where(Area.agreement_id == agreement.id)
        .order_by(Area.position, Area.id)
        .options(selectinload(Area.commitments).selectinload(Commitment.support_units))
    ).all()
    commitment_ids = [c.id for a in areas for c in a.commitments]
    ids = commitment_ids or [-1]

    milestones = defaultdict(list)
    for cid, title, due_on, done_on, status in db.session.execute(
        sa.select(
            Milestone.commitment_id,
            Milestone.title,
            Milestone.due_on,
            Milestone.done_on,
            Milestone.status,
        )
        .where(Milestone.commitment_id.in_(ids))
        .order_by(Milestone.due_on, Milestone.id)
    ):
        done = done_on if done_on and done_on <= date_to else None
        if not done:
            status = MilestoneStatus.not_met if due_on < date_to else MilestoneStatus.scheduled
        milestones[cid].append(MilestoneRow(title, due_on, done, status.value))

    indicators = defaultdict(list)
    indicator_objs = db.session.scalars(
        sa.select(Indicator)
        .where(Indicator.commitment_id.in_(ids))
        .order_by(Indicator.position, Indicator.id)
    ).all()
    series = defaultdict(list)
    for ind_id, on, value in db.session.execute(
        sa.select(Measurement.indicator_id, Measurement.measured_on, Measurement.value)
        .where(
            Measurement.indicator_id.in_([i.id for i in indicator_objs] or [-1]),
            Measurement.verified.is_(True),
            Measurement.measured_on <= date_to,
        )
        .order_by(Measurement.indicator_id, Measurement.measured_on)
    ):
        series[ind_id].append((on, Decimal(value)))
    codes = {c.id: c.code for a in areas for c in a.commitments}
    for i in indicator_objs:
        points = series[i.id]
        actual = points[-1] if points else (None, None)
        indicators[i.commitment_id].append(
            IndicatorRow(
                name=i.name,
                unit=i.unit,
                baseline=Decimal(i.baseline),
                target=Decimal(i.target),
                target_on=i.target_on,
                actual=actual[1],
                actual_on=actual[0],
                series=[p for p in points if p[0] >= date_from],
                commitment_code=codes[i.commitment_id],
            )
        )

    reports = defaultdict(list)
    for report_id, cid, ends_on, percent, completion, spent in db.session.execute(
        sa.select(
            ProgressReport.id,
            ProgressReport.commitment_id,
            ReportingPeriod.ends_on,
            ProgressReport.percent_complete,
            ProgressReport.completion,
            ProgressReport.spent_vnd,
        )
        .join(ReportingPeriod, ReportingPeriod.id == ProgressReport.period_id)
        .where(
            ProgressReport.commitment_id.in_(ids),
            ProgressReport.status == ReportStatus.verified,
            ReportingPeriod.ends_on <= date_to,
        )
        .order_by(ReportingPeriod.ends_on)
    ):
        reports[cid].append((report_id, ends_on, percent, completion, spent))

    today_units = {}
    area_rows = []
    for area in areas:
        rows = []
        for c in area.commitments:
            verified = reports[c.id]
            if verified:
                _, last_on, percent, completion, _ = verified[-1]
            else:
                last_on, completion = None, c.completion
                percent = 100 if completion == Completion.complete else c.percent_complete
            spent = sum(s or 0 for _, ends_on, _, _, s in verified if ends_on >= date_from)
            facts = CommitmentFacts(
                completion=completion,
                due_on=c.due_on,
                milestone_due_dates=[m.due_on for m in milestones[c.id] if m.done_on is None],
                milestones_met=sum(1 for m in milestones[c.id] if m.done_on is not None),
                indicators=[
                    IndicatorFacts(
                        i.baseline,
                        i.target,
                        i.actual,
                        agreement.period_start,
                        i.target_on or c.due_on or agreement.period_end,
                    )
                    for i in indicators[c.id]
                ],
                last_verified_on=last_on,
                period_days=PERIOD_DAYS[agreement.reporting_frequency],
            )
            state = health(facts, date_to)
            lead = c.lead_unit
            now = today_units.setdefault(lead.id, lead.current())
            rows.append(
                CommitmentRow(
                    code=c.code,
                    title=c.title,
                    committed_by=c.committed_by.value,
                    lead_unit=lead.name,
                    lead_unit_now=now.name if now.id != lead.id else None,
                    support_units=[u.name for u in c.support_units],
                    due_on=c.due_on,
                    budget_vnd=c.budget_vnd,
                    spent_vnd=spent,
                    completion=completion.value,
                    percent=percent,
                    health=state.value if state else None,
                    priority=c.priority,
                    milestones=milestones[c.id],
                    indicators=indicators[c.id],
                )
            )
        area_rows.append(AreaRow(area.code, area.title, rows))

    directives = [
        DirectiveRow(
            d.issued_on,
            d.issued_by,
            d.meeting,
            d.text,
            d.assignee.name,
            d.due_on,
            d.done_on if d.done_on and d.done_on <= date_to else None,
        )
        for d in db.session.scalars(
            sa.select(Directive)
            .where(Directive.agreement_id == agreement.id, Directive.issued_on <= date_to)
            .order_by(Directive.issued_on, Directive.id)
        )
    ]

    # The evidence of the verified reports of the range, read as plain columns (thousands of rows).
    from tracker.org.models import Unit

    unit_names = dict(db.session.execute(sa.select(Unit.id, Unit.name)).all())
    evidence = [
        EvidenceRow(title, issued_on, kind.value, unit_names.get(unit_id, ""), sha, codes[cid])
        for title, issued_on, kind, sha, unit_id, cid in db.session.execute(
            sa.select(
                Evidence.title,
                Evidence.issued_on,
                Evidence.kind,
                Evidence.sha256,
                ProgressReport.unit_id,
                ProgressReport.commitment_id,
            )
            .join(ProgressReport, ProgressReport.id == Evidence.report_id)
            .join(ReportingPeriod, ReportingPeriod.id == ProgressReport.period_id)
            .join(Commitment, Commitment.id == ProgressReport.commitment_id)
            .where(
                Commitment.agreement_id == agreement.id,
                ProgressReport.status == ReportStatus.verified,
                ReportingPeriod.ends_on <= date_to,
                Evidence.superseded_by_id.is_(None),
            )
            .order_by(ProgressReport.commitment_id, ReportingPeriod.ends_on, Evidence.id)
        )
    ]

    province_now = agreement.province.current()
    return ReviewData(
        code=agreement.code,
        title=agreement.title,
        province=agreement.province.name,
        province_now=province_now.name if province_now.id != agreement.province_id else None,
        province_is_city=agreement.province.is_city,
        partner=agreement.partner,
        province_signatory=agreement.province_signatory,
        partner_signatory=agreement.partner_signatory,
        signed_on=agreement.signed_on,
        period_start=agreement.period_start,
        period_end=agreement.period_end,
        vision_year=agreement.vision_year,
        status=agreement.status.value,
        legal_bases=list(agreement.legal_bases or []),
        description=agreement.description,
        predecessor=agreement.predecessor.title if agreement.predecessor else None,
        date_from=date_from,
        date_to=date_to,
        areas=area_rows,
        directives=directives,
        evidence=evidence,
    )


__all__ = ["Health", "ReviewData", "review_data"]
