"""The notification pages: the list (/notifications), opening one, marking all read, the
preferences (/notifications/settings) and following a record ("Theo dõi")."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from tracker.agreements.models import Agreement, Commitment, Directive
from tracker.agreements.permissions import can_view_agreement
from tracker.agreements.signals import agreement_page, commitment_page
from tracker.extensions import db
from tracker.forms import page_arg
from tracker.i18n import _
from tracker.notifications import services
from tracker.notifications.models import Delivery, Notification, NotificationKind
from tracker.notifications.presentation import show
from tracker.security import local_path

bp = Blueprint("notifications", __name__)

#: The records that can be followed, by the name in the URL.
FOLLOWED = {"agreement": Agreement, "commitment": Commitment, "directive": Directive}

FILTERS = ("all", "unread", "read")


def unread_notifications() -> int:
    """The signed-in user's unread count for the bell (one COUNT per page, cached on `g`)."""
    if not current_user.is_authenticated:
        return 0
    if "_unread_notifications" not in g:
        g._unread_notifications = services.unread_count(current_user)
    return g._unread_notifications


@bp.route("/notifications")
@login_required
def index():
    """The user's notifications, unread first, newest first; ?show=unread|read filters."""
    shown = request.args.get("show", "all")
    if shown not in FILTERS:
        shown = "all"
    query = sa.select(Notification).where(Notification.user_id == current_user.id)
    if shown == "unread":
        query = query.where(Notification.read_at.is_(None))
    elif shown == "read":
        query = query.where(Notification.read_at.is_not(None))
    query = query.order_by(
        Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc()
    )
    pagination = db.paginate(
        query, page=page_arg(), per_page=current_app.config["PAGE_SIZE"], error_out=False
    )
    return render_template(
        "notifications/index.html",
        pagination=pagination,
        items=show(pagination.items),
        shown=shown,
        filters={
            "all": _("All"),
            "unread": _("Unread"),
            "read": _("Read"),
        },
    )


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id):
    """Open a notification: it becomes read and the record's page opens."""
    notification = services.notification_for(current_user, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(notification, user=current_user)
    [item] = show([notification])
    db.session.commit()
    return redirect(item.url)


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark every notification read."""
    count = services.mark_all_read(current_user)
    db.session.commit()
    flash(_("%(num)d notifications marked read.", num=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Per kind: immediately (in the app and by e-mail), in the daily digest, or off."""
    current = services.preferences(current_user)
    errors = False
    if request.method == "POST":
        choices = {}
        for kind in NotificationKind:
            raw = request.form.get(kind.value, current[kind].value)
            try:
                choices[kind] = Delivery(raw)
            except ValueError:
                errors = True
        if not errors:
            services.set_preferences(current_user, choices)
            db.session.commit()
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("notifications.settings"))
        flash(_("Choose one of the offered options for each kind."), "danger")
    return (
        render_template(
            "notifications/settings.html",
            current=current,
            kinds=NotificationKind,
            deliveries=Delivery,
        ),
        400 if errors else 200,
    )


def _followed(kind: str, record_id: int):
    model = FOLLOWED.get(kind)
    record = db.session.get(model, record_id) if model else None
    if record is None or not can_view_agreement(
        current_user, record.agreement if kind != "agreement" else record
    ):
        abort(404)
    return record


def _back(record) -> str:
    wanted = local_path(request.form.get("next"))
    if wanted:
        return wanted
    if isinstance(record, Agreement):
        return url_for("agreements.detail", code=record.code)
    if isinstance(record, Commitment):
        return url_for("agreements.commitment", commitment_id=record.id)
    return url_for("progress.directive", directive_id=record.id)


@bp.route("/watch/<kind>/<int:record_id>", methods=["POST"])
@login_required
def watch(kind, record_id):
    """Follow an agreement, a commitment or a directive."""
    record = _followed(kind, record_id)
    services.watch(current_user, record)
    db.session.commit()
    flash(_("You now follow this record: you will be told what happens to it."), "success")
    return redirect(_back(record))


@bp.route("/unwatch/<kind>/<int:record_id>", methods=["POST"])
@login_required
def unwatch(kind, record_id):
    """Stop following a record."""
    record = _followed(kind, record_id)
    services.unwatch(current_user, record)
    db.session.commit()
    flash(_("You no longer follow this record."), "success")
    return redirect(_back(record))


def _watch_state(record, kind: str) -> dict:
    return {
        "watch_state": {
            "kind": kind,
            "id": record.id,
            "following": services.is_watching(current_user, record),
        }
    }


@agreement_page.connect
def agreement_watch(agreement, **_) -> dict:
    """The "Theo dõi" / "Bỏ theo dõi" button of the agreement page."""
    return _watch_state(agreement, "agreement")


@commitment_page.connect
def commitment_watch(commitment, *, user, **_) -> dict:
    """The "Theo dõi" / "Bỏ theo dõi" button of the commitment page."""
    return _watch_state(commitment, "commitment")
