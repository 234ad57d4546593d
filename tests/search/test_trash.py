"""A record deleted to the recycle bin leaves the search; restored, it is found again."""

import sqlalchemy as sa

from tests import factories
from tracker import trash
from tracker.agreements import services as agreements
from tracker.search.queries import search
from tracker.trash.models import TrashItem


def test_a_binned_commitment_leaves_the_search_and_comes_back_when_restored(db):
    w = factories.world()
    qb = w["qb"]
    commitment = qb["commitment"]
    commitment.title = "Trung tâm giám sát an toàn thông tin"
    db.session.commit()
    assert search(qb["dic"], "giam sat an toan").total == 1

    agreements.delete_record(commitment, agreement=qb["agreement"], user=qb["dic"])
    db.session.commit()
    assert search(qb["dic"], "giam sat an toan").total == 0

    item = db.session.scalar(sa.select(TrashItem))
    trash.restore(item, user=qb["dic"])
    db.session.commit()
    [result] = search(qb["dic"], "giam sat an toan").items
    assert result.url == f"/commitments/{commitment.id}"
