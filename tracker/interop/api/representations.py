"""The JSON the API answers with, one function per kind of object (their schemas are in
`openapi.py`). Dates are ISO 8601; timestamps are UTC with a trailing Z."""

from datetime import UTC, date, datetime

from tracker.agreements.models import Agreement, Area, Commitment, Directive, Indicator, Milestone
from tracker.interop.json import json_number
from tracker.progress.figures import Status, Tally
from tracker.progress.models import Evidence, ProgressReport, ReportingPeriod


def iso_date(value: date | None):
    return value.isoformat() if value else None


def iso_datetime(value: datetime | None):
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite gives back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def unit_json(unit):
    return {"code": unit.code, "name": unit.name} if unit is not None else None


def agreement_item_json(a: Agreement, tally: Tally, as_of: date) -> dict:
    """An agreement as listed by GET /agreements, with its figures as of its day."""
    return {
        "code": a.code,
        "title": a.title,
        "province": {"code": a.province.code, "name": a.province.name},
        "partner": a.partner,
        "status": a.status.value,
        "signed_on": iso_date(a.signed_on),
        "period_start": iso_date(a.period_start),
        "period_end": iso_date(a.period_end),
        "vision_year": a.vision_year,
        "figures": tally_json(tally, as_of),
    }


def tally_json(tally: Tally, as_of: date) -> dict:
    """An agreement's counts by health, completion and money as of a day, as listed."""
    plain = tally.plain()
    return {"as_of": as_of.isoformat(), "commitments": plain.pop("count"), **plain}


def status_json(status: Status, as_of: date) -> dict:
    """A commitment's progress as of a day (`figures.commitment_status`): what the dashboard
    counts. Its health is null when it is withdrawn."""
    return {
        "as_of": as_of.isoformat(),
        "health": status.health.value if status.health else None,
        "completion": status.completion.value,
        "percent": status.percent,
        "milestones_total": status.milestones_total,
        "milestones_met": status.milestones_met,
        "milestones_late": status.milestones_late,
        "spent_vnd": status.spent_vnd,
        "last_verified_on": iso_date(status.last_verified_on),
    }


def area_json(area: Area) -> dict:
    return {
        "id": area.id,
        "code": area.code,
        "title": area.title,
        "description": area.description,
        "position": area.position,
        "commitments": [{"id": c.id, "code": c.code, "title": c.title} for c in area.commitments],
    }


def directive_json(d: Directive, today: date) -> dict:
    return {
        "id": d.id,
        "issued_on": iso_date(d.issued_on),
        "issued_by": d.issued_by,
        "meeting": d.meeting,
        "text": d.text,
        "assignee": unit_json(d.assignee),
        "due_on": iso_date(d.due_on),
        "done_on": iso_date(d.done_on),
        "overdue": d.is_overdue(today),
    }


def commitment_json(c: Commitment, status: Status, as_of: date) -> dict:
    """A commitment as recorded (`completion` and `percent_complete` from its last verified
    report) and its `figures` as of a day."""
    return {
        "id": c.id,
        "code": c.code,
        "title": c.title,
        "description": c.description,
        "agreement": c.agreement.code,
        "area": {"id": c.area.id, "code": c.area.code, "title": c.area.title},
        "committed_by": c.committed_by.value,
        "lead_unit": unit_json(c.lead_unit),
        "support_units": [unit_json(u) for u in c.support_units],
        "budget_vnd": c.budget_vnd,
        "funding_source": c.funding_source.value if c.funding_source else None,
        "due_on": iso_date(c.due_on),
        "priority": c.priority,
        "completion": c.completion.value,
        "percent_complete": c.percent_complete,
        "version": c.version,
        "figures": status_json(status, as_of),
    }


def milestone_json(m: Milestone) -> dict:
    return {
        "id": m.id,
        "title": m.title,
        "due_on": iso_date(m.due_on),
        "original_due_on": iso_date(m.original_due_on),
        "done_on": iso_date(m.done_on),
        "status": m.status.value,
        "version": m.version,
    }


def indicator_json(i: Indicator) -> dict:
    """An indicator with its verified measurements."""
    return {
        "id": i.id,
        "name": i.name,
        "unit": i.unit,
        "baseline": json_number(i.baseline),
        "target": json_number(i.target),
        "target_on": iso_date(i.target_on),
        "direction": i.direction.value,
        "measurements": [
            {"on": iso_date(m.measured_on), "value": json_number(m.value), "note": m.note}
            for m in i.measurements
            if m.verified
        ],
    }


def period_json(p: ReportingPeriod) -> dict:
    return {
        "id": p.id,
        "kind": p.kind.value,
        "year": p.year,
        "number": p.number,
        "label": p.label,
        "starts_on": iso_date(p.starts_on),
        "ends_on": iso_date(p.ends_on),
        "deadline_on": iso_date(p.deadline_on),
        "reopened_until": iso_date(p.reopened_until),
        "open": p.accepts_reports(),
    }


def evidence_json(e: Evidence) -> dict:
    return {
        "id": e.id,
        "title": e.title,
        "kind": e.kind.value,
        "issued_on": iso_date(e.issued_on),
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
        "submitted_at": iso_datetime(r.submitted_at),
        "verified_at": iso_datetime(r.verified_at),
        "version": r.version,
    }


def report_json(r: ProgressReport) -> dict:
    return {
        **report_summary(r),
        "spent_vnd": r.spent_vnd,
        "narrative": r.narrative,
        "unit": unit_json(r.unit),
        "values": [
            {"indicator_id": v.indicator_id, "value": json_number(v.value), "note": v.note}
            for v in sorted(r.values, key=lambda v: v.indicator_id)
        ],
        "milestones": [
            {
                "milestone_id": m.milestone_id,
                "status": m.status.value,
                "done_on": iso_date(m.done_on),
            }
            for m in sorted(r.milestones, key=lambda m: m.milestone_id)
        ],
        "evidence": [evidence_json(e) for e in r.evidence],
        "events": [
            {"action": e.action.value, "reason": e.reason, "at": iso_datetime(e.at)}
            for e in r.events
        ],
    }
