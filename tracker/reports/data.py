"""The data a review document is built from: verified figures only, judged as of the end of the
range by `tracker.progress.figures` (the dashboards' module), gathered in a fixed number of
queries and returned as plain values (no ORM objects), so the PDF builder needs no database and
the same data always give the same fingerprint."""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field, is_dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.agreements import rules
from tracker.agreements.models import (
    Agreement,
    Area,
    Commitment,
    Directive,
    Measurement,
    Milestone,
    MilestoneStatus,
)
from tracker.extensions import db
from tracker.org.models import Unit
from tracker.progress import figures
from tracker.progress.health import Health
from tracker.progress.models import Evidence, ProgressReport, ReportingPeriod, ReportStatus
from tracker.signatures.models import SignatureCheck
from tracker.signatures.validation import worst_signature


@dataclass
class IndicatorRow:
    name: str
    unit: str
    baseline: Decimal
    target: Decimal
    target_on: date | None
    actual: Decimal | None
    actual_on: date | None
    #: When it should reach its target (`rules.indicator_end`).
    end_on: date
    series: list[tuple[date, Decimal]] = field(default_factory=list)
    commitment_code: str = ""

    @property
    def reached(self) -> bool:
        return figures.reached(self.actual, self.baseline, self.target)


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
    #: The area's counts, completion and money (`figures.Tally.plain`).
    summary: dict


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
    #: The status of the file's digital signatures (a SignatureStatus value; "" when the file is
    #: no PDF or was not checked) and who signed (the signature the status is about).
    signature: str = ""
    signer: str | None = None


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
    #: The day every figure is judged as of: the end of the range.
    as_of: date
    areas: list[AreaRow]
    #: The agreement's counts, completion and money (`figures.Tally.plain`).
    total: dict
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
    """Everything verified about an agreement as of the end of the range (spending and indicator
    series from `date_from`), with the figures of `tracker.progress.figures`."""
    areas = db.session.scalars(
        sa.select(Area)
        .where(Area.agreement_id == agreement.id)
        .order_by(Area.position, Area.id)
        .options(selectinload(Area.commitments).selectinload(Commitment.support_units))
    ).all()
    as_of = rules.as_of_for(agreement, date_to)
    status = figures.commitment_status([agreement], as_of, since=date_from)
    area_tallies, total = figures.tally_areas(areas, status)
    commitment_ids = [c.id for a in areas for c in a.commitments]
    ids = commitment_ids or [-1]

    milestones = defaultdict(list)
    for cid, title, due_on, done_on in db.session.execute(
        sa.select(Milestone.commitment_id, Milestone.title, Milestone.due_on, Milestone.done_on)
        .where(Milestone.commitment_id.in_(ids))
        .order_by(Milestone.due_on, Milestone.id)
    ):
        state = rules.milestone_state(due_on, done_on, as_of)
        done = done_on if state == MilestoneStatus.met else None
        milestones[cid].append(MilestoneRow(title, due_on, done, state.value))

    series = defaultdict(list)
    latest = {i.id: i for st in status.values() for i in st.indicators}
    for ind_id, on, value in db.session.execute(
        sa.select(Measurement.indicator_id, Measurement.measured_on, Measurement.value)
        .where(
            Measurement.indicator_id.in_(list(latest) or [-1]),
            Measurement.verified.is_(True),
            Measurement.measured_on >= date_from,
            figures.measurement_counted(Measurement, as_of),
        )
        .order_by(Measurement.indicator_id, Measurement.measured_on, Measurement.id)
    ):
        series[ind_id].append((on, Decimal(value)))
    codes = {c.id: c.code for a in areas for c in a.commitments}

    today_units = {}
    area_rows = []
    for area, tally in zip(areas, area_tallies, strict=True):
        rows = []
        for c in area.commitments:
            st = status[c.id]
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
                    spent_vnd=st.spent_vnd,
                    completion=st.completion.value,
                    percent=st.percent,
                    health=st.health.value if st.health else None,
                    priority=c.priority,
                    milestones=milestones[c.id],
                    indicators=[
                        IndicatorRow(
                            name=i.name,
                            unit=i.unit,
                            baseline=Decimal(i.baseline),
                            target=Decimal(i.target),
                            target_on=i.target_on,
                            actual=Decimal(i.actual) if i.actual is not None else None,
                            actual_on=i.actual_on,
                            end_on=i.end_on,
                            series=series[i.id],
                            commitment_code=codes[c.id],
                        )
                        for i in st.indicators
                    ],
                )
            )
        area_rows.append(AreaRow(area.code, area.title, rows, tally.plain()))

    directives = [
        DirectiveRow(
            d.issued_on,
            d.issued_by,
            d.meeting,
            d.text,
            d.assignee.name,
            d.due_on,
            d.done_on if d.done_on and d.done_on <= as_of else None,
        )
        for d in db.session.scalars(
            sa.select(Directive)
            .where(Directive.agreement_id == agreement.id, Directive.issued_on <= as_of)
            .order_by(Directive.issued_on, Directive.id)
        )
    ]

    # The evidence of the verified reports of the range, read as plain columns (thousands of rows).
    unit_names = dict(db.session.execute(sa.select(Unit.id, Unit.name)).all())
    evidence = [
        EvidenceRow(
            title,
            issued_on,
            kind.value,
            unit_names.get(unit_id, ""),
            sha,
            codes[cid],
            signature=status.value if status else "",
            signer=(worst.signer or worst.organisation)
            if (worst := worst_signature(signed))
            else None,
        )
        for title, issued_on, kind, sha, unit_id, cid, status, signed in db.session.execute(
            sa.select(
                Evidence.title,
                Evidence.issued_on,
                Evidence.kind,
                Evidence.sha256,
                ProgressReport.unit_id,
                ProgressReport.commitment_id,
                SignatureCheck.status,
                SignatureCheck.signatures,
            )
            .join(ProgressReport, ProgressReport.id == Evidence.report_id)
            .outerjoin(SignatureCheck, SignatureCheck.sha256 == Evidence.sha256)
            .join(ReportingPeriod, ReportingPeriod.id == ProgressReport.period_id)
            .join(Commitment, Commitment.id == ProgressReport.commitment_id)
            .join(Agreement, Agreement.id == Commitment.agreement_id)
            .where(
                Commitment.agreement_id == agreement.id,
                ProgressReport.status == ReportStatus.verified,
                figures.report_counted(as_of),
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
        as_of=as_of,
        areas=area_rows,
        total=total.plain(),
        directives=directives,
        evidence=evidence,
    )


__all__ = ["Health", "ReviewData", "review_data"]
