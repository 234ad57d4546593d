"""What the discussion adds to the pages of the packages below it, which must not import it:
the Jinja globals `comment_thread(record)` and `return_notes(report)`, and the comments of a
commitment in its page's history of changes (through tracker/agreements/signals.py)."""

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup

from tracker.agreements.signals import commitment_page
from tracker.discussion import queries
from tracker.discussion.models import Comment
from tracker.discussion.views import bp, record_url, thread_context
from tracker.extensions import db


def comment_thread(subject) -> Markup:
    """The thread of a report, commitment or directive, with the form to post (the template
    `discussion/_thread.html`)."""
    # A rendered template: Jinja has escaped every value in it already.
    html = render_template("discussion/_thread.html", **thread_context(subject))
    return Markup(html)  # noqa: S704


@commitment_page.connect
def commitment_comments(commitment, **_kwargs) -> dict:
    """The commitment's comments join the records whose changes its page's history lists."""
    ids = db.session.scalars(
        sa.select(Comment.id).where(Comment.commitment_id == commitment.id)
    ).all()
    return {"history_entities": [("Comment", list(ids))]}


def init_app(app) -> None:
    """Register the blueprint and the Jinja globals."""
    app.register_blueprint(bp)
    app.add_template_global(comment_thread)
    app.add_template_global(queries.last_return_notes, "return_notes")
    app.add_template_global(record_url, "comment_record_url")
