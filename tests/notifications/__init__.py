"""Helpers of the notification tests: a reporting world with a second DIC user, and who was told
what."""

from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.progress import period, quiet, sign
from tracker.agreements.models import Commitment, Completion
from tracker.auth.models import Role, User
from tracker.clock import local_today
from tracker.extensions import db
from tracker.notifications.models import Notification
from tracker.progress import services as progress
from tracker.progress.models import ReportingPeriod


def notified_world():
    """`factories.world()` with its agreements in force, an open period and a second DIC user
    of Quảng Bình (``dic2``), with nothing else to do."""
    w = quiet(factories.world())
    today = local_today()
    for key in ("qb", "vl"):
        sign(w[key]["agreement"])
        w[key]["period"] = period(
            w[key]["agreement"],
            starts_on=today - timedelta(days=40),
            ends_on=today - timedelta(days=10),
            deadline_on=today + timedelta(days=20),
        )
    w["qb"]["dic2"] = factories.user(Role.dic, w["qb"]["dic_unit"], email="dic2.qb@example.vn")
    db.session.commit()
    return w


def submitted_report(w, key="qb"):
    """A report of the world's commitment, saved and submitted by its VNPT reporter (in the
    current app context's session: the objects are loaded again by id)."""
    side = w[key]
    commitment = db.session.get(Commitment, side["commitment"].id)
    reporter = db.session.get(User, side["vnpt"].id)
    report = progress.save_report(
        None,
        commitment=commitment,
        period=db.session.get(ReportingPeriod, side["period"].id),
        user=reporter,
        percent_complete=40,
        completion=Completion.substantial,
        spent_vnd=None,
        narrative="Đã lắp đặt 3/5 trạm BTS",
        values={},
        milestones={},
    )
    progress.submit_report(report, user=reporter)
    db.session.commit()
    return report


def told(kind=None) -> dict[str, list[str]]:
    """E-mail of each user told, by kind: {kind: [email, ...]} sorted."""
    rows = db.session.execute(
        sa.select(Notification.kind, User.email)
        .join(User, User.id == Notification.user_id)
        .order_by(User.email)
    ).all()
    result: dict[str, list[str]] = {}
    for k, email in rows:
        result.setdefault(k.value, []).append(email)
    return result if kind is None else result.get(kind, [])
