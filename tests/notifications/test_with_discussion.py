"""A real comment of the discussion package reaches the notification receivers: the mentioned
person is told once as a mention, the watchers of the record as a comment, the author never."""

import sqlalchemy as sa

from tests.notifications import notified_world, told
from tracker.discussion import services as discussion
from tracker.notifications import services
from tracker.notifications.models import Notification
from tracker.notifications.presentation import show


def test_a_posted_comment_with_a_mention_tells_the_mentioned_and_the_watchers(db, app):
    w = notified_world()
    qb = w["qb"]
    services.watch(qb["leader"], qb["agreement"])
    body = f"@[{qb['vnpt'].full_name}](user:{qb['vnpt'].id}) xin cập nhật số trạm BTS đã lắp"
    comment = discussion.post_comment(qb["commitment"], user=qb["dic"], body=body)
    db.session.commit()

    assert told() == {"mention": ["vnpt.qb@example.vn"], "comment": ["leader.qb@example.vn"]}
    mention = db.session.scalar(sa.select(Notification).where(Notification.kind == "mention"))
    assert mention.comment_id == comment.id and mention.actor_id == qb["dic"].id
    with app.test_request_context():
        [shown] = show([mention])
    assert shown.url.endswith(f"/commitments/{qb['commitment'].id}#comment-{comment.id}")
    assert qb["dic"].full_name in shown.text

    # The author's edit that mentions nobody new tells nobody again.
    discussion.edit_comment(comment, user=qb["dic"], body=body + " trong tháng này")
    db.session.commit()
    assert told() == {"mention": ["vnpt.qb@example.vn"], "comment": ["leader.qb@example.vn"]}
