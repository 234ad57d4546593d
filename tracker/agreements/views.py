"""Pages for agreements: the home page, the list, the agreement page and the forms under it."""

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

from tracker import audit, storage
from tracker.agreements import forms as f
from tracker.agreements import lists, queries, services, signals
from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Completion,
    Direction,
    Directive,
    Document,
    FundingSource,
    Indicator,
    Measurement,
    Milestone,
    MilestoneStatus,
    PeriodKind,
    allowed_transitions,
)
from tracker.agreements.permissions import (
    agreements_visible_to,
    can_create_agreement,
    can_edit_agreement,
    can_record_directive,
    can_view_agreement,
)
from tracker.auth.permissions import acting_unit_ids
from tracker.clock import local_today
from tracker.extensions import db
from tracker.forms import int_arg, options, page_arg, save_with
from tracker.i18n import _
from tracker.org.models import Side, Unit
from tracker.security import local_path
from tracker.trash.pages import confirm_delete

bp = Blueprint("agreements", __name__)


# -- loading with object permissions ---------------------------------------------------------


def _visible(agreement: Agreement | None) -> Agreement:
    """404 for a missing agreement and for one outside the user's scope alike."""
    if agreement is None or not can_view_agreement(current_user, agreement):
        abort(404)
    return agreement


def _editable(agreement: Agreement) -> Agreement:
    if not can_edit_agreement(current_user, agreement):
        abort(403)
    return agreement


def _get(model, obj_id: int):
    """A record under an agreement, with the agreement it belongs to (404 when not visible)."""
    obj = db.session.get(model, obj_id)
    if obj is None:
        abort(404)
    if isinstance(obj, Milestone | Indicator):
        agreement = obj.commitment.agreement
    elif isinstance(obj, Measurement):
        agreement = obj.indicator.commitment.agreement
    else:
        agreement = obj.agreement
    return obj, _visible(agreement)


def _unit_choices(agreement: Agreement, *, on, keep=(), blank: bool = False) -> list:
    """The units a record of the agreement starting on `on` may name (`units_for_record`)."""
    choices = [(0, "—")] if blank else []
    for unit in queries.units_for_record(agreement, on, keep=keep):
        label = unit.name
        now = unit.current()
        if now.id != unit.id:
            label = _("%(unit)s (now: %(current)s)", unit=unit.name, current=now.name)
        elif not unit.is_valid_on():
            label = _("%(unit)s (no longer exists)", unit=unit.name)
        choices.append((unit.id, label))
    return options(choices)


def unit_names() -> dict[int, str]:
    """Every unit's display name, with who carries it on today ("X (now: Y)"), computed once
    per page from the units `agreement_full` preloaded."""

    names = {}
    for unit in g.get("_org", []):
        if isinstance(unit, Unit):
            now = unit.current()
            names[unit.id] = (
                unit.name
                if now.id == unit.id
                else _("%(unit)s (now: %(current)s)", unit=unit.name, current=now.name)
            )
    return names


def label_tables(*enums) -> dict:
    """Each enum's labels translated once, for long tables: {"sides": {member: text}, …}."""
    names = {
        "Side": "sides",
        "FundingSource": "funding",
        "Completion": "completions",
        "Health": "healths",
    }
    return {names[e.__name__]: {member: str(member.label) for member in e} for e in enums}


def _form_page(form, *, title, agreement=None, cancel, enctype=None, record=None):
    return render_template(
        "agreements/form.html",
        form=form,
        title=title,
        agreement=agreement,
        cancel=cancel,
        enctype=enctype,
        record=record,
    )


def _save_or_show(form, save, *, stale_obj=None, saved, done, **page):
    """Save a valid submission, flash `saved` and go to `done`; otherwise show the form page
    (again, with the refusals)."""
    if form.validate_on_submit() and save_with(form, save, stale_obj=stale_obj):
        flash(saved, "success")
        return redirect(done)
    return _form_page(form, **page)


# -- home, list, agreement page ----------------------------------------------------------------


@bp.route("/")
@login_required
def home():
    """The signed-in user's home: their agreements and what is overdue for their unit."""
    agreements = db.session.scalars(
        agreements_visible_to(current_user).order_by(Agreement.period_start.desc()).limit(50)
    ).all()
    counts = queries.agreement_counts(agreements)
    directives = []
    if current_user.unit_id:
        directives = db.session.scalars(
            queries.directives_visible_to(
                current_user, open_only=True, unit_ids=acting_unit_ids(current_user)
            ).limit(20)
        ).all()
    return render_template(
        "agreements/home.html",
        agreements=agreements,
        counts=counts,
        directives=directives,
        today=local_today(),
    )


@bp.route("/agreements")
@login_required
def index():
    """All agreements in scope, with search (case and diacritics ignored) and filters."""
    q = request.args.get("q", "").strip()[:200]
    status = request.args.get("status", "")
    province_id = int_arg("province")
    page = page_arg()
    pagination = db.paginate(
        queries.search_agreements(current_user, q=q, status=status, province_id=province_id),
        page=page,
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    counts = queries.agreement_counts(pagination.items)
    return render_template(
        "agreements/index.html",
        pagination=pagination,
        counts=counts,
        q=q,
        status=status,
        province_id=province_id,
        statuses=AgreementStatus,
        provinces=queries.provinces_in_scope(current_user),
        can_create=can_create_agreement(current_user),
    )


@bp.route("/agreements/<code>")
@login_required
def detail(code):
    """The agreement page: areas → commitments → milestones, indicators and units."""
    agreement = _visible(queries.agreement_full(code))
    extra = signals.page_context(signals.agreement_page, agreement, args=request.args)
    http_status = extra.pop("http_status", 200)
    page = render_template(
        "agreements/detail.html",
        agreement=agreement,
        today=local_today(),
        unit_names=unit_names(),
        **label_tables(Side, FundingSource, Completion),
        can_edit=can_edit_agreement(current_user, agreement) and agreement.editable,
        can_direct=can_record_directive(current_user, agreement),
        transitions=allowed_transitions(agreement.status, signed=agreement.is_signed),
        delete_form=f.DeleteForm(),
        **extra,
    )
    return page, http_status


# -- agreement record --------------------------------------------------------------------------


def _agreement_form(agreement: Agreement | None):
    form = f.AgreementForm(obj=agreement)
    # Only the provinces existing when the agreement starts (today until it is entered).
    provinces = queries.provinces_in_scope(
        current_user,
        on=form.period_start.data or local_today(),
        keep=[agreement.province] if agreement is not None else [],
    )
    form.province_id.choices = options(
        (
            p.id,
            p.name
            if p.valid_to is None
            else _("%(name)s (until %(date)s)", name=p.name, date=p.valid_to.strftime("%d/%m/%Y")),
        )
        for p in provinces
    )
    others = db.session.scalars(agreements_visible_to(current_user).order_by(Agreement.code)).all()
    form.predecessor_id.choices = options(
        [(0, "—")] + [(a.id, str(a)) for a in others if agreement is None or a.id != agreement.id]
    )
    if request.method == "GET":
        if agreement is not None:
            form.legal_bases.data = "\n".join(agreement.legal_bases or [])
            form.predecessor_id.data = agreement.predecessor_id or 0
        else:
            form.partner.data = "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)"
            own = current_user.unit.province if current_user.unit else None
            if own is not None and own.current().id in {p.id for p in provinces}:
                form.province_id.data = own.current().id
    return form


def _agreement_fields(form) -> dict:
    predecessor = (
        db.session.get(Agreement, form.predecessor_id.data) if form.predecessor_id.data else None
    )
    return {
        "code": form.code.data,
        "title": form.title.data,
        "province_id": form.province_id.data,
        "partner": form.partner.data,
        "province_signatory": form.province_signatory.data or None,
        "partner_signatory": form.partner_signatory.data or None,
        "period_start": form.period_start.data,
        "period_end": form.period_end.data,
        "vision_year": form.vision_year.data,
        "predecessor": predecessor,
        "legal_bases": form.legal_bases_list(),
        "description": form.description.data or None,
        "reporting_frequency": PeriodKind(form.reporting_frequency.data),
        # Left blank, a number of days keeps its stored value (the Decree 09/2019 default
        # for a new agreement).
        **{
            name: form[name].data
            for name in ("report_deadline_days", "resubmit_grace_days")
            if form[name].data is not None
        },
    }


@bp.route("/agreements/new", methods=["GET", "POST"])
@login_required
def create():
    """A DIC officer records a new agreement (a draft)."""
    if not can_create_agreement(current_user):
        abort(403)
    form = _agreement_form(None)
    result = {}
    if form.validate_on_submit() and save_with(
        form,
        lambda: result.update(
            a=services.save_agreement(None, user=current_user, **_agreement_fields(form))
        ),
    ):
        flash(_("The agreement has been created as a draft."), "success")
        return redirect(url_for(".detail", code=result["a"].code))
    return _form_page(form, title=_("New agreement"), cancel=url_for(".index"))


@bp.route("/agreements/<code>/edit", methods=["GET", "POST"])
@login_required
def edit(code):
    """Edit the agreement's record."""
    agreement = _editable(
        _visible(db.session.scalar(sa.select(Agreement).where(Agreement.code == code)))
    )
    form = _agreement_form(agreement)
    if form.validate_on_submit() and save_with(
        form,
        lambda: services.save_agreement(
            agreement, user=current_user, version=form.version.data, **_agreement_fields(form)
        ),
        stale_obj=agreement,
    ):
        flash(_("The agreement has been saved."), "success")
        # Not `_save_or_show`: the code may have just changed.
        return redirect(url_for(".detail", code=agreement.code))
    return _form_page(
        form, title=_("Edit agreement"), agreement=agreement, cancel=url_for(".detail", code=code)
    )


@bp.route("/agreements/<code>/status", methods=["GET", "POST"])
@login_required
def status(code):
    """Move the agreement to its next status, dated."""
    agreement = _editable(
        _visible(db.session.scalar(sa.select(Agreement).where(Agreement.code == code)))
    )
    form = f.StatusForm(obj=agreement)
    form.to_status.choices = options(
        (s.value, s.label)
        for s in allowed_transitions(agreement.status, signed=agreement.is_signed)
    )
    if request.method == "GET":
        form.changed_on.data = local_today()
        form.to_status.data = request.args.get("to")
    return _save_or_show(
        form,
        lambda: services.change_status(
            agreement,
            user=current_user,
            to_status=AgreementStatus(form.to_status.data),
            on=form.changed_on.data,
            note=form.note.data,
            version=form.version.data,
        ),
        stale_obj=agreement,
        saved=_("The status has been changed."),
        done=url_for(".detail", code=agreement.code),
        title=_("Change status"),
        agreement=agreement,
        cancel=url_for(".detail", code=code),
    )


@bp.route("/agreements/<code>/delete", methods=["GET", "POST"])
@login_required
def delete(code):
    """Delete a draft agreement, after a confirmation page, into the recycle bin."""
    agreement = _visible(db.session.scalar(sa.select(Agreement).where(Agreement.code == code)))
    return confirm_delete(
        agreement,
        lambda: services.delete_agreement(agreement, user=current_user),
        back=url_for(".detail", code=code),
        done=url_for(".index"),
        label=f"{agreement.code} — {agreement.title}",
    )


# -- areas -------------------------------------------------------------------------------------


@bp.route("/agreements/<code>/areas/new", methods=["GET", "POST"])
@bp.route("/areas/<int:area_id>/edit", methods=["GET", "POST"], endpoint="edit_area")
@login_required
def new_area(code=None, area_id=None):
    """Create or edit an area."""
    if area_id:
        area, agreement = _get(Area, area_id)
    else:
        area, agreement = (
            None,
            _visible(db.session.scalar(sa.select(Agreement).where(Agreement.code == code))),
        )
    _editable(agreement)
    form = f.AreaForm(obj=area)
    fields = ("code", "title", "position", "description")
    return _save_or_show(
        form,
        lambda: services.save_area(
            area,
            agreement=agreement,
            user=current_user,
            version=form.version.data,
            **{k: form[k].data or (0 if k == "position" else None) for k in fields},
        ),
        stale_obj=area,
        saved=_("The area has been saved."),
        done=url_for(".detail", code=agreement.code),
        title=_("Edit area") if area else _("New area"),
        agreement=agreement,
        cancel=url_for(".detail", code=agreement.code),
    )


# -- commitments -------------------------------------------------------------------------------


def _commitment_form(agreement: Agreement, commitment: Commitment | None):
    form = f.CommitmentForm(obj=commitment)
    form.area_id.choices = options((a.id, str(a)) for a in agreement.areas)
    # A commitment starts with its agreement; the units it already names stay offered.
    named = [commitment.lead_unit, *commitment.support_units] if commitment else []
    units = _unit_choices(agreement, on=agreement.period_start, keep=named)
    form.lead_unit_id.choices = _unit_choices(
        agreement, on=agreement.period_start, keep=named, blank=True
    )
    form.support_unit_ids.choices = units
    if request.method == "GET":
        if commitment is not None:
            form.support_unit_ids.data = [u.id for u in commitment.support_units]
            form.funding_source.data = (
                commitment.funding_source.value if commitment.funding_source else ""
            )
        else:
            if int_arg("area"):
                form.area_id.data = int_arg("area")
            if current_user.unit_id in {choice.value for choice in units}:
                form.lead_unit_id.data = current_user.unit_id
                form.committed_by.data = current_user.unit.side.value
    return form


def _commitment_fields(form, agreement: Agreement) -> dict:
    return {
        "area": db.session.get(Area, form.area_id.data),
        "lead_unit": db.session.get(Unit, form.lead_unit_id.data),
        "support_units": [
            u for u in (db.session.get(Unit, i) for i in form.support_unit_ids.data) if u
        ],
        "code": form.code.data,
        "title": form.title.data,
        "description": form.description.data or None,
        "committed_by": Side(form.committed_by.data),
        "due_on": form.due_on.data,
        "budget_vnd": form.budget_vnd.data,
        "funding_source": FundingSource(form.funding_source.data)
        if form.funding_source.data
        else None,
        "priority": form.priority.data,
        "completion": Completion(form.completion.data),
        "position": form.position.data or 0,
    }


@bp.route("/agreements/<code>/commitments/new", methods=["GET", "POST"])
@bp.route(
    "/commitments/<int:commitment_id>/edit", methods=["GET", "POST"], endpoint="edit_commitment"
)
@login_required
def new_commitment(code=None, commitment_id=None):
    """Create or edit a commitment."""
    if commitment_id:
        commitment, agreement = _get(Commitment, commitment_id)
    else:
        commitment = None
        agreement = _visible(db.session.scalar(sa.select(Agreement).where(Agreement.code == code)))
    _editable(agreement)
    if not agreement.areas:
        flash(_("Add an area first: every commitment belongs to an area."), "warning")
        return redirect(url_for(".new_area", code=agreement.code))
    form = _commitment_form(agreement, commitment)
    result = {}
    if form.validate_on_submit() and save_with(
        form,
        lambda: result.update(
            c=services.save_commitment(
                commitment,
                agreement=agreement,
                user=current_user,
                version=form.version.data,
                **_commitment_fields(form, agreement),
            )
        ),
        stale_obj=commitment,
    ):
        flash(_("The commitment has been saved."), "success")
        return redirect(url_for(".commitment", commitment_id=result["c"].id))
    title = _("Edit commitment") if commitment else _("New commitment")
    return _form_page(
        form,
        title=title,
        agreement=agreement,
        cancel=url_for(".commitment", commitment_id=commitment.id)
        if commitment
        else url_for(".detail", code=agreement.code),
    )


@bp.route("/commitments/<int:commitment_id>")
@login_required
def commitment(commitment_id):
    """A commitment with its units, milestones, indicators and measurements."""
    item = queries.commitment_full(commitment_id)
    if item is None:
        abort(404)
    agreement = _visible(item.agreement)
    extra = signals.page_context(signals.commitment_page, item, user=current_user)
    today = local_today()

    entries = db.session.scalars(
        audit.history(
            entities=[
                ("Commitment", [item.id]),
                ("Milestone", [m.id for m in item.milestones]),
                ("Indicator", [i.id for i in item.indicators]),
                ("Measurement", [m.id for i in item.indicators for m in i.measurements]),
                # Records of the packages above (a commitment's comments) that its page lists.
                *extra.pop("history_entities", []),
            ]
        ).limit(30)
    ).all()
    return render_template(
        "agreements/commitment.html",
        commitment=item,
        agreement=agreement,
        today=today,
        can_edit=can_edit_agreement(current_user, agreement) and agreement.editable,
        delete_form=f.DeleteForm(),
        entries=entries,
        **audit.labels(entries),
        **extra,
    )


# -- milestones, indicators, measurements -------------------------------------------------------


def _under_commitment(model, record_id, commitment_id):
    """The milestone or indicator to edit (None for a new one), its commitment and agreement;
    403 unless the agreement is editable."""
    if record_id:
        record, agreement = _get(model, record_id)
        parent = record.commitment
    else:
        record = None
        parent, agreement = _get(Commitment, commitment_id)
    _editable(agreement)
    return record, parent, agreement


@bp.route("/commitments/<int:commitment_id>/milestones/new", methods=["GET", "POST"])
@bp.route("/milestones/<int:milestone_id>/edit", methods=["GET", "POST"], endpoint="edit_milestone")
@login_required
def new_milestone(commitment_id=None, milestone_id=None):
    """Create or edit a milestone."""
    milestone, parent, agreement = _under_commitment(Milestone, milestone_id, commitment_id)
    form = f.MilestoneForm(obj=milestone)
    back = url_for(".commitment", commitment_id=parent.id)
    return _save_or_show(
        form,
        lambda: services.save_milestone(
            milestone,
            commitment=parent,
            user=current_user,
            version=form.version.data,
            title=form.title.data,
            due_on=form.due_on.data,
            done_on=form.done_on.data,
            status=MilestoneStatus(form.status.data),
        ),
        stale_obj=milestone,
        saved=_("The milestone has been saved."),
        done=back,
        title=_("Edit milestone") if milestone else _("New milestone"),
        agreement=agreement,
        cancel=back,
        record=parent,
    )


@bp.route("/commitments/<int:commitment_id>/indicators/new", methods=["GET", "POST"])
@bp.route("/indicators/<int:indicator_id>/edit", methods=["GET", "POST"], endpoint="edit_indicator")
@login_required
def new_indicator(commitment_id=None, indicator_id=None):
    """Create or edit an indicator."""
    indicator, parent, agreement = _under_commitment(Indicator, indicator_id, commitment_id)
    form = f.IndicatorForm(obj=indicator)
    back = url_for(".commitment", commitment_id=parent.id)
    return _save_or_show(
        form,
        lambda: services.save_indicator(
            indicator,
            commitment=parent,
            user=current_user,
            version=form.version.data,
            reason=form.reason.data or "",
            name=form.name.data,
            unit=form.unit.data,
            baseline=form.baseline.data,
            target=form.target.data,
            target_on=form.target_on.data,
            direction=Direction(form.direction.data),
        ),
        stale_obj=indicator,
        saved=_("The indicator has been saved."),
        done=back,
        title=_("Edit indicator") if indicator else _("New indicator"),
        agreement=agreement,
        cancel=back,
        record=parent,
    )


@bp.route("/indicators/<int:indicator_id>/measurements/new", methods=["GET", "POST"])
@login_required
def new_measurement(indicator_id):
    """Record a value of an indicator."""
    indicator, agreement = _get(Indicator, indicator_id)
    _editable(agreement)
    form = f.MeasurementForm()
    back = url_for(".commitment", commitment_id=indicator.commitment_id)
    return _save_or_show(
        form,
        lambda: services.add_measurement(
            indicator,
            user=current_user,
            measured_on=form.measured_on.data,
            value=form.value.data,
            verified=form.verified.data,
            note=form.note.data,
        ),
        saved=_("The value has been recorded."),
        done=back,
        title=_("New value: %(name)s", name=indicator.name),
        agreement=agreement,
        cancel=back,
        record=indicator.commitment,
    )


# -- directives ----------------------------------------------------------------------------------


@bp.route("/directives")
@login_required
def directives():
    """Directives of every agreement in scope; open ones first, overdue ones marked; filtered,
    sorted and exported by `lists.DIRECTIVES`."""
    shown = lists.DIRECTIVES.show(
        db.session.scalars(queries.directives_visible_to(current_user)),
        choices={"agreement": queries.agreement_choices(current_user)},
    )
    if shown.exporting:
        return shown.download()
    return render_template(
        "agreements/directives.html",
        shown=shown,
        today=local_today(),
        record_into=_directive_agreements(),
    ), (
        shown.status
    )


def _directive_agreements() -> list[Agreement]:
    """The agreements the user may record a directive in (not closed), by code."""
    agreements = db.session.scalars(
        agreements_visible_to(current_user).order_by(Agreement.code)
    ).all()
    return [a for a in agreements if a.editable and can_record_directive(current_user, a)]


@bp.route("/directives/new")
@login_required
def choose_directive_agreement():
    """ "Record a directive" from the directive list: the agreement chosen there (``?agreement=``)
    opens its directive form."""
    code = request.args.get("agreement", "")
    agreement = next((a for a in _directive_agreements() if a.code == code), None)
    if agreement is None:
        flash(_("Choose the agreement the directive belongs to."), "warning")
        return redirect(url_for(".directives"))
    return redirect(url_for(".new_directive", code=agreement.code))


@bp.route("/agreements/<code>/directives/new", methods=["GET", "POST"])
@bp.route("/directives/<int:directive_id>/edit", methods=["GET", "POST"], endpoint="edit_directive")
@login_required
def new_directive(code=None, directive_id=None):
    """Record or update a leadership directive."""
    if directive_id:
        directive, agreement = _get(Directive, directive_id)
    else:
        directive = None
        agreement = _visible(db.session.scalar(sa.select(Agreement).where(Agreement.code == code)))
    if not can_record_directive(current_user, agreement):
        abort(403)
    form = f.DirectiveForm(obj=directive)
    # The units existing on the date the directive was issued (today until it is entered).
    form.assignee_unit_id.choices = _unit_choices(
        agreement,
        on=form.issued_on.data or local_today(),
        keep=[directive.assignee] if directive else [],
        blank=True,
    )
    return _save_or_show(
        form,
        lambda: services.save_directive(
            directive,
            agreement=agreement,
            user=current_user,
            version=form.version.data,
            assignee=db.session.get(Unit, form.assignee_unit_id.data),
            issued_on=form.issued_on.data,
            issued_by=form.issued_by.data,
            meeting=form.meeting.data or None,
            text=form.text.data,
            due_on=form.due_on.data,
            done_on=form.done_on.data,
        ),
        stale_obj=directive,
        saved=_("The directive has been saved."),
        done=url_for(".detail", code=agreement.code) + "#directives",
        title=_("Edit directive") if directive else _("New directive"),
        agreement=agreement,
        cancel=url_for(".detail", code=agreement.code),
    )


# -- documents -----------------------------------------------------------------------------------


@bp.route("/agreements/<code>/documents/new", methods=["GET", "POST"])
@login_required
def new_document(code):
    """Attach a file (the signed text, a decision, minutes) to the agreement."""
    agreement = _editable(
        _visible(db.session.scalar(sa.select(Agreement).where(Agreement.code == code)))
    )
    form = f.DocumentForm()

    def attach():
        # Into the store only once the service has accepted it (storage.Incoming).
        received = incoming.receive(form.file.data, thumbnail=False)
        services.attach_document(
            agreement,
            user=current_user,
            title=form.title.data,
            issued_on=form.issued_on.data,
            stored=received.stored,
        )
        incoming.keep()

    with storage.Incoming() as incoming:
        return _save_or_show(
            form,
            attach,
            saved=_("The document has been attached."),
            done=url_for(".detail", code=agreement.code) + "#documents",
            title=_("Attach a document"),
            agreement=agreement,
            cancel=url_for(".detail", code=agreement.code),
            enctype="multipart/form-data",
        )


@bp.route("/documents/<int:document_id>")
@login_required
def download_document(document_id):
    """Download an attached file: always as an attachment, never rendered in the browser."""
    document, _agreement = _get(Document, document_id)
    return storage.download(
        document.sha256, content_type=document.content_type, file_name=document.file_name
    )


# -- deletes -------------------------------------------------------------------------------------

_DELETABLE = {
    "area": Area,
    "commitment": Commitment,
    "milestone": Milestone,
    "indicator": Indicator,
    "measurement": Measurement,
    "directive": Directive,
    "document": Document,
}


@bp.route("/delete/<kind>/<int:obj_id>", methods=["GET", "POST"])
@login_required
def delete_record(kind, obj_id):
    """Delete a record under an agreement, after a confirmation page, into the recycle bin."""
    model = _DELETABLE.get(kind)
    if model is None:
        abort(404)
    obj, agreement = _get(model, obj_id)
    back = local_path(request.values.get("back")) or url_for(".detail", code=agreement.code)
    done = back
    if isinstance(obj, Commitment):
        back = url_for(".commitment", commitment_id=obj.id)
        done = url_for(".detail", code=agreement.code)
    return confirm_delete(
        obj,
        lambda: services.delete_record(obj, agreement=agreement, user=current_user),
        back=back,
        done=done,
        label=services.deletion_label(obj),
    )


# -- history ------------------------------------------------------------------------------------


@bp.route("/agreements/<code>/history")
@login_required
def history(code):
    """Every recorded change under an agreement, newest first."""

    agreement = _visible(db.session.scalar(sa.select(Agreement).where(Agreement.code == code)))
    page = page_arg()
    pagination = db.paginate(
        audit.history(agreement_id=agreement.id), page=page, per_page=50, error_out=False
    )
    return render_template(
        "audit/agreement.html",
        agreement=agreement,
        pagination=pagination,
        entries=pagination.items,
        **audit.labels(pagination.items),
    )
