"""Forms for progress reports, evidence, verification, extensions and periods."""

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange

from tracker.agreements.models import Completion, Directive, MilestoneStatus
from tracker.forms import (
    BaseForm,
    DecimalText,
    VersionField,
    VNDField,
    input_required,
    max_length,
    model_label,
    optional,
    options,
    required,
    required_date,
)
from tracker.i18n import _l
from tracker.progress.models import (
    Evidence,
    EvidenceKind,
    Extension,
    ProgressReport,
    ReportingPeriod,
    ReportMilestone,
    ReportValue,
)


class ReportForm(BaseForm):
    """The fixed part of a progress report; `report_form_for` adds a field per indicator and
    per milestone of the commitment."""

    percent_complete = IntegerField(
        model_label(ProgressReport.percent_complete),
        validators=[
            input_required(),
            NumberRange(min=0, max=100, message=_l("Enter a percentage from 0 to 100.")),
        ],
    )
    completion = SelectField(
        model_label(ProgressReport.completion),
        choices=options(Completion.choices()),
        default="limited",
    )
    spent_vnd = VNDField(
        model_label(ProgressReport.spent_vnd), description=_l("Whole đồng, e.g. 1.500.000.000.")
    )
    narrative = TextAreaField(model_label(ProgressReport.narrative), validators=[max_length(20000)])
    version = VersionField()


MILESTONE_CHOICES = [
    ("", "—"),
    (MilestoneStatus.met.value, MilestoneStatus.met.label),
    (MilestoneStatus.partially_met.value, MilestoneStatus.partially_met.label),
]


def report_form_for(commitment, *args, **kwargs) -> ReportForm:
    """A report form with `v_<id>`/`vn_<id>` for each indicator and `m_<id>_status`/`m_<id>_done_on`
    for each milestone not met yet."""

    class _Form(ReportForm):
        pass

    for indicator in commitment.indicators:
        setattr(
            _Form,
            f"v_{indicator.id}",
            DecimalText(
                model_label(ReportValue.value),
                description=f"{indicator.name} ({indicator.unit})",
                validators=[optional()],
            ),
        )
        setattr(
            _Form,
            f"vn_{indicator.id}",
            StringField(model_label(ReportValue.note), validators=[max_length(500)]),
        )
    for milestone in commitment.milestones:
        setattr(
            _Form,
            f"m_{milestone.id}_status",
            SelectField(
                model_label(ReportMilestone.status),
                choices=options((c, str(label)) for c, label in MILESTONE_CHOICES),
                default="",
            ),
        )
        setattr(
            _Form,
            f"m_{milestone.id}_done_on",
            DateField(model_label(ReportMilestone.done_on), validators=[optional()]),
        )
    return _Form(*args, **kwargs)


class EvidenceForm(BaseForm):
    """Upload a piece of evidence."""

    title = StringField(model_label(Evidence.title), validators=[required(), max_length(300)])
    kind = SelectField(
        model_label(Evidence.kind), choices=options(EvidenceKind.choices()), default="other"
    )
    issued_on = DateField(model_label(Evidence.issued_on), validators=[optional()])
    file = FileField(
        model_label(Evidence.file_name),
        description=_l("PDF, image, Office document or ZIP archive of those."),
        validators=[FileRequired(message=_l("Choose a file."))],
    )


class ReturnForm(BaseForm):
    """Return a report with a reason."""

    reason = TextAreaField(
        _l("What must be completed or corrected"), validators=[required(), max_length(5000)]
    )
    version = VersionField()


def return_form_for(commitment, *args, **kwargs) -> ReturnForm:
    """A return form with an optional comment box `note_indicator_<id>` per indicator and
    `note_milestone_<id>` per milestone of the commitment (the verifier's per-field notes)."""

    class _Form(ReturnForm):
        pass

    for kind, items, name in (
        ("indicator", commitment.indicators, "name"),
        ("milestone", commitment.milestones, "title"),
    ):
        for item in items:
            setattr(
                _Form,
                f"note_{kind}_{item.id}",
                TextAreaField(getattr(item, name), validators=[optional(), max_length(5000)]),
            )
    return _Form(*args, **kwargs)


def field_notes(form, commitment) -> dict:
    """The per-field notes a return form holds: {("indicator" | "milestone", id): text}."""
    notes = {}
    for kind, items in (("indicator", commitment.indicators), ("milestone", commitment.milestones)):
        for item in items:
            text = form[f"note_{kind}_{item.id}"].data
            if text:
                notes[kind, item.id] = text
    return notes


class VerifyForm(BaseForm):
    """Verify a report (CSRF and the version only)."""

    version = VersionField()


class ExtensionForm(BaseForm):
    """Ask for more time."""

    requested_on = DateField(model_label(Extension.requested_on), validators=[required_date()])
    reason = TextAreaField(model_label(Extension.reason), validators=[required(), max_length(5000)])


class DecisionForm(BaseForm):
    """Approve or refuse an extension."""

    decision = SelectField(
        _l("Decision"), choices=options([("approve", _l("Approve")), ("refuse", _l("Refuse"))])
    )
    note = TextAreaField(
        model_label(Extension.decision_note),
        description=_l("Required when refusing."),
        validators=[max_length(5000)],
    )


class ReopenForm(BaseForm):
    """Reopen a locked reporting period."""

    until = DateField(model_label(ReportingPeriod.reopened_until), validators=[required_date()])
    reason = TextAreaField(_l("Reason"), validators=[required(), max_length(2000)])


class CompleteDirectiveForm(BaseForm):
    """Report a directive done."""

    done_on = DateField(model_label(Directive.done_on), validators=[required_date()])
    version = VersionField()


class EmptyForm(BaseForm):
    """CSRF only."""
