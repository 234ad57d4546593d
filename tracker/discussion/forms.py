"""The comment form (posting and editing share it)."""

from wtforms import TextAreaField

from tracker.forms import BaseForm, VersionField
from tracker.i18n import _l


class CommentForm(BaseForm):
    """A comment's text; the service refuses an empty or too long one."""

    body = TextAreaField(
        _l("Your comment"),
        description=_l("Type @ to mention a person or a unit of the agreement."),
    )
    version = VersionField()
