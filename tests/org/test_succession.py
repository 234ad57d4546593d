"""Provinces and units carry on through renames and mergers (1 July 2025)."""

from datetime import date

from tests import factories
from tracker.agreements.permissions import can_view_agreement
from tracker.auth.models import Role
from tracker.auth.permissions import province_scope, unit_acts_for
from tracker.org.models import ChangeKind, Side, UnitKind


def _merged_provinces():
    quang_tri = factories.province("Quảng Trị", code="quang-tri")
    quang_binh = factories.province(
        "Quảng Bình",
        code="quang-binh",
        valid_to=date(2025, 6, 30),
        successor=quang_tri,
        change_kind=ChangeKind.merged,
    )
    return quang_binh, quang_tri


def test_unit_current_follows_the_chain_of_successors():
    qb, qt = _merged_provinces()
    dost_qt = factories.unit(qt, kind=UnitKind.dic, name="Sở Khoa học và Công nghệ tỉnh Quảng Trị")
    dost_qb = factories.unit(
        qb,
        kind=UnitKind.dic,
        valid_from=date(2025, 3, 1),
        valid_to=date(2025, 6, 30),
        successor=dost_qt,
        change_kind=ChangeKind.merged,
    )
    dic_qb = factories.unit(
        qb,
        kind=UnitKind.dic,
        valid_to=date(2025, 2, 28),
        successor=dost_qb,
        change_kind=ChangeKind.merged,
    )
    assert dic_qb.current(date(2026, 1, 1)) is dost_qt
    assert dic_qb.current(date(2025, 4, 1)) is dost_qb
    assert dic_qb.current(date(2024, 12, 31)) is dic_qb
    assert not dic_qb.is_valid_on(date(2025, 3, 1))
    assert dost_qt.is_valid_on(date(2030, 1, 1))


def test_a_successor_cycle_does_not_loop_forever():
    p = factories.province()
    a = factories.unit(p, valid_to=date(2020, 1, 1))
    b = factories.unit(p, valid_to=date(2020, 1, 1), successor=a)
    a.successor = b
    assert a.current(date(2026, 1, 1)) in (a, b)


def test_users_of_the_successor_province_see_the_predecessor_agreements(db):
    qb, qt = _merged_provinces()
    other = factories.province("Vĩnh Long", code="vinh-long")
    dost_qt = factories.unit(qt, kind=UnitKind.dic)
    user = factories.user(Role.dic, dost_qt)
    old = factories.agreement(qb, code="QB-2015")
    elsewhere = factories.agreement(other, code="VL-2017")
    assert province_scope(user) == {qb.id, qt.id}
    assert can_view_agreement(user, old)
    assert not can_view_agreement(user, elsewhere)


def test_a_successor_unit_acts_for_the_unit_a_commitment_was_made_with():
    qb, qt = _merged_provinces()
    branch_qt = factories.unit(qt, side=Side.vnpt, kind=UnitKind.vnpt_branch, name="VNPT Quảng Trị")
    branch_qb = factories.unit(
        qb,
        side=Side.vnpt,
        kind=UnitKind.vnpt_branch,
        name="VNPT Quảng Bình",
        valid_to=date(2025, 6, 30),
        successor=branch_qt,
        change_kind=ChangeKind.merged,
    )
    stranger = factories.unit(qt, side=Side.vnpt, kind=UnitKind.vnpt_branch)
    assert unit_acts_for(factories.user(Role.vnpt, branch_qt), branch_qb)
    assert unit_acts_for(factories.user(Role.vnpt, branch_qb), branch_qb)
    assert not unit_acts_for(factories.user(Role.vnpt, stranger), branch_qb)


def test_agreement_page_shows_who_carries_a_unit_on_today(client, auth, db):
    qb, qt = _merged_provinces()
    branch_qt = factories.unit(qt, side=Side.vnpt, kind=UnitKind.vnpt_branch, name="VNPT Quảng Trị")
    branch_qb = factories.unit(
        qb,
        side=Side.vnpt,
        kind=UnitKind.vnpt_branch,
        name="VNPT Quảng Bình",
        valid_to=date(2025, 6, 30),
        successor=branch_qt,
        change_kind=ChangeKind.merged,
    )
    agreement = factories.agreement(qb, code="QB-2015")
    commitment = factories.commitment(factories.area(agreement, code="I"), branch_qb, code="1.1")
    agreement.units = [branch_qb]
    dic = factories.user(Role.dic, factories.unit(qt, kind=UnitKind.dic))
    db.session.commit()
    auth.login(dic.email)
    page = client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert "VNPT Quảng Bình" in page
    assert "nay: VNPT Quảng Trị" in page
    # The commitment still points at the unit it was made with.
    db.session.expire_all()
    assert db.session.get(type(commitment), commitment.id).lead_unit_id == branch_qb.id
