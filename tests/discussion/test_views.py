"""The thread on the record pages: posting, editing, visibility, escaping, the mention list, the
verifier's per-field return comments and where the reporter sees them."""

import re

import pytest
import sqlalchemy as sa

from tests.conftest import text_of
from tracker.audit import AuditEntry
from tracker.discussion import services
from tracker.discussion.mentions import token
from tracker.discussion.models import Comment
from tracker.extensions import db as _db
from tracker.progress import services as progress
from tracker.progress.models import ReportStatus

PAGES = {
    "report": lambda w, r: f"/reports/{r.id}",
    "commitment": lambda w, r: f"/commitments/{w['qb']['commitment'].id}",
    "directive": lambda w, r: f"/directives/{w['qb']['directive'].id}",
}


def subject_id(kind, w, report):
    return {"report": report.id, "commitment": w["qb"]["commitment"].id}.get(
        kind, w["qb"]["directive"].id
    )


def comments(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(Comment).order_by(Comment.id)).all()


@pytest.mark.parametrize("kind", PAGES)
def test_post_a_comment_on_each_record_page(client, auth, db, rw, submitted, kind):
    qb = rw["qb"]
    auth.login(qb["leader"].email)
    page = client.get(PAGES[kind](rw, submitted))
    assert "Trao đổi" in text_of(page) and "Chưa có ý kiến nào." in text_of(page)
    url = f"/discussion/{kind}/{subject_id(kind, rw, submitted)}"
    assert f'action="{url}"' in page.get_data(as_text=True)
    response = client.post(url, data={"body": "Đề nghị khẩn trương hoàn thành."})
    assert response.status_code == 302
    [comment] = comments(db)
    assert response.headers["Location"].endswith(
        PAGES[kind](rw, submitted) + f"#comment-{comment.id}"
    )
    page = text_of(client.get(PAGES[kind](rw, submitted)))
    assert "Đề nghị khẩn trương hoàn thành." in page and qb["leader"].full_name in page
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "Comment"))
    assert entry.actor_id == qb["leader"].id and entry.agreement_id == qb["agreement"].id


def test_an_empty_comment_is_refused_with_the_reason_and_nothing_saved(client, auth, db, rw):
    qb = rw["qb"]
    auth.login(qb["dic"].email)
    response = client.post(f"/discussion/commitment/{qb['commitment'].id}", data={"body": "  "})
    assert response.status_code == 422
    assert "Hãy viết nội dung ý kiến trước khi gửi." in text_of(response)
    assert comments(db) == []


def test_a_comment_without_the_csrf_token_is_refused(app, client, auth, db, rw):
    qb = rw["qb"]
    auth.login(qb["dic"].email)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/discussion/commitment/{qb['commitment'].id}", data={"body": "x"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (400, 422)
    assert comments(db) == []


@pytest.mark.parametrize("kind", PAGES)
def test_a_user_of_another_province_gets_404_and_cannot_post(client, auth, db, rw, submitted, kind):
    services.post_comment(
        {"report": submitted, "commitment": rw["qb"]["commitment"]}.get(
            kind, rw["qb"]["directive"]
        ),
        rw["qb"]["dic"],
        "Nội dung nội bộ của Quảng Bình",
    )
    db.session.commit()
    auth.login(rw["vl"]["dic"].email)
    url = f"/discussion/{kind}/{subject_id(kind, rw, submitted)}"
    assert client.get(url).status_code == 404
    assert client.get(url + "/mentions").status_code == 404
    assert client.post(url, data={"body": "Xen vào"}).status_code == 404
    [comment] = comments(db)
    assert client.get(f"/comments/{comment.id}/edit").status_code == 404
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "Sửa"}).status_code == 404
    assert len(comments(db)) == 1 and comments(db)[0].body == "Nội dung nội bộ của Quảng Bình"


def test_the_author_edits_and_the_thread_says_edited_with_the_earlier_text(client, auth, db, rw):
    qb = rw["qb"]
    comment = services.post_comment(qb["commitment"], qb["vnpt"], "Đã lắp 2 trạm BTS")
    db.session.commit()
    auth.login(qb["vnpt"].email)
    page = client.get(f"/commitments/{qb['commitment'].id}").get_data(as_text=True)
    assert f'href="/comments/{comment.id}/edit"' in page
    form = client.get(f"/comments/{comment.id}/edit")
    assert "Đã lắp 2 trạm BTS" in form.get_data(as_text=True)
    response = client.post(
        f"/comments/{comment.id}/edit", data={"body": "Đã lắp 3 trạm BTS", "version": "1"}
    )
    assert response.status_code == 302
    page = text_of(client.get(f"/commitments/{qb['commitment'].id}"))
    assert "Đã lắp 3 trạm BTS" in page
    assert "đã sửa" in page
    assert "Các bản trước (1)" in page and "Đã lắp 2 trạm BTS" in page
    # The commitment's history of changes lists the comment and its edit.
    history = page.split("Lịch sử thay đổi")[-1]
    assert "Ý kiến trao đổi" in history and "Đã lắp 2 trạm BTS" in history
    # So does the agreement's.
    agreement_history = text_of(client.get(f"/agreements/{qb['agreement'].code}/history"))
    assert "Ý kiến trao đổi" in agreement_history and "Đã lắp 3 trạm BTS" in agreement_history


def test_nobody_edits_or_deletes_another_s_comment(client, auth, db, rw):
    qb = rw["qb"]
    comment = services.post_comment(qb["commitment"], qb["vnpt"], "Ý kiến của VNPT")
    db.session.commit()
    auth.login(qb["dic"].email)
    page = client.get(f"/commitments/{qb['commitment'].id}").get_data(as_text=True)
    assert "Ý kiến của VNPT" in page and f"/comments/{comment.id}/edit" not in page
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "Đã bị sửa"})
    assert response.status_code == 403
    # There is no way to delete a comment at all.
    assert client.post(f"/comments/{comment.id}/delete").status_code in (404, 405)
    assert client.post(f"/comments/{comment.id}", data={"_method": "DELETE"}).status_code in (
        404,
        405,
    )
    [kept] = comments(db)
    assert kept.body == "Ý kiến của VNPT" and kept.edited_at is None


def test_script_in_a_comment_is_shown_as_text_and_links_are_safe(client, auth, db, rw):
    qb = rw["qb"]
    auth.login(qb["dic"].email)
    body = (
        '<script>alert("xss")</script> <img src=x onerror=alert(1)> '
        "xem https://mic.gov.vn/van-ban?id=1&x=2. và javascript:alert(1)"
    )
    client.post(f"/discussion/commitment/{qb['commitment'].id}", data={"body": body})
    html = client.get(f"/commitments/{qb['commitment'].id}").get_data(as_text=True)
    thread = html[html.index('id="discussion"') :]
    assert "<script>alert" not in thread and "<img src=x" not in thread
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in thread
    assert (
        '<a href="https://mic.gov.vn/van-ban?id=1&amp;x=2" rel="noopener nofollow" '
        'target="_blank">https://mic.gov.vn/van-ban?id=1&amp;x=2</a>.' in thread
    )
    assert 'href="javascript' not in thread


def test_mentions_are_highlighted_with_the_current_name(client, auth, db, rw):
    qb = rw["qb"]
    services.post_comment(
        qb["commitment"], qb["dic"], f"Nhờ {token(qb['vnpt'])} và {token(qb['branch'])} xem giúp"
    )
    qb["vnpt"].full_name = "Nguyễn Văn <b>Bình</b>"
    db.session.commit()
    auth.login(qb["leader"].email)
    html = client.get(f"/commitments/{qb['commitment'].id}").get_data(as_text=True)
    assert '<span class="mention mention-user">@Nguyễn Văn &lt;b&gt;Bình&lt;/b&gt;</span>' in html
    assert f'<span class="mention mention-unit">@{qb["branch"].name}</span>' in html
    thread = html[html.index('id="discussion"') : html.index('id="history"')]
    assert "(user:" not in thread and "(unit:" not in thread


def test_the_mention_list_offers_the_people_and_units_of_the_agreement(client, auth, db, rw):
    qb, vl = rw["qb"], rw["vl"]
    auth.login(qb["vnpt"].email)
    response = client.get(f"/discussion/commitment/{qb['commitment'].id}/mentions")
    assert response.status_code == 200
    items = response.get_json()
    people = {i["id"] for i in items if i["kind"] == "user"}
    units = {i["id"] for i in items if i["kind"] == "unit"}
    assert people == {qb["dic"].id, qb["vnpt"].id, qb["leader"].id}
    assert units == {qb["branch"].id, qb["dic_unit"].id, qb["ubnd"].id}
    assert vl["dic"].id not in people and rw["hq"].id not in people
    vnpt = next(i for i in items if i["kind"] == "user" and i["id"] == qb["vnpt"].id)
    assert vnpt["token"] == f"@[{qb['vnpt'].full_name}](user:{qb['vnpt'].id})"
    assert vnpt["detail"] == qb["branch"].name


def test_a_mention_of_someone_outside_the_agreement_is_refused_on_the_page(client, auth, db, rw):
    qb = rw["qb"]
    auth.login(qb["dic"].email)
    response = client.post(
        f"/discussion/commitment/{qb['commitment'].id}",
        data={"body": f"Nhờ {token(rw['vl']['vnpt'])} xem giúp"},
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "Chỉ được nhắc đến người và đơn vị của thỏa thuận này" in page
    assert "Nhờ @[" in page  # the text is kept to be corrected
    assert comments(db) == []


def test_the_verifier_returns_with_per_field_comments_and_the_reporter_sees_them(
    client, auth, db, rw, submitted
):
    qb = rw["qb"]
    indicator, milestone = qb["indicator"], qb["milestone"]
    auth.login(qb["dic"].email)
    page = client.get(f"/reports/{submitted.id}").get_data(as_text=True)
    assert f'name="note_indicator_{indicator.id}"' in page
    assert f'name="note_milestone_{milestone.id}"' in page
    assert "Nhận xét cho từng chỉ tiêu, mốc (không bắt buộc)" in text_of_html(page)
    response = client.post(
        f"/reports/{submitted.id}/return",
        data={
            "reason": "Bổ sung minh chứng",
            "version": submitted.version,
            f"note_indicator_{indicator.id}": "Số liệu chưa khớp biên bản nghiệm thu",
            f"note_milestone_{milestone.id}": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert _db.session.get(type(submitted), submitted.id).status == ReportStatus.returned
    [note] = comments(db)
    assert note.indicator_id == indicator.id and note.report_id == submitted.id
    auth.logout()

    auth.login(qb["vnpt"].email)
    form = client.get(f"/commitments/{qb['commitment'].id}/reports/{qb['current'].id}")
    html = form.get_data(as_text=True)
    # The note sits in the indicator's own field, right after its input.
    field = re.search(rf'<label for="v_{indicator.id}">.*?</div>', html, re.S).group(0)
    assert "Nhận xét của Sở:" in field and "Số liệu chưa khớp biên bản nghiệm thu" in field
    assert text_of(form).count("Nhận xét của Sở:") == 1
    report_page = text_of(client.get(f"/reports/{submitted.id}"))
    assert "Nhận xét theo từng mục trong lần trả lại gần nhất" in report_page
    assert f"Chỉ tiêu: {indicator.name} — Số liệu chưa khớp biên bản nghiệm thu" in report_page
    assert "Nhận xét khi trả lại báo cáo" in report_page  # the note in the thread, marked


def test_a_too_long_field_comment_refuses_the_return_with_its_field_named(
    client, auth, db, rw, submitted
):
    qb = rw["qb"]
    auth.login(qb["dic"].email)
    response = client.post(
        f"/reports/{submitted.id}/return",
        data={
            "reason": "Bổ sung minh chứng",
            "version": submitted.version,
            f"note_milestone_{qb['milestone'].id}": "x" * 5001,
        },
        follow_redirects=True,
    )
    assert f"{qb['milestone'].title}: Tối đa 5000 ký tự." in text_of(response)
    db.session.expire_all()
    assert _db.session.get(type(submitted), submitted.id).status == ReportStatus.submitted
    assert comments(db) == []


def text_of_html(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_note_on_a_milestone_already_met_is_shown_with_the_reason(
    client, auth, db, rw, submitted
):
    """The report form lists only the milestones not met yet; a note on a met one is shown in
    the box with the return's reason, so the reporter never misses it."""
    qb = rw["qb"]
    milestone = qb["milestone"]
    milestone.done_on = milestone.due_on
    progress.return_report(
        submitted,
        user=qb["dic"],
        reason="Bổ sung minh chứng",
        field_notes={("milestone", milestone.id): "Ngày hoàn thành chưa có biên bản"},
    )
    db.session.commit()
    auth.login(qb["vnpt"].email)
    html = client.get(f"/commitments/{qb['commitment'].id}/reports/{qb['current'].id}").get_data(
        as_text=True
    )
    alert = re.search(r'<div class="alert alert-warning" role="alert">.*?</div>', html, re.S)
    text = text_of_html(alert.group(0))
    assert "Lý do Sở nêu: Bổ sung minh chứng" in text
    assert f"{milestone.title}. Nhận xét của Sở: Ngày hoàn thành chưa có biên bản" in text
