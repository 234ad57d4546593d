"""Reporting periods of the Vietnamese reporting regime (Decree 09/2019/NĐ-CP, Article 12):
data are cut off from the 15th of the month before the period to the 14th of its last month."""

from dataclasses import dataclass
from datetime import date, timedelta

from tracker.agreements.models import PeriodKind


@dataclass(frozen=True)
class Window:
    """A period's identity and its cut-off window."""

    kind: PeriodKind
    year: int
    number: int
    starts_on: date
    ends_on: date


def window(kind: PeriodKind, year: int, number: int) -> Window:
    """The cut-off window: Q1 15/12 (previous year) – 14/3, H1 15/12 – 14/6, year 15/12 – 14/12."""
    months = {PeriodKind.quarter: 3, PeriodKind.half_year: 6, PeriodKind.year: 12}[kind]
    last_month = number * months
    first_month = last_month - months + 1
    start_year, start_month = (year - 1, 12) if first_month == 1 else (year, first_month - 1)
    return Window(kind, year, number, date(start_year, start_month, 15), date(year, last_month, 14))


#: A window that shares fewer days than this with the agreement's period is left out (the last
#: days of an agreement are covered by its final review, not by a report due months later).
MIN_OVERLAP_DAYS = 31


def windows_between(kind: PeriodKind, start: date, end: date) -> list[Window]:
    """The windows of a kind that cover [start, end], in order: every window sharing at least
    MIN_OVERLAP_DAYS with it, and always the one containing the start."""
    per_year = {PeriodKind.quarter: 4, PeriodKind.half_year: 2, PeriodKind.year: 1}[kind]
    result = []
    for year in range(start.year, end.year + 2):
        for number in range(1, per_year + 1):
            w = window(kind, year, number)
            overlap = (min(w.ends_on, end) - max(w.starts_on, start)).days + 1
            if overlap >= MIN_OVERLAP_DAYS or w.starts_on <= start <= w.ends_on:
                result.append(w)
    return result


def deadline(w: Window, days_after: int) -> date:
    """The submission deadline: some days after the cut-off."""
    return w.ends_on + timedelta(days=days_after)


def resubmission_ends(returned_on: date, grace_days: int) -> date:
    """The last day a report returned on `returned_on` may still be corrected and resubmitted."""
    return returned_on + timedelta(days=grace_days)
