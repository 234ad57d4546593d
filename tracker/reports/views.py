"""The "Xuất báo cáo" page and the history of generated reviews."""

import re
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker import storage
from tracker.agreements.models import Agreement
from tracker.agreements.permissions import can_view_agreement
from tracker.clock import local_today
from tracker.extensions import db
from tracker.forms import save_with
from tracker.i18n import _, fmt_date
from tracker.reports import services
from tracker.reports.forms import ReviewForm
from tracker.reports.models import GeneratedReport, ReviewKind
from tracker.reports.pdf.five_year import ReviewOptions, defaults
from tracker.reports.word import CONTENT_TYPE

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
    return render_template("reports/index.html", agreement=agreement, form=form, history=history)


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


@bp.route("/generated/<int:report_id>.docx")
@login_required
def download_docx(report_id):
    """The Word file of a generated review, made now from its saved options and range (its
    first-page header says so when the data changed since the PDF)."""
    record = db.session.get(GeneratedReport, report_id)
    if record is None:
        abort(404)
    _agreement(record.agreement.code)
    docx, file_name, _changed = services.review_docx(record, user=current_user)
    return storage.send_bytes(docx, content_type=CONTENT_TYPE, file_name=file_name)


@bp.route("/generated/<int:report_id>.pdf")
@login_required
def download(report_id):
    """Download a generated review again (same bytes as when it was made)."""
    record = db.session.get(GeneratedReport, report_id)
    if record is None:
        abort(404)
    _agreement(record.agreement.code)
    return storage.download(
        record.sha256, content_type="application/pdf", file_name=record.file_name
    )
