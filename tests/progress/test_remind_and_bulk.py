"""No dead ends in the reporting loop: the directive list leads to each directive's follow-up
and to "Ghi ý kiến chỉ đạo"; a period page reminds the units that have not reported ("Nhắc nộp
báo cáo"); the review queue verifies several reports at once, each on its own."""

import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import text_of
from tests.notifications import told
from tracker import events
from tracker.agreements.models import Completion
from tracker.audit import AuditEntry
from tracker.auth.models import Role
from tracker.clock import local_today
from tracker.errors import NotAllowed, WrongState
from tracker.progress import services
from tracker.progress.models import ProgressReport, ReportStatus


@pytest.fixture
def two(db, rw):
    """The reporting world with a second Quảng Bình commitment, led by the other VNPT branch."""
    qb = rw["qb"]
    qb["second"] = factories.commitment(
        qb["area"], qb["other_branch"], code="1.2", title="Phủ sóng 4G các xã biên giới"
    )
    qb["dic2"] = factories.user(Role.dic, qb["dic_unit"], email="dic2.qb@example.vn")
    db.session.commit()
    return rw


def _submitted(commitment, period, user):
    report = services.save_report(
        None,
        commitment=commitment,
        period=period,
        user=user,
        percent_complete=50,
        completion=Completion.substantial,
        spent_vnd=None,
        narrative="Đã triển khai một nửa.",
        values={},
        milestones={},
    )
    return services.submit_report(report, user=user)


# -- the directive list ----------------------------------------------------------------------------


def test_the_directive_list_leads_to_follow_up_and_to_recording(client, auth, rw):
    directive = rw["qb"]["directive"]
    auth.login("leader.qb@example.vn")
    page = client.get("/directives").get_data(as_text=True)
    assert f'href="/directives/{directive.id}"' in page
    assert "Ghi ý kiến chỉ đạo" in page
    assert f'<option value="{rw["qb"]["agreement"].code}">' in page
    assert rw["vl"]["agreement"].code not in re.search(r"<select.*?</select>", page, re.S).group(0)
    response = client.get(f"/directives/new?agreement={rw['qb']['agreement'].code}")
    assert response.headers["Location"].endswith(
        f"/agreements/{rw['qb']['agreement'].code}/directives/new"
    )
    # Another province's agreement is not one to record into.
    response = client.get(f"/directives/new?agreement={rw['vl']['agreement'].code}")
    assert response.headers["Location"].endswith("/directives")
    assert "Vui lòng chọn thỏa thuận của ý kiến chỉ đạo." in text_of(client.get("/directives"))


def test_a_vnpt_counterpart_follows_directives_but_does_not_record_them(client, auth, rw):
    auth.login("vnpt.qb@example.vn")
    page = client.get("/directives").get_data(as_text=True)
    assert f'href="/directives/{rw["qb"]["directive"].id}"' in page
    assert "Ghi ý kiến chỉ đạo" not in page
    response = client.get(f"/directives/new?agreement={rw['qb']['agreement'].code}")
    assert response.headers["Location"].endswith("/directives")


# -- "Nhắc nộp báo cáo" ----------------------------------------------------------------------------


def test_a_reminder_names_the_commitments_still_without_a_submitted_report(db, two):
    qb = two["qb"]
    _submitted(qb["commitment"], qb["current"], qb["vnpt"])
    heard = []

    def receiver(period, *, actor, commitments):
        heard.append((period, actor, [c.code for c in commitments]))
        return 2

    with events.submission_reminder.connected_to(receiver):
        reminder = services.remind_submitters(qb["current"], user=qb["dic"])
    assert heard == [(qb["current"], qb["dic"], ["1.2"])]
    assert [u.code for u in reminder.units] == [qb["other_branch"].code]
    # The sum of what every receiver says it notified: the test's 2 and the notifications'.
    reminded = told("submission_reminder")
    assert reminded and reminder.notified == 2 + len(reminded)


@pytest.mark.parametrize(
    "case, message",
    [
        ("vnpt", None),
        ("closed", "đã khóa"),
        ("future", "chưa bắt đầu"),
        ("all reported", "Tất cả cam kết đã báo cáo trong kỳ này."),
    ],
)
def test_a_reminder_is_refused_with_the_reason(db, two, case, message):
    qb, today = two["qb"], local_today()
    period, user = qb["current"], qb["dic"]
    if case == "vnpt":
        user = qb["vnpt"]
    elif case == "closed":
        period = qb["old"]
    elif case == "future":
        period = next(p for p in qb["periods"] if p.starts_on > today)
    else:
        _submitted(qb["commitment"], period, qb["vnpt"])
        _submitted(qb["second"], period, qb["vnpt_other"])
    heard = []
    kind = NotAllowed if case == "vnpt" else WrongState
    with (
        events.submission_reminder.connected_to(lambda *a, **k: heard.append(k)),
        pytest.raises(kind) as refused,
    ):
        services.remind_submitters(period, user=user)
    assert heard == []
    if message:
        assert message in str(refused.value.message)


def test_the_period_page_reminds_those_who_have_not_reported(client, auth, db, two):
    qb = two["qb"]
    url = f"/periods/{qb['current'].id}"
    auth.login("vnpt.qb@example.vn")
    assert "Nhắc nộp báo cáo" not in text_of(client.get(url))
    assert client.post(f"{url}/remind").status_code in (400, 403)  # no CSRF token, no right
    auth.logout()
    auth.login("dic.qb@example.vn")
    page = client.get(url).get_data(as_text=True)
    assert "Nhắc nộp báo cáo" in page
    assert "sẽ nhận thông báo nhắc nộp báo cáo" in text_of(client.get(url))
    heard = []

    def receiver(period, *, actor, commitments):
        heard.append(sorted(c.code for c in commitments))
        return 3

    with events.submission_reminder.connected_to(receiver):
        response = client.post(f"{url}/remind", follow_redirects=True)
    assert heard == [["1.1", "1.2"]]
    # Other receivers (the notifications) may add the people they notified.
    found = re.search(r"Đã nhắc (\d+) người thuộc 2 đơn vị chưa nộp báo cáo\.", text_of(response))
    assert found and int(found.group(1)) >= 3
    # A locked period offers no button, and a forced POST is refused with the reason.
    old = f"/periods/{qb['old'].id}"
    assert "Nhắc nộp báo cáo" not in text_of(client.get(old))
    response = client.post(f"{old}/remind", follow_redirects=True)
    assert "đã khóa" in text_of(response)


# -- bulk verification ---------------------------------------------------------------------------


def _versions(*reports):
    data = {"report": [str(r.id) for r in reports]}
    data.update({f"version-{r.id}": str(r.version) for r in reports})
    return data


def test_the_review_queue_verifies_several_reports_each_on_its_own(client, auth, db, two):
    qb = two["qb"]
    first = _submitted(qb["commitment"], qb["current"], qb["vnpt"])
    second = _submitted(qb["second"], qb["current"], qb["vnpt_other"])
    db.session.commit()
    auth.login("dic.qb@example.vn")
    page = client.get("/review").get_data(as_text=True)
    assert "Xác nhận các báo cáo đã chọn" in page
    assert f'name="report" value="{first.id}"' in page
    verified = []
    with events.report_verified.connected_to(lambda report, **k: verified.append(report.id)):
        response = client.post(
            "/review/verify", data=_versions(first, second), follow_redirects=True
        )
    assert "Đã xác minh 2 trên 2 báo cáo." in text_of(response)
    assert sorted(verified) == sorted([first.id, second.id])
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(sa.select(ProgressReport))} == {
        ReportStatus.verified
    }
    # Each verification is in the history on its own.
    updates = db.session.scalars(
        sa.select(AuditEntry.entity_id).where(
            AuditEntry.entity_type == "ProgressReport", AuditEntry.action == "update"
        )
    ).all()
    assert {first.id, second.id} <= set(updates)


def test_a_refused_report_is_named_with_its_reason_while_the_others_are_verified(
    client, auth, db, two
):
    qb = two["qb"]
    good = _submitted(qb["commitment"], qb["current"], qb["vnpt"])
    # The DIC officer reported this one: someone else must verify it.
    mine = _submitted(qb["second"], qb["current"], qb["dic"])
    db.session.commit()
    auth.login("dic.qb@example.vn")
    page = client.get("/review").get_data(as_text=True)
    assert "Bạn đã gửi báo cáo này" in page
    assert f'name="report" value="{mine.id}"' not in page
    data = _versions(good, mine)
    response = client.post("/review/verify", data=data, follow_redirects=True)
    text = text_of(response)
    assert "Đã xác minh 1 trên 2 báo cáo." in text
    assert f"Chưa xác minh: {qb['agreement'].code} · 1.2 Phủ sóng 4G các xã biên giới" in text
    assert "Bạn là người gửi báo cáo này, vì vậy người khác phải xác minh hoặc trả lại" in text
    db.session.expire_all()
    assert db.session.get(ProgressReport, good.id).status == ReportStatus.verified
    assert db.session.get(ProgressReport, mine.id).status == ReportStatus.submitted


def test_a_report_returned_meanwhile_by_someone_else_is_not_verified(client, auth, db, two):
    qb = two["qb"]
    good = _submitted(qb["commitment"], qb["current"], qb["vnpt"])
    other = _submitted(qb["second"], qb["current"], qb["vnpt_other"])
    db.session.commit()
    data = _versions(good, other)  # the versions the queue showed
    services.return_report(other, user=qb["dic2"], reason="Thiếu biên bản nghiệm thu")
    db.session.commit()
    auth.login("dic.qb@example.vn")
    text = text_of(client.post("/review/verify", data=data, follow_redirects=True))
    assert "Đã xác minh 1 trên 2 báo cáo." in text
    assert "Người khác đã thay đổi báo cáo này" in text
    db.session.expire_all()
    assert db.session.get(ProgressReport, other.id).status == ReportStatus.returned


def test_bulk_verification_needs_a_selection_and_the_right(client, auth, db, two):
    qb = two["qb"]
    report = _submitted(qb["commitment"], qb["current"], qb["vnpt"])
    db.session.commit()
    auth.login("dic.qb@example.vn")
    text = text_of(client.post("/review/verify", data={}, follow_redirects=True))
    assert "Vui lòng chọn các báo cáo cần xác nhận." in text
    auth.logout()
    auth.login("dic.vl@example.vn")  # another province: the report is not theirs to see
    text = text_of(client.post("/review/verify", data=_versions(report), follow_redirects=True))
    assert f"Chưa xác minh: #{report.id} — Không tìm thấy báo cáo này." in text
    assert "QB-2020" not in text
    auth.logout()
    auth.login("vnpt.qb@example.vn")
    assert client.post("/review/verify", data=_versions(report)).status_code == 403
    db.session.expire_all()
    assert db.session.get(ProgressReport, report.id).status == ReportStatus.submitted
