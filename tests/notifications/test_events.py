"""Each event of tracker/events.py tells exactly the people concerned: never the actor, never
someone who may not read the record; submitters, verifiers and assignees follow automatically."""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from tests import factories
from tests.notifications import notified_world, submitted_report, told
from tracker import events
from tracker.agreements import services as agreements
from tracker.auth.models import Role
from tracker.clock import local_today
from tracker.notifications import services
from tracker.notifications.models import Notification, SubjectType, Watch
from tracker.org.models import Side, UnitKind
from tracker.progress import services as progress


def test_a_submitted_report_tells_the_dic_verifiers_of_its_province(db):
    w = notified_world()
    report = submitted_report(w)
    qb = w["qb"]
    # Both DIC users of Quảng Bình; not the submitter, the other branch, the leader, Vĩnh Long,
    # VNPT headquarters or the administrator.
    assert told() == {"report_submitted": ["dic.qb@example.vn", "dic2.qb@example.vn"]}
    [n, _] = db.session.scalars(sa.select(Notification)).all()
    assert (n.subject_type, n.subject_id, n.commitment_id, n.period_id) == (
        SubjectType.report,
        report.id,
        qb["commitment"].id,
        qb["period"].id,
    )
    assert n.actor_id == qb["vnpt"].id and n.read_at is None
    # The submitter now follows the commitment.
    assert services.is_watching(qb["vnpt"], qb["commitment"])


def test_a_returned_report_tells_the_submitter_and_the_units_with_its_reason(db):
    w = notified_world()
    qb = w["qb"]
    report = submitted_report(w)
    progress.return_report(report, user=qb["dic"], reason="Thiếu biên bản nghiệm thu")
    db.session.commit()
    # The submitter (of the lead branch) and the other user of the supporting DIC; the DIC
    # user who returned it is not told of their own act.
    assert told("report_returned") == ["dic2.qb@example.vn", "vnpt.qb@example.vn"]
    [n] = db.session.scalars(
        sa.select(Notification).where(
            Notification.kind == "report_returned", Notification.user_id == qb["vnpt"].id
        )
    ).all()
    assert n.detail == "Thiếu biên bản nghiệm thu"
    assert services.is_watching(qb["dic"], qb["commitment"])


def test_a_verified_report_tells_the_submitter_and_the_units(db):
    w = notified_world()
    qb = w["qb"]
    report = submitted_report(w)
    progress.verify_report(report, user=qb["dic2"])
    db.session.commit()
    assert told("report_verified") == ["dic.qb@example.vn", "vnpt.qb@example.vn"]


def test_extensions_tell_the_dic_then_the_requester(db):
    w = notified_world()
    qb = w["qb"]
    extension = progress.request_extension(
        qb["commitment"],
        user=qb["vnpt"],
        period=qb["period"],
        requested_on=qb["period"].deadline_on + timedelta(days=15),
        reason="Chờ phê duyệt kinh phí",
    )
    db.session.commit()
    assert told("extension_requested") == ["dic.qb@example.vn", "dic2.qb@example.vn"]
    progress.decide_extension(extension, user=qb["dic"], approve=False, note="Không đủ căn cứ")
    db.session.commit()
    # The requester and the other DIC user, not the one who decided.
    assert told("extension_decided") == ["dic2.qb@example.vn", "vnpt.qb@example.vn"]


def test_a_directive_tells_the_assigned_unit_and_the_unit_that_carries_on_a_merged_one(db):
    w = notified_world()
    qb = w["qb"]
    # A branch merged into the Quảng Bình branch: a directive given to it before the merger
    # (recorded today) reaches the successor's users.
    merged = factories.unit(
        qb["province"],
        side=Side.vnpt,
        kind=UnitKind.vnpt_branch,
        code="VNPT-OLD",
        valid_to=date(2025, 6, 30),
        successor=qb["branch"],
    )
    qb["agreement"].units = [*qb["agreement"].units, merged]
    db.session.commit()
    directive = agreements.save_directive(
        None,
        agreement=qb["agreement"],
        user=qb["leader"],
        assignee=merged,
        issued_on=date(2025, 5, 20),
        issued_by="Phó Chủ tịch UBND tỉnh",
        text="Hoàn thành lắp đặt trạm BTS tại 2 xã biên giới",
        due_on=local_today() + timedelta(days=30),
        done_on=None,
        meeting=None,
    )
    db.session.commit()
    assert told() == {"directive_assigned": ["vnpt.qb@example.vn"]}
    assert services.is_watching(qb["vnpt"], directive)

    # Given to the DIC instead: its users are told; the branch, following it, hears of the change.
    agreements.save_directive(
        directive,
        agreement=qb["agreement"],
        user=qb["leader"],
        assignee=qb["dic_unit"],
        issued_on=directive.issued_on,
        issued_by=directive.issued_by,
        text=directive.text,
        due_on=directive.due_on,
        done_on=None,
        meeting=None,
    )
    db.session.commit()
    assert told("directive_assigned") == [
        "dic.qb@example.vn",
        "dic2.qb@example.vn",
        "vnpt.qb@example.vn",
    ]
    assert told("directive_changed") == ["vnpt.qb@example.vn"]


@dataclass
class PostedComment:
    """What the discussion package sends as the sender of `comment_posted` (its Comment has
    these attributes)."""

    id: int
    subject: object
    author_id: int
    body: str


def test_a_comment_tells_the_mentioned_and_the_watchers_but_not_the_author(db):
    w = notified_world()
    qb, vl = w["qb"], w["vl"]
    services.watch(qb["leader"], qb["agreement"])
    services.watch(qb["vnpt"], qb["commitment"])
    comment = PostedComment(7, qb["commitment"], qb["dic"].id, "@VNPT2-qb xin cập nhật số trạm")
    events.comment_posted.send(
        comment,
        edited=False,
        # A Vĩnh Long user may not read a Quảng Bình commitment: not told, even when mentioned.
        mentioned_users=[vl["vnpt"], qb["dic"]],
        mentioned_units=[qb["other_branch"]],
    )
    db.session.commit()
    assert told() == {
        "mention": ["vnpt2.qb@example.vn"],
        "comment": ["leader.qb@example.vn", "vnpt.qb@example.vn"],
    }
    n = db.session.scalar(sa.select(Notification).where(Notification.kind == "mention"))
    assert n.comment_id == 7 and n.detail == "@VNPT2-qb xin cập nhật số trạm"
    assert n.actor_id == qb["dic"].id

    # An edit tells only the newly mentioned, not the watchers again.
    events.comment_posted.send(
        comment, edited=True, mentioned_users=[qb["dic2"]], mentioned_units=[]
    )
    db.session.commit()
    assert told("mention") == ["dic2.qb@example.vn", "vnpt2.qb@example.vn"]
    assert len(told("comment")) == 2


def test_a_comment_on_a_report_reaches_the_watchers_of_its_commitment(db):
    w = notified_world()
    qb = w["qb"]
    report = submitted_report(w)  # the submitter follows the commitment from now on
    comment = PostedComment(8, report, qb["dic"].id, "Đề nghị bổ sung ảnh khánh thành")
    events.comment_posted.send(comment, edited=False, mentioned_users=[], mentioned_units=[])
    db.session.commit()
    assert told("comment") == ["vnpt.qb@example.vn"]


def test_a_submission_reminder_tells_the_reporters_and_returns_how_many(db):
    w = notified_world()
    qb = w["qb"]
    results = events.submission_reminder.send(
        qb["period"], commitments=[qb["commitment"]], actor=qb["dic"]
    )
    db.session.commit()
    # The lead branch's reporter and the supporting DIC's other user (DIC staff report too);
    # not the DIC user who sent the reminder, nor the other branch.
    assert told() == {"submission_reminder": ["dic2.qb@example.vn", "vnpt.qb@example.vn"]}
    assert [value for _receiver, value in results] == [2]


def test_a_watcher_hears_of_every_event_of_the_agreement_and_an_outsider_never(db):
    w = notified_world()
    qb, vl = w["qb"], w["vl"]
    services.watch(qb["leader"], qb["agreement"])
    services.watch(w["hq"], qb["agreement"])  # national VNPT reads every province
    # A watch row left from before a user moved to another province: they may no longer read
    # the agreement, so they are not told.
    db.session.add(
        Watch(
            user_id=vl["leader"].id,
            subject_type=SubjectType.agreement,
            subject_id=qb["agreement"].id,
            agreement_id=qb["agreement"].id,
        )
    )
    db.session.commit()
    submitted_report(w)
    assert told("report_submitted") == [
        "dic.qb@example.vn",
        "dic2.qb@example.vn",
        "hq@example.vn",
        "leader.qb@example.vn",
    ]


def test_inactive_users_are_not_told(db):
    w = notified_world()
    w["qb"]["dic2"].active = False
    db.session.commit()
    submitted_report(w)
    assert told("report_submitted") == ["dic.qb@example.vn"]


def test_notifications_roll_back_with_the_event(db):
    w = notified_world()
    qb = w["qb"]
    submitted_report(w)
    report = progress.report_for(qb["commitment"], qb["period"])
    progress.verify_report(report, user=qb["dic"])
    db.session.rollback()
    assert told("report_verified") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 2


def test_an_admin_is_not_told_of_every_province_unless_following(db):
    w = notified_world()
    submitted_report(w, "qb")
    assert "admin@example.vn" not in told("report_submitted")
    services.watch(w["admin"], w["vl"]["commitment"])
    db.session.commit()
    submitted_report(w, "vl")
    assert told("report_submitted").count("admin@example.vn") == 1


def test_the_dic_of_the_province_that_carries_on_a_merged_one_is_told(db):
    w = notified_world()
    qt = factories.province("Quảng Trị", code="prov-qt")
    qb_province = w["qb"]["province"]
    qb_province.valid_to, qb_province.successor = date(2025, 6, 30), qt
    skhcn = factories.unit(qt, kind=UnitKind.dic, code="SKHCN-QT", name="Sở KH&CN Quảng Trị")
    factories.user(Role.dic, skhcn, email="dic.qt@example.vn")
    db.session.commit()
    submitted_report(w)
    assert told("report_submitted") == [
        "dic.qb@example.vn",
        "dic.qt@example.vn",
        "dic2.qb@example.vn",
    ]
