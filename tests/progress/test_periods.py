"""Reporting periods follow Decree 09/2019/NĐ-CP: cut-off from the 15th of the month before the
period to the 14th of its last month."""

from datetime import date

import pytest

from tests import factories
from tracker.agreements.models import PeriodKind
from tracker.progress import services
from tracker.progress.periods import deadline, window, windows_between


@pytest.mark.parametrize(
    ("kind", "year", "number", "start", "end"),
    [
        (PeriodKind.quarter, 2021, 1, date(2020, 12, 15), date(2021, 3, 14)),
        (PeriodKind.quarter, 2021, 2, date(2021, 3, 15), date(2021, 6, 14)),
        (PeriodKind.quarter, 2021, 4, date(2021, 9, 15), date(2021, 12, 14)),
        (PeriodKind.half_year, 2021, 1, date(2020, 12, 15), date(2021, 6, 14)),
        (PeriodKind.half_year, 2021, 2, date(2021, 6, 15), date(2021, 12, 14)),
        (PeriodKind.year, 2021, 1, date(2020, 12, 15), date(2021, 12, 14)),
    ],
)
def test_cut_off_windows(kind, year, number, start, end):
    w = window(kind, year, number)
    assert (w.starts_on, w.ends_on) == (start, end)


def test_windows_cover_the_period_without_gaps():
    windows = windows_between(PeriodKind.quarter, date(2020, 9, 24), date(2025, 9, 23))
    assert windows[0].starts_on <= date(2020, 9, 24) <= windows[0].ends_on
    # The last window ends within a month of the agreement's end; the few days after it belong to
    # the final review.
    assert 0 <= (date(2025, 9, 23) - windows[-1].ends_on).days < 31
    for a, b in zip(windows, windows[1:], strict=False):
        assert (b.starts_on - a.ends_on).days == 1
    assert len(windows) == 20


def test_deadline_is_days_after_cut_off():
    assert deadline(window(PeriodKind.year, 2021, 1), 6) == date(2021, 12, 20)


def test_generate_periods_is_idempotent(db):
    province = factories.province()
    agreement = factories.agreement(
        province,
        period_start=date(2021, 1, 1),
        period_end=date(2022, 12, 31),
        reporting_frequency=PeriodKind.half_year,
        report_deadline_days=10,
    )
    first = services.generate_periods(agreement)
    db.session.commit()
    again = services.generate_periods(agreement)
    assert [p.id for p in first] == [p.id for p in again]
    assert [(p.year, p.number) for p in first] == [(2021, 1), (2021, 2), (2022, 1), (2022, 2)]
    assert first[0].deadline_on == date(2021, 6, 24)
