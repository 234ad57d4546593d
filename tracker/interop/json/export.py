"""Export an agreement as a `tracker.agreement/v1` document (DESIGN §5, docs/interchange.md)."""

import json
from datetime import date
from decimal import Decimal

from tracker.agreements.models import Agreement
from tracker.interop.json.read import FORMAT


def _d(value: date | None):
    return value.isoformat() if value else None


def json_number(value: Decimal | None):
    """A Decimal as the JSON number it stands for: an int when whole, else a float."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral() else float(value.normalize())


def export_agreement(agreement: Agreement) -> dict:
    """The agreement as a `tracker.agreement/v1` document (documented keys plus extras)."""
    units = {u.code: u for u in agreement.units}
    for area in agreement.areas:
        for c in area.commitments:
            units.setdefault(c.lead_unit.code, c.lead_unit)
            for s in c.support_units:
                units.setdefault(s.code, s)
    for d in agreement.directives:
        units.setdefault(d.assignee.code, d.assignee)
    return {
        "format": FORMAT,
        "agreement": {
            "code": agreement.code,
            "title": agreement.title,
            "province": agreement.province.code,
            "province_name": agreement.province.name,
            "partner": agreement.partner,
            "signed_on": _d(agreement.signed_on),
            "period_start": _d(agreement.period_start),
            "period_end": _d(agreement.period_end),
            "vision_year": agreement.vision_year,
            "status": agreement.status.value,
            "reporting_frequency": agreement.reporting_frequency.value,
            "report_deadline_days": agreement.report_deadline_days,
            "resubmit_grace_days": agreement.resubmit_grace_days,
            "legal_bases": list(agreement.legal_bases or []),
            "description": agreement.description,
            "province_signatory": agreement.province_signatory,
            "partner_signatory": agreement.partner_signatory,
            "predecessor": agreement.predecessor.code if agreement.predecessor else None,
            "status_history": [
                {"status": ch.to_status.value, "on": _d(ch.changed_on), "note": ch.note}
                for ch in agreement.status_changes
            ],
            "units": [
                {"code": u.code, "name": u.name, "side": u.side.value}
                | ({"national": True} if u.province_id is None else {})
                for u in sorted(units.values(), key=lambda u: u.code)
            ],
            "areas": [
                {
                    "code": area.code,
                    "title": area.title,
                    "description": area.description,
                    "commitments": [
                        {
                            "code": c.code,
                            "title": c.title,
                            "description": c.description,
                            "committed_by": c.committed_by.value,
                            "lead_unit": c.lead_unit.code,
                            "support_units": [u.code for u in c.support_units],
                            "budget_vnd": c.budget_vnd,
                            "funding_source": c.funding_source.value if c.funding_source else None,
                            "due_on": _d(c.due_on),
                            "priority": c.priority,
                            "completion": c.completion.value,
                            "milestones": [
                                {
                                    "title": m.title,
                                    "due_on": _d(m.due_on),
                                    "done_on": _d(m.done_on),
                                    "status": m.status.value,
                                }
                                for m in c.milestones
                            ],
                            "indicators": [
                                {
                                    "name": i.name,
                                    "unit": i.unit,
                                    "baseline": json_number(i.baseline),
                                    "target": json_number(i.target),
                                    "target_on": _d(i.target_on),
                                    "direction": i.direction.value,
                                    "measurements": [
                                        {
                                            "on": _d(m.measured_on),
                                            "value": json_number(m.value),
                                            "verified": m.verified,
                                            "note": m.note,
                                        }
                                        for m in i.measurements
                                    ],
                                }
                                for i in c.indicators
                            ],
                        }
                        for c in area.commitments
                    ],
                }
                for area in agreement.areas
            ],
            "directives": [
                {
                    "issued_on": _d(d.issued_on),
                    "issued_by": d.issued_by,
                    "meeting": d.meeting,
                    "text": d.text,
                    "assignee": d.assignee.code,
                    "due_on": _d(d.due_on),
                    "done_on": _d(d.done_on),
                }
                for d in agreement.directives
            ],
        },
    }


def document_bytes(document: dict) -> bytes:
    """A document as the UTF-8 bytes of a .json file (readable Vietnamese, stable layout)."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
