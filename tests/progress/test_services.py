"""The reporting workflow's services, called directly: every entry point (pages, API, importers)
relies on them alone to refuse what the rules forbid, with a typed refusal that says why."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tracker.agreements.models import Completion
from tracker.auth.models import Role
from tracker.clock import local_today
from tracker.errors import (
    InvalidValue,
    NotAllowed,
    PeriodClosed,
    StaleVersion,
    WrongState,
)
from tracker.progress import services
from tracker.progress.models import Evidence, EvidenceKind, ProgressReport, ReportStatus
from tracker.storage import StoredFile

FILE = StoredFile("a" * 64, 1234, "application/pdf", "Biên bản.pdf")
NEWER = StoredFile("b" * 64, 2345, "application/pdf", "Biên bản có chữ ký.pdf")


def save(w, user=None, report=None, period="current", **kw):
    fields = dict(
        percent_complete=40,
        completion=Completion.limited,
        spent_vnd=None,
        narrative="Đã lắp đặt 2/5 trạm BTS.",
        values={},
        milestones={},
    )
    fields.update(kw)
    return services.save_report(
        report,
        commitment=w["qb"]["commitment"],
        period=w["qb"][period],
        user=user or w["qb"]["vnpt"],
        **fields,
    )


def add(w, report, user=None, title="Biên bản nghiệm thu", stored=FILE):
    return services.add_evidence(
        report, user=user or w["qb"]["vnpt"], stored=stored, title=title, kind=EvidenceKind.minutes
    )


def report_in(db, w, status: str):
    """A report of the current period with one piece of evidence, brought to `status`."""
    report = save(w)
    add(w, report)
    if status in ("submitted", "verified"):
        services.submit_report(report, user=w["qb"]["vnpt"])
    if status == "verified":
        services.verify_report(report, user=w["qb"]["dic"])
    db.session.commit()
    assert report.status == ReportStatus(status)
    return report


def counts(db):
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(ProgressReport)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)),
    )


@pytest.mark.parametrize("status", ["submitted", "verified"])
def test_a_submitted_or_verified_report_cannot_be_edited_or_submitted_again(db, rw, status):
    report = report_in(db, rw, status)
    with pytest.raises(WrongState) as refused:
        save(rw, report=report, version=report.version, percent_complete=90)
    assert refused.value.code == "not_editable" and refused.value.status == 409
    assert refused.value.details == {"status": status}
    assert "không thể thay đổi" in str(refused.value.message)
    with pytest.raises(WrongState) as refused:
        services.submit_report(report, user=rw["qb"]["vnpt"], version=report.version)
    assert refused.value.details == {"status": status}
    db.session.rollback()
    assert db.session.get(ProgressReport, report.id).percent_complete == 40


def test_a_closed_period_refuses_saving_and_submitting(db, rw):
    with pytest.raises(PeriodClosed) as refused:
        save(rw, period="old")
    assert refused.value.code == "period_closed" and refused.value.status == 409
    assert refused.value.details == {"deadline_on": rw["qb"]["old"].deadline_on.isoformat()}
    assert "đã khóa" in str(refused.value.message)
    db.session.rollback()
    assert counts(db) == (0, 0)

    # A draft written while the period was reopened cannot be submitted once it closes again.
    rw["qb"]["old"].reopened_until = local_today() + timedelta(days=3)
    report = save(rw, period="old")
    rw["qb"]["old"].reopened_until = None
    db.session.commit()
    with pytest.raises(PeriodClosed):
        services.submit_report(report, user=rw["qb"]["vnpt"])
    db.session.rollback()
    assert db.session.get(ProgressReport, report.id).status == ReportStatus.draft


def test_a_stale_version_is_refused_with_the_stored_one(db, rw):
    report = save(rw)
    db.session.commit()
    save(rw, report=report, version=report.version, percent_complete=50)
    db.session.commit()
    for action in (
        lambda: save(rw, report=report, version=1, percent_complete=60),
        lambda: services.submit_report(report, user=rw["qb"]["vnpt"], version=1),
    ):
        with pytest.raises(StaleVersion) as refused:
            action()
        assert refused.value.code == "stale" and refused.value.details == {"version": 2}
    db.session.rollback()
    stored = db.session.get(ProgressReport, report.id)
    assert stored.percent_complete == 50 and stored.status == ReportStatus.draft


@pytest.mark.parametrize("who", ["vnpt_other", "leader", "vl_dic"])
@pytest.mark.parametrize("action", ["save", "submit", "add_evidence"])
def test_units_not_responsible_are_not_allowed(db, rw, who, action):
    user = rw["vl"]["dic"] if who == "vl_dic" else rw["qb"][who]
    report = save(rw)
    db.session.commit()
    with pytest.raises(NotAllowed) as refused:
        if action == "save":
            save(rw, user=user, report=report, percent_complete=90)
        elif action == "submit":
            services.submit_report(report, user=user)
        else:
            add(rw, report, user=user)
    assert refused.value.status == 403 and refused.value.code == "forbidden"
    db.session.rollback()
    assert counts(db) == (1, 0)
    assert db.session.get(ProgressReport, report.id).status == ReportStatus.draft


def _supersede(w, user, evidence):
    return services.supersede_evidence(
        evidence, user=user, stored=NEWER, title="Biên bản có chữ ký", kind=EvidenceKind.minutes
    )


@pytest.mark.parametrize(
    ("status", "action", "who", "message"),
    [
        ("submitted", "add", "vnpt", "không thể thay đổi"),
        ("submitted", "supersede", "vnpt", "đang chờ Sở xác minh"),
        ("submitted", "supersede", "dic", "đang chờ Sở xác minh"),
        ("submitted", "delete", "vnpt", "không thể thay đổi"),
        ("verified", "add", "vnpt", "không thể thay đổi"),
        ("verified", "delete", "vnpt", "Không thể xóa"),
    ],
)
def test_evidence_changes_only_while_the_workflow_allows(db, rw, status, action, who, message):
    """A submitted report's evidence is frozen for the review; a verified report's is kept and
    only superseded."""
    report = report_in(db, rw, status)
    evidence = report.evidence[0]
    user = rw["qb"][who]
    with pytest.raises(WrongState) as refused:
        if action == "add":
            add(rw, report, user=user, stored=NEWER)
        elif action == "supersede":
            _supersede(rw, user, evidence)
        else:
            services.delete_evidence(evidence, user=user)
    assert refused.value.code == "not_editable" and refused.value.details == {"status": status}
    assert message in str(refused.value.message)
    db.session.rollback()
    assert counts(db) == (1, 1)
    assert db.session.get(Evidence, evidence.id).superseded_by_id is None


@pytest.mark.parametrize("status", ["draft", "verified"])
@pytest.mark.parametrize("who", ["vnpt", "dic"])
def test_evidence_is_superseded_and_kept(db, rw, who, status):
    report = report_in(db, rw, status)
    old = report.evidence[0]
    new = _supersede(rw, rw["qb"][who], old)
    db.session.commit()
    assert old.superseded_by_id == new.id and new.report_id == report.id
    assert counts(db) == (1, 2)
    with pytest.raises(WrongState):
        _supersede(rw, rw["qb"][who], old)
    db.session.rollback()
    with pytest.raises(NotAllowed):
        _supersede(rw, rw["qb"]["leader"], new)


def test_draft_evidence_is_added_and_deleted(db, rw):
    report = report_in(db, rw, "draft")
    services.delete_evidence(report.evidence[0], user=rw["qb"]["vnpt"])
    db.session.commit()
    assert counts(db) == (1, 0)


def test_the_submitter_never_verifies_or_returns_their_report(db, rw):
    # The DIC may report on its province's commitments, so it may submit one...
    report = save(rw, user=rw["qb"]["dic"])
    services.submit_report(report, user=rw["qb"]["dic"])
    db.session.commit()
    for action in (
        lambda: services.verify_report(report, user=rw["qb"]["dic"]),
        lambda: services.return_report(report, user=rw["qb"]["dic"], reason="Bổ sung"),
    ):
        with pytest.raises(InvalidValue) as refused:
            action()
        assert "người khác" in str(refused.value.message)
    db.session.rollback()
    assert db.session.get(ProgressReport, report.id).status == ReportStatus.submitted
    # ...which another DIC officer then verifies.
    other = factories.user(Role.dic, rw["qb"]["dic_unit"], email="dic2.qb@example.vn")
    services.verify_report(report, user=other)
    db.session.commit()
    assert report.status == ReportStatus.verified


@pytest.mark.parametrize("status", ["draft", "verified"])
def test_only_a_report_awaiting_verification_is_verified_or_returned(db, rw, status):
    report = report_in(db, rw, status)
    with pytest.raises(WrongState) as refused:
        services.verify_report(report, user=rw["qb"]["dic"])
    assert refused.value.details == {"status": status}
    with pytest.raises(WrongState):
        services.return_report(report, user=rw["qb"]["dic"], reason="Bổ sung")


@pytest.mark.parametrize(
    ("title", "stored_title"),
    [
        ("Biên bản\x00 nghiệm\x1b thu", "Biên bản nghiệm thu"),
        ("Biên bản\nnghiệm thu", "Biên bản nghiệm thu"),
        ("  Ảnh khánh thành\t", "Ảnh khánh thành"),
    ],
)
def test_evidence_titles_are_one_line_without_control_characters(db, rw, title, stored_title):
    report = save(rw)
    assert add(rw, report, title=title).title == stored_title


@pytest.mark.parametrize("title", ["", "   ", "\x00\x07"])
def test_evidence_needs_a_title(db, rw, title):
    report = save(rw)
    with pytest.raises(InvalidValue) as refused:
        add(rw, report, title=title)
    assert refused.value.field == "title" and "đặt tên" in str(refused.value.message)


def test_narratives_keep_their_lines_but_lose_control_characters(db, rw):
    report = save(rw, narrative="Đợt 1:\r\n- 2 trạm\x00 BTS\x1b\n")
    assert report.narrative == "Đợt 1:\n- 2 trạm BTS"
