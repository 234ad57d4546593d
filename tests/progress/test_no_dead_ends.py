"""No dead ends in the reporting loop: a returned report stays open for its resubmission window
(a setting of the agreement) and the pages say until when; "Edit" and "Submit" show exactly when
the services would take them; extension decisions and their reasons show where the requester
looks, and a refused request is never offered again without saying it was refused."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.progress.test_services import save
from tracker.agreements.models import PeriodKind
from tracker.agreements.services import save_agreement
from tracker.clock import local_today
from tracker.errors import InvalidValue, NotAllowed, PeriodClosed
from tracker.progress import services
from tracker.progress.models import (
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportAction,
    ReportingPeriod,
    ReportStatus,
)
from tracker.progress.todo import todo_for_user

RETURN_REASON = "Thiếu biên bản nghiệm thu trạm BTS."


def returned_in_locked_period(db, w, *, days_ago=0):
    """A report of the old (locked) period, written while the DIC had reopened it, submitted,
    returned `days_ago` days ago, and the period locked again."""
    old = w["qb"]["old"]
    old.reopened_until = local_today() + timedelta(days=3)
    report = save(w, period="old")
    services.submit_report(report, user=w["qb"]["vnpt"])
    services.return_report(report, user=w["qb"]["dic"], reason=RETURN_REASON)
    old.reopened_until = None
    event = report.events[-1]
    assert event.action == ReportAction.returned
    event.at = datetime.now(UTC) - timedelta(days=days_ago)
    db.session.commit()
    return report


# -- the rule, at the services ----------------------------------------------------------------


def test_a_report_returned_after_its_period_locked_can_be_corrected_within_the_window(db, rw):
    report = returned_in_locked_period(db, rw)
    assert rw["qb"]["agreement"].resubmit_grace_days == 5
    assert services.report_open_until(rw["qb"]["old"], report.commitment_id, report) == (
        local_today() + timedelta(days=5)
    )
    assert services.can_edit_report(rw["qb"]["vnpt"], report)
    save(rw, report=report, period="old", version=report.version, percent_complete=55)
    services.submit_report(report, user=rw["qb"]["vnpt"])
    db.session.commit()
    stored = db.session.get(ProgressReport, report.id)
    assert stored.status == ReportStatus.submitted and stored.percent_complete == 55


def test_after_the_window_the_report_is_refused_and_not_offered(db, rw):
    report = returned_in_locked_period(db, rw, days_ago=6)
    assert not services.can_edit_report(rw["qb"]["vnpt"], report)
    with pytest.raises(PeriodClosed) as refused:
        save(rw, report=report, period="old", version=report.version, percent_complete=90)
    assert "đã khóa" in str(refused.value.message)
    with pytest.raises(PeriodClosed):
        services.submit_report(report, user=rw["qb"]["vnpt"])
    db.session.rollback()
    stored = db.session.get(ProgressReport, report.id)
    assert stored.status == ReportStatus.returned and stored.percent_complete == 40


@pytest.mark.parametrize("grace, days_ago, accepted", [(0, 0, True), (0, 1, False), (10, 8, True)])
def test_the_window_is_the_agreements_setting(db, rw, grace, days_ago, accepted):
    rw["qb"]["agreement"].resubmit_grace_days = grace
    report = returned_in_locked_period(db, rw, days_ago=days_ago)
    assert services.can_edit_report(rw["qb"]["vnpt"], report) is accepted


@pytest.mark.parametrize("status", ["draft", "submitted", "verified"])
def test_the_page_rule_is_the_service_rule(db, rw, status):
    """`can_write_report` answers what save_report would do, whatever the state and user."""
    report = save(rw)
    if status != "draft":
        services.submit_report(report, user=rw["qb"]["vnpt"])
    if status == "verified":
        services.verify_report(report, user=rw["qb"]["dic"])
    db.session.commit()
    for user in (rw["qb"]["vnpt"], rw["qb"]["vnpt_other"], rw["qb"]["leader"]):
        offered = services.can_edit_report(user, report)
        try:
            save(rw, user=user, report=report, version=report.version, percent_complete=41)
            accepted = True
        except (InvalidValue, NotAllowed):
            accepted = False
        db.session.rollback()
        assert offered is accepted, (status, user.email)


def test_a_draft_of_a_locked_period_is_not_offered(db, rw):
    old = rw["qb"]["old"]
    old.reopened_until = local_today()
    report = save(rw, period="old")
    db.session.commit()
    assert services.can_edit_report(rw["qb"]["vnpt"], report)
    old.reopened_until = local_today() - timedelta(days=1)
    db.session.commit()
    assert not services.can_edit_report(rw["qb"]["vnpt"], report)


# -- the agreement's settings -------------------------------------------------------------------


def _fields(agreement, **changes):
    fields = {
        name: getattr(agreement, name)
        for name in (
            "code",
            "title",
            "partner",
            "period_start",
            "period_end",
            "reporting_frequency",
            "report_deadline_days",
            "resubmit_grace_days",
        )
    }
    fields["province"] = agreement.province
    fields.update(changes)
    return fields


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("resubmit_grace_days", 91, "từ 0 đến 90 ngày kể từ ngày trả lại"),
        ("resubmit_grace_days", -1, "từ 0 đến 90 ngày kể từ ngày trả lại"),
        ("report_deadline_days", 91, "từ 0 đến 90"),
    ],
)
def test_bad_days_are_refused_and_nothing_saved(db, rw, field, value, message):
    agreement = rw["qb"]["agreement"]
    with pytest.raises(InvalidValue) as refused:
        save_agreement(agreement, user=rw["qb"]["dic"], **_fields(agreement, **{field: value}))
    assert refused.value.field == field and message in str(refused.value.message)
    db.session.rollback()
    assert (agreement.report_deadline_days, agreement.resubmit_grace_days) == (6, 5)


def test_the_frequency_cannot_change_once_reports_exist(db, rw):
    agreement = rw["qb"]["agreement"]
    save(rw)
    db.session.commit()
    with pytest.raises(InvalidValue) as refused:
        save_agreement(
            agreement,
            user=rw["qb"]["dic"],
            **_fields(agreement, reporting_frequency=PeriodKind.year),
        )
    assert refused.value.field == "reporting_frequency"
    assert "không thể thay đổi chu kỳ báo cáo" in str(refused.value.message)
    db.session.rollback()
    assert agreement.reporting_frequency == PeriodKind.quarter


def test_changing_the_frequency_or_the_days_brings_the_periods_in_line(db, rw):
    agreement = rw["vl"]["agreement"]
    save_agreement(
        agreement,
        user=rw["vl"]["dic"],
        **_fields(agreement, reporting_frequency=PeriodKind.half_year, report_deadline_days=10),
    )
    db.session.commit()
    periods = db.session.scalars(
        sa.select(ReportingPeriod).where(ReportingPeriod.agreement_id == agreement.id)
    ).all()
    assert periods and {p.kind for p in periods} == {PeriodKind.half_year}
    today = local_today()
    assert all(
        p.deadline_on == p.ends_on + timedelta(days=10) for p in periods if p.ends_on >= today
    )


# -- extensions -------------------------------------------------------------------------------


def _ask(w, period, days=10, user=None):
    return services.request_extension(
        w["qb"]["commitment"],
        user=user or w["qb"]["vnpt"],
        requested_on=services.effective_deadline(period, w["qb"]["commitment"].id)
        + timedelta(days=days),
        reason="Chờ số liệu của các huyện.",
        period=period,
    )


def test_a_refused_request_says_so_and_the_requester_sees_the_decision(db, rw):
    old = rw["qb"]["old"]
    extension = _ask(rw, old)
    services.decide_extension(
        extension, user=rw["qb"]["dic"], approve=False, note="Đã quá hạn quá lâu."
    )
    db.session.commit()
    text = extension.decision_text()
    assert text == (
        f"Đề nghị gia hạn ngày {extension.requested_on:%d/%m/%Y} đã bị từ chối: Đã quá hạn quá lâu."
    )
    extensions = services.extensions_of(rw["qb"]["commitment"])
    assert services.last_refused(extensions) == {("period", old.id): extension}
    # A refusal does not count: a new request may still be made.
    assert services.can_ask_extension(
        rw["qb"]["vnpt"], rw["qb"]["commitment"], extensions, period=old
    )
    todo = todo_for_user(rw["qb"]["vnpt"])
    [item] = todo.extension_decisions
    assert item.id == extension.id and text in item.detail
    assert todo_for_user(rw["qb"]["vnpt_other"]).extension_decisions == []


def test_no_request_is_offered_past_the_most_allowed(db, rw):
    old = rw["qb"]["old"]
    _ask(rw, old, days=5)
    _ask(rw, old, days=10)
    db.session.commit()
    extensions = services.extensions_of(rw["qb"]["commitment"])
    refusal = services.extension_refusal(
        rw["qb"]["vnpt"], rw["qb"]["commitment"], extensions, period=old
    )
    assert refusal is not None and "2 lần" in str(refusal.message)
    with pytest.raises(InvalidValue):
        _ask(rw, old, days=20)
    db.session.rollback()
    assert len(services.extensions_of(rw["qb"]["commitment"])) == 2


# -- the pages --------------------------------------------------------------------------------


def test_the_returned_report_page_shows_the_reason_and_until_when(client, auth, db, rw):
    report = returned_in_locked_period(db, rw)
    until = (local_today() + timedelta(days=5)).strftime("%d/%m/%Y")
    auth.login(rw["qb"]["vnpt"].email)
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert html.index(RETURN_REASON) < html.index("Tỷ lệ hoàn thành")  # at the top
    assert f"Có thể sửa và gửi lại đến hết ngày {until}." in html
    assert f"/reports/{report.id}/submit" in html
    form = client.get(f"/commitments/{report.commitment_id}/reports/{report.period_id}").get_data(
        as_text=True
    )
    assert RETURN_REASON in form and f"Có thể sửa và gửi lại đến hết ngày {until}." in form
    assert 'value="submit"' in form
    commitment = client.get(f"/commitments/{report.commitment_id}").get_data(as_text=True)
    assert f"Có thể sửa và gửi lại đến hết ngày {until}." in commitment
    # Resubmitting from the page works, though the period is locked.
    response = client.post(
        f"/reports/{report.id}/submit", data={"version": report.version}, follow_redirects=True
    )
    assert "Đã gửi báo cáo để Sở xác minh." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ProgressReport, report.id).status == ReportStatus.submitted


def test_past_the_window_no_edit_or_submit_button_shows(client, auth, db, rw):
    report = returned_in_locked_period(db, rw, days_ago=6)
    auth.login(rw["qb"]["vnpt"].email)
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert RETURN_REASON in html
    assert f"/reports/{report.id}/submit" not in html
    edit_url = f"/commitments/{report.commitment_id}/reports/{report.period_id}"
    assert f'href="{edit_url}"' not in html
    assert "Thời hạn gửi lại đã hết vào ngày" in html
    form = client.get(edit_url).get_data(as_text=True)
    assert 'value="submit"' not in form and 'value="save"' not in form
    assert "đã khóa" in form


def test_the_commitment_page_shows_decisions_and_the_refusal_before_a_new_request(
    client, auth, db, rw
):
    old = rw["qb"]["old"]
    extension = _ask(rw, old)
    services.decide_extension(
        extension, user=rw["qb"]["dic"], approve=False, note="Không đủ căn cứ."
    )
    db.session.commit()
    auth.login(rw["qb"]["vnpt"].email)
    commitment = rw["qb"]["commitment"]
    html = client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    refusal = (
        f"Đề nghị gia hạn ngày {extension.requested_on:%d/%m/%Y} đã bị từ chối: Không đủ căn cứ."
    )
    assert refusal in html
    assert html.index(refusal) < html.index("Đề nghị gia hạn lại")
    assert 'id="extensions"' in html and "Không đồng ý" in html
    form_url = f"/commitments/{commitment.id}/reports/{old.id}/extension"
    page = client.get(form_url).get_data(as_text=True)
    assert refusal in page
    current = services.effective_deadline(old, commitment.id)
    assert "Hạn hiện tại" in page and current.strftime("%d/%m/%Y") in page
    assert "Gửi đề nghị</button>" in page
    todo = client.get("/todo").get_data(as_text=True)
    assert "Kết quả đề nghị gia hạn của bạn" in todo and refusal in todo


def test_the_report_page_shows_its_periods_extension_decision(client, auth, db, rw):
    report = save(rw)
    extension = _ask(rw, rw["qb"]["current"])
    services.decide_extension(extension, user=rw["qb"]["dic"], approve=True)
    db.session.commit()
    auth.login(rw["qb"]["vnpt"].email)
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert f"Đã duyệt: hạn mới là ngày {extension.requested_on:%d/%m/%Y}." in html


def test_the_extension_form_says_why_no_request_can_be_made(client, auth, db, rw):
    old = rw["qb"]["old"]
    _ask(rw, old, days=5)
    _ask(rw, old, days=10)
    db.session.commit()
    auth.login(rw["qb"]["vnpt"].email)
    commitment = rw["qb"]["commitment"]
    page = client.get(f"/commitments/{commitment.id}/reports/{old.id}/extension").get_data(
        as_text=True
    )
    assert "tối đa" in page and "Gửi đề nghị</button>" not in page
    html = client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert f"/commitments/{commitment.id}/reports/{old.id}/extension" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Extension)) == 2
    assert {e.status for e in db.session.scalars(sa.select(Extension))} == {ExtensionStatus.pending}
