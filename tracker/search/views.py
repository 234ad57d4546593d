"""The search page: `/search?q=`, for every signed-in user, over what they may read."""

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from tracker.forms import page_arg
from tracker.search.queries import MIN_LENGTH, search, too_short

bp = Blueprint("search", __name__)


@bp.route("/search")
@login_required
def results():
    """The records matching the query, best first, the matched words marked."""
    q = request.args.get("q", "").strip()[:200]
    found = search(current_user, q, page=page_arg())
    return render_template(
        "search/results.html",
        q=q,
        results=found,
        too_short=bool(q) and too_short(q),
        min_length=MIN_LENGTH,
    )
