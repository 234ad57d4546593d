"""API v1 routes: read, write through the same services as the pages, and JSON answers for
anything else under /api/v1/. Authentication is in `blueprint.py`, errors in `errors.py`,
request checks in `parsing.py`, loading with permissions in `loading.py` and the JSON in
`representations.py`.

Errors always have the shape {"error": {"code", "message", "details"}}:
400 invalid_request, 401 unauthorized, 403 forbidden, 404 not_found, 405 method_not_allowed,
409 conflict / not_editable / period_closed / stale, 413 too_large,
415 unsupported_media_type, 422 unprocessable, 500 server_error. An object outside the user's
scope answers 404, exactly like a missing one."""

import base64
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import jsonify, request, url_for
from sqlalchemy.orm import selectinload

from tracker import storage
from tracker.agreements import rules
from tracker.agreements.models import AgreementStatus, Completion, Indicator, MilestoneStatus
from tracker.agreements.permissions import can_view_agreement
from tracker.agreements.queries import search_agreements
from tracker.clock import local_today
from tracker.extensions import db
from tracker.i18n import _
from tracker.interop.api import openapi
from tracker.interop.api.blueprint import ALL_METHODS, allowed_methods, api_user, bp
from tracker.interop.api.errors import ApiError, not_found
from tracker.interop.api.loading import load, load_agreement, load_commitment, load_report
from tracker.interop.api.parsing import (
    as_of_arg,
    check_body,
    int_arg,
    json_body,
    text_arg,
    uploaded_file,
    version_of,
)
from tracker.interop.api.representations import (
    agreement_item_json,
    area_json,
    commitment_json,
    directive_json,
    evidence_json,
    indicator_json,
    milestone_json,
    period_json,
    report_json,
    report_summary,
)
from tracker.interop.json import export_agreement
from tracker.progress import figures, services
from tracker.progress.models import EvidenceKind, ProgressReport, ReportingPeriod
from tracker.reports import signing
from tracker.reports.models import GeneratedReport

# -- reading ------------------------------------------------------------------------------------


@bp.route("/openapi.json", endpoint="openapi")
def openapi_document():
    """The OpenAPI 3.1 description of this API (no token needed)."""
    return jsonify(openapi.document())


@bp.route("/agreements")
def agreements():
    """Agreements the user may see, newest first, a page at a time, each with its figures as of
    `?as_of=` (default: each agreement's own day)."""
    page = int_arg("page", 1, 1, openapi.MAX_PAGE)
    per_page = int_arg("per_page", openapi.DEFAULT_PER_PAGE, 1, openapi.MAX_PER_PAGE)
    status = text_arg("status", max_len=24, allowed=[s.value for s in AgreementStatus])
    q = (text_arg("q", max_len=200) or "").replace("\x00", "")
    wanted = as_of_arg()
    pagination = db.paginate(
        search_agreements(api_user(), q=q, status=status or ""),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    rows, _overdue = figures.agreements_overview(pagination.items, wanted)
    return jsonify(
        {
            "items": [agreement_item_json(r["agreement"], r["tally"], r["as_of"]) for r in rows],
            "page": page,
            "per_page": per_page,
            "total": pagination.total,
        }
    )


@bp.route("/agreements/<code>")
def agreement(code):
    """The agreement as a tracker.agreement/v1 document."""
    return jsonify(export_agreement(load_agreement(code)))


@bp.route("/agreements/<code>/figures")
def agreement_figures(code):
    """The agreement's figures as of `?as_of=` (default: its own day), as the dashboard, the
    review and the Excel export give them (`figures.agreement_summary`)."""
    item = load_agreement(code)
    return jsonify(figures.agreement_summary(item, as_of_arg()))


@bp.route("/agreements/<code>/areas")
def areas(code):
    """The agreement's areas, each with its commitments."""
    return jsonify({"items": [area_json(area) for area in load_agreement(code).areas]})


@bp.route("/agreements/<code>/directives")
def directives(code):
    """The agreement's leadership directives, oldest first."""
    item, today = load_agreement(code), local_today()
    return jsonify({"items": [directive_json(d, today) for d in item.directives]})


@bp.route("/commitments/<id:commitment_id>")
def commitment(commitment_id):
    """A commitment, with its figures as of `?as_of=` (default: its agreement's own day)."""
    item, wanted = load_commitment(commitment_id), as_of_arg()
    as_of = rules.as_of_for(item.agreement, wanted)
    status = figures.commitment_status([item.agreement], as_of)
    return jsonify(commitment_json(item, status[item.id], as_of))


@bp.route("/commitments/<id:commitment_id>/milestones")
def milestones(commitment_id):
    """The commitment's milestones by due date."""
    item = load_commitment(commitment_id)
    return jsonify({"items": [milestone_json(m) for m in item.milestones]})


@bp.route("/commitments/<id:commitment_id>/indicators")
def indicators(commitment_id):
    """The commitment's indicators with their verified values."""
    item = load_commitment(commitment_id)
    rows = db.session.scalars(
        sa.select(Indicator)
        .where(Indicator.commitment_id == item.id)
        .options(selectinload(Indicator.measurements))
        .order_by(Indicator.position, Indicator.id)
    ).all()
    return jsonify({"items": [indicator_json(i) for i in rows]})


@bp.route("/commitments/<id:commitment_id>/reports")
def reports(commitment_id):
    """The commitment's progress reports, oldest period first."""
    item = load_commitment(commitment_id)
    rows = db.session.scalars(
        sa.select(ProgressReport)
        .join(ReportingPeriod)
        .where(ProgressReport.commitment_id == item.id)
        .options(selectinload(ProgressReport.period))
        .order_by(ReportingPeriod.starts_on, ProgressReport.id)
    ).all()
    return jsonify({"items": [report_summary(r) for r in rows]})


@bp.route("/reports/<id:report_id>")
def report(report_id):
    """A progress report with its values, milestones, evidence and history."""
    return jsonify(report_json(load_report(report_id)))


@bp.route("/periods")
def periods():
    """The reporting periods of an agreement (?agreement=CODE)."""
    item = load_agreement(text_arg("agreement", max_len=40, required=True))
    rows = db.session.scalars(
        sa.select(ReportingPeriod)
        .where(ReportingPeriod.agreement_id == item.id)
        .order_by(ReportingPeriod.starts_on, ReportingPeriod.id)
    ).all()
    return jsonify({"items": [period_json(p) for p in rows]})


# -- writing ------------------------------------------------------------------------------------


@bp.route("/commitments/<id:commitment_id>/reports/<id:period_id>", methods=["POST"])
def save_report(commitment_id, period_id):
    """Create or update the draft report of a commitment for a period."""
    item = load_commitment(commitment_id)
    period = load(ReportingPeriod, period_id)
    if period.agreement_id != item.agreement_id:
        raise not_found()
    body = json_body("report", required=True)
    existing = services.report_for(item, period)
    version = version_of(body)
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
        user=api_user(),
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


@bp.route("/reports/<id:report_id>/submit", methods=["POST"])
def submit_report(report_id):
    """Submit a draft or returned report to the DIC for verification."""
    item = load_report(report_id)
    body = json_body("submit", required=False)
    services.submit_report(item, user=api_user(), version=version_of(body))
    db.session.commit()
    return jsonify(report_json(item))


@bp.route("/reports/<id:report_id>/evidence", methods=["POST"])
def add_evidence(report_id):
    """Attach a file of evidence (multipart/form-data) to a report being written."""
    item = load_report(report_id)
    if request.mimetype != "multipart/form-data":
        raise ApiError(
            415, "unsupported_media_type", _("Send the evidence as multipart/form-data.")
        )
    upload = uploaded_file()
    instance = {k: request.form[k] for k in ("title", "kind", "issued_on") if k in request.form}
    if upload is not None:
        instance["file"] = upload.filename or "file"
    check_body("evidence", instance)
    with storage.Incoming() as incoming:
        received = incoming.receive(upload)
        evidence = services.add_evidence(
            item,
            user=api_user(),
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


# -- external signing of reviews (USB tokens, remote signing services) ----------------------


@bp.route("/reviews/<id:review_id>/external-signing", methods=["POST"])
def prepare_external_signing(review_id):
    """Prepare a draft review for a signature made elsewhere; answer the digest to sign."""
    record = load(GeneratedReport, review_id)
    if not can_view_agreement(api_user(), record.agreement):
        raise not_found()
    body = json_body("external_signing", required=True)
    session = signing.prepare_external(record, user=api_user(), certificate_pem=body["certificate"])
    db.session.commit()
    digest = bytes.fromhex(session.digest)
    response = jsonify(
        {
            "session": session.id,
            "digest": base64.b64encode(digest).decode("ascii"),
            "digest_hex": session.digest,
            "digest_algorithm": "sha256",
            "number": session.number_text,
            "expires_at": session.expires_at.isoformat(),
            "finish": url_for(".finish_external_signing", session=session.id, _external=True),
        }
    )
    response.status_code = 201
    return response


@bp.route("/external-signings/<session>/finish", methods=["POST"])
def finish_external_signing(session):
    """Embed the CMS made for the digest; answer the signed review."""
    body = json_body("external_signature", required=True)
    record = signing.finish_external(session, user=api_user(), cms_base64=body["cms"])
    db.session.commit()
    return storage.download(
        record.signed_sha256, content_type="application/pdf", file_name=record.signed_file_name
    )


# -- anything else under /api/v1/ ---------------------------------------------------------------


def fallback(rest=""):
    """JSON answers for paths and methods the API does not have (404, or 405 with Allow)."""
    allowed = allowed_methods()
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
