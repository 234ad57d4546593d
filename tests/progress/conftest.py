"""A reporting world: the two-province world with its agreements in force around today."""

from datetime import timedelta

import pytest

from tests import factories
from tracker.agreements.models import AgreementStatus
from tracker.db import local_today
from tracker.extensions import db as _db
from tracker.progress import services


@pytest.fixture
def rw(db):
    w = factories.world()
    today = local_today()
    for key in ("qb", "vl"):
        agreement = w[key]["agreement"]
        agreement.period_start = today - timedelta(days=400)
        agreement.period_end = today + timedelta(days=3 * 365)
        agreement.signed_on = agreement.period_start
        agreement.status = AgreementStatus.in_force
        w[key]["milestone"].due_on = today + timedelta(days=60)
        _db.session.flush()
        periods = services.generate_periods(agreement)
        w[key]["periods"] = periods
        w[key]["current"] = next(p for p in periods if p.starts_on <= today <= p.deadline_on)
        w[key]["old"] = next(p for p in periods if p.deadline_on < today)
    _db.session.commit()
    return w
