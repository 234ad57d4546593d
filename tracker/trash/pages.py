"""The confirmation page every delete goes through: GET says what goes to the recycle bin (the
record and its children) or why it cannot be deleted; POST (CSRF-checked) deletes."""

from flask import abort, flash, redirect, render_template, request

from tracker.audit.presentation import record_text
from tracker.errors import NotAllowed, NotFound, Refusal
from tracker.extensions import db
from tracker.forms import BaseForm, commit_or_flash
from tracker.i18n import _
from tracker.labels import kind_label
from tracker.trash import contents


class ConfirmForm(BaseForm):
    """CSRF only: the confirmation of a delete."""


class _TriedOut(Exception):
    """Raised to roll back a change that was only tried."""


def refusal_of(change) -> Refusal | None:
    """What a service refuses when asked for this change, tried in a savepoint that is then
    rolled back; None when it would be done."""
    try:
        with db.session.begin_nested():
            change()
            raise _TriedOut
    except _TriedOut:
        return None
    except Refusal as exc:
        return exc


def confirm_delete(obj, delete, *, back: str, done: str, label: str | None = None):
    """GET: the confirmation page of deleting `obj` with `delete` (a service call); POST: the
    delete, then to `done` (`back` is where "Cancel" and a refusal lead)."""
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("The form had expired. Please confirm again."), "danger")
            return redirect(request.url)
        if commit_or_flash(delete):
            flash(
                _("Moved to the recycle bin: it can be restored from there for 30 days."),
                "success",
            )
            return redirect(done)
        return redirect(back)
    refusal = refusal_of(delete)
    if isinstance(refusal, NotAllowed):
        abort(403)
    if isinstance(refusal, NotFound):
        abort(404)
    return render_template(
        "trash/confirm.html",
        form=form,
        kind=kind_label(obj),
        label=label or record_text(obj),
        contents=contents(obj) if refusal is None else [],
        refusal=refusal,
        back=back,
    )
