"""Status changes take their effective date: today or earlier, in order with the other changes,
never "in force" before the period starts; an agreement entered after its signing shows its real
signing date. The agreement form sets the reporting frequency and days (Decree 09/2019 defaults).
"""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.agreements.test_services import agreement_fields
from tracker.agreements import services
from tracker.agreements.models import Agreement, AgreementStatus, PeriodKind, StatusChange
from tracker.clock import local_today
from tracker.errors import InvalidValue

S = AgreementStatus


@pytest.fixture
def w(db):
    return factories.world()


def new_agreement(w, **changes):
    """A draft recorded today by the DIC (its record says nothing of the drafting's dates)."""
    fields = agreement_fields(w["qb"]["agreement"], code="QT-VNPT-2021") | changes
    fields.update(period_start=date(2021, 1, 1), period_end=date(2025, 12, 31), predecessor=None)
    agreement = services.save_agreement(None, user=w["qb"]["dic"], **fields)
    factories.db.session.commit()
    return agreement


def step(w, agreement, to, on, note=""):
    return services.change_status(agreement, user=w["qb"]["dic"], to_status=to, on=on, note=note)


def test_an_agreement_entered_after_signing_takes_its_real_dates(db, w):
    agreement = new_agreement(w)
    step(w, agreement, S.under_review, date(2020, 11, 2))
    step(w, agreement, S.signed, date(2020, 12, 18), "Lễ ký kết tại UBND tỉnh.")
    step(w, agreement, S.in_force, date(2021, 1, 1))
    db.session.commit()
    assert agreement.signed_on == date(2020, 12, 18)
    history = [(c.to_status, c.changed_on) for c in agreement.status_changes]
    # The creation entry moved back: the draft existed by the first dated step.
    assert history == [
        (S.draft, date(2020, 11, 2)),
        (S.under_review, date(2020, 11, 2)),
        (S.signed, date(2020, 12, 18)),
        (S.in_force, date(2021, 1, 1)),
    ]


@pytest.mark.parametrize(
    "to, on, message",
    [
        (S.under_review, "tomorrow", "Ngày thực hiện không được sau ngày hôm nay."),
        (
            S.signed,
            date(2020, 10, 1),
            "Ngày thực hiện không được trước ngày của lần chuyển trạng thái trước (02/11/2020).",
        ),
        (
            S.in_force,
            date(2020, 12, 31),
            "Thỏa thuận không thể có hiệu lực trước ngày bắt đầu giai đoạn (01/01/2021).",
        ),
    ],
)
def test_bad_effective_dates_are_refused_and_nothing_saved(db, w, to, on, message):
    agreement = new_agreement(w)
    step(w, agreement, S.under_review, date(2020, 11, 2))
    if to == S.in_force:
        step(w, agreement, S.signed, date(2020, 12, 18))
    if to == S.under_review:
        agreement.status = S.draft
    db.session.commit()
    before = [(c.to_status, c.changed_on) for c in agreement.status_changes]
    status = agreement.status
    with pytest.raises(InvalidValue) as refused:
        step(w, agreement, to, local_today() + timedelta(days=1) if on == "tomorrow" else on)
    assert refused.value.field == "changed_on" and str(refused.value.message) == message
    db.session.rollback()
    assert agreement.status == status
    assert [(c.to_status, c.changed_on) for c in agreement.status_changes] == before


def test_an_imported_history_follows_the_same_rules(db, w):
    agreement = new_agreement(w)
    history = [
        {"to_status": S.draft, "changed_on": date(2020, 10, 1)},
        {"to_status": S.signed, "changed_on": date(2020, 12, 18)},
        {"to_status": S.in_force, "changed_on": date(2020, 12, 18)},
    ]
    with pytest.raises(InvalidValue) as refused:
        services.record_status_history(
            agreement,
            user=w["qb"]["dic"],
            status=S.in_force,
            signed_on=date(2020, 12, 18),
            history=history,
        )
    assert refused.value.details == {"index": 2}
    assert "trước ngày bắt đầu giai đoạn (01/01/2021)" in str(refused.value.message)
    db.session.rollback()
    assert db.session.get(Agreement, agreement.id).status == S.draft


def test_the_history_lists_changes_by_effective_date(db, w):
    agreement = new_agreement(w)
    step(w, agreement, S.under_review, date(2020, 11, 2))
    step(w, agreement, S.signed, date(2020, 12, 18))
    db.session.commit()
    rows = db.session.scalars(
        sa.select(StatusChange).where(StatusChange.agreement_id == agreement.id)
    ).all()
    assert [c.changed_on for c in agreement.status_changes] == sorted(c.changed_on for c in rows)


# -- the pages --------------------------------------------------------------------------------


def test_the_status_form_refuses_in_force_before_the_period_with_a_message(client, auth, db, w):
    agreement = new_agreement(w)
    step(w, agreement, S.under_review, date(2020, 11, 2))
    step(w, agreement, S.signed, date(2020, 12, 18))
    db.session.commit()
    auth.login("dic.qb@example.vn")
    page = client.get(f"/agreements/{agreement.code}/status?to=in_force").get_data(as_text=True)
    assert "Ngày thực hiện" in page and "không phải ngày nhập vào hệ thống" in page
    response = client.post(
        f"/agreements/{agreement.code}/status",
        data={"to_status": "in_force", "changed_on": "2020-12-20", "version": agreement.version},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Thỏa thuận không thể có hiệu lực trước ngày bắt đầu giai đoạn (01/01/2021)." in html
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).status == S.signed

    response = client.post(
        f"/agreements/{agreement.code}/status",
        data={"to_status": "in_force", "changed_on": "2021-01-01", "version": agreement.version},
    )
    assert response.status_code == 302
    detail = client.get(f"/agreements/{agreement.code}").get_data(as_text=True)
    history = detail[detail.index('id="history"') :]
    assert history.index("02/11/2020") < history.index("18/12/2020") < history.index("01/01/2021")


def test_the_agreement_form_sets_the_reporting_settings_with_the_decree_defaults(
    client, auth, db, w
):
    auth.login("dic.qb@example.vn")
    page = client.get("/agreements/new").get_data(as_text=True)
    assert 'name="report_deadline_days"' in page and 'value="6"' in page
    assert 'name="resubmit_grace_days"' in page and 'value="5"' in page
    assert "Nghị định 09/2019/NĐ-CP" in page
    data = {
        "code": "QT-VNPT-2021",
        "title": "Thỏa thuận hợp tác chiến lược về VT-CNTT giai đoạn 2021-2025",
        "province_id": w["qb"]["province"].id,
        "partner": "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)",
        "period_start": "2021-01-01",
        "period_end": "2025-12-31",
        "predecessor_id": "0",
        "reporting_frequency": "half_year",
        "report_deadline_days": "91",
        "resubmit_grace_days": "7",
    }
    response = client.post("/agreements/new", data=data)
    assert response.status_code == 200
    assert "Nhập một số từ 0 đến 90." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Agreement).where(Agreement.code == "QT-VNPT-2021")) is None
    response = client.post("/agreements/new", data=data | {"report_deadline_days": "10"})
    assert response.status_code == 302
    created = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QT-VNPT-2021"))
    assert (created.reporting_frequency, created.report_deadline_days) == (PeriodKind.half_year, 10)
    assert created.resubmit_grace_days == 7
    edit = client.get("/agreements/QT-VNPT-2021/edit").get_data(as_text=True)
    assert '<option selected value="half_year">' in edit or 'value="half_year" selected' in edit
