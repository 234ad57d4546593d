"""Pages of the discussion: a record's thread, posting and editing a comment, and the list of
people and units the autocomplete of mentions offers."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from tracker.discussion import queries, services
from tracker.discussion.forms import CommentForm
from tracker.discussion.mentions import mentionable_units, mentionable_users, token
from tracker.discussion.models import Comment
from tracker.discussion.permissions import agreement_of, can_edit_comment, can_view_thread
from tracker.discussion.rendering import render_body
from tracker.extensions import db
from tracker.forms import save_with
from tracker.i18n import _

bp = Blueprint("discussion", __name__)

#: Where each kind of record is shown (its thread is on that page).
RECORD_PAGES = {
    "report": ("progress.report", "report_id"),
    "commitment": ("agreements.commitment", "commitment_id"),
    "directive": ("progress.directive", "directive_id"),
}


def record_url(subject, anchor: str = "discussion") -> str:
    """The page of the record a thread belongs to, at the thread."""
    endpoint, arg = RECORD_PAGES[queries.kind_of(subject)]
    return url_for(endpoint, **{arg: subject.id}) + f"#{anchor}"


def _subject(kind: str, subject_id: int):
    subject = queries.subject_of(kind, subject_id)
    if subject is None or not can_view_thread(current_user, subject):
        abort(404)
    return subject


def thread_context(subject, form=None) -> dict:
    """What the thread partial shows: the comments, their mentions' names, earlier texts of
    edited ones, and the form to post."""
    comments = queries.comments_of(subject)
    kind = queries.kind_of(subject)
    return {
        "subject": subject,
        "kind": kind,
        "comments": comments,
        "names": queries.mention_names(comments),
        "earlier": queries.earlier_texts(comments),
        "form": form or CommentForm(),
        "mentions_url": url_for("discussion.mentions", kind=kind, subject_id=subject.id),
        "post_url": url_for("discussion.post", kind=kind, subject_id=subject.id),
        "editable": {c.id for c in comments if can_edit_comment(current_user, c)},
        "render": render_body,
    }


@bp.route("/discussion/<kind>/<int:subject_id>")
@login_required
def thread(kind, subject_id):
    """A record's thread on a page of its own (also where a refused comment is shown again)."""
    subject = _subject(kind, subject_id)
    return render_template(
        "discussion/thread.html",
        back=record_url(subject),
        agreement=agreement_of(subject),
        **thread_context(subject),
    )


@bp.route("/discussion/<kind>/<int:subject_id>", methods=["POST"])
@login_required
def post(kind, subject_id):
    """Post a comment to a record's thread."""
    subject = _subject(kind, subject_id)
    form = CommentForm()
    saved = {}

    def action():
        saved["comment"] = services.post_comment(subject, current_user, form.body.data)

    if form.validate_on_submit() and save_with(form, action):
        flash(_("Your comment has been posted."), "success")
        return redirect(record_url(subject, f"comment-{saved['comment'].id}"))
    return render_template(
        "discussion/thread.html",
        back=record_url(subject),
        agreement=agreement_of(subject),
        **thread_context(subject, form),
    ), 422


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id):
    """The author changes the text of their comment (the earlier text stays in history)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or not can_view_thread(current_user, comment.subject):
        abort(404)
    if not can_edit_comment(current_user, comment):
        abort(403)
    form = CommentForm(obj=comment)
    if form.validate_on_submit() and save_with(
        form,
        lambda: services.edit_comment(comment, current_user, form.body.data, form.version.data),
        stale_obj=comment,
    ):
        flash(_("Your comment has been changed."), "success")
        return redirect(record_url(comment.subject, f"comment-{comment.id}"))
    kind = queries.kind_of(comment.subject)
    return render_template(
        "discussion/edit.html",
        form=form,
        comment=comment,
        agreement=comment.agreement,
        back=record_url(comment.subject, f"comment-{comment.id}"),
        mentions_url=url_for("discussion.mentions", kind=kind, subject_id=comment.subject.id),
    )


@bp.route("/discussion/<kind>/<int:subject_id>/mentions")
@login_required
def mentions(kind, subject_id):
    """The people and units of the record's agreement, for the autocomplete of mentions."""
    subject = _subject(kind, subject_id)
    units = mentionable_units(subject)
    people = mentionable_users(subject, units)
    return jsonify(
        [
            {
                "kind": "user",
                "id": person.id,
                "label": person.full_name,
                "detail": person.unit.name if person.unit else "",
                "token": token(person),
            }
            for person in people
        ]
        + [
            {
                "kind": "unit",
                "id": unit.id,
                "label": unit.name,
                "detail": unit.code,
                "token": token(unit),
            }
            for unit in units
        ]
    )
