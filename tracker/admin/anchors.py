"""The trust anchors' screens (`/admin/trust-anchors`, administrators only): the CA certificates
signatures are checked against, added from a PEM file and removed behind a confirmation. The
rules are tracker.signatures.services'; storage checks the signed files again on each change."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired

from tracker.auth.models import Role
from tracker.auth.permissions import roles_required
from tracker.extensions import db
from tracker.forms import BaseForm, commit_or_flash, read_limited, save_with
from tracker.i18n import _, _l
from tracker.signatures import services as signatures
from tracker.signatures.models import TrustAnchor

bp = Blueprint("anchors", __name__, url_prefix="/admin/trust-anchors")


class AnchorForm(BaseForm):
    """A CA certificate to trust, as a PEM file."""

    file = FileField(
        _l("Certificate file (PEM)"),
        description=_l(
            "The root or intermediate certificate of a certificate authority, in PEM form "
            "(“-----BEGIN CERTIFICATE-----”), at most 64 KB. Never a private key."
        ),
        validators=[FileRequired(message=_l("Choose a file."))],
    )


class ConfirmForm(BaseForm):
    """CSRF only: the confirmation of a removal."""


@bp.route("", methods=["GET", "POST"])
@roles_required(Role.admin)
def index():
    """The trust anchors, and the form adding one."""
    form = AnchorForm()
    if form.validate_on_submit() and save_with(
        form,
        lambda: signatures.add_anchor(
            read_limited(form.file.data, signatures.MAX_ANCHOR_BYTES), user=current_user
        ),
    ):
        flash(
            _("The certificate is now a trust anchor; the signed files have been checked again."),
            "success",
        )
        return redirect(url_for(".index"))
    return render_template("admin/trust_anchors.html", anchors=signatures.anchors(), form=form), (
        422 if form.errors or form.form_errors else 200
    )


@bp.route("/<int:anchor_id>/remove", methods=["GET", "POST"])
@roles_required(Role.admin)
def remove(anchor_id):
    """Confirm, then stop trusting a CA certificate."""
    anchor = db.session.get(TrustAnchor, anchor_id)
    if anchor is None:
        abort(404)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("The form had expired. Please confirm again."), "danger")
            return redirect(request.url)
        subject = anchor.subject
        if commit_or_flash(lambda: signatures.remove_anchor(anchor, user=current_user)):
            flash(
                _(
                    "“%(subject)s” is no longer a trust anchor; the signed files have been "
                    "checked again.",
                    subject=subject,
                ),
                "success",
            )
        return redirect(url_for(".index"))
    return render_template(
        "admin/trust_anchor_remove.html",
        anchor=anchor,
        form=form,
        signed_files=len(signatures.signed_hashes()),
    )
