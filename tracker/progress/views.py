"""Pages for the reporting workflow: periods, reports, evidence, review queue, extensions,
directive follow-up."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from tracker import storage
from tracker.agreements.models import (
    Agreement,
    Commitment,
    Completion,
    Directive,
    Milestone,
    MilestoneStatus,
)
from tracker.agreements.permissions import (
    agreements_visible_to,
    can_edit_agreement,
    can_view_agreement,
)
from tracker.auth.models import Role
from tracker.auth.permissions import roles_required
from tracker.clock import local_today
from tracker.errors import NotAllowed, Refusal, StaleVersion
from tracker.extensions import db
from tracker.forms import commit_or_flash, save_with
from tracker.i18n import _
from tracker.progress import forms as f
from tracker.progress import lists, queries, services
from tracker.progress.models import (
    MAX_EXTENSIONS,
    Evidence,
    EvidenceKind,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportAction,
    ReportingPeriod,
    ReportStatus,
)
from tracker.progress.permissions import can_report, can_request_extension, can_verify
from tracker.progress.services import can_complete_directive
from tracker.signatures.services import checks_for
from tracker.trash.pages import confirm_delete

bp = Blueprint("progress", __name__)


def _visible(agreement):
    if agreement is None or not can_view_agreement(current_user, agreement):
        abort(404)
    return agreement


def _agreement(code) -> Agreement:
    return _visible(db.session.scalar(sa.select(Agreement).where(Agreement.code == code)))


def _report(report_id) -> ProgressReport:
    report = db.session.get(ProgressReport, report_id)
    if report is None:
        abort(404)
    _visible(report.commitment.agreement)
    return report


def _save_upload(form, service, target, **fields) -> bool:
    """Save an evidence form: its file (and thumbnail) is checked, `service` (adding,
    superseding) records it for `target` with the title and kind, and only then is the file
    put in the store; a refusal of either leaves no file behind. True when saved."""
    with storage.Incoming() as incoming:

        def action():
            received = incoming.receive(form.file.data)
            service(
                target,
                user=current_user,
                stored=received.stored,
                title=form.title.data,
                kind=EvidenceKind(form.kind.data),
                thumbnail_sha256=received.thumbnail_sha256,
                **fields,
            )
            incoming.keep()

        return save_with(form, action)


# -- periods ----------------------------------------------------------------------------------


@bp.route("/agreements/<code>/periods")
@login_required
def periods(code):
    """The agreement's reporting periods with how many reports each has."""
    agreement = _agreement(code)
    rows = db.session.scalars(
        sa.select(ReportingPeriod)
        .where(ReportingPeriod.agreement_id == agreement.id)
        .order_by(ReportingPeriod.starts_on)
    ).all()
    counts = {
        (pid, status): n
        for pid, status, n in db.session.execute(
            sa.select(ProgressReport.period_id, ProgressReport.status, sa.func.count())
            .join(ReportingPeriod)
            .where(ReportingPeriod.agreement_id == agreement.id)
            .group_by(ProgressReport.period_id, ProgressReport.status)
        )
    }
    n_commitments = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Commitment)
        .where(
            Commitment.agreement_id == agreement.id, Commitment.completion != Completion.withdrawn
        )
    )
    return render_template(
        "progress/periods.html",
        agreement=agreement,
        periods=rows,
        counts=counts,
        n_commitments=n_commitments,
        statuses=ReportStatus,
        today=local_today(),
        can_edit=can_edit_agreement(current_user, agreement),
        form=f.EmptyForm(),
    )


@bp.route("/agreements/<code>/periods/generate", methods=["POST"])
@login_required
def generate_periods(code):
    """Create the missing reporting periods of the agreement."""
    agreement = _agreement(code)
    created = []
    if f.EmptyForm().validate_on_submit() and commit_or_flash(
        lambda: created.extend(services.generate_periods(agreement, user=current_user))
    ):
        flash(_("%(n)d reporting periods are set up.", n=len(created)), "success")
    return redirect(url_for(".periods", code=code))


def _period(period_id) -> ReportingPeriod:
    item = db.session.get(ReportingPeriod, period_id)
    if item is None:
        abort(404)
    _visible(item.agreement)
    return item


def _render_period(item: ReportingPeriod, form):
    agreement = item.agreement
    state = queries.period_reports(item)
    return render_template(
        "progress/period.html",
        period=item,
        agreement=agreement,
        commitments=state.commitments,
        reports=state.reports,
        missing=state.missing,
        missing_units=services.units_to_remind(state.missing),
        form=form,
        remind_form=f.EmptyForm(),
        today=local_today(),
        can_verify=can_verify(current_user, agreement),
        can_remind=services.can_remind(current_user, item),
    )


@bp.route("/periods/<int:period_id>")
@login_required
def period(period_id):
    """A period: every commitment with its report state."""
    return _render_period(_period(period_id), f.ReopenForm())


@bp.route("/periods/<int:period_id>/reopen", methods=["POST"])
@login_required
def reopen_period(period_id):
    """The DIC reopens a locked period until a date, with a reason (logged)."""
    item = _period(period_id)
    form = f.ReopenForm()
    if form.validate_on_submit() and save_with(
        form,
        lambda: services.reopen_period(
            item, user=current_user, until=form.until.data, reason=form.reason.data
        ),
    ):
        flash(
            _(
                "The period is open for reports until %(date)s.",
                date=form.until.data.strftime("%d/%m/%Y"),
            ),
            "success",
        )
        return redirect(url_for(".period", period_id=period_id))
    return _render_period(item, form)


@bp.route("/periods/<int:period_id>/remind", methods=["POST"])
@login_required
def remind_period(period_id):
    """ "Nhắc nộp báo cáo": the DIC reminds the units that have not reported for the period."""
    item = _period(period_id)
    done = []
    if f.EmptyForm().validate_on_submit() and commit_or_flash(
        lambda: done.append(services.remind_submitters(item, user=current_user))
    ):
        reminder = done[0]
        flash(
            _(
                "Reminded %(people)d people of %(units)d units that have not submitted their "
                "report.",
                people=reminder.notified,
                units=len(reminder.units),
            ),
            "success",
        )
    return redirect(url_for(".period", period_id=period_id))


# -- reports ----------------------------------------------------------------------------------


def _report_fields(form, commitment) -> dict:
    values = {
        i.id: (form[f"v_{i.id}"].data, form[f"vn_{i.id}"].data) for i in commitment.indicators
    }
    milestones = {}
    for m in commitment.milestones:
        status = form[f"m_{m.id}_status"].data
        milestones[m.id] = (
            MilestoneStatus(status) if status else None,
            form[f"m_{m.id}_done_on"].data,
        )
    return {
        "percent_complete": form.percent_complete.data,
        "completion": Completion(form.completion.data),
        "spent_vnd": form.spent_vnd.data,
        "narrative": form.narrative.data,
        "values": values,
        "milestones": milestones,
    }


@bp.route("/commitments/<int:commitment_id>/reports/<int:period_id>", methods=["GET", "POST"])
@login_required
def edit_report(commitment_id, period_id):
    """Write (or revise) the report of a commitment for a period; save as draft or submit."""
    commitment = db.session.get(Commitment, commitment_id)
    item = db.session.get(ReportingPeriod, period_id)
    if commitment is None or item is None or item.agreement_id != commitment.agreement_id:
        abort(404)
    agreement = _visible(commitment.agreement)
    if not can_report(current_user, commitment):
        abort(403)
    report = services.report_for(commitment, item)
    if report is not None and report.status not in services.EDITABLE:
        return redirect(url_for(".report", report_id=report.id))
    form = f.report_form_for(commitment, obj=report)
    if request.method == "GET":
        if report is not None:
            form.completion.data = report.completion.value
            for v in report.values:
                form[f"v_{v.indicator_id}"].data, form[f"vn_{v.indicator_id}"].data = (
                    v.value,
                    v.note,
                )
            for m in report.milestones:
                form[f"m_{m.milestone_id}_status"].data = m.status.value
                form[f"m_{m.milestone_id}_done_on"].data = m.done_on
        else:
            form.percent_complete.data = commitment.percent_complete
            form.completion.data = commitment.completion.value
    saved = {}
    submit = request.form.get("action") == "submit"

    def save():
        saved["report"] = services.save_report(
            report,
            commitment=commitment,
            period=item,
            user=current_user,
            version=form.version.data,
            **_report_fields(form, commitment),
        )
        if submit:
            services.submit_report(saved["report"], user=current_user)

    if form.validate_on_submit() and save_with(form, save, stale_obj=report):
        if submit:
            flash(_("The report has been submitted to the DIC for verification."), "success")
        else:
            flash(_("The draft has been saved."), "success")
        return redirect(url_for(".report", report_id=saved["report"].id))
    return render_template(
        "progress/report_form.html",
        form=form,
        commitment=commitment,
        period=item,
        agreement=agreement,
        report=report,
        deadline=services.effective_deadline(item, commitment.id),
        open_until=services.report_open_until(item, commitment.id, report),
        # "Save" and "Submit" show exactly when the services would take them.
        open=services.can_write_report(current_user, commitment, item, report),
        extendable=services.can_ask_extension(
            current_user, commitment, services.extensions_of(commitment), period=item
        ),
    )


@bp.route("/reports/<int:report_id>")
@login_required
def report(report_id):
    """A report: its figures, evidence and the whole return/verify history."""
    item = _report(report_id)
    agreement = item.commitment.agreement
    reviewer = can_verify(current_user, agreement) and item.status == ReportStatus.submitted
    extensions = services.extensions_for_item(
        services.extensions_of(item.commitment), period=item.period
    )
    returns = [e for e in item.events if e.action == ReportAction.returned]
    return render_template(
        "progress/report.html",
        report=item,
        commitment=item.commitment,
        agreement=agreement,
        # "Edit" and "Submit" show exactly when the services would take them.
        can_edit=services.can_edit_report(current_user, item),
        # Evidence follows the report's state alone (a locked draft still takes its files).
        can_attach=can_report(current_user, item.commitment) and item.status in services.EDITABLE,
        last_return=returns[-1] if item.status == ReportStatus.returned and returns else None,
        open_until=services.report_open_until(item.period, item.commitment_id, item),
        extensions=list(reversed(extensions)),
        can_review=reviewer and current_user.id not in services.submitters(item),
        # A report being written offers Delete instead; a verified one keeps its files.
        can_supersede=item.status == ReportStatus.verified
        and services.can_supersede(current_user, item),
        return_form=f.return_form_for(item.commitment, version=item.version),
        verify_form=f.VerifyForm(version=item.version),
        evidence_form=f.EvidenceForm(),
        empty_form=f.EmptyForm(),
        signature_checks=checks_for(ev.sha256 for ev in item.evidence),
    )


@bp.route("/reports/<int:report_id>/submit", methods=["POST"])
@login_required
def submit_report(report_id):
    """Submit a saved draft."""
    item = _report(report_id)
    form = f.VerifyForm()
    if form.validate_on_submit() and save_with(
        form,
        lambda: services.submit_report(item, user=current_user, version=form.version.data),
        stale_obj=item,
    ):
        flash(_("The report has been submitted to the DIC for verification."), "success")
    else:
        for message in form.form_errors:
            flash(message, "danger")
    return redirect(url_for(".report", report_id=report_id))


@bp.route("/reports/<int:report_id>/return", methods=["POST"])
@login_required
def return_report(report_id):
    """Return a report for revision, with a reason."""
    item = _report(report_id)
    form = f.return_form_for(item.commitment)
    if form.validate_on_submit() and save_with(
        form,
        lambda: services.return_report(
            item,
            user=current_user,
            reason=form.reason.data,
            version=form.version.data,
            field_notes=f.field_notes(form, item.commitment),
        ),
        stale_obj=item,
    ):
        flash(_("The report has been returned for revision."), "success")
        return redirect(url_for(".review"))
    notes = [fld for fld in form if fld.name.startswith("note_")]
    for message in [
        *form.form_errors,
        *form.reason.errors,
        *(f"{fld.label.text}: {e}" for fld in notes for e in fld.errors),
    ]:
        flash(message, "danger")
    return redirect(url_for(".report", report_id=report_id))


@bp.route("/reports/<int:report_id>/verify", methods=["POST"])
@login_required
def verify_report(report_id):
    """Verify a report: its figures become official."""
    item = _report(report_id)
    form = f.VerifyForm()
    if form.validate_on_submit() and save_with(
        form,
        lambda: services.verify_report(item, user=current_user, version=form.version.data),
        stale_obj=item,
    ):
        flash(_("The report has been verified; its figures are now official."), "success")
        return redirect(url_for(".review"))
    for message in form.form_errors:
        flash(message, "danger")
    return redirect(url_for(".report", report_id=report_id))


def _report_name(report: ProgressReport) -> str:
    """How a bulk action names a report: its agreement, commitment and period."""
    commitment = report.commitment
    return f"{commitment.agreement.code} · {commitment.code} {commitment.title} ({report.period.label})"


def _verify_one(report_id: int, version: str | None) -> str | None:
    """Verify one report of a bulk verification in its own transaction (audited and notified
    as a single one is); None when verified, else why not."""
    item = db.session.get(ProgressReport, report_id)
    if item is None or not can_view_agreement(current_user, item.commitment.agreement):
        return _("This report was not found.")
    try:
        services.verify_report(item, user=current_user, version=version)
        db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        return _("Someone else changed this report since the list was shown; open it to check.")
    except NotAllowed:
        db.session.rollback()
        return _("You may not verify the reports of this agreement.")
    except Refusal as exc:
        db.session.rollback()
        return str(exc.message)
    return None


@bp.route("/review/verify", methods=["POST"])
@roles_required(Role.admin, Role.dic)
def verify_reports():
    """Verify the reports ticked in the review queue, each on its own (each audited and
    notified); those refused are named with the reason while the others are verified."""
    if not f.EmptyForm().validate_on_submit():
        flash(_("The form had expired; please select the reports again."), "danger")
        return redirect(url_for(".review"))
    ids = []
    for value in request.form.getlist("report"):
        if value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    if not ids:
        flash(_("Select the reports to verify."), "warning")
        return redirect(url_for(".review"))
    verified, refused = 0, []
    for report_id in ids:
        item = db.session.get(ProgressReport, report_id)
        # A report outside the user's scope is not named (as a guessed URL would get 404).
        visible = item is not None and can_view_agreement(current_user, item.commitment.agreement)
        name = _report_name(item) if visible else f"#{report_id}"
        reason = _verify_one(report_id, request.form.get(f"version-{report_id}") or None)
        if reason is None:
            verified += 1
        else:
            refused.append((name, reason))
    if verified:
        flash(
            _("%(n)d of %(total)d reports have been verified.", n=verified, total=len(ids)),
            "success",
        )
    for name, reason in refused:
        flash(_("Not verified: %(report)s — %(reason)s", report=name, reason=reason), "danger")
    return redirect(url_for(".review"))


@bp.route("/review")
@roles_required(Role.admin, Role.dic)
def review():
    """The DIC's queue: reports awaiting verification in their scope, oldest first."""
    visible = agreements_visible_to(current_user).with_only_columns(Agreement.id).scalar_subquery()
    reports = db.session.scalars(
        sa.select(ProgressReport)
        .join(Commitment)
        .where(
            Commitment.agreement_id.in_(visible), ProgressReport.status == ReportStatus.submitted
        )
        .options(
            selectinload(ProgressReport.commitment).selectinload(Commitment.agreement),
            selectinload(ProgressReport.period),
            selectinload(ProgressReport.unit),
        )
        .order_by(ProgressReport.submitted_at)
    ).all()
    reports = [r for r in reports if can_verify(current_user, r.commitment.agreement)]
    extensions = db.session.scalars(
        sa.select(Extension)
        .join(Commitment)
        .where(Commitment.agreement_id.in_(visible), Extension.status == ExtensionStatus.pending)
        .order_by(Extension.created_at)
    ).all()
    extensions = [e for e in extensions if can_verify(current_user, e.commitment.agreement)]
    shown = lists.REVIEW_REPORTS.show(reports)
    if shown.exporting:
        return shown.download()
    evidence = queries.evidence_of_reports(r.id for r in shown.items)
    return render_template(
        "progress/review.html",
        shown=shown,
        reports=shown.items,
        extensions=extensions,
        bulk_form=f.EmptyForm(),
        # The DIC sees the signature status of the files before ticking a report.
        evidence=evidence,
        signature_checks=checks_for(ev.sha256 for files in evidence.values() for ev in files),
        # Separation of duties: a report the user submitted is shown but cannot be ticked.
        own={r.id for r in shown.items if current_user.id in services.submitters(r)},
    ), shown.status


# -- evidence ---------------------------------------------------------------------------------


@bp.route("/reports/<int:report_id>/evidence", methods=["POST"])
@login_required
def add_evidence(report_id):
    """Upload evidence to a report being written."""
    item = _report(report_id)
    form = f.EvidenceForm()
    if form.validate_on_submit() and _save_upload(
        form, services.add_evidence, item, issued_on=form.issued_on.data
    ):
        flash(_("The evidence has been attached."), "success")
    else:
        for message in [*form.form_errors, *(e for field in form for e in field.errors)]:
            flash(message, "danger")
    return redirect(url_for(".report", report_id=report_id) + "#evidence")


def _evidence(evidence_id) -> Evidence:
    item = db.session.get(Evidence, evidence_id)
    if item is None:
        abort(404)
    agreement = item.report.commitment.agreement if item.report else item.directive.agreement
    _visible(agreement)
    return item


@bp.route("/agreements/<code>/evidence")
@login_required
def evidence_list(code):
    """An agreement's evidence register: filtered, sorted and exported by `lists.EVIDENCE`."""
    agreement = _agreement(code)
    shown = lists.EVIDENCE.show(queries.agreement_evidence(agreement))
    if shown.exporting:
        return shown.download(f"minh-chung-{agreement.code}")
    return render_template(
        "progress/evidence_list.html", agreement=agreement, shown=shown
    ), shown.status


@bp.route("/evidence/<int:evidence_id>")
@login_required
def download_evidence(evidence_id):
    """Download a piece of evidence: always an attachment, never rendered by the browser."""
    item = _evidence(evidence_id)
    return storage.download(item.sha256, content_type=item.content_type, file_name=item.file_name)


@bp.route("/evidence/<int:evidence_id>/thumbnail")
@login_required
def evidence_thumbnail(evidence_id):
    """The PNG thumbnail of an image (made by the server, so safe to show inline)."""
    item = _evidence(evidence_id)
    if not item.thumbnail_sha256 or not storage.path_for(item.thumbnail_sha256).exists():
        abort(404)
    return send_file(storage.path_for(item.thumbnail_sha256), mimetype="image/png", max_age=0)


@bp.route("/evidence/<int:evidence_id>/delete", methods=["GET", "POST"])
@login_required
def delete_evidence(evidence_id):
    """Remove a file from a report being written, after a confirmation page, into the recycle
    bin (verified evidence is kept)."""
    item = _evidence(evidence_id)
    back = (
        url_for(".report", report_id=item.report_id)
        if item.report_id
        else url_for(".directive", directive_id=item.directive_id)
    )
    return confirm_delete(
        item,
        lambda: services.delete_evidence(item, user=current_user),
        back=back,
        done=back,
    )


@bp.route("/evidence/<int:evidence_id>/supersede", methods=["GET", "POST"])
@login_required
def supersede_evidence(evidence_id):
    """Upload a newer file in place of verified evidence; the old one stays, marked."""
    item = _evidence(evidence_id)
    if item.report is None:
        abort(404)
    if request.method == "GET" and not services.can_supersede(current_user, item.report):
        abort(403)
    form = f.EvidenceForm(obj=item) if request.method == "GET" else f.EvidenceForm()
    if request.method == "GET":
        form.kind.data = item.kind.value
    if form.validate_on_submit() and _save_upload(
        form, services.supersede_evidence, item, issued_on=form.issued_on.data
    ):
        flash(_("The new file supersedes the old one, which is kept."), "success")
        return redirect(url_for(".report", report_id=item.report_id) + "#evidence")
    return render_template(
        "agreements/form.html",
        form=form,
        title=_("Supersede evidence: %(title)s", title=item.title),
        agreement=item.report.commitment.agreement,
        record=item.report.commitment,
        cancel=url_for(".report", report_id=item.report_id),
        enctype="multipart/form-data",
    )


# -- extensions -------------------------------------------------------------------------------


@bp.route("/milestones/<int:milestone_id>/extension", methods=["GET", "POST"])
@bp.route(
    "/commitments/<int:commitment_id>/reports/<int:period_id>/extension",
    methods=["GET", "POST"],
    endpoint="request_report_extension",
)
@login_required
def request_extension(milestone_id=None, commitment_id=None, period_id=None):
    """Ask for more time for a milestone, or for a commitment's report of a period."""

    milestone = item = None
    if milestone_id is not None:
        milestone = db.session.get(Milestone, milestone_id)
        if milestone is None:
            abort(404)
        commitment = milestone.commitment
    else:
        commitment = db.session.get(Commitment, commitment_id)
        item = db.session.get(ReportingPeriod, period_id)
        if commitment is None or item is None or item.agreement_id != commitment.agreement_id:
            abort(404)
    agreement = _visible(commitment.agreement)
    if not can_request_extension(current_user, commitment):
        abort(403)
    form = f.ExtensionForm()
    if form.validate_on_submit() and save_with(
        form,
        lambda: services.request_extension(
            commitment,
            user=current_user,
            requested_on=form.requested_on.data,
            reason=form.reason.data,
            milestone=milestone,
            period=item,
        ),
    ):
        flash(_("The request has been sent to the DIC."), "success")
        return redirect(url_for("agreements.commitment", commitment_id=commitment.id))
    subject = milestone.title if milestone else item.label
    extensions = services.extensions_of(commitment)
    requests = services.extensions_for_item(extensions, milestone=milestone, period=item)
    refusal = services.extension_refusal(
        current_user, commitment, extensions, milestone=milestone, period=item
    )
    key = ("milestone", milestone.id) if milestone else ("period", item.id)
    return render_template(
        "progress/extension_form.html",
        form=form,
        title=_("Ask for an extension: %(item)s", item=subject),
        agreement=agreement,
        commitment=commitment,
        current_on=services.current_due_on(commitment, milestone=milestone, period=item),
        requests=list(reversed(requests)),
        refused=services.last_refused(extensions).get(key),
        used=sum(1 for e in requests if e.status != ExtensionStatus.refused),
        most=MAX_EXTENSIONS,
        allowed=refusal is None,
        refusal=str(refusal.message) if refusal is not None else "",
        cancel=url_for("agreements.commitment", commitment_id=commitment.id),
    )


def _extension(extension_id) -> Extension:
    item = db.session.get(Extension, extension_id)
    if item is None:
        abort(404)
    _visible(item.commitment.agreement)
    return item


def _render_extension(item: Extension, form):
    agreement = item.commitment.agreement
    return render_template(
        "progress/extension.html",
        extension=item,
        agreement=agreement,
        form=form,
        can_decide=can_verify(current_user, agreement)
        and item.status == ExtensionStatus.pending
        and item.requested_by_id != current_user.id,
    )


@bp.route("/extensions/<int:extension_id>")
@login_required
def extension(extension_id):
    """An extension request and its decision."""
    return _render_extension(_extension(extension_id), f.DecisionForm())


@bp.route("/extensions/<int:extension_id>/decide", methods=["POST"])
@login_required
def decide_extension(extension_id):
    """The DIC approves or refuses an extension."""
    item = _extension(extension_id)
    form = f.DecisionForm()
    if form.validate_on_submit() and save_with(
        form,
        lambda: services.decide_extension(
            item, user=current_user, approve=form.decision.data == "approve", note=form.note.data
        ),
    ):
        flash(_("The decision has been recorded."), "success")
        return redirect(url_for(".review"))
    return _render_extension(item, form)


# -- directives -------------------------------------------------------------------------------


def _directive(directive_id) -> Directive:
    directive = db.session.get(Directive, directive_id)
    if directive is None:
        abort(404)
    _visible(directive.agreement)
    return directive


def _render_directive(directive: Directive, form=None, evidence_form=None):
    if form is None:
        form = f.CompleteDirectiveForm(obj=directive)
        if directive.done_on is None:
            form.done_on.data = local_today()
    evidence = db.session.scalars(
        sa.select(Evidence).where(Evidence.directive_id == directive.id).order_by(Evidence.id)
    ).all()
    return render_template(
        "progress/directive.html",
        directive=directive,
        agreement=directive.agreement,
        form=form,
        evidence_form=evidence_form or f.EvidenceForm(prefix="ev"),
        evidence=evidence,
        signature_checks=checks_for(ev.sha256 for ev in evidence),
        empty_form=f.EmptyForm(),
        today=local_today(),
        allowed=can_complete_directive(current_user, directive),
    )


@bp.route("/directives/<int:directive_id>")
@login_required
def directive(directive_id):
    """A directive's follow-up: its evidence of completion and whether it is done."""
    return _render_directive(_directive(directive_id))


@bp.route("/directives/<int:directive_id>/evidence", methods=["POST"])
@login_required
def add_directive_evidence(directive_id):
    """The assignee attaches evidence of completion."""
    item = _directive(directive_id)
    form = f.EvidenceForm(prefix="ev")
    if form.validate_on_submit() and _save_upload(form, services.add_directive_evidence, item):
        flash(_("The evidence has been attached."), "success")
        return redirect(url_for(".directive", directive_id=directive_id))
    return _render_directive(item, evidence_form=form)


@bp.route("/directives/<int:directive_id>/complete", methods=["POST"])
@login_required
def complete_directive(directive_id):
    """The assignee (or the DIC) reports a directive done."""
    item = _directive(directive_id)
    form = f.CompleteDirectiveForm()
    if form.validate_on_submit() and save_with(
        form,
        lambda: services.complete_directive(
            item, user=current_user, done_on=form.done_on.data, version=form.version.data
        ),
        stale_obj=item,
    ):
        flash(_("The directive is marked as done."), "success")
        return redirect(url_for("agreements.detail", code=item.agreement.code) + "#directives")
    return _render_directive(item, form=form)
