"""Sign-in and account forms."""

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo

from tracker.auth.models import Role, User
from tracker.forms import BaseForm, VersionField, max_length, model_label, options, required
from tracker.i18n import _l


class LoginForm(BaseForm):
    """E-mail and password."""

    email = EmailField(model_label(User.email), validators=[required(), max_length(254)])
    password = PasswordField(_l("Password"), validators=[required(), max_length(256)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class UserForm(BaseForm):
    """An admin creates or edits an account."""

    email = EmailField(model_label(User.email), validators=[required(), max_length(254)])
    full_name = StringField(model_label(User.full_name), validators=[required(), max_length(120)])
    role = SelectField(
        model_label(User.role), choices=options(Role.choices()), validators=[required()]
    )
    unit_id = SelectField(model_label(User.unit_id), coerce=int, validate_choice=True)
    active = BooleanField(model_label(User.active), default=True)
    password = PasswordField(
        _l("Password"),
        description=_l("At least 12 characters; a long phrase is best. Leave empty to keep."),
        validators=[max_length(256)],
    )
    version = VersionField()


class PasswordChangeForm(BaseForm):
    """A user changes their own password."""

    current_password = PasswordField(_l("Current password"), validators=[required()])
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters; a long phrase is best."),
        validators=[required(), max_length(256)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[required(), EqualTo("new_password", message=_l("The passwords do not match."))],
    )
