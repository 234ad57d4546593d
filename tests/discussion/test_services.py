"""Posting and editing comments through the services: who may, what is refused, the mentions
and the signal, per-field return notes, and the history of changes."""

import pytest
import sqlalchemy as sa

from tracker import events
from tracker.audit import AuditEntry
from tracker.discussion import services
from tracker.discussion.mentions import mentioned_ids, token
from tracker.discussion.models import Comment
from tracker.errors import InvalidValue, NotAllowed, NotFound
from tracker.progress import services as progress
from tracker.progress.models import ReportStatus


class Received:
    """A receiver of `comment_posted` that keeps what it was sent."""

    def __init__(self):
        self.calls = []

    def __call__(self, sender, **kwargs):
        self.calls.append((sender, kwargs))


@pytest.fixture
def received():
    receiver = Received()
    with events.comment_posted.connected_to(receiver):
        yield receiver


def test_a_comment_belongs_to_one_record_of_each_kind(rw, db, submitted):
    qb = rw["qb"]
    for subject in (submitted, qb["commitment"], qb["directive"]):
        comment = services.post_comment(subject, qb["leader"], "  Đề nghị báo cáo rõ tiến độ.  ")
        assert comment.subject is subject
        assert comment.author_id == qb["leader"].id
        assert comment.body == "Đề nghị báo cáo rõ tiến độ."
        assert comment.edited_at is None
    db.session.commit()
    kinds = db.session.execute(
        sa.select(Comment.report_id, Comment.commitment_id, Comment.directive_id)
    ).all()
    assert kinds == [
        (submitted.id, None, None),
        (None, qb["commitment"].id, None),
        (None, None, qb["directive"].id),
    ]


def test_the_database_refuses_a_comment_on_no_record_or_on_two(rw, db):
    qb = rw["qb"]
    for fields in ({}, {"commitment_id": qb["commitment"].id, "directive_id": qb["directive"].id}):
        db.session.add(Comment(author_id=qb["dic"].id, body="x", **fields))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Hãy viết nội dung ý kiến trước khi gửi."),
        (" \n\t ", "Hãy viết nội dung ý kiến trước khi gửi."),
        (None, "Hãy viết nội dung ý kiến trước khi gửi."),
        ("x" * 5001, "Một ý kiến dài tối đa 5000 ký tự."),
    ],
)
def test_an_empty_or_too_long_comment_is_refused(rw, db, body, message, received):
    with pytest.raises(InvalidValue) as refused:
        services.post_comment(rw["qb"]["commitment"], rw["qb"]["dic"], body)
    assert str(refused.value.message) == message and refused.value.field == "body"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    assert received.calls == []


def test_nobody_outside_the_record_s_province_may_post(rw, db, submitted):
    vl = rw["vl"]
    for subject in (submitted, rw["qb"]["commitment"], rw["qb"]["directive"]):
        with pytest.raises(NotFound):
            services.post_comment(subject, vl["dic"], "Tôi muốn góp ý")


def test_only_the_author_edits_a_comment(rw, db, received):
    qb = rw["qb"]
    comment = services.post_comment(qb["commitment"], qb["vnpt"], "Đã lắp 2 trạm")
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.edit_comment(comment, qb["dic"], "Đã lắp 5 trạm")
    with pytest.raises(NotFound):
        services.edit_comment(comment, rw["vl"]["vnpt"], "Đã lắp 5 trạm")
    db.session.rollback()
    assert db.session.get(Comment, comment.id).body == "Đã lắp 2 trạm"

    services.edit_comment(comment, qb["vnpt"], "Đã lắp 3 trạm", comment.version)
    db.session.commit()
    assert comment.body == "Đã lắp 3 trạm" and comment.edited_at is not None
    sender, kwargs = received.calls[-1]
    assert sender is comment and kwargs["edited"] is True and kwargs["actor"] is qb["vnpt"]


def test_edits_are_kept_in_the_history_of_changes(rw, db):
    qb = rw["qb"]
    comment = services.post_comment(qb["directive"], qb["dic"], "Hoàn thành trước 30/6")
    db.session.commit()
    services.edit_comment(comment, qb["dic"], "Hoàn thành trước 31/7")
    db.session.commit()
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "Comment", AuditEntry.entity_id == comment.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[0].changes["body"] == [None, "Hoàn thành trước 30/6"]
    assert entries[1].changes["body"] == ["Hoàn thành trước 30/6", "Hoàn thành trước 31/7"]
    assert {e.agreement_id for e in entries} == {qb["agreement"].id}


def test_mentions_of_people_and_units_of_the_agreement_are_sent_with_the_signal(rw, db, received):
    qb = rw["qb"]
    body = f"{token(qb['vnpt'])} và {token(qb['dic_unit'])} cập nhật giúp, cảm ơn {token(qb['leader'])}"
    comment = services.post_comment(qb["commitment"], qb["dic"], body)
    sender, kwargs = received.calls[-1]
    assert sender is comment and kwargs["edited"] is False and kwargs["actor"] is qb["dic"]
    assert kwargs["mentioned_users"] == {qb["vnpt"], qb["leader"]}
    assert kwargs["mentioned_units"] == {qb["dic_unit"]}

    # An edit sends only the people and units it mentions for the first time.
    services.edit_comment(comment, qb["dic"], body + f" và {token(qb['branch'])}")
    _sender, kwargs = received.calls[-1]
    assert kwargs["edited"] is True
    assert kwargs["mentioned_users"] == set() and kwargs["mentioned_units"] == {qb["branch"]}


def test_plain_at_signs_are_text_not_mentions(rw, db, received):
    qb = rw["qb"]
    body = "Gửi email tới dic.qb@example.vn hoặc @VNPT-qb, @[ghi chú] (user:x)"
    assert mentioned_ids(body) == {"user": set(), "unit": set()}
    services.post_comment(qb["commitment"], qb["dic"], body)
    _sender, kwargs = received.calls[-1]
    assert kwargs["mentioned_users"] == set() and kwargs["mentioned_units"] == set()


@pytest.mark.parametrize(
    "who",
    [
        lambda w: token(w["vl"]["vnpt"]),  # a person of another province's agreement
        lambda w: token(w["vl"]["branch"]),  # a unit of another agreement
        lambda w: token(w["hq"]),  # VNPT headquarters is no unit of this agreement
        lambda w: "@[Ai đó](user:999999)",  # nobody
    ],
)
def test_a_mention_of_anyone_outside_the_agreement_is_refused(rw, db, who, received):
    qb = rw["qb"]
    with pytest.raises(InvalidValue) as refused:
        services.post_comment(qb["commitment"], qb["dic"], f"Nhờ {who(rw)} xem giúp")
    assert "Chỉ được nhắc đến người và đơn vị của thỏa thuận này" in str(refused.value.message)
    assert refused.value.field == "body"
    assert received.calls == []


def test_a_disabled_account_cannot_be_mentioned(rw, db):
    qb = rw["qb"]
    qb["vnpt_other"].active = False
    db.session.flush()
    with pytest.raises(InvalidValue):
        services.post_comment(qb["commitment"], qb["dic"], f"Nhờ {token(qb['vnpt_other'])}")


def test_per_field_return_notes_become_comments_on_the_report(rw, db, submitted, received):
    qb = rw["qb"]
    progress.return_report(
        submitted,
        user=qb["dic"],
        reason="Bổ sung minh chứng",
        field_notes={
            ("indicator", qb["indicator"].id): "Số liệu chưa khớp biên bản",
            ("milestone", qb["milestone"].id): "Ghi rõ ngày hoàn thành",
            ("milestone", 0): "   ",  # an empty box is no comment
        },
    )
    db.session.commit()
    notes = db.session.scalars(sa.select(Comment).order_by(Comment.id)).all()
    assert [(n.anchor, n.body, n.subject) for n in notes] == [
        (qb["indicator"], "Số liệu chưa khớp biên bản", submitted),
        (qb["milestone"], "Ghi rõ ngày hoàn thành", submitted),
    ]
    assert {n.return_event_id for n in notes} == {submitted.events[-1].id}
    assert {n.author_id for n in notes} == {qb["dic"].id}
    # The return's own signal carries them: no separate comment notification.
    assert received.calls == []


def test_a_note_on_another_commitment_s_field_refuses_the_whole_return(rw, db, submitted):
    qb, vl = rw["qb"], rw["vl"]
    with pytest.raises(NotFound):
        progress.return_report(
            submitted,
            user=qb["dic"],
            reason="Bổ sung minh chứng",
            field_notes={("indicator", vl["indicator"].id): "Sai chỉ tiêu"},
        )
    db.session.rollback()
    db.session.expire_all()
    assert submitted.status == ReportStatus.submitted
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_only_a_report_comment_may_concern_a_field(rw, db):
    qb = rw["qb"]
    with pytest.raises(InvalidValue):
        services.post_comment(qb["commitment"], qb["dic"], "Xem lại", anchor=qb["indicator"])
