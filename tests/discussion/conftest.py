"""A reporting world (two provinces, agreements in force, periods) and a submitted report."""

from decimal import Decimal

import pytest

from tests.interop import reporting_world
from tracker.agreements.models import Completion
from tracker.progress import services


@pytest.fixture
def rw(db):
    return reporting_world()


@pytest.fixture
def submitted(rw, db):
    """The Quảng Bình commitment's report of the current period, submitted by its VNPT user."""
    qb = rw["qb"]
    report = services.save_report(
        None,
        commitment=qb["commitment"],
        period=qb["current"],
        user=qb["vnpt"],
        percent_complete=40,
        completion=Completion.limited,
        spent_vnd=None,
        narrative="Đã lắp đặt 2/5 trạm BTS.",
        values={qb["indicator"].id: (Decimal(20), "Biên bản nghiệm thu")},
        milestones={},
    )
    services.submit_report(report, user=qb["vnpt"])
    db.session.commit()
    return report
