"""The reporting loop: a VNPT counterpart reports with evidence, the DIC returns it, the report is
revised, the DIC verifies it, and only then do the official figures change."""

import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tests import factories
from tests.agreements.test_views import _count_queries, _grow
from tests.conftest import text_of
from tracker import storage, trash
from tracker.agreements.models import (
    Commitment,
    Completion,
    Measurement,
    Milestone,
    MilestoneStatus,
)
from tracker.audit import AuditEntry
from tracker.auth.models import Role
from tracker.clock import local_today, utcnow
from tracker.progress import services
from tracker.progress.models import (
    Evidence,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportAction,
    ReportEvent,
    ReportStatus,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (11, 79, 138)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


def report_url(w, key="qb", period="current"):
    return f"/commitments/{w[key]['commitment'].id}/reports/{w[key][period].id}"


def report_data(w, key="qb", **kw):
    data = {
        "percent_complete": "40",
        "completion": "limited",
        "spent_vnd": "1.500.000.000",
        "narrative": "Đã lắp đặt 2/5 trạm BTS.",
        f"v_{w[key]['indicator'].id}": "60,5",
        f"vn_{w[key]['indicator'].id}": "Biên bản nghiệm thu",
        f"m_{w[key]['milestone'].id}_status": "met",
        f"m_{w[key]['milestone'].id}_done_on": (local_today() - timedelta(days=3)).isoformat(),
    }
    data.update(kw)
    return data


def the_report(db, w, key="qb"):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(ProgressReport).where(ProgressReport.commitment_id == w[key]["commitment"].id)
    )


def upload(client, report_id, content, name="Biên bản.pdf", title="Biên bản nghiệm thu"):
    return client.post(
        f"/reports/{report_id}/evidence",
        data={"title": title, "kind": "minutes", "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_full_loop(app, client, auth, db, rw):
    w = rw
    qb = w["qb"]
    auth.login(qb["vnpt"].email)
    response = client.post(report_url(w), data=report_data(w, action="save"))
    assert response.status_code == 302
    report = the_report(db, w)
    assert report.status == ReportStatus.draft and report.spent_vnd == 1_500_000_000
    upload(client, report.id, PDF)
    upload(client, report.id, PNG, name="Ảnh khánh thành.png", title="Ảnh lễ khánh thành")
    assert (
        client.post(
            f"/reports/{report.id}/submit", data={"version": the_report(db, w).version}
        ).status_code
        == 302
    )
    assert the_report(db, w).status == ReportStatus.submitted
    # Read-only to its author now.
    assert client.get(report_url(w)).status_code == 302
    assert (
        client.post(
            report_url(w), data=report_data(w, action="save", percent_complete="90")
        ).status_code
        == 302
    )
    assert the_report(db, w).percent_complete == 40
    # Nothing official yet.
    db.session.expire_all()
    assert db.session.get(Commitment, qb["commitment"].id).percent_complete == 0
    auth.logout()

    auth.login(qb["dic"].email)
    assert qb["commitment"].title in text_of(client.get("/review"))
    report = the_report(db, w)
    refused = client.post(
        f"/reports/{report.id}/return",
        data={"reason": "", "version": report.version},
        follow_redirects=True,
    )
    assert "Trường này là bắt buộc" in text_of(refused)
    assert the_report(db, w).status == ReportStatus.submitted
    client.post(
        f"/reports/{report.id}/return",
        data={"reason": "Bổ sung biên bản có chữ ký", "version": report.version},
    )
    assert the_report(db, w).status == ReportStatus.returned
    auth.logout()

    auth.login(qb["vnpt"].email)
    page = text_of(client.get(report_url(w)))
    assert "Bổ sung biên bản có chữ ký" in page
    client.post(report_url(w), data=report_data(w, action="submit", percent_complete="45"))
    assert the_report(db, w).status == ReportStatus.submitted
    auth.logout()

    auth.login(qb["dic"].email)
    report = the_report(db, w)
    client.post(f"/reports/{report.id}/verify", data={"version": report.version})
    report = the_report(db, w)
    assert report.status == ReportStatus.verified and report.verified_by_id == qb["dic"].id
    assert [e.action for e in report.events] == [
        ReportAction.submitted,
        ReportAction.returned,
        ReportAction.submitted,
        ReportAction.verified,
    ]
    commitment = db.session.get(Commitment, qb["commitment"].id)
    assert commitment.percent_complete == 45 and commitment.completion == Completion.limited
    measurement = db.session.scalar(
        sa.select(Measurement).where(Measurement.indicator_id == qb["indicator"].id)
    )
    assert (
        measurement.verified
        and measurement.value == Decimal("60.5")
        and measurement.report_id == report.id
    )
    assert measurement.measured_on == w["qb"]["current"].ends_on
    milestone = db.session.get(Milestone, qb["milestone"].id)
    assert milestone.status == MilestoneStatus.met and milestone.done_on is not None
    history = text_of(client.get(f"/reports/{report.id}"))
    assert "Bổ sung biên bản có chữ ký" in history
    dashboard = client.get(f"/agreements/{qb['agreement'].code}/dashboard").get_data(as_text=True)
    assert "45%" in dashboard and "<svg" in dashboard and "60,5" in dashboard
    assert "1.500.000.000" in dashboard


def test_only_verified_figures_count(client, auth, db, rw):
    w = rw
    auth.login(w["qb"]["vnpt"].email)
    client.post(report_url(w), data=report_data(w, action="submit", percent_complete="80"))
    assert the_report(db, w).status == ReportStatus.submitted
    page = text_of(client.get(f"/agreements/{w['qb']['agreement'].code}/dashboard"))
    assert "80%" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Measurement)) == 0


def test_a_budget_nobody_recorded_is_not_zero(client, auth, db, rw):
    w = rw
    code = w["qb"]["agreement"].code
    auth.login(w["qb"]["dic"].email)
    w["qb"]["commitment"].budget_vnd = None
    db.session.commit()
    dashboard = text_of(client.get(f"/agreements/{code}/dashboard"))
    agreement = text_of(client.get(f"/agreements/{code}"))
    # Total row: 1 commitment, by health (0 done), 0 %, planned unknown, 0 ₫ verified spending.
    assert re.search(r"Tổng cộng 1 0( \d){4} 0% — 0 ₫", dashboard.replace("\xa0", " "))
    assert "Kinh phí dự kiến chưa xác định" in agreement

    w["qb"]["commitment"].budget_vnd = 2_500_000_000
    db.session.commit()
    dashboard = text_of(client.get(f"/agreements/{code}/dashboard")).replace("\xa0", " ")
    agreement = text_of(client.get(f"/agreements/{code}")).replace("\xa0", " ")
    assert re.search(r"Tổng cộng 1 0( \d){4} 0% 2.500.000.000 ₫ 0 ₫", dashboard)
    assert "Kinh phí dự kiến 2.500.000.000 ₫" in agreement


def test_the_report_button_is_offered_only_while_the_period_accepts_reports(client, auth, db, rw):
    w = rw
    commitment, old, current = w["qb"]["commitment"], w["qb"]["old"], w["qb"]["current"]
    auth.login(w["qb"]["vnpt"].email)
    html = client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert f'href="{report_url(w)}"' in html
    assert f'href="{report_url(w, period="old")}"' not in html  # past its deadline: locked
    assert "đã khóa" in html

    # An approved extension of the old period's deadline opens it again for this commitment.
    new_deadline = local_today() + timedelta(days=5)
    db.session.add(
        Extension(
            commitment_id=commitment.id,
            period_id=old.id,
            original_on=old.deadline_on,
            requested_on=new_deadline,
            reason="Chờ biên bản nghiệm thu",
            status=ExtensionStatus.approved,
        )
    )
    db.session.commit()
    html = client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert f'href="{report_url(w, period="old")}"' in html
    assert f'{new_deadline:%d/%m/%Y} <span class="muted small">(đã gia hạn)</span>' in html
    assert current.id != old.id


def test_submitter_never_verifies(client, auth, db, rw):
    w = rw
    auth.login(w["qb"]["dic"].email)  # the DIC may report on every commitment of its province
    client.post(report_url(w), data=report_data(w, action="submit"))
    report = the_report(db, w)
    response = client.post(
        f"/reports/{report.id}/verify", data={"version": report.version}, follow_redirects=True
    )
    assert "người khác" in text_of(response)
    assert the_report(db, w).status == ReportStatus.submitted


@pytest.mark.parametrize("who", ["vnpt_other", "leader"])
def test_units_not_responsible_cannot_report(client, auth, db, rw, who):
    auth.login(rw["qb"][who].email)
    assert client.get(report_url(rw)).status_code == 403
    assert client.post(report_url(rw), data=report_data(rw, action="save")).status_code == 403
    assert the_report(db, rw) is None


def test_another_province_gets_404(client, auth, db, rw):
    auth.login(rw["vl"]["vnpt"].email)
    assert client.get(report_url(rw)).status_code == 404
    auth.logout()
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="submit"))
    report = the_report(db, rw)
    auth.logout()
    auth.login(rw["vl"]["dic"].email)
    assert client.get(f"/reports/{report.id}").status_code == 404
    assert (
        client.post(f"/reports/{report.id}/verify", data={"version": report.version}).status_code
        == 404
    )
    assert the_report(db, rw).status == ReportStatus.submitted


def test_closed_period_refuses_reports_until_reopened(client, auth, db, rw):
    auth.login(rw["qb"]["vnpt"].email)
    response = client.post(report_url(rw, period="old"), data=report_data(rw, action="save"))
    assert response.status_code == 200
    assert "đã khóa" in text_of(response) or "đã đóng" in text_of(response)
    assert the_report(db, rw) is None
    auth.logout()
    auth.login(rw["qb"]["dic"].email)
    until = (local_today() + timedelta(days=5)).isoformat()
    client.post(
        f"/periods/{rw['qb']['old'].id}/reopen",
        data={"until": until, "reason": "Đơn vị chậm do bão lũ"},
    )
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "ReportingPeriod", AuditEntry.action == "update"
        )
    )
    assert entry.reason == "Đơn vị chậm do bão lũ" and entry.actor_id == rw["qb"]["dic"].id
    auth.logout()
    auth.login(rw["qb"]["vnpt"].email)
    assert (
        client.post(report_url(rw, period="old"), data=report_data(rw, action="save")).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("percent_complete", "150", "0 đến 100"),
        ("percent_complete", "-1", "0 đến 100"),
        ("v", "N/A", "Nhập một số"),
        ("v", "khoảng 30", "Nhập một số"),
        ("spent_vnd", "-5", "không được là số âm"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(client, auth, db, rw, field, value, message):
    key = f"v_{rw['qb']['indicator'].id}" if field == "v" else field
    auth.login(rw["qb"]["vnpt"].email)
    response = client.post(report_url(rw), data=report_data(rw, action="submit", **{key: value}))
    assert response.status_code == 200
    assert message in text_of(response)
    assert the_report(db, rw) is None


def test_complete_needs_one_hundred_percent(client, auth, db, rw):
    auth.login(rw["qb"]["vnpt"].email)
    response = client.post(
        report_url(rw), data=report_data(rw, action="save", completion="complete")
    )
    assert "tỷ lệ hoàn thành là 100" in text_of(response)
    assert the_report(db, rw) is None


def _files(app):

    return sorted(p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "trong.pdf"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "chuong-trinh.pdf"),
        (b"<html><script>alert(1)</script></html>", "trang.html"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "anh.svg"),
        (b"\x89PNG\r\n\x1a\nnot really a png", "hong.png"),
    ],
)
def test_bad_uploads_leave_no_row_and_no_file(app, client, auth, db, rw, content, name):
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    report = the_report(db, rw)
    before = _files(app)
    response = upload(client, report.id, content, name=name)
    page = text_of(client.get(f"/reports/{report.id}"))
    assert response.status_code == 302
    assert any(
        m in page for m in ("không có nội dung", "không được chấp nhận", "Không đọc được")
    ), page[:400]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0
    assert _files(app) == before


def test_oversize_upload_is_refused(app, client, auth, db, rw):
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    report = the_report(db, rw)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = upload(client, report.id, PDF + b"0" * 4096)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "quá lớn" in text_of(response) or "vượt" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_path_traversal_name_is_cleaned_and_vietnamese_kept(app, client, auth, db, rw):
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    report = the_report(db, rw)
    upload(client, report.id, PDF, name="../../etc/Biên bản nghiệm thu đợt 1.pdf")
    evidence = db.session.scalar(sa.select(Evidence))
    assert evidence.file_name == "Biên bản nghiệm thu đợt 1.pdf"
    response = client.get(f"/evidence/{evidence.id}")
    assert response.data == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=UTF-8''Bi%C3%AAn" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    auth.logout()
    auth.login(rw["vl"]["dic"].email)
    assert client.get(f"/evidence/{evidence.id}").status_code == 404


def test_image_evidence_gets_a_thumbnail(app, client, auth, db, rw):
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    report = the_report(db, rw)
    upload(client, report.id, PNG, name="anh.png")
    evidence = db.session.scalar(sa.select(Evidence))
    assert evidence.thumbnail_sha256
    response = client.get(f"/evidence/{evidence.id}/thumbnail")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")


def test_verified_evidence_cannot_be_deleted_but_can_be_superseded(client, auth, db, rw):
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    report = the_report(db, rw)
    upload(client, report.id, PDF)
    client.post(f"/reports/{report.id}/submit", data={"version": the_report(db, rw).version})
    auth.logout()
    auth.login(rw["qb"]["dic"].email)
    client.post(f"/reports/{report.id}/verify", data={"version": the_report(db, rw).version})
    auth.logout()
    auth.login(rw["qb"]["vnpt"].email)
    evidence = db.session.scalar(sa.select(Evidence))
    response = client.post(f"/evidence/{evidence.id}/delete", follow_redirects=True)
    assert "không thể xóa" in text_of(response).lower()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 1
    client.post(
        f"/evidence/{evidence.id}/supersede",
        content_type="multipart/form-data",
        data={
            "title": "Biên bản có chữ ký",
            "kind": "minutes",
            "file": (io.BytesIO(PDF + b"% signed\n"), "bien-ban-ky.pdf"),
        },
    )
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Evidence).order_by(Evidence.id)).all()
    assert len(rows) == 2 and rows[0].superseded_by_id == rows[1].id


def test_two_dic_users_verifying_at_once_change_the_state_once(app, db, rw):

    second = factories.user(Role.dic, rw["qb"]["dic_unit"])
    db.session.commit()
    report = services.save_report(
        None,
        commitment=rw["qb"]["commitment"],
        period=rw["qb"]["current"],
        user=rw["qb"]["vnpt"],
        percent_complete=50,
        completion=Completion.substantial,
        spent_vnd=None,
        narrative="",
        values={rw["qb"]["indicator"].id: (Decimal("70"), "")},
        milestones={},
    )
    services.submit_report(report, user=rw["qb"]["vnpt"])
    db.session.commit()
    version = report.version
    engine = db.engine

    outcomes = []
    with Session(engine) as s1, Session(engine) as s2:
        r1, r2 = s1.get(ProgressReport, report.id), s2.get(ProgressReport, report.id)
        u1, u2 = s1.get(type(rw["qb"]["dic"]), rw["qb"]["dic"].id), s2.get(type(second), second.id)
        # Both read the same version, then both verify.
        r1.commitment, r2.commitment  # noqa: B018  (load before either writes)
        for session, r, u in ((s1, r1, u1), (s2, r2, u2)):
            try:
                _verify_in(session, r, u, version)
                session.commit()
                outcomes.append("ok")
            except StaleDataError:
                session.rollback()
                outcomes.append("conflict")
    assert sorted(outcomes) == ["conflict", "ok"]
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ReportEvent)
            .where(ReportEvent.action == ReportAction.verified)
        )
        == 1
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Measurement)) == 1


def _verify_in(session, report, user, version):
    """verify_report's state change, run in an explicit session (two users, two sessions)."""

    assert report.version == version and report.status == ReportStatus.submitted
    report.status = ReportStatus.verified
    report.verified_by_id, report.verified_at = user.id, utcnow()
    report.events.append(ReportEvent(action=ReportAction.verified, actor_id=user.id))
    for row in report.values:
        session.add(
            Measurement(
                indicator_id=row.indicator_id,
                measured_on=report.period.ends_on,
                value=row.value,
                verified=True,
                report_id=report.id,
            )
        )
    session.flush()


def test_dashboard_query_count_does_not_grow_with_rows(client, auth, db, rw):

    small, big = rw["qb"]["agreement"], rw["vl"]["agreement"]
    _grow(small, rw["qb"]["province"], 1)
    _grow(big, rw["vl"]["province"], 6)
    db.session.commit()
    auth.login(rw["admin"].email)
    for path in ("/agreements/{}/dashboard", "/agreements/{}/commitments", "/agreements/{}"):
        n_small = _count_queries(db, lambda p=path: client.get(p.format(small.code)))
        n_big = _count_queries(db, lambda p=path: client.get(p.format(big.code)))
        assert n_small == n_big, path


def test_records_with_reports_are_kept(client, auth, db, rw):
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    auth.logout()
    auth.login(rw["qb"]["dic"].email)
    response = client.post(f"/delete/commitment/{rw['qb']['commitment'].id}", follow_redirects=True)
    assert "đánh dấu rút bỏ" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Commitment, rw["qb"]["commitment"].id) is not None
    assert the_report(db, rw) is not None


def _submitted_with_evidence(client, auth, db, rw):
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    report = the_report(db, rw)
    upload(client, report.id, PDF)
    client.post(f"/reports/{report.id}/submit", data={"version": the_report(db, rw).version})
    assert the_report(db, rw).status == ReportStatus.submitted
    return report, db.session.scalar(sa.select(Evidence))


@pytest.mark.parametrize("who", ["vnpt", "dic"])
def test_evidence_under_review_cannot_be_superseded_from_the_page(app, client, auth, db, rw, who):
    """The bug: only the page's hidden button stopped a VNPT user from swapping the evidence of
    a report awaiting verification."""
    report, evidence = _submitted_with_evidence(client, auth, db, rw)
    auth.logout()
    auth.login(rw["qb"][who].email)
    assert "Tải lên tệp mới thay thế" not in text_of(client.get(f"/reports/{report.id}"))
    assert client.get(f"/evidence/{evidence.id}/supersede").status_code == 403
    before = _files(app)
    response = client.post(
        f"/evidence/{evidence.id}/supersede",
        content_type="multipart/form-data",
        data={
            "title": "Biên bản khác",
            "kind": "minutes",
            "file": (io.BytesIO(PNG), "anh-khac.png"),
        },
    )
    assert response.status_code == 200
    assert "đang chờ Sở xác minh" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 1
    db.session.expire_all()
    assert db.session.get(Evidence, evidence.id).superseded_by_id is None
    assert _files(app) == before  # neither the image nor its thumbnail was kept


def test_evidence_under_review_cannot_be_added_or_deleted_from_the_page(app, client, auth, db, rw):
    report, evidence = _submitted_with_evidence(client, auth, db, rw)
    before = _files(app)
    response = upload(client, report.id, PNG, name="muon.png", title="Ảnh gửi muộn")
    assert response.status_code == 302
    assert "không thể thay đổi" in text_of(client.get(f"/reports/{report.id}"))
    assert _files(app) == before
    response = client.post(f"/evidence/{evidence.id}/delete", follow_redirects=True)
    assert "không thể thay đổi" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 1
    assert _files(app) == before


def test_deleting_evidence_keeps_a_file_another_record_shares(app, client, auth, db, rw):

    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    report = the_report(db, rw)
    upload(client, report.id, PNG, name="anh-1.png", title="Ảnh 1")
    upload(client, report.id, PNG, name="anh-2.png", title="Ảnh 2")
    first, second = db.session.scalars(sa.select(Evidence).order_by(Evidence.id)).all()
    assert first.sha256 == second.sha256 and first.thumbnail_sha256 == second.thumbnail_sha256
    paths = [storage.path_for(first.sha256), storage.path_for(first.thumbnail_sha256)]
    client.post(f"/evidence/{first.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 1
    assert all(p.exists() for p in paths)
    client.post(f"/evidence/{second.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0
    assert all(p.exists() for p in paths), "the recycle bin keeps the files of deleted evidence"
    shas = set()
    for item in db.session.scalars(sa.select(trash.TrashItem)).all():
        shas |= trash.purge(item)
    db.session.commit()
    storage.remove_unused(*shas)
    assert not any(p.exists() for p in paths)


def test_a_download_is_named_with_the_type_of_its_content(app, client, auth, db, rw):
    auth.login(rw["qb"]["vnpt"].email)
    client.post(report_url(rw), data=report_data(rw, action="save"))
    report = the_report(db, rw)
    upload(client, report.id, PDF, name="bao-cao.hta")
    evidence = db.session.scalar(sa.select(Evidence))
    response = client.get(f"/evidence/{evidence.id}")
    assert response.data == PDF and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=bao-cao.pdf"
