"""What a request brings, read and checked before anything is loaded or changed: the JSON body
against its operation's schema (the same schemas the OpenAPI document publishes), query
parameters (`as_of` among them), the version a write was based on and an uploaded file. Every problem answers 400
invalid_request (415 for a body of another media type)."""

import io
import json
import re
from datetime import date

from flask import request
from jsonschema import Draft202012Validator
from werkzeug.datastructures import FileStorage

from tracker.i18n import _
from tracker.interop.api import openapi
from tracker.interop.api.errors import ApiError, invalid_request
from tracker.interop.json import encoding_problem, explain, syntax_problem
from tracker.progress import figures


def _validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


_VALIDATORS = {
    "report": _validator(openapi.REPORT_INPUT),
    "submit": _validator(openapi.SUBMIT_INPUT),
    "evidence": _validator(openapi.EVIDENCE_INPUT),
    "external_signing": _validator(openapi.EXTERNAL_SIGNING_INPUT),
    "external_signature": _validator(openapi.EXTERNAL_SIGNATURE_INPUT),
}


def check_body(kind: str, instance) -> None:
    """Refuse an instance that does not match the schema of `kind` (at most 20 problems)."""
    errors = sorted(
        _VALIDATORS[kind].iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]
    )
    if errors:
        raise invalid_request([explain(e) for e in errors[:20]])


def _reject_constant(name):
    raise ValueError(f"{name} is not allowed in JSON")


def json_body(kind: str, *, required: bool) -> dict:
    """The request's JSON body, checked against the operation's schema (400 when not)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise invalid_request([("(body)", _("required"))], _("Send a JSON body."))
        return {}
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", _("Send the body as application/json."))
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise invalid_request([("(body)", syntax_problem(exc))]) from None
    except UnicodeDecodeError as exc:
        raise invalid_request([("(body)", encoding_problem(exc))]) from None
    except (ValueError, RecursionError):
        raise invalid_request([("(body)", _("malformed JSON"))]) from None
    check_body(kind, data)
    return data


def version_of(body: dict) -> int | None:
    """The version of the record the client read, when it says."""
    return int(body["version"]) if body.get("version") is not None else None


def uploaded_file() -> FileStorage | None:
    """The multipart field "file" (sent as a plain field: its text, as a file)."""
    upload = request.files.get("file")
    if upload is None and "file" in request.form:
        upload = FileStorage(io.BytesIO(request.form["file"].encode("utf-8")), filename="file")
    return upload


_DIGITS = re.compile(r"[0-9]{1,12}")


def int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    """A whole-number query parameter (each value of a repeated one checked, see text_arg)."""
    values = request.args.getlist(name)
    for raw in values:
        if not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
            raise invalid_request(
                [
                    (
                        name,
                        _(
                            "expected a whole number from %(minimum)s to %(maximum)s, got "
                            "%(value)s",
                            minimum=minimum,
                            maximum=maximum,
                            value=repr(raw[:40]),
                        ),
                    )
                ]
            )
    if len({int(raw) for raw in values}) > 1:
        raise invalid_request([(name, _("given more than once, with different values"))])
    return int(values[0]) if values else default


def text_arg(name: str, *, max_len: int, required: bool = False, allowed=None) -> str | None:
    """A text query parameter. Each value of a repeated one is checked like a single one, and
    different values of it are refused (none of these parameters takes a list)."""
    values = request.args.getlist(name) or [None]
    for raw in values:
        if raw is None or raw == "":
            if required:
                raise invalid_request([(name, _("required"))])
            continue
        if len(raw) > max_len:
            raise invalid_request([(name, _("longer than %(max)s characters", max=max_len))])
        if allowed is not None and raw not in allowed:
            problem = _(
                "unknown value %(value)s (allowed: %(allowed)s)",
                value=repr(raw[:40]),
                allowed=", ".join(allowed),
            )
            raise invalid_request([(name, problem)])
    if len(set(values)) > 1:
        raise invalid_request([(name, _("given more than once, with different values"))])
    return values[0]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def as_of_arg() -> date | None:
    """`?as_of=YYYY-MM-DD`, the day figures are judged as of (None when absent: the agreement's
    own day, `rules.as_of_for`). Not a date (an empty value included): 400 invalid_request. A day in the future is
    refused by `figures.parse_as_of`, the pages' rule, and answered like every business rule
    (422 unprocessable, `details.field` "as_of")."""
    raw = text_arg("as_of", max_len=40)
    if raw is None:  # an empty ?as_of= is not a date
        return None
    try:
        valid = bool(_ISO_DATE.fullmatch(raw)) and date.fromisoformat(raw) is not None
    except ValueError:
        valid = False
    if not valid:
        raise invalid_request(
            [("as_of", _("expected a date YYYY-MM-DD, got %(value)s", value=repr(raw[:20])))]
        )
    return figures.parse_as_of(raw)
