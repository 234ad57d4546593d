"""Sign-in and the user's own password (accounts are administered in tracker/admin)."""

from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import EqualTo

from tracker.auth.models import User
from tracker.forms import BaseForm, max_length, model_label, required
from tracker.i18n import _l


class LoginForm(BaseForm):
    """E-mail and password."""

    email = EmailField(model_label(User.email), validators=[required(), max_length(254)])
    password = PasswordField(_l("Password"), validators=[required(), max_length(256)])
    remember = BooleanField(_l("Keep me signed in on this device"))


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
