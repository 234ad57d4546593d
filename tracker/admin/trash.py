"""The recycle bin's screens (`/admin/trash`): administrators see every deleted record, the DIC
of a province those of its province (and of the provinces it carries on); both restore them, and
administrators may delete them for good. The bin itself is tracker.trash."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker import storage, trash
from tracker.auth.models import Role
from tracker.auth.permissions import in_scope, province_scope, roles_required
from tracker.extensions import db
from tracker.forms import commit_or_flash, page_arg
from tracker.i18n import _
from tracker.trash.pages import ConfirmForm

bp = Blueprint("trash", __name__, url_prefix="/admin/trash")


def may_restore(user, item: trash.TrashItem) -> bool:
    """Administrators restore anything; the DIC restores its province's records."""
    if user.is_admin:
        return True
    return (
        user.role == Role.dic and item.province_id is not None and in_scope(user, item.province_id)
    )


def _item(item_id: int) -> trash.TrashItem:
    """A record in the bin the user may see (404 otherwise: the same answer for both)."""
    item = db.session.get(trash.TrashItem, item_id)
    if item is None or not may_restore(current_user, item):
        abort(404)
    return item


def _kinds(items) -> dict[str, str]:
    """What each kind of record in the list is called."""
    return {item.kind: trash.kind_text(item) for item in items}


@bp.route("")
@roles_required(Role.admin, Role.dic)
def index():
    """The records in the bin the user may restore, newest first."""
    scope = None if current_user.is_admin else (province_scope(current_user) or set())
    pagination = db.paginate(trash.items(scope), page=page_arg(), per_page=50, error_out=False)
    return render_template(
        "admin/trash.html",
        pagination=pagination,
        items=pagination.items,
        kinds=_kinds(pagination.items),
        days_left=trash.days_left,
        form=ConfirmForm(),
    )


@bp.route("/<int:item_id>/restore", methods=["GET", "POST"])
@login_required
def restore(item_id):
    """Confirm, then restore a record with its children, files and history."""
    item = _item(item_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        label = item.label
        if commit_or_flash(lambda: trash.restore(item, user=current_user)):
            flash(_("“%(label)s” has been restored.", label=label), "success")
            return redirect(url_for(".index"))
        return redirect(url_for(".restore", item_id=item_id))
    return render_template(
        "admin/trash_confirm.html",
        item=item,
        kind=_kinds([item])[item.kind],
        contents=trash.item_contents(item),
        form=form,
        purge=False,
        days_left=trash.days_left(item),
    )


@bp.route("/<int:item_id>/purge", methods=["GET", "POST"])
@login_required
def purge(item_id):
    """Confirm, then delete a record of the bin for good (administrators only)."""
    item = _item(item_id)
    if not current_user.is_admin:
        abort(403)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        label = item.label
        shas: set[str] = set()
        if commit_or_flash(lambda: shas.update(trash.purge(item))):
            storage.remove_unused(*shas)
            flash(_("“%(label)s” has been deleted for good.", label=label), "success")
        return redirect(url_for(".index"))
    return render_template(
        "admin/trash_confirm.html",
        item=item,
        kind=_kinds([item])[item.kind],
        contents=trash.item_contents(item),
        form=form,
        purge=True,
        days_left=trash.days_left(item),
    )
