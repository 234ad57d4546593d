"""The one module that computes every figure, judged as of a date (docs/health.md)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests import factories
from tracker.agreements import rules
from tracker.agreements.models import AgreementStatus, Completion, Measurement, PeriodKind
from tracker.clock import local_today
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.org.models import UnitKind
from tracker.progress import figures
from tracker.progress.health import Health
from tracker.progress.models import ProgressReport, ReportingPeriod, ReportStatus


@pytest.fixture
def one(db):
    """An agreement 2020–2025 in force, one area, one commitment due at the end."""
    p = factories.province()
    unit = factories.unit(p, kind=UnitKind.dic)
    agreement = factories.agreement(
        p, status=AgreementStatus.in_force, reporting_frequency=PeriodKind.year
    )
    area = factories.area(agreement, code="I")
    c = factories.commitment(area, unit, code="1.1", due_on=date(2025, 12, 31))
    return {"agreement": agreement, "area": area, "commitment": c, "unit": unit}


def period(agreement, year, *, ends_on=None):
    return factories._add(
        ReportingPeriod(
            agreement=agreement,
            kind=PeriodKind.year,
            year=year,
            number=1,
            starts_on=date(year - 1, 12, 15),
            ends_on=ends_on or date(year, 12, 14),
            deadline_on=date(year + 1, 1, 10),
        )
    )


def verified(c, on_period, *, percent, completion=Completion.substantial, spent=None, at=None):
    return factories._add(
        ProgressReport(
            commitment=c,
            period=on_period,
            status=ReportStatus.verified,
            percent_complete=percent,
            completion=completion,
            spent_vnd=spent,
            verified_at=at or datetime(on_period.ends_on.year + 1, 1, 20, tzinfo=UTC),
        )
    )


def status_on(one, day):
    return figures.commitment_status([one["agreement"]], day)[one["commitment"].id]


# -- the as-of date ---------------------------------------------------------------------------------


def test_an_agreement_in_force_is_judged_today_a_closed_one_at_its_end(one):
    agreement = one["agreement"]
    assert rules.as_of_for(agreement) == local_today()
    assert rules.as_of_for(agreement, date(2022, 6, 30)) == date(2022, 6, 30)
    agreement.status = AgreementStatus.closed
    assert rules.as_of_for(agreement) == date(2025, 12, 31)
    # Asked for a day after its end: a closed agreement stops at its end.
    assert rules.as_of_for(agreement, date(2026, 3, 1)) == date(2025, 12, 31)
    # Never later than today, even for a closed agreement whose period is not over.
    assert rules.as_of_for(agreement, today=date(2024, 5, 1)) == date(2024, 5, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("30/06/2024", "không phải là một ngày"),
        ("2024-02-30", "không phải là một ngày"),
        ("<script>", "không phải là một ngày"),
        ("2999-01-01", "tương lai"),
    ],
)
def test_a_bad_as_of_is_refused_with_a_clear_message(app, value, message):
    with app.test_request_context():
        with pytest.raises(InvalidValue) as refusal:
            figures.parse_as_of(value)
        assert refusal.value.field == "as_of" and message in str(refusal.value.message)
        assert figures.asked_as_of(value)[0] is None
    assert figures.parse_as_of("") is None and figures.parse_as_of("2024-06-30") == date(
        2024, 6, 30
    )


# -- milestones, completion and money as of a date -----------------------------------------------------


def test_milestones_before_and_after_their_dates(one):
    c = one["commitment"]
    factories.milestone(c, due_on=date(2021, 6, 30), done_on=date(2021, 9, 1))
    factories.milestone(c, due_on=date(2022, 6, 30))
    before = status_on(one, date(2021, 6, 30))  # due that very day: not late yet
    assert (before.milestones_total, before.milestones_met, before.milestones_late) == (2, 0, 0)
    assert before.health == Health.not_started  # nothing met, nothing verified
    late = status_on(one, date(2021, 7, 1))
    assert (late.milestones_met, late.milestones_late, late.health) == (0, 1, Health.late)
    met = status_on(one, date(2021, 9, 1))  # met on that day: counted that day
    assert (met.milestones_met, met.milestones_late, met.health) == (1, 0, Health.on_track)
    soon = status_on(one, date(2022, 6, 23))  # the next milestone in 7 days
    assert soon.health == Health.at_risk
    assert status_on(one, date(2022, 7, 1)).health == Health.late
    assert rules.milestone_state(date(2022, 6, 30), None, date(2022, 6, 30)).value == "scheduled"
    assert rules.milestone_state(date(2022, 6, 30), None, date(2022, 7, 1)).value == "not_met"


def test_completion_and_spending_are_those_of_the_reports_counted_by_the_date(one):
    agreement, c = one["agreement"], one["commitment"]
    verified(c, period(agreement, 2021), percent=30, spent=1_000_000)
    last = verified(
        c, period(agreement, 2022), percent=100, completion=Completion.complete, spent=500_000
    )
    c.completion, c.percent_complete = last.completion, last.percent_complete  # as verify does
    db.session.flush()
    assert status_on(one, date(2021, 12, 13)).percent == 0  # before the first report
    assert status_on(one, date(2021, 12, 13)).health == Health.not_started
    mid = status_on(one, date(2022, 6, 30))
    assert (mid.percent, mid.completion, mid.spent_vnd) == (30, Completion.substantial, 1_000_000)
    assert mid.last_verified_on == date(2021, 12, 14)
    end = status_on(one, date(2022, 12, 14))
    assert (end.health, end.percent, end.spent_vnd) == (Health.done, 100, 1_500_000)
    # A review of 2022 only counts the spending of 2022.
    since = figures.commitment_status([agreement], date(2022, 12, 31), since=date(2022, 1, 1))
    assert since[c.id].spent_vnd == 500_000
    assert status_on(one, None).health == Health.done  # today: the recorded completion


def test_a_report_verified_early_counts_from_its_verification(one):
    agreement, c = one["agreement"], one["commitment"]
    verified(c, period(agreement, 2023), percent=60, at=datetime(2023, 10, 2, 3, tzinfo=UTC))
    assert status_on(one, date(2023, 10, 1)).percent == 0
    assert status_on(one, date(2023, 10, 2)).percent == 60  # 10:00 in Hà Nội on the 2nd


def test_a_closed_agreement_is_judged_at_its_end_with_its_last_window_cut_there(one):
    agreement, c = one["agreement"], one["commitment"]
    agreement.status = AgreementStatus.closed
    # The last window runs past the agreement's end; its report describes the end.
    last = period(agreement, 2026, ends_on=date(2026, 12, 14))
    verified(c, last, percent=100, completion=Completion.complete, at=datetime(2027, 1, 5))
    c.completion, c.percent_complete = Completion.complete, 100
    factories.milestone(c, due_on=date(2025, 6, 30))  # never met
    db.session.flush()
    result = figures.agreement_figures(agreement)
    assert result.as_of == date(2025, 12, 31)
    assert result.status[c.id].health == Health.done
    assert result.status[c.id].milestones_late == 1
    assert result.total.health["done"] == 1 and result.total.count == 1


# -- indicators: the ±15 % rule and one end date --------------------------------------------------------


def measure(indicator, on, value):
    factories._add(
        Measurement(indicator=indicator, measured_on=on, value=Decimal(value), verified=True)
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("36", Health.on_track), ("35", Health.on_track), ("34", Health.at_risk)],
)
def test_an_indicator_more_than_15_points_behind_its_pro_rata_target_is_at_risk(
    one, value, expected
):
    agreement, c = one["agreement"], one["commitment"]
    agreement.period_start = date(2024, 1, 1)
    ind = factories.indicator(c, baseline=0, target=100, target_on=date(2024, 12, 31))
    factories.milestone(c, due_on=date(2024, 1, 31), done_on=date(2024, 1, 31))
    measure(ind, date(2024, 6, 1), value)
    # Half-way on 2024-07-01 (182 of 365 days): 49.9 % expected, 15 points of tolerance.
    assert status_on(one, date(2024, 7, 1)).health == expected


def test_an_indicator_ends_at_its_target_date_else_its_commitments_due_date_else_the_period(one):
    agreement, c = one["agreement"], one["commitment"]
    c.due_on = date(2023, 12, 31)
    own = factories.indicator(c, name="a", target_on=date(2022, 12, 31))
    by_due = factories.indicator(c, name="b")
    db.session.flush()
    rows = {i.name: i for i in status_on(one, date(2022, 1, 1)).indicators}
    assert rows["a"].end_on == date(2022, 12, 31) and rows["b"].end_on == date(2023, 12, 31)
    assert rules.indicator_end(None, None, agreement.period_end) == date(2025, 12, 31)
    assert own.id and by_due.id


def test_a_measurement_after_the_date_does_not_count(one):
    ind = factories.indicator(one["commitment"], baseline=0, target=100)
    measure(ind, date(2022, 1, 1), "10")
    measure(ind, date(2023, 1, 1), "60")
    (row,) = status_on(one, date(2022, 12, 31)).indicators
    assert (row.actual, row.actual_on, row.reached) == (Decimal(10), date(2022, 1, 1), False)
    (row,) = status_on(one, date(2023, 1, 1)).indicators
    assert row.actual == Decimal(60)


# -- tallies, budgets and the plain summary ------------------------------------------------------------


def test_unknown_budgets_stay_unknown_and_withdrawn_commitments_are_not_counted(one):
    agreement, area, unit = one["agreement"], one["area"], one["unit"]
    summary = figures.agreement_summary(agreement, date(2022, 1, 1))
    assert summary["planned_vnd"] is None and summary["areas"][0]["planned_vnd"] is None
    factories.commitment(area, unit, code="1.2", budget_vnd=7_000_000_000)
    factories.commitment(area, unit, code="1.3", completion=Completion.withdrawn, budget_vnd=1)
    db.session.flush()
    summary = figures.agreement_summary(agreement, date(2022, 1, 1))
    assert summary["as_of"] == "2022-01-01"
    assert summary["planned_vnd"] == 7_000_000_001  # a known budget is a budget
    assert summary["commitments"] == 2  # the withdrawn one has no health
    assert summary["health"] == {
        "done": 0,
        "on_track": 0,
        "at_risk": 0,
        "late": 0,
        "not_started": 2,
    }
    assert summary["spent_vnd"] == 0 and summary["percent"] == 0


def test_reporting_compliance_counts_reports_submitted_by_the_date(one):
    agreement, c = one["agreement"], one["commitment"]
    p = period(agreement, 2022)
    factories._add(
        ProgressReport(
            commitment=c,
            period=p,
            status=ReportStatus.submitted,
            submitted_at=datetime(2022, 12, 20, 2, tzinfo=UTC),
        )
    )
    result = figures.agreement_figures(agreement, date(2022, 12, 19))
    assert result.period.id == p.id
    assert [(r.expected, r.reported, r.verified) for r in result.compliance] == [(1, 0, 0)]
    result = figures.agreement_figures(agreement, date(2022, 12, 20))
    assert [(r.expected, r.reported, r.percent) for r in result.compliance] == [(1, 1, 100)]
    summary = figures.agreement_summary(agreement, date(2022, 12, 20))
    assert summary["reporting"]["units"][0]["reported"] == 1


def test_a_value_from_a_report_verified_early_counts_from_its_verification(one):
    agreement, c = one["agreement"], one["commitment"]
    ind = factories.indicator(c, baseline=0, target=100)
    report = verified(
        c, period(agreement, 2023), percent=60, at=datetime(2023, 10, 2, 3, tzinfo=UTC)
    )
    factories._add(
        Measurement(
            indicator=ind,
            measured_on=date(2023, 12, 14),  # a report's values are dated at its window's end
            value=Decimal(75),
            verified=True,
            report_id=report.id,
        )
    )
    assert status_on(one, date(2023, 10, 1)).indicators[0].actual is None
    assert status_on(one, date(2023, 10, 2)).indicators[0].actual == Decimal(75)
