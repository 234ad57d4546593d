"""The refusals a service raises, one class per kind. Each entry point maps them once: the API to
its status code and JSON error (``status``, ``code``, ``details``), the pages to a form error, a
flash or an HTTP error, the importers to a message at a row or JSON path."""


class Refusal(Exception):
    """A service refuses a change, with a user-facing message and the field it concerns.

    ``status`` and ``code`` are what the API answers; ``details`` (keyword arguments) go into the
    API's error body, e.g. ``deadline_on`` for a closed period."""

    status = 422
    code = "unprocessable"

    def __init__(self, message=None, field: str | None = None, **details):
        super().__init__(str(message) if message is not None else type(self).__name__)
        #: None: the entry point words the refusal by its kind.
        self.message = message
        self.field = field
        self.details = details


class InvalidValue(Refusal, ValueError):
    """A value the rules do not accept (a date in the future, an end before the start…)."""


class WrongState(InvalidValue):
    """The record's state does not allow the change (a submitted report edited, a closed
    agreement changed)."""

    status = 409
    code = "not_editable"


class PeriodClosed(WrongState):
    """The reporting period no longer accepts this commitment's reports."""

    code = "period_closed"


class NotFound(Refusal):
    """No such record, or one outside the user's scope: the answer is the same for both."""

    status = 404
    code = "not_found"


class NotAllowed(Refusal):
    """The user may see the record but not do this to it (pages answer 403)."""

    status = 403
    code = "forbidden"


class StaleVersion(Refusal):
    """Someone else saved the record since the user read it."""

    status = 409
    code = "stale"

    def __init__(self, obj=None, message=None, **details):
        super().__init__(message, **details)
        self.obj = obj


def check_version(obj, version) -> None:
    """Raise StaleVersion when the version the user edited is not the stored one."""
    if version is None or str(version) == "":
        return
    if int(version) != obj.version:
        raise StaleVersion(obj, version=obj.version)
