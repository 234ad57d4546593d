"""The health rule on its edges (docs/health.md)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.agreements.models import Completion
from tracker.progress.health import CommitmentFacts, Health, IndicatorFacts, health

TODAY = date(2024, 6, 1)


def facts(**kw):
    base = dict(
        completion=Completion.limited,
        due_on=date(2025, 12, 31),
        milestones_met=1,
        last_verified_on=TODAY - timedelta(days=30),
    )
    base.update(kw)
    return CommitmentFacts(**base)


def indicator(actual, *, baseline=0, target=100, start=date(2024, 1, 1), end=date(2024, 12, 31)):
    return IndicatorFacts(
        baseline=Decimal(baseline),
        target=Decimal(target),
        actual=None if actual is None else Decimal(actual),
        starts_on=start,
        target_on=end,
    )


def test_complete_is_done_even_when_late():
    assert (
        health(facts(completion=Completion.complete, due_on=TODAY - timedelta(days=9)), TODAY)
        == Health.done
    )


def test_withdrawn_has_no_health():
    assert health(facts(completion=Completion.withdrawn), TODAY) is None


@pytest.mark.parametrize(("days", "expected"), [(-1, Health.late), (0, Health.on_track)])
def test_due_date_edge(days, expected):
    assert health(facts(due_on=TODAY + timedelta(days=days)), TODAY) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [(-1, Health.late), (0, Health.at_risk), (7, Health.at_risk), (8, Health.on_track)],
)
def test_milestone_due_soon_and_late(days, expected):
    assert health(facts(milestone_due_dates=[TODAY + timedelta(days=days)]), TODAY) == expected


def test_nothing_verified_is_not_started():
    assert (
        health(
            facts(completion=Completion.not_started, milestones_met=0, last_verified_on=None), TODAY
        )
        == Health.not_started
    )


def test_not_started_but_past_due_is_late():
    assert (
        health(
            facts(
                completion=Completion.not_started,
                milestones_met=0,
                last_verified_on=None,
                due_on=TODAY - timedelta(days=1),
            ),
            TODAY,
        )
        == Health.late
    )


def test_indicator_tolerance_edge():
    # 1 Jan → 31 Dec 2024; on 1 June 152/365 of the year has passed: expected ≈ 41.6 of 100.
    expected = Decimal(152) / Decimal(365) * 100
    just_inside = (expected - 15).quantize(Decimal("0.01")) + Decimal("0.01")
    just_outside = (expected - 15).quantize(Decimal("0.01")) - Decimal("0.01")
    assert health(facts(indicators=[indicator(just_inside)]), TODAY) == Health.on_track
    assert health(facts(indicators=[indicator(just_outside)]), TODAY) == Health.at_risk


def test_indicator_without_verified_value_is_not_judged():
    assert health(facts(indicators=[indicator(None)]), TODAY) == Health.on_track


def test_decreasing_indicator():
    # From 100 down to 0: on 1 June about 41.6% of the way should be done (value ≈ 58.4).
    assert (
        health(facts(indicators=[indicator(60, baseline=100, target=0)]), TODAY) == Health.on_track
    )
    assert (
        health(facts(indicators=[indicator(80, baseline=100, target=0)]), TODAY) == Health.at_risk
    )


@pytest.mark.parametrize(("age", "expected"), [(184, Health.on_track), (185, Health.at_risk)])
def test_stale_last_report(age, expected):
    assert health(facts(last_verified_on=TODAY - timedelta(days=age)), TODAY) == expected
