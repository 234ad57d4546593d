"""Comments of the discussion are found by the global search, exactly where their record is
visible, and link to themselves in the record's thread."""

from tests import factories
from tracker.discussion import services as discussion
from tracker.search.queries import search


def test_a_comment_is_found_without_diacritics_in_its_records_scope_only(db):
    w = factories.world()
    qb = w["qb"]
    comment = discussion.post_comment(
        qb["commitment"], user=qb["dic"], body="Đề nghị bổ sung ảnh chụp phòng họp không giấy"
    )
    db.session.commit()

    [result] = search(qb["dic"], "anh chup phong hop").items
    assert result.label == "Ý kiến trao đổi"
    assert result.url == f"/commitments/{qb['commitment'].id}#comment-{comment.id}"
    assert "<mark>" in str(result.title)
    # Vĩnh Long's people may not read the Quảng Bình commitment: nor its comments.
    assert search(w["vl"]["dic"], "anh chup phong hop").total == 0

    # An edit is searched by its new words only.
    discussion.edit_comment(comment, user=qb["dic"], body="Đề nghị gửi biên bản nghiệm thu")
    db.session.commit()
    assert search(qb["dic"], "anh chup phong hop").total == 0
    assert search(qb["dic"], "bien ban nghiem thu").total == 1
