"""The administration forms: provinces, units and accounts."""

from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, ValidationError

from tracker.auth.models import Role, User
from tracker.forms import (
    BaseForm,
    VersionField,
    code_format,
    max_length,
    model_label,
    not_after,
    optional,
    options,
    required,
)
from tracker.i18n import _l
from tracker.org.models import ChangeKind, Province, Side, Unit, UnitKind


def _blank_to_none(value):
    return value or None


class _SuccessionFields:
    valid_from = DateField(model_label(Province.valid_from), validators=[optional()])
    valid_to = DateField(
        model_label(Province.valid_to),
        validators=[optional(), not_after("valid_from", _l("The end must be after the start."))],
    )
    successor_id = SelectField(model_label(Province.successor_id), coerce=int, default=0)
    change_kind = SelectField(
        model_label(Province.change_kind),
        choices=options([("", "—"), *ChangeKind.choices()]),
        filters=[_blank_to_none],
        validate_choice=False,
    )

    def validate_successor_id(self, field):
        if field.data and not self.valid_to.data:
            raise ValidationError(_l("Give the date until which it was valid."))
        if field.data and not self.change_kind.data:
            raise ValidationError(_l("Say how it changed (renamed, merged…)."))

    def validate_change_kind(self, field):
        if field.data and field.data not in ChangeKind.__members__:
            raise ValidationError(_l("Not a valid choice."))


class ProvinceForm(_SuccessionFields, BaseForm):
    """A province or centrally-run city."""

    code = StringField(
        model_label(Province.code), validators=[required(), max_length(40), code_format]
    )
    name = StringField(model_label(Province.name), validators=[required(), max_length(120)])
    is_city = BooleanField(model_label(Province.is_city))
    version = VersionField()


class UnitForm(_SuccessionFields, BaseForm):
    """A responsible unit."""

    code = StringField(model_label(Unit.code), validators=[required(), max_length(40), code_format])
    name = StringField(model_label(Unit.name), validators=[required(), max_length(300)])
    short_name = StringField(model_label(Unit.short_name), validators=[optional(), max_length(80)])
    kind = SelectField(
        model_label(Unit.kind), choices=options(UnitKind.choices()), validators=[required()]
    )
    side = SelectField(
        model_label(Unit.side), choices=options(Side.choices()), validators=[required()]
    )
    province_id = SelectField(
        model_label(Unit.province_id),
        coerce=int,
        default=0,
        description=_l("Empty for national units (VNPT headquarters)."),
    )
    version = VersionField()


class UserForm(BaseForm):
    """An administrator creates or edits an account."""

    email = EmailField(model_label(User.email), validators=[required(), max_length(254)])
    full_name = StringField(model_label(User.full_name), validators=[required(), max_length(120)])
    #: No role is chosen for the administrator: a new account starts with "—".
    role = SelectField(
        model_label(User.role),
        choices=options([("", "—"), *Role.choices()]),
        validators=[DataRequired(message=_l("Choose the role of the account."))],
    )
    unit_id = SelectField(model_label(User.unit_id), coerce=int, validate_choice=True)
    active = BooleanField(model_label(User.active), default=True)
    password = PasswordField(
        _l("Password"),
        description=_l("At least 12 characters; a long phrase is best. Leave empty to keep."),
        validators=[max_length(256)],
    )
    version = VersionField()
