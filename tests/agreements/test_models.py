"""Model rules: NFC text, optimistic locking, the audit log, constraints, the status life cycle."""

import unicodedata
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tests import factories
from tracker.agreements.models import (
    AgreementStatus,
    Commitment,
    Completion,
    allowed_transitions,
)
from tracker.audit import AuditEntry
from tracker.db import ACTOR
from tracker.text import fold


def test_decomposed_text_is_stored_as_nfc(db):
    province = factories.province(unicodedata.normalize("NFD", "Đắk Lắk"))
    agreement = factories.agreement(
        province, title=unicodedata.normalize("NFD", "Thỏa thuận hợp tác")
    )
    db.session.commit()
    raw = db.session.execute(
        sa.text("SELECT title FROM agreements WHERE id = :i"), {"i": agreement.id}
    ).scalar()
    assert raw == unicodedata.normalize("NFC", "Thỏa thuận hợp tác")
    assert unicodedata.is_normalized("NFC", db.session.get(type(province), province.id).name)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Quảng Bình", "quang binh"),
        ("ĐẮK LẮK", "dak lak"),
        ("Bà Rịa - Vũng Tàu", "ba ria - vung tau"),
    ],
)
def test_fold_ignores_case_and_diacritics(text, folded):
    assert fold(text) == folded


def test_every_update_increments_the_version_and_a_stale_write_fails(app, db):
    province = factories.province()
    agreement = factories.agreement(province)
    db.session.commit()
    assert agreement.version == 1
    agreement.title = "Tiêu đề mới"
    db.session.commit()
    assert agreement.version == 2
    # Another writer saved meanwhile: our in-memory version 2 is stale.
    db.session.execute(
        sa.text("UPDATE agreements SET version = 3 WHERE id = :i"), {"i": agreement.id}
    )
    agreement.title = "Ghi đè"
    with pytest.raises(StaleDataError):
        db.session.commit()
    db.session.rollback()


def test_audit_log_records_creation_and_changes_with_author(db):
    admin = factories.user(role="admin")
    db.session.info[ACTOR] = admin.id
    agreement = factories.agreement(factories.province())
    db.session.commit()
    agreement.title = "Thỏa thuận sửa đổi"
    db.session.commit()
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "Agreement").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes["title"][1] == "Thỏa thuận sửa đổi"
    assert entries[1].actor_id == admin.id
    assert entries[1].agreement_id == agreement.id
    assert agreement.created_by_id == admin.id and agreement.updated_by_id == admin.id
    db.session.info.pop(ACTOR)


def test_negative_budget_is_refused_by_the_database(db):
    province = factories.province()
    area = factories.area(factories.agreement(province))
    lead = factories.unit(province)
    db.session.commit()
    with pytest.raises(IntegrityError):
        factories.commitment(area, lead, budget_vnd=-1)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Commitment)) == 0


def test_commitment_codes_are_unique_per_agreement(db):
    province = factories.province()
    lead = factories.unit(province)
    area_a = factories.area(factories.agreement(province))
    area_b = factories.area(factories.agreement(province))
    factories.commitment(area_a, lead, code="1.1")
    factories.commitment(area_b, lead, code="1.1")  # another agreement: allowed
    db.session.commit()
    with pytest.raises(IntegrityError):
        factories.commitment(area_a, lead, code="1.1")
    db.session.rollback()


@pytest.mark.parametrize(
    ("status", "signed", "expected"),
    [
        (AgreementStatus.draft, False, [AgreementStatus.under_review]),
        (AgreementStatus.under_review, False, [AgreementStatus.draft, AgreementStatus.signed]),
        (AgreementStatus.signed, True, [AgreementStatus.in_force, AgreementStatus.closed]),
        (AgreementStatus.in_force, True, [AgreementStatus.under_review, AgreementStatus.closed]),
        (AgreementStatus.under_review, True, [AgreementStatus.in_force, AgreementStatus.closed]),
        (AgreementStatus.closed, True, []),
    ],
)
def test_status_life_cycle(status, signed, expected):
    assert allowed_transitions(status, signed=signed) == expected


def test_status_change_through_the_page_is_dated_and_signing_sets_the_date(client, auth, db):
    w = factories.world()
    agreement = w["qb"]["agreement"]
    auth.login(w["qb"]["dic"].email)
    code = agreement.code
    assert (
        client.post(
            f"/agreements/{code}/status",
            data={"to_status": "under_review", "changed_on": "2020-08-01"},
        ).status_code
        == 302
    )
    response = client.post(
        f"/agreements/{code}/status",
        data={"to_status": "signed", "changed_on": "2020-09-24", "note": "Lễ ký kết"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(type(agreement), agreement.id)
    assert stored.status == AgreementStatus.signed
    assert stored.signed_on == date(2020, 9, 24)
    assert [c.to_status for c in stored.status_changes][-2:] == [
        AgreementStatus.under_review,
        AgreementStatus.signed,
    ]
    # A jump that the life cycle does not allow is refused, in Vietnamese.
    response = client.post(
        f"/agreements/{code}/status", data={"to_status": "draft", "changed_on": "2020-09-25"}
    )
    assert response.status_code == 200
    assert "Lựa chọn không hợp lệ." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(agreement), agreement.id).status == AgreementStatus.signed


def test_a_commitment_assessed_complete_is_100_percent_done(app, db):
    w = factories.world()
    commitment = w["qb"]["commitment"]
    assert commitment.percent_complete == 0
    commitment.completion = Completion.complete
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).percent_complete == 100
