"""Every figure the pages and documents show, computed here and nowhere else, judged as of a date.

The dashboards, the agreement page and the review PDF take their numbers from this module; they
only present them. A figure is always judged *as of* a stated date (docs/health.md):

- the as-of date of an agreement is today while it is in force (or draft, signed…), the end of its
  period once it is closed, never later than today (`as_of_for`);
- a review is judged as of the end of its range, which is never after the document's date;
- as of a date D only what was known on D counts: milestones met by D, verified measurements taken
  by D, verified reports whose data window (cut at the agreement's end) closed by D or that were
  verified by D, directives issued by D and done by D.

Facts about many commitments are loaded in a fixed number of SQL statements whatever their number
(the national overview has 20,000 commitments and 100,000 milestones: milestones and reports are
summed up in the database); the health rule itself is `tracker.progress.health.health`.
"""

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tracker.agreements.models import (
    Agreement,
    Commitment,
    Completion,
    Directive,
    Indicator,
    Measurement,
    Milestone,
    PeriodKind,
    directive_overdue,
    sum_known,
)
from tracker.agreements.rules import (
    as_of_for,
    indicator_end,
    milestone_late_by,
)
from tracker.clock import local_today
from tracker.collation import sort_key
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.i18n import _
from tracker.org.models import Unit
from tracker.progress.health import CommitmentFacts, Health, IndicatorFacts, health
from tracker.progress.models import ProgressReport, ReportingPeriod, ReportStatus

PERIOD_DAYS = {PeriodKind.quarter: 92, PeriodKind.half_year: 183, PeriodKind.year: 366}
#: The order the counts by health are shown in, everywhere.
HEALTHS = [h.value for h in Health]
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


# -- the as-of date -------------------------------------------------------------------------------


def parse_as_of(value: str | None, today: date | None = None) -> date | None:
    """The `?as_of=YYYY-MM-DD` of a page: None when absent; a refusal when not a date or later
    than today."""
    if not value:
        return None
    try:
        wanted = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValue(
            _("“%(value)s” is not a date: use the form day/month/year.", value=value[:20]),
            "as_of",
        ) from None
    if wanted > (today or local_today()):
        raise InvalidValue(_("Figures cannot be judged as of a day in the future."), "as_of")
    return wanted


def asked_as_of(value: str | None) -> tuple[date | None, str | None]:
    """For a page: the date asked for by `?as_of=` (None: the default), or None and the message
    saying why the value is refused (the page shows its default date with the message)."""
    try:
        return parse_as_of(value), None
    except InvalidValue as refusal:
        return None, refusal.message


def _cutoff(as_of: date) -> datetime:
    """The first instant after the as-of day, in UTC (timestamps are stored in UTC)."""
    return datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=LOCAL).astimezone(UTC)


# -- single rules -----------------------------------------------------------------------------------


def reached(actual: Decimal | None, baseline: Decimal, target: Decimal) -> bool:
    """Whether a value reaches the target (for a decreasing indicator: is at or below it)."""
    if actual is None:
        return False
    return actual >= target if target >= baseline else actual <= target


def late_milestones(agreement, as_of: date, limit: int = 50):
    """(milestone, commitment) pairs late as of the date (`milestone_state` in SQL), the most
    overdue first."""
    return db.session.execute(
        sa.select(Milestone, Commitment)
        .join(Commitment, Commitment.id == Milestone.commitment_id)
        .where(
            Commitment.agreement_id == agreement.id,
            milestone_late_by(as_of),
        )
        .options(sa.orm.selectinload(Commitment.lead_unit))
        .order_by(Milestone.due_on, Milestone.id)
        .limit(limit)
    ).all()


# -- per commitment ----------------------------------------------------------------------------------


@dataclass
class IndicatorRow:
    """An indicator with its latest verified value as of the date."""

    id: int
    commitment_id: int
    name: str
    unit: str
    baseline: Decimal
    target: Decimal
    target_on: date | None
    actual: Decimal | None = None
    actual_on: date | None = None
    #: When it should reach its target (`indicator_end`).
    end_on: date | None = None

    @property
    def reached(self) -> bool:
        return reached(self.actual, self.baseline, self.target)


@dataclass
class Status:
    """Everything the pages show about a commitment's progress as of a date."""

    health: Health | None
    completion: Completion = Completion.not_started
    percent: int = 0
    milestones_total: int = 0
    milestones_met: int = 0
    milestones_late: int = 0
    indicators: list[IndicatorRow] = field(default_factory=list)
    #: Verified spending as of the date (since the start of a review's range, for a review).
    spent_vnd: int = 0
    last_verified_on: date | None = None


def _report_on(period_end):
    """The day a verified report's figures describe: the end of its data window, cut at the
    end of the agreement (the last window of an agreement may run past it)."""
    return sa.case(
        (ReportingPeriod.ends_on > period_end, period_end), else_=ReportingPeriod.ends_on
    )


def report_counted(as_of: date):
    """SQL condition: a verified report counts as of the date (its data window, cut at the end of
    the agreement, closed by then, or it was verified by then). Needs ProgressReport,
    ReportingPeriod and Agreement in the statement."""
    return sa.or_(
        _report_on(Agreement.period_end) <= as_of, ProgressReport.verified_at < _cutoff(as_of)
    )


def measurement_counted(measurement, as_of: date):
    """SQL condition: a verified value counts as of the date (taken by then, or brought by a
    report verified by then: a report's values are dated at the end of its window)."""
    return sa.or_(
        measurement.measured_on <= as_of,
        sa.exists().where(
            ProgressReport.id == measurement.report_id,
            ProgressReport.verified_at < _cutoff(as_of),
        ),
    )


def commitment_status(
    agreements: list[Agreement], as_of: date | None = None, *, since: date | None = None
) -> dict[int, Status]:
    """Status of every commitment of the given agreements, each agreement judged as of
    `as_of_for(agreement, as_of)`; spending counted from `since` when given. A fixed number of
    queries per distinct as-of date, whatever the number of commitments."""
    today = local_today()
    groups = defaultdict(list)
    for agreement in agreements:
        groups[as_of_for(agreement, as_of, today)].append(agreement)
    result = {}
    for day, group in groups.items():
        result.update(_status_on(group, day, since, today))
    return result


def _status_on(agreements, as_of: date, since: date | None, today: date) -> dict[int, Status]:
    ids = [a.id for a in agreements]
    by_agreement = {a.id: a for a in agreements}
    # Plain column rows through the session's connection: no ORM row processing for the tens of
    # thousands of rows of a national view.
    run = db.session.connection().execute
    commitments = run(
        sa.select(
            Commitment.id,
            Commitment.agreement_id,
            Commitment.completion,
            Commitment.percent_complete,
            Commitment.due_on,
        ).where(Commitment.agreement_id.in_(ids))
    ).all()

    # Milestones summed up per commitment in the database: how many, how many met by the date,
    # how many late, and the open due dates health looks at (the earliest late one and the next).
    met = sa.and_(Milestone.done_on.is_not(None), Milestone.done_on <= as_of)
    open_ = sa.not_(met)
    late = sa.and_(open_, Milestone.due_on < as_of)
    milestones = {
        cid: (total, met_count or 0, late_count or 0, [d for d in (first_late, next_due) if d])
        for cid, total, met_count, late_count, first_late, next_due in run(
            sa.select(
                Milestone.commitment_id,
                sa.func.count(),
                sa.func.sum(sa.case((met, 1), else_=0)),
                sa.func.sum(sa.case((late, 1), else_=0)),
                sa.func.min(sa.case((late, Milestone.due_on))),
                sa.func.min(sa.case((sa.and_(open_, Milestone.due_on >= as_of), Milestone.due_on))),
            )
            .join(Commitment, Commitment.id == Milestone.commitment_id)
            .where(Commitment.agreement_id.in_(ids))
            .group_by(Milestone.commitment_id)
        )
    }

    # The latest verified value of each indicator by the date, found through the
    # (indicator_id, measured_on) index; a GROUP BY over every measurement would scan the table.
    newer = sa.orm.aliased(Measurement)
    latest_id = (
        sa.select(newer.id)
        .where(
            newer.indicator_id == Indicator.id,
            newer.verified.is_(True),
            measurement_counted(newer, as_of),
        )
        .order_by(newer.measured_on.desc(), newer.id.desc())
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

    # Verified reports: those counted by the date give the last report day and the spending;
    # the commitments with verified reports none of which counts yet are known too.
    report_on = _report_on(Agreement.period_end)
    counted = report_counted(as_of)
    spent_from = sa.and_(counted, report_on >= since) if since else counted
    verified = (
        sa.select()
        .select_from(ProgressReport)
        .join(ReportingPeriod, ReportingPeriod.id == ProgressReport.period_id)
        .join(Commitment, Commitment.id == ProgressReport.commitment_id)
        .join(Agreement, Agreement.id == Commitment.agreement_id)
        .where(Agreement.id.in_(ids), ProgressReport.status == ReportStatus.verified)
    )
    reports = {
        cid: (last_on, spent, n)
        for cid, last_on, spent, n in run(
            verified.add_columns(
                ProgressReport.commitment_id,
                sa.func.max(sa.case((counted, report_on))),
                sa.func.sum(sa.case((spent_from, ProgressReport.spent_vnd))),
                sa.func.sum(sa.case((counted, 1), else_=0)),
            ).group_by(ProgressReport.commitment_id)
        )
    }
    # Judged today, a commitment's completion is the one recorded (from its last verified
    # report); judged on an earlier day, it is the one of the last report counted by then.
    last_report = {}
    if as_of < today:
        for cid, completion, percent in run(
            verified.add_columns(
                ProgressReport.commitment_id,
                ProgressReport.completion,
                ProgressReport.percent_complete,
            )
            .where(counted)
            .order_by(ProgressReport.commitment_id, report_on, ProgressReport.id)
        ):
            last_report[cid] = (completion, percent)

    result = {}
    for cid, aid, completion, percent, due_on in commitments:
        agreement = by_agreement[aid]
        total, met_count, late_count, open_due = milestones.get(cid, (0, 0, 0, []))
        last_on, spent, n_counted = reports.get(cid, (None, None, 0))
        if as_of < today and completion != Completion.withdrawn and cid in reports:
            completion, percent = last_report.get(cid, (Completion.not_started, 0))
        if completion == Completion.complete:
            percent = 100
        rows = indicators[cid]
        for i in rows:
            i.end_on = indicator_end(i.target_on, due_on, agreement.period_end)
        facts = CommitmentFacts(
            completion=completion,
            due_on=due_on,
            milestone_due_dates=open_due,
            milestones_met=met_count,
            indicators=[
                IndicatorFacts(i.baseline, i.target, i.actual, agreement.period_start, i.end_on)
                for i in rows
            ],
            last_verified_on=last_on,
            period_days=PERIOD_DAYS[agreement.reporting_frequency],
        )
        result[cid] = Status(
            health=health(facts, as_of),
            completion=completion,
            percent=percent,
            milestones_total=total,
            milestones_met=met_count,
            milestones_late=late_count,
            indicators=rows,
            spent_vnd=int(spent or 0),
            last_verified_on=last_on,
        )
    return result


# -- tallies -------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Commitments counted by health, their average completion, planned and spent money.

    Withdrawn commitments are not counted (they have no health) but their planned budget stays
    in the planned total; an unknown budget stays unknown (None), never 0."""

    count: int = 0
    health: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HEALTHS, 0))
    percent_sum: int = 0
    planned_vnd: int | None = None
    spent_vnd: int = 0

    @property
    def percent(self) -> int:
        """Average completion of the counted commitments, in whole per cent."""
        return round(self.percent_sum / self.count) if self.count else 0

    def add(self, status: Status, budget_vnd: int | None) -> None:
        """Count one commitment."""
        self.planned_vnd = sum_known((self.planned_vnd, budget_vnd))
        self.spent_vnd += status.spent_vnd
        if status.health is None:
            return
        self.count += 1
        self.health[status.health.value] += 1
        self.percent_sum += status.percent

    def merge(self, other: "Tally") -> None:
        """Add another tally's counts (areas into an agreement, agreements into a province)."""
        self.count += other.count
        self.percent_sum += other.percent_sum
        self.planned_vnd = sum_known((self.planned_vnd, other.planned_vnd))
        self.spent_vnd += other.spent_vnd
        for key, n in other.health.items():
            self.health[key] += n

    def plain(self) -> dict:
        """The tally as plain JSON-ready values."""
        return {
            "count": self.count,
            "health": dict(self.health),
            "percent": self.percent,
            "planned_vnd": self.planned_vnd,
            "spent_vnd": self.spent_vnd,
        }


@dataclass
class AreaTally(Tally):
    """The tally of one area."""

    area_id: int = 0
    code: str = ""
    title: str = ""

    def plain(self) -> dict:
        return {"id": self.area_id, "code": self.code, "title": self.title, **super().plain()}


@dataclass
class ComplianceRow:
    """Reporting of one lead unit for the period being reported on."""

    unit_id: int
    unit_name: str
    expected: int = 0
    reported: int = 0
    verified: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.reported / self.expected) if self.expected else 0


@dataclass
class PeriodInfo:
    """The reporting period current on the as-of date."""

    id: int
    label: str
    deadline_on: date


@dataclass
class AgreementFigures:
    """An agreement's figures as of a date: per commitment, per area, in total, and reporting."""

    as_of: date
    since: date | None
    status: dict[int, Status]
    areas: list[AreaTally]
    total: Tally
    period: PeriodInfo | None = None
    compliance: list[ComplianceRow] = field(default_factory=list)


def tally_areas(areas, status: dict[int, Status]) -> tuple[list[AreaTally], Tally]:
    """Per-area tallies and their total, from the statuses of the areas' commitments."""
    rows, total = [], Tally()
    for area in areas:
        tally = AreaTally(area_id=area.id, code=area.code, title=area.title)
        for c in area.commitments:
            tally.add(status[c.id], c.budget_vnd)
        rows.append(tally)
        total.merge(tally)
    return rows, total


def agreements_overview(agreements, wanted: date | None = None) -> tuple[list[dict], int]:
    """For many agreements, each judged as of `as_of_for(agreement, wanted)`: one row per
    agreement ({"agreement", "as_of", "tally"}) and the number of directives overdue."""
    today = local_today()
    status = commitment_status(agreements, wanted)
    ids = [a.id for a in agreements] or [-1]
    tallies = defaultdict(Tally)
    for cid, aid, budget in db.session.execute(
        sa.select(Commitment.id, Commitment.agreement_id, Commitment.budget_vnd).where(
            Commitment.agreement_id.in_(ids)
        )
    ):
        tallies[aid].add(status[cid], budget)
    judged_on = {a.id: as_of_for(a, wanted, today) for a in agreements}
    rows = [{"agreement": a, "as_of": judged_on[a.id], "tally": tallies[a.id]} for a in agreements]
    overdue = sum(
        1
        for aid, issued_on, due_on, done_on in db.session.execute(
            sa.select(
                Directive.agreement_id, Directive.issued_on, Directive.due_on, Directive.done_on
            ).where(
                Directive.agreement_id.in_(ids),
                Directive.done_on.is_(None) | (Directive.done_on > Directive.due_on),
            )
        )
        if directive_overdue(issued_on, due_on, done_on, judged_on[aid])
    )
    return rows, overdue


def current_period(agreement: Agreement, as_of: date) -> ReportingPeriod | None:
    """The period being reported on as of a date: the latest whose data window has started."""
    return db.session.scalar(
        sa.select(ReportingPeriod)
        .where(
            ReportingPeriod.agreement_id == agreement.id,
            ReportingPeriod.starts_on <= as_of,
            ReportingPeriod.kind == agreement.reporting_frequency,
        )
        .order_by(ReportingPeriod.starts_on.desc())
        .limit(1)
    )


def compliance(agreement, status: dict[int, Status], as_of: date):
    """The period current on the date and, per lead unit (as carried on that date), how many of
    its counted commitments had a report submitted and verified by then; least compliant first."""
    period = current_period(agreement, as_of)
    if period is None:
        return None, []
    cutoff = _cutoff(as_of)
    reports = {
        cid: (state, submitted_at, verified_at)
        for cid, state, submitted_at, verified_at in db.session.execute(
            sa.select(
                ProgressReport.commitment_id,
                ProgressReport.status,
                ProgressReport.submitted_at,
                ProgressReport.verified_at,
            ).where(ProgressReport.period_id == period.id)
        )
    }
    units = {}
    for area in agreement.areas:
        for c in area.commitments:
            if status[c.id].health is None:
                continue
            unit = db.session.get(Unit, c.lead_unit_id).current(as_of)
            row = units.setdefault(unit.id, ComplianceRow(unit.id, unit.name))
            row.expected += 1
            state, submitted_at, verified_at = reports.get(c.id, (None, None, None))
            if state in (ReportStatus.submitted, ReportStatus.verified) and _by(
                submitted_at, cutoff
            ):
                row.reported += 1
            if state == ReportStatus.verified and _by(verified_at, cutoff):
                row.verified += 1
    rows = sorted(units.values(), key=lambda r: (r.reported / r.expected, sort_key(r.unit_name)))
    return PeriodInfo(period.id, str(period.label), period.deadline_on), rows


def _by(moment: datetime | None, cutoff: datetime) -> bool:
    if moment is None:
        return True
    if moment.tzinfo is None:  # SQLite gives back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment < cutoff


def agreement_figures(
    agreement: Agreement,
    as_of: date | None = None,
    *,
    since: date | None = None,
    with_compliance: bool = True,
) -> AgreementFigures:
    """All the figures of one agreement as of `as_of_for(agreement, as_of)`."""
    day = as_of_for(agreement, as_of)
    status = _status_on([agreement], day, since, local_today())
    areas, total = tally_areas(agreement.areas, status)
    period, rows = compliance(agreement, status, day) if with_compliance else (None, [])
    return AgreementFigures(day, since, status, areas, total, period, rows)


def agreement_summary(agreement: Agreement, as_of: date | None = None) -> dict:
    """The figures of one agreement as plain, JSON-ready data, for any entry point (pages, API,
    Excel export): the same numbers as the dashboard and the review PDF.

    `as_of` is the date asked for (None: the agreement's own as-of date, see `as_of_for`); the
    date actually used is returned as ``as_of`` (ISO 8601). Keys::

        {"code", "as_of",
         "commitments": count of commitments with a health (withdrawn ones left out),
         "health": {"done", "on_track", "at_risk", "late", "not_started": int},
         "percent": average completion (0–100),
         "planned_vnd": sum of the known planned budgets, or None when none is known,
         "spent_vnd": verified spending up to the date,
         "areas": [{"id", "code", "title", "count", "health", "percent", "planned_vnd",
                    "spent_vnd"}],
         "reporting": {"period": label or None, "deadline_on": ISO date or None,
                       "units": [{"unit", "expected", "reported", "verified", "percent"}]}}
    """
    figures = agreement_figures(agreement, as_of)
    total = figures.total.plain()
    return {
        "code": agreement.code,
        "as_of": figures.as_of.isoformat(),
        "commitments": total.pop("count"),
        **total,
        "areas": [a.plain() for a in figures.areas],
        "reporting": {
            "period": figures.period.label if figures.period else None,
            "deadline_on": figures.period.deadline_on.isoformat() if figures.period else None,
            "units": [
                {"unit": r.unit_name, **{k: v for k, v in asdict(r).items() if k != "unit_name"}}
                | {"percent": r.percent}
                for r in figures.compliance
            ],
        },
    }
