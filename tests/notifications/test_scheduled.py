"""Scheduled notices: a milestone or report due within 7 days or just overdue, a period opening
or about to lock; made once per user and occasion however often the scan runs."""

from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.notifications import notified_world, told
from tests.progress import period
from tracker.clock import local_today
from tracker.notifications import services
from tracker.notifications.models import Delivery, Notification, NotificationKind
from tracker.notifications.scheduled import scan_notices

REPORTERS_QB = ["dic.qb@example.vn", "dic2.qb@example.vn", "vnpt.qb@example.vn"]


def test_a_milestone_due_within_7_days_is_noticed_once(db):
    w = notified_world()
    today = local_today()
    factories.milestone(
        w["qb"]["commitment"], title="Lắp đặt 5 trạm BTS", due_on=today + timedelta(days=5)
    )
    factories.milestone(w["qb"]["commitment"], title="Khảo sát", due_on=today + timedelta(days=9))
    db.session.commit()
    assert scan_notices(today) == 3
    db.session.commit()
    # The lead branch's and the supporting DIC's users; not the other branch, not Vĩnh Long.
    assert told() == {"milestone_due": REPORTERS_QB}
    # Again the same day, and the next: nothing new.
    assert scan_notices(today) == 0
    assert scan_notices(today + timedelta(days=1)) == 0
    # Milestones due are gathered in the digest unless the user chooses otherwise.
    assert {n.delivery for n in db.session.scalars(sa.select(Notification))} == {Delivery.digest}
    # Four days later the second one comes within 7 days.
    assert scan_notices(today + timedelta(days=2)) == 3


def test_an_overdue_milestone_is_noticed_once_but_old_ones_are_not_replayed(db):
    w = notified_world()
    today = local_today()
    factories.milestone(w["qb"]["commitment"], title="Nghiệm thu", due_on=today - timedelta(days=1))
    factories.milestone(w["qb"]["commitment"], title="Cũ", due_on=today - timedelta(days=40))
    db.session.commit()
    assert scan_notices(today) == 3
    db.session.commit()
    assert told() == {"milestone_overdue": REPORTERS_QB}
    n = db.session.scalars(sa.select(Notification)).first()
    assert n.delivery == Delivery.immediately and n.dedupe_key.startswith("milestone-overdue:")
    assert scan_notices(today + timedelta(days=3)) == 0


def test_a_report_due_soon_and_a_period_opening_and_about_to_lock(db):
    w = notified_world()
    today = local_today()
    qb = w["qb"]
    soon = period(
        qb["agreement"],
        starts_on=today - timedelta(days=2),
        ends_on=today - timedelta(days=1),
        deadline_on=today + timedelta(days=3),
    )
    db.session.commit()
    assert scan_notices(today) > 0
    db.session.commit()
    everyone = told()
    assert everyone["report_due"] == REPORTERS_QB
    assert everyone["period_opening"] == REPORTERS_QB
    # Those still without a report, and the DIC verifiers (who may reopen it).
    assert everyone["period_locking"] == REPORTERS_QB
    keys = set(db.session.scalars(sa.select(Notification.dedupe_key)))
    assert f"period-opening:{soon.id}:{soon.starts_on.isoformat()}" in keys
    assert f"report-due:{qb['commitment'].id}:{soon.id}:{soon.deadline_on.isoformat()}" in keys
    assert scan_notices(today) == 0


def test_a_user_who_turned_a_kind_off_gets_no_notice(db):
    w = notified_world()
    today = local_today()
    services.set_preferences(w["qb"]["vnpt"], {NotificationKind.milestone_due: Delivery.off})
    factories.milestone(w["qb"]["commitment"], title="Lắp đặt", due_on=today + timedelta(days=2))
    db.session.commit()
    scan_notices(today)
    db.session.commit()
    assert told("milestone_due") == ["dic.qb@example.vn", "dic2.qb@example.vn"]
