"""The issuing organisations' screens (`/admin/issuers`, administrators only): the body that
issues each province's reviews, its symbol in the register's numbers ("12/BC-UBND"), and its
seal (a red PNG with a transparent background, re-encoded by the server). The rules are
tracker.reports.signing's."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import IntegerField, StringField, TextAreaField

from tracker import storage
from tracker.auth.models import Role
from tracker.auth.permissions import roles_required
from tracker.collation import sort_key
from tracker.extensions import db
from tracker.forms import BaseForm, max_length, model_label, read_limited, save_with
from tracker.i18n import _
from tracker.org.models import Province
from tracker.reports import register, signing
from tracker.reports.forms import ImageForm
from tracker.reports.models import IssuingOrganisation
from tracker.signatures import images

bp = Blueprint("issuers", __name__, url_prefix="/admin/issuers")


class IssuerForm(BaseForm):
    """How the review's header names the issuer, and the register's symbol and seal size."""

    name = TextAreaField(model_label(IssuingOrganisation.name), validators=[max_length(200)])
    parent_name = StringField(
        model_label(IssuingOrganisation.parent_name), validators=[max_length(200)]
    )
    symbol = StringField(model_label(IssuingOrganisation.symbol), validators=[max_length(20)])
    seal_mm = IntegerField(model_label(IssuingOrganisation.seal_mm))


@bp.route("")
@roles_required(Role.admin)
def index():
    """Every current province's issuing organisation (made on first use)."""
    provinces = db.session.scalars(sa.select(Province).where(Province.valid_to.is_(None))).all()
    issuers = [register.issuer_for(p) for p in provinces]
    db.session.commit()
    issuers.sort(key=lambda i: sort_key(i.province.name))
    return render_template("admin/issuers.html", issuers=issuers)


@bp.route("/<int:issuer_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def edit(issuer_id):
    """Change an issuer's name, symbol and seal size; upload its seal."""
    issuer = db.session.get(IssuingOrganisation, issuer_id)
    if issuer is None:
        abort(404)
    form = IssuerForm(obj=issuer)
    seal_form = ImageForm()
    # The seal's form is the one with a file part (browsers send it even when no file is chosen).
    if seal_form.file.name in request.files:
        saved = seal_form.validate_on_submit() and save_with(
            seal_form,
            lambda: signing.set_seal(
                issuer,
                user=current_user,
                data=read_limited(seal_form.file.data, images.MAX_IMAGE_BYTES),
            ),
        )
    else:
        saved = form.validate_on_submit() and save_with(
            form,
            lambda: signing.save_issuer(
                issuer,
                user=current_user,
                name=form.name.data or "",
                parent_name=form.parent_name.data or "",
                symbol=form.symbol.data or "",
                seal_mm=form.seal_mm.data or 0,
            ),
        )
    if saved:
        flash(_("The issuing organisation has been saved."), "success")
        return redirect(url_for(".edit", issuer_id=issuer.id))
    failed = form.errors or form.form_errors or seal_form.errors or seal_form.form_errors
    return render_template("admin/issuer.html", issuer=issuer, form=form, seal_form=seal_form), (
        422 if failed else 200
    )


@bp.route("/<int:issuer_id>/seal.png")
@roles_required(Role.admin)
def seal(issuer_id):
    """The issuer's seal image."""
    issuer = db.session.get(IssuingOrganisation, issuer_id)
    if issuer is None or not issuer.seal_sha256:
        abort(404)
    return storage.download(issuer.seal_sha256, content_type="image/png", file_name="con-dau.png")
