"""Forms for progress reports, evidence, verification, extensions and periods."""

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange

from tracker.agreements.models import Completion, MilestoneStatus
from tracker.forms import (
    BaseForm,
    DecimalText,
    VersionField,
    VNDField,
    input_required,
    max_length,
    optional,
    options,
    required,
    required_date,
)
from tracker.i18n import _l
from tracker.progress.models import EvidenceKind


class ReportForm(BaseForm):
    """The fixed part of a progress report; `report_form_for` adds a field per indicator and
    per milestone of the commitment."""

    percent_complete = IntegerField(
        _l("Percent complete"),
        validators=[
            input_required(),
            NumberRange(min=0, max=100, message=_l("Enter a percentage from 0 to 100.")),
        ],
    )
    completion = SelectField(
        _l("Completion"), choices=options(Completion.choices()), default="limited"
    )
    spent_vnd = VNDField(
        _l("Spent in the period (VND)"), description=_l("Whole đồng, e.g. 1.500.000.000.")
    )
    narrative = TextAreaField(
        _l("Results, difficulties and next steps"), validators=[max_length(20000)]
    )
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
                _l("Value"),
                description=f"{indicator.name} ({indicator.unit})",
                validators=[optional()],
            ),
        )
        setattr(
            _Form,
            f"vn_{indicator.id}",
            StringField(_l("Source or note"), validators=[max_length(500)]),
        )
    for milestone in commitment.milestones:
        setattr(
            _Form,
            f"m_{milestone.id}_status",
            SelectField(
                _l("Status"),
                choices=options((c, str(label)) for c, label in MILESTONE_CHOICES),
                default="",
            ),
        )
        setattr(
            _Form, f"m_{milestone.id}_done_on", DateField(_l("Date met"), validators=[optional()])
        )
    return _Form(*args, **kwargs)


class EvidenceForm(BaseForm):
    """Upload a piece of evidence."""

    title = StringField(_l("Title"), validators=[required(), max_length(300)])
    kind = SelectField(
        _l("Evidence kind"), choices=options(EvidenceKind.choices()), default="other"
    )
    issued_on = DateField(_l("Date of the document"), validators=[optional()])
    file = FileField(
        _l("File"),
        description=_l("PDF, image, Office document or ZIP archive of those."),
        validators=[FileRequired(message=_l("Choose a file."))],
    )


class ReturnForm(BaseForm):
    """Return a report with a reason."""

    reason = TextAreaField(
        _l("What must be completed or corrected"), validators=[required(), max_length(5000)]
    )
    version = VersionField()


class VerifyForm(BaseForm):
    """Verify a report (CSRF and the version only)."""

    version = VersionField()


class ExtensionForm(BaseForm):
    """Ask for more time."""

    requested_on = DateField(_l("New date"), validators=[required_date()])
    reason = TextAreaField(_l("Reason"), validators=[required(), max_length(5000)])


class DecisionForm(BaseForm):
    """Approve or refuse an extension."""

    decision = SelectField(
        _l("Decision"), choices=options([("approve", _l("Approve")), ("refuse", _l("Refuse"))])
    )
    note = TextAreaField(
        _l("Note"), description=_l("Required when refusing."), validators=[max_length(5000)]
    )


class ReopenForm(BaseForm):
    """Reopen a locked reporting period."""

    until = DateField(_l("Accept reports until"), validators=[required_date()])
    reason = TextAreaField(_l("Reason"), validators=[required(), max_length(2000)])


class CompleteDirectiveForm(BaseForm):
    """Report a directive done."""

    done_on = DateField(_l("Done on"), validators=[required_date()])
    version = VersionField()


class EmptyForm(BaseForm):
    """CSRF only."""
