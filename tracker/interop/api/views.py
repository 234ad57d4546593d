"""API v1 endpoints: JSON in and out, personal-token authentication, and the same permission
checks and services as the pages.

Errors always have the shape {"error": {"code", "message", "details"}}:
400 invalid_request, 401 unauthorized, 403 forbidden, 404 not_found, 405 method_not_allowed,
409 conflict / not_editable / period_closed / stale, 413 too_large,
415 unsupported_media_type, 422 unprocessable, 500 server_error. An object outside the user's
scope answers 404, exactly like a missing one."""

import io
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, current_app, g, jsonify, request, url_for
from jsonschema import Draft202012Validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException

from tracker import storage
from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Commitment,
    Completion,
    Indicator,
    MilestoneStatus,
)
from tracker.agreements.permissions import can_view_agreement
from tracker.agreements.queries import search_agreements
from tracker.auth.models import User
from tracker.auth.tokens import TOKEN_PREFIX, ApiToken, hash_token
from tracker.clock import local_today, utcnow
from tracker.db import ACTOR
from tracker.errors import NotAllowed, NotFound, Refusal, StaleVersion
from tracker.extensions import csrf, db
from tracker.i18n import _, _l
from tracker.interop.api import openapi
from tracker.interop.json import (
    encoding_problem,
    explain,
    export_agreement,
    json_number,
    syntax_problem,
)
from tracker.progress import services
from tracker.progress.models import (
    Evidence,
    EvidenceKind,
    ProgressReport,
    ReportingPeriod,
)

#: Where the API lives; the app's 404 and 413 handlers answer its JSON errors below it too.
API_PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
# Token-authenticated: no session cookie is involved, so CSRF tokens have nothing to protect.
csrf.exempt(bp)

#: Endpoints that need no token.
PUBLIC = {"api.openapi", "api.fallback"}
#: Methods the catch-all route answers (with 404 or 405).
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"]


class ApiError(Exception):
    """An error answered as {"error": {"code", "message", "details"}} with an HTTP status."""

    def __init__(self, status: int, code: str, message, details=None, headers=None):
        super().__init__(str(message))
        self.status, self.code, self.message = status, code, str(message)
        self.details, self.headers = details or {}, headers or {}


def error_response(status: int, code: str, message, details=None, headers=None):
    """The JSON error response every failure of the API uses."""
    response = jsonify({"error": {"code": code, "message": str(message), "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _not_found():
    return ApiError(404, "not_found", _("Not found."))


# -- authentication and response headers -------------------------------------------------------


@bp.before_request
def authenticate():
    """Find the token's user; every endpoint but the OpenAPI document needs one."""
    if request.method == "OPTIONS":  # say which methods the path has, nothing more
        response = current_app.response_class(status=204)
        response.headers["Allow"] = ", ".join(_allowed_methods())
        return response
    if request.endpoint in PUBLIC:
        return
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    challenge = {"WWW-Authenticate": 'Bearer realm="tracker"'}
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "unauthorized",
            _("Send a personal API token in the header “Authorization: Bearer trk_…”."),
            headers=challenge,
        )
    row = None
    if token.startswith(TOKEN_PREFIX) and len(token) <= 200:
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    user = row.user if row is not None else None
    if row is None or not row.active or user is None or not user.active:
        raise ApiError(
            401,
            "unauthorized",
            _(
                "The token is not valid: it is unknown, revoked or expired, or its account is disabled."
            ),
            headers=challenge,
        )
    # A plain UPDATE: the audit log records changes people make, not each use of a token.
    db.session.execute(
        sa.update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=utcnow())
    )
    db.session.commit()
    g.api_user = db.session.get(User, user.id)
    db.session.info[ACTOR] = user.id


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# -- errors -------------------------------------------------------------------------------------


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    db.session.rollback()
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


# The codes the app answers with an HTML page (404, 413) are registered by code too: Flask looks
# for a handler by code, in the blueprint then the app, before it looks for one by class.
@bp.errorhandler(404)
@bp.errorhandler(413)
@bp.errorhandler(HTTPException)
def http_error_response(exc: HTTPException):
    """An HTTP error (404, 405, 413…) as the API's JSON error."""
    db.session.rollback()
    codes = {
        400: "invalid_request",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        415: "unsupported_media_type",
    }
    messages = {
        404: _("Not found."),
        413: _("The request is too large (at most %(mb)d MB).", mb=_max_mb()),
    }
    headers = {}
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return error_response(
        exc.code or 500,
        codes.get(exc.code, "http_error"),
        messages.get(exc.code, exc.description or exc.name),
        headers=headers,
    )


def _max_mb() -> int:
    return current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)


#: What the API says when a refusal carries no message of its own.
_DEFAULT_MESSAGES = {
    NotAllowed: _l("You are not allowed to do this."),
    NotFound: _l("Not found."),
    StaleVersion: _l(
        "Someone else changed this record since you read it; read it again and retry."
    ),
    Refusal: _l("You are not allowed to do this."),
}


@bp.errorhandler(Refusal)
def _refused(exc: Refusal):
    """Every refusal of a service, mapped once: its class gives the status and the code."""
    db.session.rollback()
    details = dict(exc.details)
    if exc.field:
        details["field"] = exc.field
    message = exc.message
    if message is None:
        message = next(m for cls, m in _DEFAULT_MESSAGES.items() if isinstance(exc, cls))
    return error_response(exc.status, exc.code, str(message), details)


@bp.errorhandler(StaleDataError)
def _stale(exc):
    return _refused(StaleVersion())


@bp.errorhandler(IntegrityError)
def _integrity(exc):
    db.session.rollback()
    return error_response(
        409, "conflict", _("The change conflicts with another record; read it again and retry.")
    )


@bp.errorhandler(Exception)
def _server_error(exc):
    db.session.rollback()
    current_app.logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "server_error", _("An unexpected error occurred."))


# -- request parsing ----------------------------------------------------------------------------


def _validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


_VALIDATORS = {
    "report": _validator(openapi.REPORT_INPUT),
    "submit": _validator(openapi.SUBMIT_INPUT),
    "evidence": _validator(openapi.EVIDENCE_INPUT),
}


def _invalid_request(problems: list[tuple[str, str]], message=None) -> ApiError:
    return ApiError(
        400,
        "invalid_request",
        message or _("The request does not match its schema."),
        {"errors": [{"path": path, "message": reason} for path, reason in problems]},
    )


def _check(kind: str, instance) -> None:
    errors = sorted(
        _VALIDATORS[kind].iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]
    )
    if errors:
        raise _invalid_request([explain(e) for e in errors[:20]])


def _reject_constant(name):
    raise ValueError(f"{name} is not allowed in JSON")


def _json_body(kind: str, *, required: bool) -> dict:
    """The request's JSON body, checked against the operation's schema (400 when not)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise _invalid_request([("(body)", _("required"))], _("Send a JSON body."))
        return {}
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", _("Send the body as application/json."))
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _invalid_request([("(body)", syntax_problem(exc))]) from None
    except UnicodeDecodeError as exc:
        raise _invalid_request([("(body)", encoding_problem(exc))]) from None
    except (ValueError, RecursionError):
        raise _invalid_request([("(body)", _("malformed JSON"))]) from None
    _check(kind, data)
    return data


_DIGITS = re.compile(r"[0-9]{1,12}")


def _int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    """A whole-number query parameter (each value of a repeated one checked, see _text_arg)."""
    values = request.args.getlist(name)
    for raw in values:
        if not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
            raise _invalid_request(
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
        raise _invalid_request([(name, _("given more than once, with different values"))])
    return int(values[0]) if values else default


def _text_arg(name: str, *, max_len: int, required: bool = False, allowed=None) -> str | None:
    """A text query parameter. Each value of a repeated one is checked like a single one, and
    different values of it are refused (none of these parameters takes a list)."""
    values = request.args.getlist(name) or [None]
    for raw in values:
        if raw is None or raw == "":
            if required:
                raise _invalid_request([(name, _("required"))])
            continue
        if len(raw) > max_len:
            raise _invalid_request([(name, _("longer than %(max)s characters", max=max_len))])
        if allowed is not None and raw not in allowed:
            problem = _(
                "unknown value %(value)s (allowed: %(allowed)s)",
                value=repr(raw[:40]),
                allowed=", ".join(allowed),
            )
            raise _invalid_request([(name, problem)])
    if len(set(values)) > 1:
        raise _invalid_request([(name, _("given more than once, with different values"))])
    return values[0]


# -- loading with object permissions ----------------------------------------------------------


def _user() -> User:
    return g.api_user


def _agreement(code: str) -> Agreement:
    if not code or len(code) > 40 or "\x00" in code:
        raise _not_found()
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == code))
    if agreement is None or not can_view_agreement(_user(), agreement):
        raise _not_found()
    return agreement


def _get(model, obj_id: int):
    if obj_id < 1 or obj_id > openapi.MAX_ID:
        raise _not_found()
    obj = db.session.get(model, obj_id)
    if obj is None:
        raise _not_found()
    return obj


def _commitment(commitment_id: int) -> Commitment:
    commitment = _get(Commitment, commitment_id)
    if not can_view_agreement(_user(), commitment.agreement):
        raise _not_found()
    return commitment


def _report(report_id: int) -> ProgressReport:
    report = _get(ProgressReport, report_id)
    if not can_view_agreement(_user(), report.commitment.agreement):
        raise _not_found()
    return report


# -- representations ---------------------------------------------------------------------------


def _date(value: date | None):
    return value.isoformat() if value else None


def _datetime(value: datetime | None):
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite gives back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _unit(unit):
    return {"code": unit.code, "name": unit.name} if unit is not None else None


def agreement_summary(a: Agreement) -> dict:
    return {
        "code": a.code,
        "title": a.title,
        "province": {"code": a.province.code, "name": a.province.name},
        "partner": a.partner,
        "status": a.status.value,
        "signed_on": _date(a.signed_on),
        "period_start": _date(a.period_start),
        "period_end": _date(a.period_end),
        "vision_year": a.vision_year,
    }


def commitment_json(c: Commitment) -> dict:
    return {
        "id": c.id,
        "code": c.code,
        "title": c.title,
        "description": c.description,
        "agreement": c.agreement.code,
        "area": {"id": c.area.id, "code": c.area.code, "title": c.area.title},
        "committed_by": c.committed_by.value,
        "lead_unit": _unit(c.lead_unit),
        "support_units": [_unit(u) for u in c.support_units],
        "budget_vnd": c.budget_vnd,
        "funding_source": c.funding_source.value if c.funding_source else None,
        "due_on": _date(c.due_on),
        "priority": c.priority,
        "completion": c.completion.value,
        "percent_complete": c.percent_complete,
        "version": c.version,
    }


def period_json(p: ReportingPeriod) -> dict:
    return {
        "id": p.id,
        "kind": p.kind.value,
        "year": p.year,
        "number": p.number,
        "label": p.label,
        "starts_on": _date(p.starts_on),
        "ends_on": _date(p.ends_on),
        "deadline_on": _date(p.deadline_on),
        "reopened_until": _date(p.reopened_until),
        "open": p.accepts_reports(),
    }


def evidence_json(e: Evidence) -> dict:
    return {
        "id": e.id,
        "title": e.title,
        "kind": e.kind.value,
        "issued_on": _date(e.issued_on),
        "file_name": e.file_name,
        "sha256": e.sha256,
        "size": e.size,
        "content_type": e.content_type,
        "superseded_by": e.superseded_by_id,
    }


def report_summary(r: ProgressReport) -> dict:
    return {
        "id": r.id,
        "commitment_id": r.commitment_id,
        "period": period_json(r.period),
        "status": r.status.value,
        "percent_complete": r.percent_complete,
        "completion": r.completion.value,
        "submitted_at": _datetime(r.submitted_at),
        "verified_at": _datetime(r.verified_at),
        "version": r.version,
    }


def report_json(r: ProgressReport) -> dict:
    return {
        **report_summary(r),
        "spent_vnd": r.spent_vnd,
        "narrative": r.narrative,
        "unit": _unit(r.unit),
        "values": [
            {"indicator_id": v.indicator_id, "value": json_number(v.value), "note": v.note}
            for v in sorted(r.values, key=lambda v: v.indicator_id)
        ],
        "milestones": [
            {"milestone_id": m.milestone_id, "status": m.status.value, "done_on": _date(m.done_on)}
            for m in sorted(r.milestones, key=lambda m: m.milestone_id)
        ],
        "evidence": [evidence_json(e) for e in r.evidence],
        "events": [
            {"action": e.action.value, "reason": e.reason, "at": _datetime(e.at)} for e in r.events
        ],
    }


# -- reading ------------------------------------------------------------------------------------


@bp.route("/openapi.json", endpoint="openapi")
def openapi_document():
    """The OpenAPI 3.1 description of this API (no token needed)."""
    return jsonify(openapi.document())


@bp.route("/agreements")
def agreements():
    """Agreements the user may see, newest first, a page at a time."""
    page = _int_arg("page", 1, 1, openapi.MAX_PAGE)
    per_page = _int_arg("per_page", openapi.DEFAULT_PER_PAGE, 1, openapi.MAX_PER_PAGE)
    status = _text_arg("status", max_len=24, allowed=[s.value for s in AgreementStatus])
    q = (_text_arg("q", max_len=200) or "").replace("\x00", "")
    pagination = db.paginate(
        search_agreements(_user(), q=q, status=status or ""),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return jsonify(
        {
            "items": [agreement_summary(a) for a in pagination.items],
            "page": page,
            "per_page": per_page,
            "total": pagination.total,
        }
    )


@bp.route("/agreements/<code>")
def agreement(code):
    """The agreement as a tracker.agreement/v1 document."""
    return jsonify(export_agreement(_agreement(code)))


@bp.route("/agreements/<code>/areas")
def areas(code):
    """The agreement's areas, each with its commitments."""
    item = _agreement(code)
    return jsonify(
        {
            "items": [
                {
                    "id": area.id,
                    "code": area.code,
                    "title": area.title,
                    "description": area.description,
                    "position": area.position,
                    "commitments": [
                        {"id": c.id, "code": c.code, "title": c.title} for c in area.commitments
                    ],
                }
                for area in item.areas
            ]
        }
    )


@bp.route("/agreements/<code>/directives")
def directives(code):
    """The agreement's leadership directives, oldest first."""
    item, today = _agreement(code), local_today()
    return jsonify(
        {
            "items": [
                {
                    "id": d.id,
                    "issued_on": _date(d.issued_on),
                    "issued_by": d.issued_by,
                    "meeting": d.meeting,
                    "text": d.text,
                    "assignee": _unit(d.assignee),
                    "due_on": _date(d.due_on),
                    "done_on": _date(d.done_on),
                    "overdue": d.is_overdue(today),
                }
                for d in item.directives
            ]
        }
    )


@bp.route("/commitments/<int:commitment_id>")
def commitment(commitment_id):
    """A commitment."""
    return jsonify(commitment_json(_commitment(commitment_id)))


@bp.route("/commitments/<int:commitment_id>/milestones")
def milestones(commitment_id):
    """The commitment's milestones by due date."""
    item = _commitment(commitment_id)
    return jsonify(
        {
            "items": [
                {
                    "id": m.id,
                    "title": m.title,
                    "due_on": _date(m.due_on),
                    "original_due_on": _date(m.original_due_on),
                    "done_on": _date(m.done_on),
                    "status": m.status.value,
                    "version": m.version,
                }
                for m in item.milestones
            ]
        }
    )


@bp.route("/commitments/<int:commitment_id>/indicators")
def indicators(commitment_id):
    """The commitment's indicators with their verified values."""
    item = _commitment(commitment_id)
    rows = db.session.scalars(
        sa.select(Indicator)
        .where(Indicator.commitment_id == item.id)
        .options(selectinload(Indicator.measurements))
        .order_by(Indicator.position, Indicator.id)
    ).all()
    return jsonify(
        {
            "items": [
                {
                    "id": i.id,
                    "name": i.name,
                    "unit": i.unit,
                    "baseline": json_number(i.baseline),
                    "target": json_number(i.target),
                    "target_on": _date(i.target_on),
                    "direction": i.direction.value,
                    "measurements": [
                        {"on": _date(m.measured_on), "value": json_number(m.value), "note": m.note}
                        for m in i.measurements
                        if m.verified
                    ],
                }
                for i in rows
            ]
        }
    )


@bp.route("/commitments/<int:commitment_id>/reports")
def reports(commitment_id):
    """The commitment's progress reports, oldest period first."""
    item = _commitment(commitment_id)
    rows = db.session.scalars(
        sa.select(ProgressReport)
        .join(ReportingPeriod)
        .where(ProgressReport.commitment_id == item.id)
        .options(selectinload(ProgressReport.period))
        .order_by(ReportingPeriod.starts_on, ProgressReport.id)
    ).all()
    return jsonify({"items": [report_summary(r) for r in rows]})


@bp.route("/reports/<int:report_id>")
def report(report_id):
    """A progress report with its values, milestones, evidence and history."""
    return jsonify(report_json(_report(report_id)))


@bp.route("/periods")
def periods():
    """The reporting periods of an agreement (?agreement=CODE)."""
    code = _text_arg("agreement", max_len=40, required=True)
    item = _agreement(code)
    rows = db.session.scalars(
        sa.select(ReportingPeriod)
        .where(ReportingPeriod.agreement_id == item.id)
        .order_by(ReportingPeriod.starts_on, ReportingPeriod.id)
    ).all()
    return jsonify({"items": [period_json(p) for p in rows]})


# -- writing ------------------------------------------------------------------------------------


def _version(body: dict) -> int | None:
    return int(body["version"]) if body.get("version") is not None else None


@bp.route("/commitments/<int:commitment_id>/reports/<int:period_id>", methods=["POST"])
def save_report(commitment_id, period_id):
    """Create or update the draft report of a commitment for a period."""
    item = _commitment(commitment_id)
    period = _get(ReportingPeriod, period_id)
    if period.agreement_id != item.agreement_id:
        raise _not_found()
    body = _json_body("report", required=True)
    existing = services.report_for(item, period)
    version = _version(body)
    notes = {v.indicator_id: v.note for v in existing.values} if existing else {}
    values = {
        int(key): (
            Decimal(str(value)).quantize(Decimal("0.0001")) if value is not None else None,
            notes.get(int(key)),
        )
        for key, value in (body.get("values") or {}).items()
    }
    milestones = {
        int(key): (MilestoneStatus(spec["status"]), date.fromisoformat(spec["done_on"]))
        for key, spec in (body.get("milestones") or {}).items()
    }
    saved = services.save_report(
        existing,
        commitment=item,
        period=period,
        user=_user(),
        version=version if existing is not None else None,
        percent_complete=int(body["percent_complete"]),
        completion=Completion(body["completion"]),
        spent_vnd=int(body["spent_vnd"]) if body.get("spent_vnd") is not None else None,
        narrative=body.get("narrative"),
        values=values,
        milestones=milestones,
    )
    db.session.commit()
    response = jsonify(report_json(saved))
    if existing is None:
        response.status_code = 201
        response.headers["Location"] = url_for(".report", report_id=saved.id)
    return response


@bp.route("/reports/<int:report_id>/submit", methods=["POST"])
def submit_report(report_id):
    """Submit a draft or returned report to the DIC for verification."""
    item = _report(report_id)
    body = _json_body("submit", required=False)
    services.submit_report(item, user=_user(), version=_version(body))
    db.session.commit()
    return jsonify(report_json(item))


def _upload() -> FileStorage | None:
    upload = request.files.get("file")
    if upload is None and "file" in request.form:  # sent as a plain field: take its text
        upload = FileStorage(io.BytesIO(request.form["file"].encode("utf-8")), filename="file")
    return upload


@bp.route("/reports/<int:report_id>/evidence", methods=["POST"])
def add_evidence(report_id):
    """Attach a file of evidence (multipart/form-data) to a report being written."""
    item = _report(report_id)
    if request.mimetype != "multipart/form-data":
        raise ApiError(
            415, "unsupported_media_type", _("Send the evidence as multipart/form-data.")
        )
    upload = _upload()
    instance = {k: request.form[k] for k in ("title", "kind", "issued_on") if k in request.form}
    if upload is not None:
        instance["file"] = upload.filename or "file"
    _check("evidence", instance)
    with storage.Incoming() as incoming:
        received = incoming.receive(upload)
        evidence = services.add_evidence(
            item,
            user=_user(),
            stored=received.stored,
            title=instance["title"],
            kind=EvidenceKind(instance.get("kind") or EvidenceKind.other.value),
            issued_on=date.fromisoformat(instance["issued_on"])
            if "issued_on" in instance
            else None,
            thumbnail_sha256=received.thumbnail_sha256,
        )
        incoming.keep()
        db.session.commit()
    response = jsonify(evidence_json(evidence))
    response.status_code = 201
    return response


# -- anything else under /api/v1/ ---------------------------------------------------------------


def _allowed_methods() -> list[str]:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = set()
    for method in ALL_METHODS:
        try:
            endpoint, _args = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != "api.fallback":
            allowed.add(method)
    if "GET" in allowed:
        allowed.update({"HEAD", "OPTIONS"})
    return sorted(allowed)


def fallback(rest=""):
    """JSON answers for paths and methods the API does not have (404, or 405 with Allow)."""
    allowed = _allowed_methods()
    if allowed:
        raise ApiError(
            405,
            "method_not_allowed",
            _("This method is not allowed here."),
            {"allowed": allowed},
            headers={"Allow": ", ".join(allowed)},
        )
    raise ApiError(404, "not_found", _("There is no such API endpoint."), {"path": request.path})


bp.add_url_rule("/", "fallback", fallback, methods=ALL_METHODS, provide_automatic_options=False)
bp.add_url_rule(
    "/<path:rest>", "fallback", fallback, methods=ALL_METHODS, provide_automatic_options=False
)
