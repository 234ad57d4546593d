"""Reading a `tracker.agreement/v1` document: parsing (size limit, UTF-8, JSON syntax), the JSON
Schema (docs/tracker.agreement.v1.schema.json, every problem with its JSON path), typed readers
of its values, and the words of the format's messages."""

import functools
import json
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import ngettext
from jsonschema import Draft202012Validator

from tracker.config import ROOT
from tracker.errors import InvalidValue
from tracker.i18n import _, _l, fmt_number
from tracker.text import clean_text

FORMAT = "tracker.agreement/v1"
#: The JSON Schema of the format (draft 2020-12); the importer validates against it first.
SCHEMA_PATH = ROOT / "docs" / "tracker.agreement.v1.schema.json"
#: Largest document accepted for import, checked before parsing.
MAX_JSON_BYTES = 10 * 1024 * 1024
#: How many schema problems are listed before "… and N more".
MAX_REPORTED_ERRORS = 50


class DocumentError(InvalidValue):
    """A refused document, with every problem found as "JSON path: reason".

    The reasons are in the language of the request (gettext), the JSON paths as they are: build
    them inside a request, or an app context under `flask_babel.force_locale` (the commands)."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def refuse(path: str, reason) -> DocumentError:
    """A document refused for one problem at a JSON path."""
    return DocumentError([problem(path, reason)])


@functools.cache
def schema() -> dict:
    """The JSON Schema of `tracker.agreement/v1` (docs/tracker.agreement.v1.schema.json)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


class _NotAJsonNumber(ValueError):
    """NaN, Infinity or -Infinity in a document: Python accepts them, JSON does not."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _no_constants(name: str):
    raise _NotAJsonNumber(name)


#: The syntax errors of Python's json module (their own wording, used as keys; "\\uXXXX" is
#: Python's text for four hex digits), worded for the people who write these files.
JSON_SYNTAX = {
    "Expecting value": _l("Expecting value"),
    "Expecting property name enclosed in double quotes": _l(
        "Expecting property name enclosed in double quotes"
    ),
    "Expecting ':' delimiter": _l("Expecting ':' delimiter"),
    "Expecting ',' delimiter": _l("Expecting ',' delimiter"),
    "Unterminated string starting at": _l("Unterminated string starting at"),
    "Invalid control character at": _l("Invalid control character at"),
    "Invalid \\escape": _l("Invalid \\escape"),
    "Invalid \\uXXXX escape": _l("Invalid \\uXXXX escape"),
    "Extra data": _l("Extra data"),
    "Illegal trailing comma before end of object": _l(
        "Illegal trailing comma before end of object"
    ),
    "Illegal trailing comma before end of array": _l("Illegal trailing comma before end of array"),
}


def syntax_problem(exc: json.JSONDecodeError) -> str:
    """Where and why a text is not JSON, in the reader's language."""
    return _(
        "malformed JSON at line %(line)s, column %(col)s: %(reason)s",
        line=exc.lineno,
        col=exc.colno,
        reason=str(JSON_SYNTAX.get(exc.msg, exc.msg)),
    )


def encoding_problem(exc: UnicodeDecodeError) -> str:
    return _("not UTF-8 text (invalid byte at position %(pos)s)", pos=exc.start)


def load_json(data: bytes | str, *, limit: int = MAX_JSON_BYTES):
    """Parse a document's bytes: refused (DocumentError) when too large, not UTF-8 or not JSON."""
    if len(data) > limit:
        raise DocumentError(
            [
                _(
                    "file: larger than %(mb)s MB (%(size)s bytes); refused",
                    mb=limit // (1024 * 1024),
                    size=fmt_number(len(data)),
                )
            ]
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError([_("file: %(problem)s", problem=encoding_problem(exc))]) from None
    try:
        return json.loads(data, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise DocumentError([_("file: %(problem)s", problem=syntax_problem(exc))]) from None
    except _NotAJsonNumber as exc:
        raise DocumentError(
            [_("file: malformed JSON: %(name)s is not a JSON number", name=exc.name)]
        ) from None
    except RecursionError:
        raise DocumentError([_("file: malformed JSON: nested too deeply")]) from None
    except ValueError as exc:
        raise DocumentError([_("file: malformed JSON: %(reason)s", reason=exc)]) from None


def json_path(parts) -> str:
    """'agreement.areas[0].code' from a jsonschema path."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


_TYPE_WORDS = {
    "string": _l("text"),
    "integer": _l("a whole number"),
    "number": _l("a number"),
    "array": _l("a list"),
    "object": _l("an object"),
    "boolean": _l("true or false"),
    "null": "null",
}


def problem(path: str, reason) -> str:
    """'path: reason', the way every problem is listed (the path is never translated)."""
    return f"{path}: {reason}"


def _describe(error) -> str:
    """One schema problem as 'path: reason', worded for the people who write these files."""
    return problem(*explain(error))


def _either(words) -> str:
    """'a or b or c' in the current language."""
    text = ""
    for word in words:
        text = str(word) if not text else _("%(first)s or %(second)s", first=text, second=word)
    return text


def explain(error) -> tuple[str, str]:
    """A jsonschema error as (JSON path, reason), the reason in the request's language."""
    path = json_path(error.absolute_path)
    value, kind = error.instance, error.validator
    is_money = path.endswith("_vnd")
    if kind == "required":
        missing = next((k for k in error.validator_value if k not in value), "?")
        return json_path([*error.absolute_path, missing]), _("required")
    if kind == "type":
        if is_money:
            return path, _(
                "expected a whole number of VND (no decimals), got %(value)s", value=repr(value)
            )
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        words = _either(_TYPE_WORDS.get(t, t) for t in expected)
        got = json.dumps(value, ensure_ascii=False)[:80]
        return path, _("expected %(expected)s, got %(value)s", expected=words, value=got)
    if kind == "format" and error.validator_value == "date":
        return path, _("%(value)s is not a valid date (YYYY-MM-DD)", value=repr(value))
    if kind == "enum":
        allowed = ", ".join("null" if v is None else str(v) for v in error.validator_value)
        return path, _(
            "unknown value %(value)s (allowed: %(allowed)s)", value=repr(value), allowed=allowed
        )
    if kind == "const":
        return path, _(
            "expected %(expected)s, got %(value)s",
            expected=repr(error.validator_value),
            value=repr(value),
        )
    if kind == "minimum":
        if is_money:
            return path, _("cannot be negative (%(value)s)", value=value)
        return path, _(
            "must be at least %(min)s (got %(value)s)", min=error.validator_value, value=value
        )
    if kind == "maximum":
        return path, _(
            "must be at most %(max)s (got %(value)s)", max=error.validator_value, value=value
        )
    if kind in ("exclusiveMinimum", "exclusiveMaximum"):
        return path, _("%(value)s is out of range", value=value)
    if kind == "pattern" and error.validator_value != "\\S":
        return path, _(
            "%(value)s does not match the pattern %(pattern)s",
            value=repr(value),
            pattern=error.validator_value,
        )
    if kind in ("minLength", "pattern"):
        return path, _("required (empty text)")
    if kind == "maxLength":
        return path, _("longer than %(max)s characters", max=error.validator_value)
    if (
        kind == "additionalProperties"
        and error.validator_value is False
        and isinstance(value, dict)
    ):
        known = error.schema.get("properties", {})
        extra = ", ".join(repr(k) for k in value if k not in known)
        return path, _("unknown keys: %(keys)s", keys=extra)
    return path, error.message


def _path_key(error):
    return [(0, p) if isinstance(p, int) else (1, str(p)) for p in error.absolute_path]


def validate_document(document) -> None:
    """Check a parsed document against the JSON Schema; raise DocumentError listing every
    problem (JSON path and reason), in document order."""
    errors = sorted(_validator().iter_errors(document), key=_path_key)
    if not errors:
        return
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        # A file of another kind: one clear message rather than a page of consequences.
        raise DocumentError([not_a_tracker_file(document)])
    messages = [_describe(e) for e in errors]
    messages = list(dict.fromkeys(messages))  # one line per problem, in order
    if len(messages) > MAX_REPORTED_ERRORS:
        rest = len(messages) - MAX_REPORTED_ERRORS
        more = ngettext("… and %(num)d more problem", "… and %(num)d more problems", rest)
        messages = [*messages[:MAX_REPORTED_ERRORS], more]
    raise DocumentError(messages)


def not_a_tracker_file(document) -> str:
    fmt = document.get("format") if isinstance(document, dict) else None
    if fmt is None:
        return problem(
            "format",
            _(
                'expected %(format)s (no "format" key); is this a tracker file?',
                format=repr(FORMAT),
            ),
        )
    return problem(
        "format",
        _(
            "expected %(format)s (got %(value)s); is this a tracker file?",
            format=repr(FORMAT),
            value=repr(fmt),
        ),
    )


class Reader:
    """Typed access to one object of the document, each problem refused at its JSON path."""

    def __init__(self, path: str, data):
        self.path, self.data = path, data
        if not isinstance(data, dict):
            raise refuse(path, _("expected an object"))

    def at(self, key) -> str:
        return f"{self.path}.{key}"

    def str(self, key, *, required=True, max_len=None, multiline=False):
        """Text as stored (tracker.text.clean_text): one line unless `multiline`."""
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            raise refuse(self.at(key), _("expected text"))
        value = clean_text(value, multiline=multiline)
        if value is None:
            if required:
                raise refuse(self.at(key), _("required"))
            return None
        if max_len and len(value) > max_len:
            raise refuse(self.at(key), _("longer than %(max)s characters", max=max_len))
        return value

    def date(self, key, *, required=False):
        value = self.data.get(key)
        if value is None:
            if required:
                raise refuse(self.at(key), _("required"))
            return None
        if not isinstance(value, str):
            raise refuse(self.at(key), _("expected an ISO date"))
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise refuse(
                self.at(key), _("%(value)s is not a valid date (YYYY-MM-DD)", value=repr(value))
            ) from None

    def enum(self, key, enum_cls, *, required=True, default=None):
        value = self.data.get(key)
        if value is None:
            if required and default is None:
                raise refuse(self.at(key), _("required"))
            return default
        if value not in enum_cls.__members__:
            allowed = ", ".join(enum_cls.__members__)
            raise refuse(
                self.at(key),
                _(
                    "unknown value %(value)s (allowed: %(allowed)s)",
                    value=repr(value),
                    allowed=allowed,
                ),
            )
        return enum_cls(value)

    def money(self, key):
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse(self.at(key), _("expected a whole number of VND"))
        return value

    def int(self, key, *, reason, default=None):
        """A whole number (or None); `reason` says what was expected."""
        value = self.data.get(key, default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise refuse(self.at(key), reason)
        return value

    def number(self, key, *, required=True):
        value = self.data.get(key)
        if value is None:
            if required:
                raise refuse(self.at(key), _("required"))
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise refuse(self.at(key), _("expected a number"))
        try:
            return Decimal(str(value)).quantize(Decimal("0.0001"))
        except InvalidOperation:
            raise refuse(self.at(key), _("expected a number")) from None

    def list(self, key):
        value = self.data.get(key) or []
        if not isinstance(value, list):
            raise refuse(self.at(key), _("expected a list"))
        return value

    def bool(self, key, default=False):
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise refuse(self.at(key), _("expected true or false"))
        return value

    def each(self, key):
        """A Reader for each object of a list."""
        return [Reader(f"{self.at(key)}[{i}]", raw) for i, raw in enumerate(self.list(key))]
