"""Planning the import of a `tracker.agreement/v1` document: each record of the file matched to
the stored one (areas and commitments by code, milestones by title, indicators by name,
measurements by date, directives by date and text), with the values the file gives it, and the
stored records the file no longer lists. Nothing is written here; `apply` carries the plan out
through the services."""

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from tracker.agreements.models import (
    REPORT_DEADLINE_DAYS,
    RESUBMIT_GRACE_DAYS,
    Agreement,
    AgreementStatus,
    Commitment,
    Completion,
    Direction,
    FundingSource,
    MilestoneStatus,
    PeriodKind,
)
from tracker.extensions import db
from tracker.i18n import _
from tracker.interop.json.read import Reader, refuse, validate_document
from tracker.org.models import Province, Side, Unit
from tracker.progress.models import ProgressReport, ReportStatus


@dataclass
class Record:
    """One record of the file: `obj` is the stored record it matches (None: the file adds it),
    `fields` what the file says it holds (units and areas by code), `paths` where the file
    names the records it refers to, `children` its own records, `gone` the stored records
    under it the file no longer lists."""

    path: str
    obj: object | None
    fields: dict
    paths: dict = field(default_factory=dict)
    children: dict = field(default_factory=dict)
    gone: list = field(default_factory=list)

    def changed(self, stored) -> bool:
        """Whether the file changes the record (`stored` reads it as `fields` says it)."""
        return self.obj is None or stored(self.obj) != _comparable(self.fields)


def _comparable(fields: dict) -> dict:
    """The fields as stored reads them: supporting units are a set (listed by code)."""
    if "support_units" in fields:
        return {**fields, "support_units": sorted(fields["support_units"])}
    return fields


@dataclass
class UnitEntry:
    """A unit of `agreement.units`: a stored unit, or one the import adds."""

    path: str
    code: str
    unit: Unit | None
    name: str | None
    side: Side | None
    #: A national unit (VNPT headquarters), of no province.
    national: bool = False


@dataclass
class Plan:
    """Everything an import of one document does."""

    code: str
    province_code: str
    province: Province | None
    province_name: str
    agreement: Record
    #: None when the file has no status_history and the stored one stays.
    history: list[dict] | None
    status: dict
    units: dict[str, UnitEntry]
    areas: list[Record]
    commitments: list[Record]
    directives: list[Record]
    #: Stored commitments, areas and directives the file no longer lists, with the path of the
    #: list they are missing from.
    gone: list[tuple[str, object]]


def stored_agreement(a: Agreement) -> dict:
    return {
        "code": a.code,
        "title": a.title,
        "province": a.province.code,
        "partner": a.partner,
        "period_start": a.period_start,
        "period_end": a.period_end,
        "vision_year": a.vision_year,
        "reporting_frequency": a.reporting_frequency,
        "report_deadline_days": a.report_deadline_days,
        "resubmit_grace_days": a.resubmit_grace_days,
        "legal_bases": list(a.legal_bases or []),
        "description": a.description,
        "province_signatory": a.province_signatory,
        "partner_signatory": a.partner_signatory,
        "predecessor": a.predecessor.code if a.predecessor else None,
    }


def stored_status(a: Agreement) -> dict:
    return {"status": a.status, "signed_on": a.signed_on}


def stored_history(a: Agreement) -> list[dict]:
    return [
        {"to_status": c.to_status, "changed_on": c.changed_on, "note": c.note}
        for c in a.status_changes
    ]


def stored_area(area) -> dict:
    return {
        "code": area.code,
        "title": area.title,
        "description": area.description,
        "position": area.position,
    }


def stored_commitment(c) -> dict:
    return {
        "area": c.area.code,
        "code": c.code,
        "title": c.title,
        "description": c.description,
        "committed_by": c.committed_by,
        "lead_unit": c.lead_unit.code,
        "support_units": sorted(u.code for u in c.support_units),
        "budget_vnd": c.budget_vnd,
        "funding_source": c.funding_source,
        "due_on": c.due_on,
        "priority": c.priority,
        "completion": c.completion,
        "position": c.position,
    }


def stored_milestone(m) -> dict:
    return {"title": m.title, "due_on": m.due_on, "done_on": m.done_on, "status": m.status}


def stored_indicator(i) -> dict:
    return {
        "name": i.name,
        "unit": i.unit,
        "baseline": i.baseline,
        "target": i.target,
        "target_on": i.target_on,
        "direction": i.direction,
        "position": i.position,
    }


def stored_measurement(m) -> dict:
    return {"measured_on": m.measured_on, "value": m.value, "verified": m.verified, "note": m.note}


def stored_directive(d) -> dict:
    return {
        "issued_on": d.issued_on,
        "text": d.text,
        "issued_by": d.issued_by,
        "meeting": d.meeting,
        "assignee": d.assignee.code,
        "due_on": d.due_on,
        "done_on": d.done_on,
    }


def _unique(readers: list[Reader], key, path_of, message) -> list:
    """The readers' keys, refusing the second of two equal ones."""
    seen: dict = {}
    for reader in readers:
        value = key(reader)
        if value in seen:
            raise refuse(path_of(reader), message(value, seen[value]))
        seen[value] = path_of(reader)
    return list(seen)


def plan_import(document) -> Plan:
    """Check a document against the schema and the format's rules, and match it to what is
    stored. Raises DocumentError naming the first problem (all of them for the schema)."""
    validate_document(document)
    r = Reader("agreement", document.get("agreement"))
    code = r.str("code", max_len=40)
    province_code = r.str("province", max_len=40)
    province = db.session.scalar(sa.select(Province).where(Province.code == province_code))
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == code))
    reported = _reported(agreement)

    legal = r.list("legal_bases")
    if not all(isinstance(x, str) for x in legal):
        raise refuse(r.at("legal_bases"), _("expected a list of text"))
    fields = {
        "code": code,
        "title": r.str("title", max_len=500),
        "province": province_code,
        "partner": r.str("partner", max_len=255),
        "period_start": r.date("period_start", required=True),
        "period_end": r.date("period_end", required=True),
        "vision_year": r.int("vision_year", reason=_("expected a year")),
        "reporting_frequency": r.enum(
            "reporting_frequency", PeriodKind, default=PeriodKind.quarter
        ),
        "report_deadline_days": r.int(
            "report_deadline_days",
            default=REPORT_DEADLINE_DAYS,
            reason=_("expected a number of days from 0 to 90"),
        ),
        "resubmit_grace_days": r.int(
            "resubmit_grace_days",
            default=RESUBMIT_GRACE_DAYS,
            reason=_("expected a number of days from 0 to 90"),
        ),
        "legal_bases": [
            x for x in (Reader(r.path, {"x": b}).str("x", required=False) for b in legal) if x
        ],
        "description": r.str("description", required=False, multiline=True),
        "province_signatory": r.str("province_signatory", required=False, max_len=255),
        "partner_signatory": r.str("partner_signatory", required=False, max_len=255),
        "predecessor": r.str("predecessor", required=False, max_len=40),
    }
    status = {"status": r.enum("status", AgreementStatus), "signed_on": r.date("signed_on")}
    history = None
    if "status_history" in r.data:
        history = [
            {
                "to_status": h.enum("status", AgreementStatus),
                "changed_on": h.date("on", required=True),
                "note": h.str("note", required=False, multiline=True),
            }
            for h in r.each("status_history")
        ]
    elif agreement is None:
        # A new agreement without a history gets its current status, on its signing (or
        # start) date; an empty list stays empty, so export → import → export is the same.
        on = status["signed_on"] or fields["period_start"]
        history = [{"to_status": status["status"], "changed_on": on, "note": None}]

    units: dict[str, UnitEntry] = {}
    for u in r.each("units"):
        unit_code = u.str("code", max_len=40)
        if unit_code in units:
            raise refuse(u.at("code"), _("duplicated unit code %(code)s", code=repr(unit_code)))
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        name = side = None
        if unit is None:
            name, side = u.str("name", max_len=300), u.enum("side", Side)
        national = u.bool("national")
        units[unit_code] = UnitEntry(u.path, unit_code, unit, name, side, national)

    def unit_ref(value, path: str) -> str:
        if not isinstance(value, str) or value not in units:
            raise refuse(path, _("unit %(unit)s is not in agreement.units", unit=repr(value)))
        return value

    stored_commitments = (
        {
            c.code: c
            for c in db.session.scalars(
                sa.select(Commitment).where(Commitment.agreement_id == agreement.id)
            )
        }
        if agreement is not None
        else {}
    )
    stored_areas = {a.code: a for a in agreement.areas} if agreement is not None else {}
    area_readers = r.each("areas")
    _unique(
        area_readers,
        lambda a: a.str("code", max_len=20),
        lambda a: a.at("code"),
        lambda value, first: _(
            "duplicated area code %(code)s (also %(other)s)", code=repr(value), other=first
        ),
    )
    commitment_readers = [c for a in area_readers for c in a.each("commitments")]
    _unique(
        commitment_readers,
        lambda c: c.str("code", max_len=20),
        lambda c: c.at("code"),
        lambda value, first: _(
            "duplicated commitment code %(code)s (also %(other)s)", code=repr(value), other=first
        ),
    )

    areas, commitments = [], []
    for position, a in enumerate(area_readers):
        area_code = a.str("code", max_len=20)
        areas.append(
            Record(
                a.path,
                stored_areas.pop(area_code, None),
                {
                    "code": area_code,
                    "title": a.str("title", max_len=500),
                    "description": a.str("description", required=False, multiline=True),
                    "position": position,
                },
            )
        )
        for c_position, c in enumerate(a.each("commitments")):
            commitments.append(
                _commitment(c, area_code, c_position, stored_commitments, unit_ref, reported)
            )

    directives, stored_directives = (
        [],
        {(d.issued_on, d.text): d for d in (agreement.directives if agreement else [])},
    )
    for d in r.each("directives"):
        key = (d.date("issued_on", required=True), d.str("text", max_len=5000, multiline=True))
        directives.append(
            Record(
                d.path,
                stored_directives.pop(key, None),
                {
                    "issued_on": key[0],
                    "text": key[1],
                    "issued_by": d.str("issued_by", max_len=255),
                    "meeting": d.str("meeting", required=False, max_len=500),
                    "assignee": unit_ref(d.data.get("assignee"), d.at("assignee")),
                    "due_on": d.date("due_on"),
                    "done_on": d.date("done_on"),
                },
                paths={"assignee_unit_id": d.at("assignee")},
            )
        )

    listed = {a.fields["code"]: f"{a.path}.commitments" for a in areas}
    gone = [(listed.get(c.area.code, r.at("areas")), c) for c in stored_commitments.values()]
    gone += [(r.at("areas"), a) for a in stored_areas.values()]
    gone += [(r.at("directives"), d) for d in stored_directives.values()]
    return Plan(
        code=code,
        province_code=province_code,
        province=province,
        province_name=r.str("province_name", required=False, max_len=255) or province_code,
        agreement=Record(r.path, agreement, fields, paths={"predecessor_id": r.at("predecessor")}),
        history=history,
        status=status,
        units=units,
        areas=areas,
        commitments=commitments,
        directives=directives,
        gone=gone,
    )


def _commitment(
    c: Reader, area_code: str, position: int, stored: dict, unit_ref, reported: set[int]
) -> Record:
    code = c.str("code", max_len=20)
    commitment = stored.pop(code, None)
    supports = [
        unit_ref(ref, f"{c.at('support_units')}[{k}]")
        for k, ref in enumerate(c.list("support_units"))
    ]
    record = Record(
        c.path,
        commitment,
        {
            "area": area_code,
            "code": code,
            "title": c.str("title", max_len=500),
            "description": c.str("description", required=False, multiline=True),
            "committed_by": c.enum("committed_by", Side),
            "lead_unit": unit_ref(c.data.get("lead_unit"), c.at("lead_unit")),
            "support_units": supports,
            "budget_vnd": c.money("budget_vnd"),
            "funding_source": c.enum("funding_source", FundingSource, required=False),
            "due_on": c.date("due_on"),
            "priority": c.bool("priority"),
            "completion": c.enum("completion", Completion, default=Completion.not_started),
            "position": position,
        },
        paths={
            "lead_unit_id": c.at("lead_unit"),
            "support_unit_ids": c.at("support_units"),
            "area_id": c.at("code"),
        },
    )
    if commitment is not None and commitment.id in reported:
        # Verified progress reports own the official completion.
        record.fields["completion"] = commitment.completion
    milestones = c.each("milestones")
    _unique(
        milestones,
        lambda m: m.str("title", max_len=500),
        lambda m: c.at("milestones"),
        lambda value, first: _("duplicated milestone title"),
    )
    stored_milestones = {m.title: m for m in commitment.milestones} if commitment else {}
    record.children["milestones"] = []
    for m in milestones:
        title, done = m.str("title", max_len=500), m.date("done_on")
        default = MilestoneStatus.met if done else MilestoneStatus.scheduled
        record.children["milestones"].append(
            Record(
                m.path,
                stored_milestones.pop(title, None),
                {
                    "title": title,
                    "due_on": m.date("due_on", required=True),
                    "done_on": done,
                    "status": m.enum("status", MilestoneStatus, default=default),
                },
            )
        )
    indicators = c.each("indicators")
    _unique(
        indicators,
        lambda i: i.str("name", max_len=500),
        lambda i: c.at("indicators"),
        lambda value, first: _("duplicated indicator name"),
    )
    stored_indicators = {i.name: i for i in commitment.indicators} if commitment else {}
    record.children["indicators"] = []
    for i_position, i in enumerate(indicators):
        name = i.str("name", max_len=500)
        indicator = stored_indicators.pop(name, None)
        item = Record(
            i.path,
            indicator,
            {
                "name": name,
                "unit": i.str("unit", max_len=40),
                "baseline": i.number("baseline", required=False) or Decimal("0.0000"),
                "target": i.number("target"),
                "target_on": i.date("target_on"),
                "direction": i.enum("direction", Direction, default=Direction.increase),
                "position": i_position,
            },
        )
        values = i.each("measurements")
        _unique(
            values,
            lambda v: v.date("on", required=True),
            lambda v, i=i: i.at("measurements"),
            lambda value, first: _("two values on the same date"),
        )
        stored_values = {v.measured_on: v for v in indicator.measurements} if indicator else {}
        item.children["measurements"] = [
            Record(
                v.path,
                stored_values.pop(v.date("on", required=True), None),
                {
                    "measured_on": v.date("on", required=True),
                    "value": v.number("value"),
                    "verified": v.bool("verified"),
                    "note": v.str("note", required=False, multiline=True),
                },
                paths={"measured_on": v.at("on")},
            )
            for v in values
        ]
        # Values that came from verified progress reports belong to the reporting workflow.
        item.gone = [v for v in stored_values.values() if v.report_id is None]
        record.children["indicators"].append(item)
    record.gone = [*stored_milestones.values(), *stored_indicators.values()]
    return record


def _reported(agreement: Agreement | None) -> set[int]:
    if agreement is None:
        return set()
    return set(
        db.session.scalars(
            sa.select(ProgressReport.commitment_id)
            .join(Commitment)
            .where(
                Commitment.agreement_id == agreement.id,
                ProgressReport.status == ReportStatus.verified,
            )
        )
    )
