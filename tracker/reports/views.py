"""The "Xuất báo cáo" page and the history of generated reviews."""

import re
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker import storage
from tracker.agreements.models import Agreement
from tracker.agreements.permissions import can_view_agreement
from tracker.auth.models import Role
from tracker.clock import local_today
from tracker.extensions import db
from tracker.forms import read_limited, save_with
from tracker.i18n import _, fmt_date
from tracker.reports import services, signing
from tracker.reports.forms import ImageForm, ReviewForm, SignForm
from tracker.reports.models import GeneratedReport, ReviewKind
from tracker.reports.pdf.five_year import ReviewOptions, defaults
from tracker.reports.word import CONTENT_TYPE
from tracker.signatures import images, keys
from tracker.signatures.services import checks_for

bp = Blueprint("reports", __name__)


def _agreement(code) -> Agreement:
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == code))
    if agreement is None or not can_view_agreement(current_user, agreement):
        abort(404)
    if not services.can_generate(current_user, agreement):
        abort(403)
    return agreement


@bp.route("/agreements/<code>/reports", methods=["GET", "POST"])
@login_required
def index(code):
    """Generate a review (five-year, annual or interim; Vietnamese or English) and list earlier ones."""
    agreement = _agreement(code)
    history = services.history(agreement)
    form = ReviewForm()
    if request.method == "GET":
        previous = services.previous_options(agreement, history)
        for name in (
            "issuer_parent",
            "issuer",
            "number",
            "place",
            "shortcomings",
            "direction",
            "recommendations",
            "signer_authority",
            "signer_name",
        ):
            form[name].data = getattr(previous, name)
        form.recipients.data = "\n".join(previous.recipients)
        kind = request.args.get("kind")
        form.kind.data = kind if kind in ReviewKind.__members__ else ReviewKind.five_year.value
        form.issued_on.data = local_today()
    _show_defaults(form, agreement)
    result = {}

    def generate():
        options = ReviewOptions(
            kind=form.kind.data,
            lang=form.lang.data,
            issuer_parent=form.issuer_parent.data or "",
            issuer=form.issuer.data or "",
            number=form.number.data or "",
            place=form.place.data or "",
            issued_on=form.issued_on.data,
            shortcomings=form.shortcomings.data or "",
            direction=form.direction.data or "",
            recommendations=form.recommendations.data or "",
            signer_authority=form.signer_authority.data or "",
            signer_name=form.signer_name.data or "",
            recipients=[
                line.strip() for line in (form.recipients.data or "").splitlines() if line.strip()
            ],
        )
        result["report"] = services.generate_review(
            agreement,
            user=current_user,
            options=options,
            date_from=form.date_from.data,
            date_to=form.date_to.data,
        )

    if form.validate_on_submit() and save_with(form, generate):
        flash(
            _("The report has been generated (%(pages)d pages).", pages=result["report"].pages),
            "success",
        )
        return redirect(url_for(".index", code=code) + "#history")
    return render_template(
        "reports/index.html",
        agreement=agreement,
        form=form,
        history=history,
        signature_checks=checks_for(r.signed_sha256 or r.sha256 for r in history),
        may_sign={r.id for r in history if not r.signed and signing.can_sign(current_user, r)},
    )


def _show_defaults(form, agreement: Agreement) -> None:
    """What an empty field becomes in the document: the header fields' placeholders, and the
    usual range of each kind of review for the document's date."""
    issued_on = form.issued_on.data or local_today()
    ranges = "; ".join(
        _(
            "%(kind)s: %(start)s – %(end)s",
            kind=kind.label,
            start=fmt_date(start),
            end=fmt_date(end),
        )
        for kind in ReviewKind
        for start, end in [services.default_range(agreement, kind, issued_on)]
    )
    form.date_from.description = _(
        "Leave the range empty for the usual one (never after the date of the document): "
        "%(ranges)s.",
        ranges=ranges,
    )
    now = agreement.province.current()
    shown = defaults(
        SimpleNamespace(
            province=agreement.province.name,
            province_now=now.name if now.id != agreement.province_id else None,
            province_is_city=agreement.province.is_city,
        ),
        ReviewOptions(lang="vi"),
    )
    for name in ("issuer", "number", "place"):  # one-line inputs
        text = re.sub("\u00a0+", "…", getattr(shown, name)).replace("\n", " ")
        form[name].render_kw = {"placeholder": text}
    form.signer_authority.render_kw = {"placeholder": shown.signer_authority}
    form.recipients.render_kw = {"placeholder": "\n".join(shown.recipients)}


def _record(report_id) -> GeneratedReport:
    """A generated review the user may read (404 outside their scope, 403 for a role that
    does not read reviews)."""
    record = db.session.get(GeneratedReport, report_id)
    if record is None:
        abort(404)
    _agreement(record.agreement.code)
    return record


@bp.route("/generated/<int:report_id>.docx")
@login_required
def download_docx(report_id):
    """The Word file of a generated review, made now from its saved options and range (its
    first-page header says so when the data changed since the PDF)."""
    record = _record(report_id)
    docx, file_name, _changed = services.review_docx(record, user=current_user)
    return storage.send_bytes(docx, content_type=CONTENT_TYPE, file_name=file_name)


@bp.route("/generated/<int:report_id>.pdf")
@login_required
def download(report_id):
    """Download a generated review again: the draft as it was made (same bytes)."""
    record = _record(report_id)
    return storage.download(
        record.sha256, content_type="application/pdf", file_name=record.file_name
    )


@bp.route("/generated/<int:report_id>/signed.pdf")
@login_required
def download_signed(report_id):
    """Download the signed review (the document of record)."""
    record = _record(report_id)
    if not record.signed:
        abort(404)
    return storage.download(
        record.signed_sha256, content_type="application/pdf", file_name=record.signed_file_name
    )


@bp.route("/generated/<int:report_id>/sign", methods=["GET", "POST"])
@login_required
def sign(report_id):
    """A leader signs a draft with their PKCS#12 key (used in memory, never stored)."""
    record = _record(report_id)
    if not signing.can_sign(current_user, record):
        abort(403)
    form = SignForm()
    if record.signed:
        flash(
            _("This review is already signed (No. %(number)s).", number=record.number_text),
            "info",
        )
        return redirect(url_for(".index", code=record.agreement.code) + "#history")

    def sign_it():
        seal = form.seal_key_file.data
        signing.sign_review(
            record,
            user=current_user,
            key_file=read_limited(form.key_file.data, keys.MAX_KEY_FILE),
            password=form.key_password.data or "",
            seal_key_file=read_limited(seal, keys.MAX_KEY_FILE) if seal else None,
            seal_password=form.seal_password.data or "",
        )

    if form.validate_on_submit() and save_with(form, sign_it):
        flash(
            _(
                "The review is signed: No. %(number)s. Download the signed PDF from the list.",
                number=record.number_text,
            ),
            "success",
        )
        return redirect(url_for(".index", code=record.agreement.code) + "#history")
    image = signing.signature_image(current_user)
    return render_template(
        "reports/sign.html",
        record=record,
        form=form,
        next_number=signing.next_number(record),
        has_image=image is not None,
        issuer=record.issuer,
    ), (422 if form.errors or form.form_errors else 200)


def _may_have_signature_image() -> None:
    """Leaders sign reviews and keep a signature image; administrators may keep one too."""
    if current_user.role not in (Role.leader, Role.admin):
        abort(403)


@bp.route("/account/signature-image", methods=["GET", "POST"])
@login_required
def signature_image():
    """The user's own signature image, shown in the signature block when they sign."""
    _may_have_signature_image()
    form = ImageForm()
    if form.validate_on_submit() and save_with(
        form,
        lambda: signing.set_signature_image(
            current_user,
            user=current_user,
            data=read_limited(form.file.data, images.MAX_IMAGE_BYTES),
        ),
    ):
        flash(_("Your signature image has been saved."), "success")
        return redirect(url_for(".signature_image"))
    return render_template(
        "reports/signature_image.html", form=form, image=signing.signature_image(current_user)
    ), (422 if form.errors or form.form_errors else 200)


@bp.route("/account/signature-image.png")
@login_required
def signature_image_file():
    """The user's own signature image (to check it before signing)."""
    _may_have_signature_image()
    image = signing.signature_image(current_user)
    if image is None:
        abort(404)
    return storage.download(image.image_sha256, content_type="image/png", file_name="chu-ky.png")
