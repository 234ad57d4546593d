"""The to-do list: what is listed for whom, its boundaries, its query count and its page."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from tests import factories
from tests.conftest import text_of
from tests.progress import app_with_todo, extension, period, quiet, report, sign
from tracker.agreements.models import AgreementStatus
from tracker.auth.models import Role, User
from tracker.clock import local_today
from tracker.org.models import ChangeKind, Side, UnitKind
from tracker.progress.models import ExtensionStatus, ReportStatus
from tracker.progress.todo import ItemKind, todo_for_user

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def app(app):
    return app_with_todo(app)


def _days(n: int, today: date = TODAY) -> date:
    return today + timedelta(days=n)


def _titles(items):
    return [item.title for item in items]


# -- milestones ------------------------------------------------------------------------------------


def test_milestones_due_within_14_days_or_overdue_are_listed(db):
    w = quiet(factories.world())
    qb = w["qb"]
    c = qb["commitment"]  # led by the VNPT branch, supported by the DIC
    factories.milestone(c, title="Hạn hôm nay", due_on=TODAY)
    factories.milestone(c, title="Còn 14 ngày", due_on=_days(14))
    factories.milestone(c, title="Còn 15 ngày", due_on=_days(15))
    factories.milestone(c, title="Trễ một ngày", due_on=_days(-1))
    factories.milestone(c, title="Đã xong", due_on=_days(-3), done_on=_days(-4))
    db.session.commit()

    todo = todo_for_user(qb["vnpt"], TODAY)
    assert _titles(todo.milestones) == ["Trễ một ngày", "Hạn hôm nay", "Còn 14 ngày"]
    assert [m.overdue for m in todo.milestones] == [True, False, False]
    first = todo.milestones[0]
    assert first.kind == ItemKind.milestone and first.date == _days(-1)
    assert first.agreement_code == "QB-2020" and first.commitment_id == c.id
    assert first.unit == "VNPT Quảng Bình"
    assert todo.overdue_count == 1 and len(todo) == 3

    # The supporting unit sees them too; a unit with no part in the commitment does not.
    assert _titles(todo_for_user(qb["dic"], TODAY).milestones) == [
        "Trễ một ngày",
        "Hạn hôm nay",
        "Còn 14 ngày",
    ]
    assert todo_for_user(qb["vnpt_other"], TODAY).milestones == []
    assert todo_for_user(qb["leader"], TODAY).milestones == []


def test_calendar_horizon_lists_every_open_milestone(db):
    w = quiet(factories.world())
    factories.milestone(w["qb"]["commitment"], title="Năm sau", due_on=_days(400))
    db.session.commit()
    assert todo_for_user(w["qb"]["vnpt"], TODAY).milestones == []
    assert _titles(todo_for_user(w["qb"]["vnpt"], TODAY, horizon_days=None).milestones) == [
        "Năm sau"
    ]


def test_another_provinces_items_are_never_listed(db):
    w = quiet(factories.world())
    qb, vl = w["qb"], w["vl"]
    # Even where a Quảng Bình unit is (wrongly) named on a Vĩnh Long commitment.
    vl_c = factories.commitment(vl["area"], vl["branch"], code="9.9", support_units=[qb["branch"]])
    factories.milestone(vl_c, title="Mốc của Vĩnh Long", due_on=_days(2))
    factories.milestone(vl["commitment"], title="Mốc khác của Vĩnh Long", due_on=_days(-2))
    factories.directive(vl["agreement"], qb["branch"], text="Chỉ đạo ở Vĩnh Long", due_on=_days(1))
    sign(vl["agreement"])
    period(vl["agreement"], starts_on=_days(-30), deadline_on=_days(3))
    report(
        vl["commitment"],
        period(vl["agreement"], starts_on=_days(-90), deadline_on=_days(-20)),
        ReportStatus.submitted,
    )
    db.session.commit()

    for user in (qb["vnpt"], qb["dic"], qb["leader"]):
        assert len(todo_for_user(user, TODAY)) == 0, user.email
    assert _titles(todo_for_user(vl["vnpt"], TODAY).milestones) == [
        "Mốc khác của Vĩnh Long",
        "Mốc của Vĩnh Long",
    ]
    assert len(todo_for_user(vl["dic"], TODAY).reports_to_verify) == 1
    # Admins see every province's reviews, but have no unit items.
    admin = todo_for_user(w["admin"], TODAY)
    assert len(admin.reports_to_verify) == 1 and admin.milestones == [] and admin.directives == []


# -- directives ------------------------------------------------------------------------------------


def test_directives_of_the_unit_due_soon_overdue_or_without_due_date(db):
    w = quiet(factories.world())
    qb = w["qb"]
    a, dic_unit = qb["agreement"], qb["dic_unit"]
    factories.directive(a, dic_unit, text="Hạn 14 ngày", due_on=_days(14))
    factories.directive(a, dic_unit, text="Hạn 15 ngày", due_on=_days(15))
    factories.directive(a, dic_unit, text="Quá hạn", due_on=_days(-10))
    factories.directive(a, dic_unit, text="Không có hạn")
    factories.directive(a, dic_unit, text="Đã xong", due_on=_days(-10), done_on=_days(-11))
    factories.directive(a, qb["branch"], text="Của VNPT", due_on=_days(1))
    db.session.commit()

    todo = todo_for_user(qb["dic"], TODAY)
    assert _titles(todo.directives) == ["Quá hạn", "Hạn 14 ngày", "Không có hạn"]
    assert [d.overdue for d in todo.directives] == [True, False, False]
    assert todo.directives[2].date is None
    assert (
        todo.directives[0].unit == dic_unit.name and todo.directives[0].agreement_code == "QB-2020"
    )
    assert _titles(todo_for_user(qb["vnpt"], TODAY).directives) == ["Của VNPT"]


def test_closed_agreements_do_not_nag(db):
    w = quiet(factories.world())
    qb = w["qb"]
    factories.directive(qb["agreement"], qb["dic_unit"], text="Cũ", due_on=_days(-1))
    factories.milestone(qb["commitment"], due_on=_days(-1))
    qb["agreement"].status = AgreementStatus.closed
    db.session.commit()
    assert len(todo_for_user(qb["dic"], TODAY)) == 0


# -- successor units -------------------------------------------------------------------------------


def test_a_user_of_the_successor_unit_sees_the_predecessors_items(db):
    qt = factories.province("Quảng Trị", code="quang-tri")
    qb = factories.province(
        "Quảng Bình",
        code="quang-binh",
        valid_to=date(2025, 6, 30),
        successor=qt,
        change_kind=ChangeKind.merged,
    )
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
    agreement = sign(factories.agreement(qb, code="QB-2021", period_end=date(2026, 12, 31)))
    c = factories.commitment(factories.area(agreement, code="I"), branch_qb, code="1.1")
    factories.milestone(c, title="Mốc của VNPT Quảng Bình", due_on=_days(5))
    factories.directive(agreement, branch_qb, text="Giao VNPT Quảng Bình", due_on=_days(-5))
    p = period(agreement, starts_on=_days(-40), deadline_on=_days(6))
    successor_user = factories.user(Role.vnpt, branch_qt)
    stranger_user = factories.user(Role.vnpt, stranger)
    db.session.commit()

    todo = todo_for_user(successor_user, TODAY)
    assert _titles(todo.milestones) == ["Mốc của VNPT Quảng Bình"]
    assert _titles(todo.directives) == ["Giao VNPT Quảng Bình"] and todo.directives[0].overdue
    assert [(r.commitment_id, r.period_id) for r in todo.reports_due] == [(c.id, p.id)]
    assert len(todo_for_user(stranger_user, TODAY)) == 0


# -- reports ---------------------------------------------------------------------------------------


def test_reports_to_submit_and_their_deadlines(db):
    w = quiet(factories.world())
    qb = w["qb"]
    a = sign(qb["agreement"])
    c = qb["commitment"]
    open_ = period(a, starts_on=_days(-60), deadline_on=_days(5))
    due_today = period(a, starts_on=_days(-60), deadline_on=TODAY)
    late = period(a, starts_on=_days(-90), deadline_on=_days(-10))
    edge = period(a, starts_on=_days(-120), deadline_on=_days(-30))
    too_old = period(a, starts_on=_days(-120), deadline_on=_days(-31))
    extended = period(a, starts_on=_days(-150), deadline_on=_days(-60))
    refused = period(a, starts_on=_days(-150), deadline_on=_days(-40))
    future = period(a, starts_on=_days(1), deadline_on=_days(100))
    submitted = period(a, starts_on=_days(-60), deadline_on=_days(4))
    verified = period(a, starts_on=_days(-60), deadline_on=_days(3))
    drafted = period(a, starts_on=_days(-60), deadline_on=_days(2))
    returned = period(a, starts_on=_days(-60), deadline_on=_days(1))
    extension(c, period=extended, original_on=_days(-60), requested_on=_days(-45))
    extension(c, period=extended, original_on=_days(-45), requested_on=_days(-5))
    extension(
        c,
        period=extended,
        original_on=_days(-5),
        requested_on=_days(30),
        status=ExtensionStatus.pending,
    )
    extension(
        c,
        period=refused,
        original_on=_days(-40),
        requested_on=_days(10),
        status=ExtensionStatus.refused,
    )
    report(c, submitted, ReportStatus.submitted)
    report(c, verified, ReportStatus.verified)
    report(c, drafted, ReportStatus.draft)
    report(c, returned, ReportStatus.returned)
    db.session.commit()

    todo = todo_for_user(qb["vnpt"], TODAY)
    got = [(r.period_id, r.date, r.overdue) for r in todo.reports_due]
    assert got == [
        (edge.id, _days(-30), True),
        (late.id, _days(-10), True),
        (extended.id, _days(-5), True),  # the latest approved extension moves the deadline
        (due_today.id, TODAY, False),
        (drafted.id, _days(2), False),
        (open_.id, _days(5), False),
    ]
    listed = {r.period_id for r in todo.reports_due}
    assert not listed & {too_old.id, refused.id, future.id, submitted.id, verified.id, returned.id}
    assert all(r.commitment_id == c.id and r.title == c.title for r in todo.reports_due)
    assert todo.reports_due[0].detail  # the period's label
    # The supporting DIC reports too; a unit with no part does not.
    assert len(todo_for_user(qb["dic"], TODAY).reports_due) == 6
    assert todo_for_user(qb["vnpt_other"], TODAY).reports_due == []

    [back] = todo.reports_returned
    assert back.period_id == returned.id and back.date == _days(1) and not back.overdue
    assert todo_for_user(qb["vnpt_other"], TODAY).reports_returned == []


@pytest.mark.parametrize(
    "status,signed_on,listed",
    [
        (AgreementStatus.in_force, date(2020, 3, 1), True),
        (AgreementStatus.signed, date(2020, 3, 1), True),
        (AgreementStatus.under_review, date(2020, 3, 1), True),
        (AgreementStatus.under_review, None, False),  # the draft's review, before signing
        (AgreementStatus.draft, None, False),
        (AgreementStatus.closed, date(2020, 3, 1), False),
    ],
)
def test_reports_are_due_only_under_signed_agreements(db, status, signed_on, listed):
    w = quiet(factories.world())
    qb = w["qb"]
    qb["agreement"].status, qb["agreement"].signed_on = status, signed_on
    period(qb["agreement"], starts_on=_days(-10), deadline_on=_days(10))
    db.session.commit()
    assert bool(todo_for_user(qb["vnpt"], TODAY).reports_due) is listed


def test_dic_sees_reports_to_verify_and_pending_extensions_of_its_scope(db):
    w = quiet(factories.world())
    qb, vl = w["qb"], w["vl"]
    sign(qb["agreement"])
    sign(vl["agreement"])
    p = period(qb["agreement"], starts_on=_days(-60), deadline_on=_days(-2))
    mine = report(
        qb["commitment"],
        p,
        ReportStatus.submitted,
        submitted_by_id=qb["vnpt"].id,
        unit_id=qb["branch"].id,
    )
    other = factories.commitment(qb["area"], qb["ubnd"], code="1.2")
    own = report(other, p, ReportStatus.submitted, submitted_by_id=qb["dic"].id)
    report(
        vl["commitment"],
        period(vl["agreement"], starts_on=_days(-60), deadline_on=_days(-2)),
        ReportStatus.submitted,
    )
    pending = extension(
        qb["commitment"],
        milestone=qb["milestone"],
        original_on=_days(-1),
        requested_on=_days(20),
        status=ExtensionStatus.pending,
    )
    extension(qb["commitment"], period=p, original_on=_days(-2), requested_on=_days(3))
    extension(
        vl["commitment"],
        milestone=vl["milestone"],
        original_on=_days(3),
        requested_on=_days(20),
        status=ExtensionStatus.pending,
    )
    db.session.commit()

    todo = todo_for_user(qb["dic"], TODAY)
    # Nobody verifies their own report.
    assert [r.id for r in todo.reports_to_verify] == [mine.id]
    assert todo.reports_to_verify[0].unit == "VNPT Quảng Bình"
    assert [e.id for e in todo.extensions] == [pending.id]
    assert todo.extensions[0].detail == qb["milestone"].title and todo.extensions[0].overdue
    assert {r.id for r in todo_for_user(w["admin"], TODAY).reports_to_verify} >= {mine.id, own.id}
    assert len(todo_for_user(w["admin"], TODAY).extensions) == 2
    vnpt = todo_for_user(qb["vnpt"], TODAY)
    assert vnpt.reports_to_verify == [] and vnpt.extensions == [] and not vnpt.reviewer
    leader = todo_for_user(qb["leader"], TODAY)
    assert leader.reports_to_verify == [] and leader.extensions == []


# -- a fixed number of statements ------------------------------------------------------------------


def _grow(w, n, prefix):
    qb = w["qb"]
    a = qb["agreement"]
    for i in range(n):
        area = factories.area(a, code=f"{prefix}{i}")
        c = factories.commitment(
            area, qb["branch"], code=f"{prefix}{i}.1", support_units=[qb["dic_unit"]]
        )
        m = factories.milestone(c, due_on=_days(3))
        factories.milestone(c, due_on=_days(-3))
        factories.directive(a, qb["branch"], due_on=TODAY)
        factories.directive(a, qb["dic_unit"])
        p1 = period(a, starts_on=_days(-60), deadline_on=_days(2))
        p2 = period(a, starts_on=_days(-90), deadline_on=_days(-20))
        report(c, p1, ReportStatus.returned)
        report(c, p2, ReportStatus.submitted)
        extension(c, period=p2, original_on=_days(-20), requested_on=_days(-1))
        extension(
            c,
            milestone=m,
            original_on=_days(3),
            requested_on=_days(30),
            status=ExtensionStatus.pending,
        )
    factories.db.session.commit()


def _statements(app, db, user_id):
    """(statements, items) of one to-do list, in a fresh app context (no cached scope)."""
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        user = db.session.get(User, user_id)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            todo = todo_for_user(user, TODAY)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements), len(todo)


def test_query_count_does_not_grow_with_rows(app, db):
    w = quiet(factories.world())
    sign(w["qb"]["agreement"])
    _grow(w, 1, "A")
    users = {"vnpt": w["qb"]["vnpt"].id, "dic": w["qb"]["dic"].id, "admin": w["admin"].id}
    before = {role: _statements(app, db, uid) for role, uid in users.items()}
    _grow(w, 4, "B")
    after = {role: _statements(app, db, uid) for role, uid in users.items()}
    for role in users:
        assert after[role][1] > before[role][1], role
        assert after[role][0] == before[role][0], (role, before[role], after[role])
    # One statement per section (the decisions on one's extension requests included).
    assert after["dic"][0] <= 10


# -- the page --------------------------------------------------------------------------------------


def test_todo_page_lists_the_items_with_links(client, auth, db):
    today = local_today()
    w = quiet(factories.world())
    qb = w["qb"]
    a = sign(qb["agreement"])
    c = qb["commitment"]
    factories.milestone(c, title="Khánh thành trạm BTS", due_on=today - timedelta(days=2))
    factories.directive(
        a, qb["branch"], text="VNPT báo cáo tiến độ", due_on=today + timedelta(days=3)
    )
    p = period(a, starts_on=today - timedelta(days=30), deadline_on=today + timedelta(days=6))
    back = report(
        c,
        period(a, starts_on=today - timedelta(days=60), deadline_on=today + timedelta(days=1)),
        ReportStatus.returned,
    )
    db.session.commit()

    auth.login(qb["vnpt"].email)
    response = client.get("/todo")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert "Khánh thành trạm BTS" in text and "VNPT báo cáo tiến độ" in text
    assert f'href="/commitments/{c.id}#milestones"' in html
    assert 'href="/agreements/QB-2020#directives"' in html
    assert f'href="/commitments/{c.id}/reports/{p.id}"' in html
    assert f'href="/reports/{back.id}"' in html
    assert (today - timedelta(days=2)).strftime("%d/%m/%Y") in text
    assert 'class="overdue"' in html and "quá hạn" in text
    assert "Mốc tiến độ" in text and "Ý kiến chỉ đạo" in text  # section titles already translated


def test_todo_page_for_the_dic_links_reviews(client, auth, db):
    w = quiet(factories.world())
    qb = w["qb"]
    a = sign(qb["agreement"])
    p = period(a, starts_on=date(2026, 1, 1), deadline_on=date(2026, 2, 1))
    r = report(qb["commitment"], p, ReportStatus.submitted)
    e = extension(
        qb["commitment"],
        milestone=qb["milestone"],
        original_on=date(2026, 1, 1),
        requested_on=date(2026, 3, 1),
        status=ExtensionStatus.pending,
    )
    db.session.commit()
    auth.login(qb["dic"].email)
    html = client.get("/todo").get_data(as_text=True)
    assert f'href="/reports/{r.id}"' in html and f'href="/extensions/{e.id}"' in html


def test_todo_page_needs_sign_in(client):
    response = client.get("/todo")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
