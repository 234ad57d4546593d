"""The base form and field types every feature's forms share."""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from flask import abort, flash, request
from flask_babel import get_translations, gettext
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import (
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from tracker.errors import InvalidValue, NotAllowed, NotFound, StaleVersion
from tracker.extensions import db
from tracker.i18n import _, _l, fmt_date
from tracker.labels import label_of
from tracker.security import security_event
from tracker.text import clean_text

#: WTForms' own messages, listed so they are extracted into our catalog and translated.
WTFORMS_MESSAGES = (
    _l("Not a valid date value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("This field is required."),
    _l("The CSRF token is missing."),
    _l("The CSRF token has expired."),
    _l("The CSRF token is invalid."),
    _l("The CSRF tokens do not match."),
)


#: The largest id or page number a URL may carry: the database's integer range. The app's `int`
#: URL converter stops there too (tracker/__init__.py), so a bigger one is a 404, not a 500.
MAX_INT = 2**31 - 1

_WHOLE = re.compile(r"[0-9]{1,10}")


def int_arg(name: str) -> int | None:
    """A whole-number query argument (a filter's id), or None when absent, not a whole number or
    beyond the database's range."""
    raw = request.args.get(name, "")
    if not _WHOLE.fullmatch(raw) or int(raw) > MAX_INT:
        return None
    return int(raw)


def page_arg() -> int:
    """The page a pager asks for (`?page=`): 1 when absent; 404 for anything but a page number
    within range."""
    raw = request.args.get("page")
    if raw is None or raw == "":
        return 1
    if not _WHOLE.fullmatch(raw) or not 1 <= int(raw) <= MAX_INT:
        abort(404)
    return int(raw)


class _Translations:
    """Route WTForms' built-in messages through our catalog. WTForms fills in the placeholders
    itself, so these return the raw translation (Flask-Babel's helpers would format it)."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


def strip_nfc(value):
    """Trim text and normalise it to NFC (passwords: nothing else is changed in them)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    return value


def one_line_text(value):
    """A one-line value as stored (tracker/text.py): control characters, tabs and line breaks
    become spaces, so a name never breaks an e-mail header, a spreadsheet cell or an export."""
    if isinstance(value, str):
        return clean_text(value, multiline=False) or ""
    return value


def multi_line_text(value):
    """A text area's value as stored: line breaks kept (as \\n), other control characters
    removed."""
    if isinstance(value, str):
        return clean_text(value, multiline=True) or ""
    return value


def text_filter(field_class):
    """The filter every text field of a BaseForm gets, by its kind."""
    if issubclass(field_class, PasswordField):
        return strip_nfc
    if issubclass(field_class, TextAreaField):
        return multi_line_text
    if issubclass(field_class, StringField):
        return one_line_text
    return None


class BaseForm(FlaskForm):
    """A Flask-WTF form (CSRF) whose text is stored clean (trimmed, NFC, no control characters:
    see `text_filter`), with messages in the user's language."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if "csrf_token" in self and self.csrf_token.errors:
            security_event("csrf_failure", reason="; ".join(map(str, self.csrf_token.errors)))
        return valid

    class Meta:
        def get_translations(self, form):
            return _Translations()

        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if (text := text_filter(unbound_field.field_class)) is not None:
                filters.insert(0, text)
            return unbound_field.bind(form=form, filters=filters, **options)


def required():
    return DataRequired(message=_l("This field is required."))


def required_date():
    """Required, but a date that does not parse keeps its own message ("Not a valid date")."""
    return InputRequired(message=_l("This field is required."))


def input_required():
    """Required, where 0 is a valid answer (numbers)."""
    return InputRequired(message=_l("This field is required."))


def optional():
    return Optional()


def max_length(n: int):
    return Length(max=n, message=_l("At most %(max)d characters.", max=n))


#: A record's code (agreement, area, province, unit): ASCII letters, digits, '.', '-', '_'.
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
code_format = Regexp(
    CODE_RE, message=_l("Use letters without diacritics, digits, '.', '-' or '_' only.")
)


class VersionField(HiddenField):
    """The version of the record the form was loaded from, to detect a stale edit."""


_GROUPED = re.compile(r"^(\d+|\d{1,3}(\.\d{3})+)$")


class VNDField(StringField):
    """An amount of VND typed as users write it: '7.000.000.000', '7000000000 đ'."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        raw = valuelist[0].strip()
        if not raw:
            return
        cleaned = raw.replace("₫", "").replace("đ", "").replace("VND", "").replace(" ", "")
        cleaned = cleaned.replace("\u00a0", "")
        if cleaned.startswith("-") and cleaned[1:].replace(",", "").replace(".", "").isdigit():
            raise ValueError(gettext("An amount cannot be negative."))
        # Dots may only group thousands: 7.000.000.000 (7.5 or 7.00 is not a whole amount).
        if not _GROUPED.match(cleaned):
            raise ValueError(gettext("Enter a whole number of đồng, for example 7.000.000.000."))
        cleaned = cleaned.replace(".", "")
        if len(cleaned) > 18:
            raise ValueError(gettext("The amount is too large."))
        self.data = int(cleaned)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data:,}".replace(",", ".")


class DecimalText(StringField):
    """A number typed with either decimal mark: '30,5' or '30.5'."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        raw = valuelist[0].strip().replace(" ", "").replace("\u00a0", "")
        if "," in raw:
            raw = raw.replace(".", "").replace(",", ".")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValueError(gettext("Enter a number, for example 30 or 30,5.")) from None
        if not value.is_finite() or abs(value) >= Decimal("1e15"):
            raise ValueError(gettext("Enter a number, for example 30 or 30,5."))
        self.data = value.quantize(Decimal("0.0001"))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        text = format(self.data.normalize(), "f")
        return text.replace(".", ",")


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select field."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiSelect(SelectMultipleField):
    """A multiple choice whose refusal is one short translated message."""

    def pre_validate(self, form):
        if self.data:
            allowed = {self.coerce(choice.value) for choice in self.iter_choices()}
            if any(value not in allowed for value in self.data):
                raise ValidationError(gettext("Not a valid choice."))


class YearField(IntegerField):
    """A calendar year."""


def not_after(other_field: str, message):
    """A validator: this date must not be before the other field's date."""

    def check(form, field):
        other = form[other_field].data
        if field.data and other and field.data < other:
            raise ValidationError(message)

    return check


__all__ = [
    "BaseForm",
    "MultiSelect",
    "DecimalText",
    "Field",
    "StopValidation",
    "VNDField",
    "VersionField",
    "YearField",
    "code_format",
    "max_length",
    "not_after",
    "optional",
    "input_required",
    "required_date",
    "required",
]


def show_stored_values(form, obj) -> None:
    """After a stale edit: keep the user's input, show beside each field the value saved by the
    other person, and take the new version so a second save is a deliberate overwrite."""
    form.conflicts = {}
    for field in form:
        if field.name in ("csrf_token", "version") or not hasattr(obj, field.name):
            continue
        stored = getattr(obj, field.name)
        if _same(stored, field.data):
            continue
        if isinstance(stored, list):
            stored = "; ".join(str(x) for x in stored)
        elif hasattr(stored, "label"):
            stored = stored.label
        elif hasattr(stored, "isoformat"):
            stored = fmt_date(stored)
        form.conflicts[field.name] = "" if stored is None else str(stored)
    if "version" in form:
        form.version.raw_data = None
        form.version.data = obj.version


def _same(stored, submitted) -> bool:
    """Whether a stored value and a form value say the same thing (None, "" and 0 for an
    empty choice are alike; lists compare with the one-per-line text)."""
    empty = (None, "", 0, [])
    if stored in (None, "", []) and submitted in empty:
        return True
    if isinstance(stored, list):
        lines = [line.strip() for line in str(submitted or "").splitlines() if line.strip()]
        return [str(x) for x in stored] == lines
    if hasattr(stored, "value") and isinstance(submitted, str):
        return stored.value == submitted
    return stored == submitted


def save_with(form, action, *, stale_obj=None) -> bool:
    """Run a service, commit, and turn its refusals into messages on the form.

    Returns True when saved. Invalid goes to its field (or the form), a stale edit keeps the
    input and shows the stored values, Forbidden answers 403. Nothing is half-saved: any
    refusal rolls the whole transaction back."""
    form.form_errors = list(form.form_errors)
    try:
        action()
        db.session.commit()
        return True
    except InvalidValue as exc:
        db.session.rollback()
        if exc.field and exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, str(exc.message)]
        else:
            form.form_errors.append(str(exc.message))
    except (StaleVersion, StaleDataError):
        db.session.rollback()
        form.form_errors.append(
            _(
                "Someone else saved this record while you were editing it. Your changes have not "
                "been saved; they are kept below next to the saved values. Save again to keep yours."
            )
        )
        if stale_obj is not None:
            db.session.refresh(stale_obj)
            show_stored_values(form, stale_obj)
    except IntegrityError:
        db.session.rollback()
        form.form_errors.append(
            _(
                "The record could not be saved because it conflicts with another one (for example "
                "a duplicate number). Check the values and try again."
            )
        )
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except NotFound as exc:
        db.session.rollback()
        if not (exc.field and exc.field in form):
            abort(404)
        # A record the form names (a unit, an agreement) that is not one the user may choose.
        form[exc.field].errors = [*form[exc.field].errors, str(exc.message)]
    return False


def commit_or_flash(action) -> bool:
    """Run a service that needs no form (a delete behind a confirm button) and commit.

    Returns True when done. Invalid is rolled back and flashed, Forbidden rolled back and
    answered 403."""
    try:
        action()
        db.session.commit()
        return True
    except InvalidValue as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except NotFound:
        db.session.rollback()
        abort(404)
    return False


def model_label(attribute):
    """The label of the column (or relationship) a field edits, as the model declares it, so the
    form, the history of changes and exports say the same word: ``DateField(model_label(
    Commitment.due_on))``. Lazily translated, like the other form labels."""
    return label_of(attribute)


def read_limited(upload, limit: int) -> bytes:
    """An upload's bytes, reading at most one byte more than `limit`, so that the service can
    refuse a file that is too large without the server reading all of it."""
    return upload.stream.read(limit + 1)
