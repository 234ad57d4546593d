"""Forms for agreements and the records under them."""


from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, ValidationError

from tracker.agreements.models import Completion, Direction, FundingSource, MilestoneStatus
from tracker.forms import (
    BaseForm,
    DecimalText,
    MultiSelect,
    VersionField,
    VNDField,
    code_format,
    input_required,
    max_length,
    not_after,
    optional,
    options,
    required,
    required_date,
)
from tracker.i18n import _l
from tracker.org.models import Side


def _blank_to_none(value):
    return value or None


class AgreementForm(BaseForm):
    """The agreement's record."""

    code = StringField(
        _l("Code"),
        description=_l("A short unique code, e.g. QB-VNPT-2020."),
        validators=[required(), max_length(40), code_format],
    )
    title = TextAreaField(_l("Title"), validators=[required(), max_length(500)])
    province_id = SelectField(_l("Province"), coerce=int, validators=[required()])
    partner = StringField(_l("Partner"), validators=[required(), max_length(255)])
    province_signatory = StringField(
        _l("Signatory for the province"), validators=[optional(), max_length(255)]
    )
    partner_signatory = StringField(
        _l("Signatory for the partner"), validators=[optional(), max_length(255)]
    )
    period_start = DateField(_l("Period start"), validators=[required_date()])
    period_end = DateField(
        _l("Period end"),
        validators=[
            required_date(),
            not_after("period_start", _l("The end must be after the start.")),
        ],
    )
    vision_year = IntegerField(
        _l("Orientation to year"),
        validators=[
            optional(),
            NumberRange(min=2000, max=2100, message=_l("Enter a year between 2000 and 2100.")),
        ],
    )
    predecessor_id = SelectField(_l("Renews agreement"), coerce=int, default=0)
    legal_bases = TextAreaField(
        _l("Legal bases"),
        description=_l("One citation per line, e.g. Nghị quyết số 36a/NQ-CP ngày 14/10/2015."),
        validators=[max_length(10000)],
    )
    description = TextAreaField(_l("Objectives and notes"), validators=[max_length(20000)])
    version = VersionField()

    def validate_period_end(self, field):
        if field.data and self.period_start.data and field.data == self.period_start.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_vision_year(self, field):
        end = self.period_end.data
        if field.data and end and field.data < end.year:
            raise ValidationError(
                _l("The orientation year cannot be before the end of the period.")
            )

    def legal_bases_list(self) -> list[str]:
        return [line.strip() for line in (self.legal_bases.data or "").splitlines() if line.strip()]


class StatusForm(BaseForm):
    """A step of the agreement's life cycle."""

    to_status = SelectField(_l("New status"), validators=[required()])
    changed_on = DateField(_l("Date"), validators=[required_date()])
    note = TextAreaField(_l("Note"), validators=[max_length(2000)])
    version = VersionField()


class AreaForm(BaseForm):
    """An area of cooperation."""

    code = StringField(
        _l("Number"),
        description=_l("I, II, III…"),
        validators=[required(), max_length(20), code_format],
    )
    title = TextAreaField(_l("Title"), validators=[required(), max_length(500)])
    position = IntegerField(
        _l("Order"),
        default=0,
        validators=[
            optional(),
            NumberRange(min=0, max=10000, message=_l("Enter a number from 0 to 10000.")),
        ],
    )
    description = TextAreaField(_l("Description"), validators=[max_length(20000)])
    version = VersionField()


class CommitmentForm(BaseForm):
    """A commitment with its responsible units and money."""

    area_id = SelectField(_l("Area"), coerce=int, validators=[required()])
    code = StringField(
        _l("Number"),
        description=_l("e.g. 1.2"),
        validators=[required(), max_length(20), code_format],
    )
    title = TextAreaField(_l("Commitment"), validators=[required(), max_length(500)])
    description = TextAreaField(_l("Description"), validators=[max_length(20000)])
    committed_by = SelectField(
        _l("Committed by"), choices=options(Side.choices()), validators=[required()]
    )
    lead_unit_id = SelectField(_l("Lead unit"), coerce=int, validators=[required()])
    support_unit_ids = MultiSelect(_l("Supporting units"), coerce=int)
    due_on = DateField(_l("Due date"), validators=[optional()])
    budget_vnd = VNDField(
        _l("Planned budget (VND)"), description=_l("Whole đồng, e.g. 7.000.000.000.")
    )
    funding_source = SelectField(
        _l("Funding source"),
        choices=options([("", "—"), *FundingSource.choices()]),
        filters=[_blank_to_none],
        validate_choice=False,
    )
    priority = BooleanField(_l("Priority"))
    completion = SelectField(
        _l("Completion"), choices=options(Completion.choices()), default="not_started"
    )
    position = IntegerField(
        _l("Order"),
        default=0,
        validators=[
            optional(),
            NumberRange(min=0, max=10000, message=_l("Enter a number from 0 to 10000.")),
        ],
    )
    version = VersionField()

    def validate_funding_source(self, field):
        if field.data and field.data not in FundingSource.__members__:
            raise ValidationError(_l("Not a valid choice."))

    def validate_support_unit_ids(self, field):
        if self.lead_unit_id.data and self.lead_unit_id.data in (field.data or []):
            raise ValidationError(_l("The lead unit cannot also be a supporting unit."))


class MilestoneForm(BaseForm):
    """A dated step of a commitment."""

    title = TextAreaField(_l("Milestone"), validators=[required(), max_length(500)])
    due_on = DateField(_l("Due date"), validators=[required_date()])
    status = SelectField(
        _l("Status"), choices=options(MilestoneStatus.choices()), default="scheduled"
    )
    done_on = DateField(_l("Date met"), validators=[optional()])
    version = VersionField()

    def validate(self, extra_validators=None):
        # A form-level check: the field-level one would be skipped for an empty optional date.
        valid = super().validate(extra_validators)
        met = self.status.data in (MilestoneStatus.met, MilestoneStatus.partially_met)
        if met and not self.done_on.data and not self.done_on.errors:
            self.done_on.errors = [
                *self.done_on.errors,
                _l("Enter the date the milestone was met."),
            ]
            valid = False
        if self.done_on.data and not met:
            self.done_on.errors = [
                *self.done_on.errors,
                _l("A date met needs the status 'Met' or 'Partially met'."),
            ]
            valid = False
        return valid


class IndicatorForm(BaseForm):
    """A measurable target."""

    name = TextAreaField(_l("Indicator"), validators=[required(), max_length(500)])
    unit = StringField(
        _l("Unit of measure"),
        description=_l("e.g. %, xã, trạm BTS"),
        validators=[required(), max_length(40)],
    )
    baseline = DecimalText(_l("Baseline"), validators=[input_required()])
    target = DecimalText(_l("Target"), validators=[input_required()])
    direction = SelectField(
        _l("Direction"), choices=options(Direction.choices()), default="increase"
    )
    target_on = DateField(_l("Target date"), validators=[optional()])
    reason = TextAreaField(
        _l("Reason for the change"),
        description=_l("Required when the baseline or target of a signed agreement changes."),
        validators=[max_length(2000)],
    )
    version = VersionField()

    def validate_target(self, field):
        base = self.baseline.data
        if field.data is None or base is None:
            return
        if self.direction.data == Direction.increase and field.data < base:
            raise ValidationError(
                _l(
                    "For an indicator that should increase, the target cannot be below the baseline."
                )
            )
        if self.direction.data == Direction.decrease and field.data > base:
            raise ValidationError(
                _l(
                    "For an indicator that should decrease, the target cannot be above the baseline."
                )
            )


class MeasurementForm(BaseForm):
    """A dated value of an indicator recorded by the DIC."""

    measured_on = DateField(_l("Date"), validators=[required_date()])
    value = DecimalText(_l("Value"), validators=[input_required()])
    verified = BooleanField(_l("Verified by the DIC"), default=True)
    note = TextAreaField(_l("Source or note"), validators=[max_length(2000)])


class DirectiveForm(BaseForm):
    """A leadership directive."""

    issued_on = DateField(_l("Issued on"), validators=[required_date()])
    issued_by = StringField(
        _l("Issued by"),
        description=_l("e.g. Phó Chủ tịch UBND tỉnh Đặng Minh Thông"),
        validators=[required(), max_length(255)],
    )
    meeting = StringField(_l("Meeting or document"), validators=[optional(), max_length(500)])
    text = TextAreaField(_l("Directive"), validators=[required(), max_length(5000)])
    assignee_unit_id = SelectField(_l("Assigned to"), coerce=int, validators=[required()])
    due_on = DateField(
        _l("Due date"),
        validators=[
            optional(),
            not_after("issued_on", _l("The due date cannot be before the date issued.")),
        ],
    )
    done_on = DateField(
        _l("Done on"),
        validators=[
            optional(),
            not_after("issued_on", _l("The date done cannot be before the date issued.")),
        ],
    )
    version = VersionField()


class DocumentForm(BaseForm):
    """A file attached to an agreement."""

    title = StringField(_l("Title"), validators=[required(), max_length(300)])
    issued_on = DateField(_l("Date of the document"), validators=[optional()])
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file."))])


class DeleteForm(BaseForm):
    """An empty form: its CSRF token protects a delete."""
