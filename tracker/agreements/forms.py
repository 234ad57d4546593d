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

from tracker.agreements.models import (
    MAX_REPORTING_DAYS,
    REPORT_DEADLINE_DAYS,
    RESUBMIT_GRACE_DAYS,
    Agreement,
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
    StatusChange,
)
from tracker.forms import (
    BaseForm,
    DecimalText,
    MultiSelect,
    VersionField,
    VNDField,
    code_format,
    input_required,
    max_length,
    model_label,
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
        model_label(Agreement.code),
        description=_l("A short unique code, e.g. QB-VNPT-2020."),
        validators=[required(), max_length(40), code_format],
    )
    title = TextAreaField(model_label(Agreement.title), validators=[required(), max_length(500)])
    province_id = SelectField(
        model_label(Agreement.province_id),
        coerce=int,
        description=_l("Only the provinces existing when the agreement starts are offered."),
        validators=[required()],
    )
    partner = StringField(model_label(Agreement.partner), validators=[required(), max_length(255)])
    province_signatory = StringField(
        model_label(Agreement.province_signatory), validators=[optional(), max_length(255)]
    )
    partner_signatory = StringField(
        model_label(Agreement.partner_signatory), validators=[optional(), max_length(255)]
    )
    period_start = DateField(model_label(Agreement.period_start), validators=[required_date()])
    period_end = DateField(
        model_label(Agreement.period_end),
        validators=[
            required_date(),
            not_after("period_start", _l("The end must be after the start.")),
        ],
    )
    vision_year = IntegerField(
        model_label(Agreement.vision_year),
        validators=[
            optional(),
            NumberRange(min=2000, max=2100, message=_l("Enter a year between 2000 and 2100.")),
        ],
    )
    predecessor_id = SelectField(model_label(Agreement.predecessor_id), coerce=int, default=0)
    reporting_frequency = SelectField(
        model_label(Agreement.reporting_frequency),
        choices=options(PeriodKind.choices()),
        default=PeriodKind.quarter.value,
        description=_l("Decree 09/2019/NĐ-CP: quarterly, half-yearly or yearly reports."),
        validators=[required()],
    )
    report_deadline_days = IntegerField(
        model_label(Agreement.report_deadline_days),
        default=REPORT_DEADLINE_DAYS,
        description=_l(
            "Days after the cut-off on the 14th; 6 (the 20th) follows Decree 09/2019/NĐ-CP."
        ),
        validators=[
            optional(),
            NumberRange(min=0, max=MAX_REPORTING_DAYS, message=_l("Enter a number from 0 to 90.")),
        ],
    )
    resubmit_grace_days = IntegerField(
        model_label(Agreement.resubmit_grace_days),
        default=RESUBMIT_GRACE_DAYS,
        description=_l(
            "A returned report may be corrected and resubmitted for this many days after its "
            "return, even once its reporting period has locked."
        ),
        validators=[
            optional(),
            NumberRange(min=0, max=MAX_REPORTING_DAYS, message=_l("Enter a number from 0 to 90.")),
        ],
    )
    legal_bases = TextAreaField(
        model_label(Agreement.legal_bases),
        description=_l("One citation per line, e.g. Nghị quyết số 36a/NQ-CP ngày 14/10/2015."),
        validators=[max_length(10000)],
    )
    description = TextAreaField(model_label(Agreement.description), validators=[max_length(20000)])
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

    to_status = SelectField(model_label(StatusChange.to_status), validators=[required()])
    changed_on = DateField(
        model_label(StatusChange.changed_on),
        description=_l(
            "The day it happened (e.g. the signing ceremony), not the day it is recorded; "
            "today or earlier."
        ),
        validators=[required_date()],
    )
    note = TextAreaField(model_label(StatusChange.note), validators=[max_length(2000)])
    version = VersionField()


class AreaForm(BaseForm):
    """An area of cooperation."""

    code = StringField(
        model_label(Area.code),
        description=_l("I, II, III…"),
        validators=[required(), max_length(20), code_format],
    )
    title = TextAreaField(model_label(Area.title), validators=[required(), max_length(500)])
    position = IntegerField(
        model_label(Area.position),
        default=0,
        validators=[
            optional(),
            NumberRange(min=0, max=10000, message=_l("Enter a number from 0 to 10000.")),
        ],
    )
    description = TextAreaField(model_label(Area.description), validators=[max_length(20000)])
    version = VersionField()


class CommitmentForm(BaseForm):
    """A commitment with its responsible units and money."""

    area_id = SelectField(model_label(Commitment.area_id), coerce=int, validators=[required()])
    code = StringField(
        model_label(Commitment.code),
        description=_l("e.g. 1.2"),
        validators=[required(), max_length(20), code_format],
    )
    title = TextAreaField(model_label(Commitment.title), validators=[required(), max_length(500)])
    description = TextAreaField(model_label(Commitment.description), validators=[max_length(20000)])
    committed_by = SelectField(
        model_label(Commitment.committed_by),
        choices=options(Side.choices()),
        validators=[required()],
    )
    lead_unit_id = SelectField(
        model_label(Commitment.lead_unit_id), coerce=int, validators=[required()]
    )
    support_unit_ids = MultiSelect(model_label(Commitment.support_units), coerce=int)
    due_on = DateField(model_label(Commitment.due_on), validators=[optional()])
    budget_vnd = VNDField(
        model_label(Commitment.budget_vnd), description=_l("Whole đồng, e.g. 7.000.000.000.")
    )
    funding_source = SelectField(
        model_label(Commitment.funding_source),
        choices=options([("", "—"), *FundingSource.choices()]),
        filters=[_blank_to_none],
        validate_choice=False,
    )
    priority = BooleanField(model_label(Commitment.priority))
    completion = SelectField(
        model_label(Commitment.completion),
        choices=options(Completion.choices()),
        default="not_started",
    )
    position = IntegerField(
        model_label(Commitment.position),
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

    title = TextAreaField(model_label(Milestone.title), validators=[required(), max_length(500)])
    due_on = DateField(model_label(Milestone.due_on), validators=[required_date()])
    status = SelectField(
        model_label(Milestone.status),
        choices=options(MilestoneStatus.choices()),
        default="scheduled",
    )
    done_on = DateField(model_label(Milestone.done_on), validators=[optional()])
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

    name = TextAreaField(model_label(Indicator.name), validators=[required(), max_length(500)])
    unit = StringField(
        model_label(Indicator.unit),
        description=_l("e.g. %, xã, trạm BTS"),
        validators=[required(), max_length(40)],
    )
    baseline = DecimalText(model_label(Indicator.baseline), validators=[input_required()])
    target = DecimalText(model_label(Indicator.target), validators=[input_required()])
    direction = SelectField(
        model_label(Indicator.direction), choices=options(Direction.choices()), default="increase"
    )
    target_on = DateField(model_label(Indicator.target_on), validators=[optional()])
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

    measured_on = DateField(model_label(Measurement.measured_on), validators=[required_date()])
    value = DecimalText(model_label(Measurement.value), validators=[input_required()])
    verified = BooleanField(model_label(Measurement.verified), default=True)
    note = TextAreaField(model_label(Measurement.note), validators=[max_length(2000)])


class DirectiveForm(BaseForm):
    """A leadership directive."""

    issued_on = DateField(model_label(Directive.issued_on), validators=[required_date()])
    issued_by = StringField(
        model_label(Directive.issued_by),
        description=_l("e.g. Phó Chủ tịch UBND tỉnh Đặng Minh Thông"),
        validators=[required(), max_length(255)],
    )
    meeting = StringField(model_label(Directive.meeting), validators=[optional(), max_length(500)])
    text = TextAreaField(model_label(Directive.text), validators=[required(), max_length(5000)])
    assignee_unit_id = SelectField(
        model_label(Directive.assignee_unit_id), coerce=int, validators=[required()]
    )
    due_on = DateField(
        model_label(Directive.due_on),
        validators=[
            optional(),
            not_after("issued_on", _l("The due date cannot be before the date issued.")),
        ],
    )
    done_on = DateField(
        model_label(Directive.done_on),
        validators=[
            optional(),
            not_after("issued_on", _l("The date done cannot be before the date issued.")),
        ],
    )
    version = VersionField()


class DocumentForm(BaseForm):
    """A file attached to an agreement."""

    title = StringField(model_label(Document.title), validators=[required(), max_length(300)])
    issued_on = DateField(model_label(Document.issued_on), validators=[optional()])
    file = FileField(
        model_label(Document.file_name), validators=[FileRequired(message=_l("Choose a file."))]
    )


class DeleteForm(BaseForm):
    """An empty form: its CSRF token protects a delete."""
