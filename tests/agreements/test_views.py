"""A DIC officer records a whole agreement through the pages; search; the agreement page."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tests import factories
from tests.conftest import text_of
from tracker.agreements.models import (
    Agreement,
    Commitment,
    Completion,
    Directive,
    Indicator,
    Measurement,
    Milestone,
)
from tracker.auth.models import Role
from tracker.org.models import UnitKind


def test_dic_records_an_agreement_end_to_end(client, auth, db):
    w = factories.world()
    qb = w["qb"]
    auth.login(qb["dic"].email)
    response = client.post(
        "/agreements/new",
        data={
            "code": "QB-VNPT-2026",
            "title": "Thỏa thuận hợp tác chiến lược về VT-CNTT giai đoạn 2026 - 2030",
            "province_id": qb["province"].id,
            "partner": "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)",
            "period_start": "2026-01-01",
            "period_end": "2030-12-31",
            "vision_year": "2035",
            "legal_bases": "Nghị quyết số 36a/NQ-CP ngày 14/10/2015\n\nNghị quyết số 17/NQ-CP ngày 07/3/2019\n",
        },
    )
    assert response.status_code == 302
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2026"))
    assert agreement.legal_bases == [
        "Nghị quyết số 36a/NQ-CP ngày 14/10/2015",
        "Nghị quyết số 17/NQ-CP ngày 07/3/2019",
    ]
    assert (
        agreement.status.value == "draft" and agreement.status_changes[0].to_status.value == "draft"
    )

    assert (
        client.post(
            "/agreements/QB-VNPT-2026/areas/new", data={"code": "I", "title": "Hạ tầng VT-CNTT"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    area_id = (
        db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2026")).areas[0].id
    )
    response = client.post(
        "/agreements/QB-VNPT-2026/commitments/new",
        data={
            "area_id": area_id,
            "code": "1.1",
            "title": "Internet băng rộng cho xã biên giới",
            "committed_by": "vnpt",
            "lead_unit_id": qb["branch"].id,
            "support_unit_ids": [qb["dic_unit"].id],
            "budget_vnd": "7.000.000.000",
            "funding_source": "vnpt",
            "due_on": "2027-09-30",
            "completion": "not_started",
            "priority": "y",
        },
    )
    assert response.status_code == 302
    commitment = db.session.scalar(
        sa.select(Commitment).where(Commitment.code == "1.1", Commitment.area_id == area_id)
    )
    assert commitment.budget_vnd == 7_000_000_000 and commitment.priority
    assert [u.id for u in commitment.support_units] == [qb["dic_unit"].id]

    cid = commitment.id
    assert (
        client.post(
            f"/commitments/{cid}/milestones/new",
            data={"title": "Khánh thành hệ thống", "due_on": "2027-09-17", "status": "scheduled"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/commitments/{cid}/indicators/new",
            data={
                "name": "Số trạm BTS được kết nối",
                "unit": "trạm",
                "baseline": "0",
                "target": "5",
                "direction": "increase",
            },
        ).status_code
        == 302
    )
    indicator = db.session.scalar(sa.select(Indicator).where(Indicator.commitment_id == cid))
    assert (
        client.post(
            f"/indicators/{indicator.id}/measurements/new",
            data={"measured_on": "2026-06-30", "value": "2,5", "verified": "y"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/agreements/QB-VNPT-2026/directives/new",
            data={
                "issued_on": "2026-01-05",
                "issued_by": "Phó Chủ tịch UBND tỉnh",
                "text": "Sở KH&CN chủ trì triển khai",
                "assignee_unit_id": qb["dic_unit"].id,
                "due_on": "2026-03-31",
            },
        ).status_code
        == 302
    )

    page = text_of(client.get("/agreements/QB-VNPT-2026"))
    assert "I. Hạ tầng VT-CNTT" in page
    assert "Internet băng rộng cho xã biên giới" in page
    assert "7.000.000.000 ₫" in page.replace("\xa0", " ")
    assert "01/01/2026 – 31/12/2030" in page
    assert "định hướng đến năm 2035" in page
    assert "Sở KH&CN chủ trì triển khai" in page
    commitment_page = text_of(client.get(f"/commitments/{cid}"))
    assert "Khánh thành hệ thống" in commitment_page and "17/09/2027" in commitment_page
    assert "2,5" in commitment_page
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Milestone).where(Milestone.commitment_id == cid)
        )
        == 1
    )
    assert db.session.scalar(sa.select(Measurement.value)) == 2.5
    directives = db.session.scalars(
        sa.select(Directive).where(Directive.agreement_id == agreement.id)
    ).all()
    assert [d.due_on for d in directives] == [date(2026, 3, 31)]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("quang binh", "Quảng Bình"),
        ("QUẢNG BÌNH", "Quảng Bình"),
        ("dak lak", "Đắk Lắk"),
        ("Đắk", "Đắk Lắk"),
        ("vung tau", "Bà Rịa - Vũng Tàu"),
    ],
)
def test_search_ignores_case_and_diacritics(client, auth, db, query, found):
    names = ["Quảng Bình", "Đắk Lắk", "Bà Rịa - Vũng Tàu", "Vĩnh Long"]
    for i, name in enumerate(names):
        factories.agreement(
            factories.province(name), code=f"S-{i}", title=f"Thỏa thuận với tỉnh {name}"
        )
    admin = factories.user(Role.admin)
    db.session.commit()
    auth.login(admin.email)
    page = text_of(client.get("/agreements", query_string={"q": query}))
    assert f"Thỏa thuận với tỉnh {found}" in page
    assert sum(f"Thỏa thuận với tỉnh {n}" in page for n in names) == 1


def test_search_treats_wildcards_as_text(client, auth, db):
    factories.agreement(factories.province(), code="X-1", title="Một thỏa thuận")
    admin = factories.user(Role.admin)
    db.session.commit()
    auth.login(admin.email)
    assert "Một thỏa thuận" not in text_of(client.get("/agreements", query_string={"q": "%"}))


def test_user_text_is_escaped(client, auth, db):
    w = factories.world()
    w["qb"]["agreement"].title = '<script>alert("x")</script> & "Quảng Bình"'
    db.session.commit()
    auth.login(w["qb"]["dic"].email)
    html = client.get(f"/agreements/{w['qb']['agreement'].code}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def _count_queries(db, fn):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return len(statements)


def _grow(agreement, province, n):
    for i in range(n):
        area = factories.area(agreement, code=f"G{i}-{agreement.id}")
        for j in range(3):
            # A unit of its own for every commitment, so lazy loads of units would show up.
            lead = factories.unit(province, kind=UnitKind.department)
            c = factories.commitment(
                area, lead, code=f"{i}.{j}-{agreement.id}", support_units=[lead]
            )
            factories.milestone(c)
            ind = factories.indicator(c)
            ind.measurements = []
        factories.directive(
            agreement, lead, issued_on=date(2020, 1, 1 + i), due_on=date(2020, 2, 1)
        )


def test_agreement_page_query_count_does_not_grow_with_rows(client, auth, db):
    w = factories.world()
    small, big = w["qb"]["agreement"], w["vl"]["agreement"]
    _grow(small, w["qb"]["province"], 1)
    _grow(big, w["vl"]["province"], 8)
    db.session.commit()
    auth.login(w["admin"].email)
    n_small = _count_queries(db, lambda: client.get(f"/agreements/{small.code}"))
    n_big = _count_queries(db, lambda: client.get(f"/agreements/{big.code}"))
    assert n_small == n_big


def test_history_of_changes_reads_as_the_user_wrote_it(client, auth, db):
    """Field names, dates, amounts, yes/no, enum values and units in the history are shown as on
    the forms (Vietnamese labels, dd/mm/yyyy, đồng, names), never as stored."""
    w = factories.world()
    qb = w["qb"]
    commitment = qb["commitment"]
    commitment.due_on = date(2027, 3, 31)
    commitment.completion = Completion.substantial
    commitment.lead_unit = qb["other_branch"]
    commitment.budget_vnd = 7_000_000_000
    commitment.priority = True
    db.session.commit()
    auth.login(qb["dic"].email)
    page = text_of(client.get(f"/commitments/{commitment.id}")).replace("\xa0", " ")
    history = page[page.index("Lịch sử thay đổi") :]
    assert f"Cam kết {commitment.title} sửa đổi" in history and "Cam kết #" not in history
    # text_of leaves a space between the label's <span> and the colon.
    assert "Hạn hoàn thành : — → 31/03/2027" in history
    assert "Mức độ hoàn thành : — → Đáng kể" in history
    assert "Đơn vị chủ trì : VNPT Quảng Bình → Trung tâm Kinh doanh VNPT Quảng Bình" in history
    assert "Kinh phí dự kiến : — → 7.000.000.000 ₫" in history
    assert "Ưu tiên : — → có" in history
    assert "Hạn hoàn thành : 30/06/2021 Trạng thái : Theo kế hoạch" in history  # a milestone
    for stored in ("2027-03-31", "substantial", "lead_unit_id", "budget_vnd", "True", "False"):
        assert stored not in history, stored
