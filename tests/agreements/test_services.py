"""The agreement services themselves: each refusal a form, the API or an importer can meet comes
from here (typed, with the field it concerns), and a refused change leaves nothing behind."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tracker.agreements import services
from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Direction,
    MilestoneStatus,
)
from tracker.clock import local_today
from tracker.errors import InvalidValue, NotAllowed, NotFound, StaleVersion, WrongState


@pytest.fixture
def w(db):
    return factories.world()


def agreement_fields(agreement: Agreement, **changes) -> dict:
    """What the agreement form sends for the agreement, with some changes."""
    fields = {
        "code": agreement.code,
        "title": agreement.title,
        "province": agreement.province,
        "partner": agreement.partner,
        "period_start": agreement.period_start,
        "period_end": agreement.period_end,
        "vision_year": agreement.vision_year,
        "predecessor": agreement.predecessor,
        "legal_bases": list(agreement.legal_bases or []),
        "description": agreement.description,
    }
    return fields | changes


def commitment_fields(commitment: Commitment, **changes) -> dict:
    fields = {
        "area": commitment.area,
        "lead_unit": commitment.lead_unit,
        "support_units": list(commitment.support_units),
        "code": commitment.code,
        "title": commitment.title,
        "committed_by": commitment.committed_by,
        "position": commitment.position,
    }
    return fields | changes


def _save_agreement(w, user, **changes):
    agreement = w["qb"]["agreement"]
    return services.save_agreement(agreement, user=user, **agreement_fields(agreement, **changes))


def _save_commitment(w, user, **changes):
    c = w["qb"]["commitment"]
    return services.save_commitment(
        c, agreement=c.agreement, user=user, **commitment_fields(c, **changes)
    )


def _close(w):
    w["qb"]["agreement"].status = AgreementStatus.closed


REFUSALS = {
    "predecessor of another province": (
        lambda w: _save_agreement(w, w["qb"]["dic"], predecessor=w["vl"]["agreement"]),
        NotFound,
        "predecessor_id",
    ),
    "predecessor of another province, for an administrator too": (
        lambda w: _save_agreement(w, w["admin"], predecessor=w["vl"]["agreement"]),
        NotFound,
        "predecessor_id",
    ),
    "lead unit of another province": (
        lambda w: _save_commitment(w, w["qb"]["dic"], lead_unit=w["vl"]["branch"]),
        NotFound,
        "lead_unit_id",
    ),
    "supporting unit of another province": (
        lambda w: _save_commitment(w, w["qb"]["dic"], support_units=[w["vl"]["dic_unit"]]),
        NotFound,
        "support_unit_ids",
    ),
    "directive for a unit of another province": (
        lambda w: services.save_directive(
            None,
            agreement=w["qb"]["agreement"],
            user=w["qb"]["dic"],
            assignee=w["vl"]["dic_unit"],
            issued_on=date(2021, 1, 5),
            issued_by="Chủ tịch UBND tỉnh",
            text="Rà soát",
        ),
        NotFound,
        "assignee_unit_id",
    ),
    "closed agreement": (
        lambda w: (
            _close(w),
            services.save_area(
                None, agreement=w["qb"]["agreement"], user=w["qb"]["dic"], code="II", title="X"
            ),
        ),
        WrongState,
        None,
    ),
    "stale version": (
        lambda w: services.save_area(
            w["qb"]["area"],
            agreement=w["qb"]["agreement"],
            user=w["qb"]["dic"],
            version=w["qb"]["area"].version + 1,
            code="I",
            title="Tên mới",
        ),
        StaleVersion,
        None,
    ),
    "a VNPT user": (
        lambda w: services.save_area(
            None, agreement=w["qb"]["agreement"], user=w["qb"]["vnpt"], code="II", title="X"
        ),
        NotAllowed,
        None,
    ),
    "a DIC officer of another province": (
        lambda w: _save_agreement(w, w["vl"]["dic"], title="Đổi tên"),
        NotAllowed,
        None,
    ),
    "end before start": (
        lambda w: _save_agreement(w, w["qb"]["dic"], period_end=date(2019, 1, 1)),
        InvalidValue,
        "period_end",
    ),
    "report deadline of 91 days": (
        lambda w: _save_agreement(w, w["qb"]["dic"], report_deadline_days=91),
        InvalidValue,
        "report_deadline_days",
    ),
    "lead unit also supporting": (
        lambda w: _save_commitment(w, w["qb"]["dic"], support_units=[w["qb"]["branch"]]),
        InvalidValue,
        "support_unit_ids",
    ),
    "supporting unit listed twice": (
        lambda w: _save_commitment(
            w, w["qb"]["dic"], support_units=[w["qb"]["dic_unit"], w["qb"]["dic_unit"]]
        ),
        InvalidValue,
        "support_unit_ids",
    ),
    "increasing indicator below its baseline": (
        lambda w: services.save_indicator(
            None,
            commitment=w["qb"]["commitment"],
            user=w["qb"]["dic"],
            name="Số trạm",
            unit="trạm",
            baseline=Decimal(10),
            target=Decimal(5),
            direction=Direction.increase,
        ),
        InvalidValue,
        "target",
    ),
    "decreasing indicator above its baseline": (
        lambda w: services.save_indicator(
            None,
            commitment=w["qb"]["commitment"],
            user=w["qb"]["dic"],
            name="Thời gian xử lý",
            unit="ngày",
            baseline=Decimal(5),
            target=Decimal(10),
            direction=Direction.decrease,
        ),
        InvalidValue,
        "target",
    ),
    "milestone met in the future": (
        lambda w: services.save_milestone(
            None,
            commitment=w["qb"]["commitment"],
            user=w["qb"]["dic"],
            title="Mốc mới",
            due_on=date(2022, 1, 1),
            done_on=local_today() + timedelta(days=1),
            status=MilestoneStatus.met,
        ),
        InvalidValue,
        "done_on",
    ),
    "status history in the future": (
        lambda w: services.record_status_history(
            w["qb"]["agreement"],
            user=w["qb"]["dic"],
            status=AgreementStatus.signed,
            signed_on=None,
            history=[
                {"to_status": AgreementStatus.draft, "changed_on": date(2020, 1, 1)},
                {
                    "to_status": AgreementStatus.signed,
                    "changed_on": local_today() + timedelta(days=3),
                },
            ],
        ),
        InvalidValue,
        "history",
    ),
    "new province by a DIC officer": (
        lambda w: services.add_province(user=w["qb"]["dic"], code="moi", name="Tỉnh mới"),
        NotAllowed,
        None,
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_services_refuse_and_leave_nothing_behind(db, w, case):
    action, kind, field = REFUSALS[case]
    agreement_id = w["qb"]["agreement"].id
    title = w["qb"]["agreement"].title
    counts = {
        m: db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Agreement, Area, Commitment)
    }
    with pytest.raises(kind) as refused:
        action(w)
    db.session.rollback()
    assert type(refused.value) is kind or issubclass(type(refused.value), kind)
    assert refused.value.field == field
    if kind is not StaleVersion:
        assert str(refused.value.message)  # a sentence a user can read
    assert db.session.get(Agreement, agreement_id).title == title
    for model, n in counts.items():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == n


def test_another_provinces_predecessor_reads_as_not_found(db, w):
    """The answer says nothing about the other province's agreement, only that none was found."""
    with pytest.raises(NotFound) as refused:
        _save_agreement(w, w["qb"]["dic"], predecessor=w["vl"]["agreement"])
    assert "VL-2020" not in str(refused.value.message)
    assert "Không tìm thấy" in str(refused.value.message)


def test_a_predecessor_of_the_same_province_is_kept(db, w):
    old = factories.agreement(w["qb"]["province"], code="QB-2015")
    db.session.commit()
    agreement = _save_agreement(w, w["qb"]["dic"], predecessor=old)
    assert agreement.predecessor is old


def test_the_system_acts_without_a_role_but_within_the_rules(db, w):
    """user=None (the command line, the demo loader) is not limited by a role or a scope..."""
    area = services.save_area(None, agreement=w["vl"]["agreement"], user=None, code="II", title="X")
    assert area.id is not None
    # ... but the rules of the records hold for it too.
    with pytest.raises(NotFound):
        services.save_commitment(
            w["vl"]["commitment"],
            agreement=w["vl"]["agreement"],
            user=None,
            **commitment_fields(w["vl"]["commitment"], lead_unit=w["qb"]["branch"]),
        )


def test_an_imported_status_history_keeps_the_steps_already_recorded(db, w):
    agreement = w["qb"]["agreement"]
    history = [
        {"to_status": AgreementStatus.draft, "changed_on": date(2019, 12, 1), "note": None},
        {"to_status": AgreementStatus.signed, "changed_on": date(2020, 1, 15), "note": "Ký"},
    ]
    services.record_status_history(
        agreement,
        user=w["qb"]["dic"],
        status=AgreementStatus.signed,
        signed_on=date(2020, 1, 15),
        history=history,
    )
    assert [(c.from_status, c.to_status) for c in agreement.status_changes] == [
        (None, AgreementStatus.draft),
        (AgreementStatus.draft, AgreementStatus.signed),
    ]
    assert agreement.status == AgreementStatus.signed and agreement.is_signed
    ids = [c.id for c in agreement.status_changes]
    services.record_status_history(
        agreement,
        user=w["qb"]["dic"],
        status=AgreementStatus.signed,
        signed_on=date(2020, 1, 15),
        history=history,
    )
    assert [c.id for c in agreement.status_changes] == ids
