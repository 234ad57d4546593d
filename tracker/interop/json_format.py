"""The `tracker.agreement/v1` interchange format: export an agreement, import (create or update)
one. The demo data are files in this format."""

from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Completion,
    Direction,
    Directive,
    FundingSource,
    Indicator,
    Measurement,
    Milestone,
    MilestoneStatus,
    PeriodKind,
    StatusChange,
)
from tracker.db import Invalid
from tracker.extensions import db
from tracker.org.models import Province, Side, Unit, UnitKind

FORMAT = "tracker.agreement/v1"


# -- export ------------------------------------------------------------------------------------


def _d(value: date | None):
    return value.isoformat() if value else None


def _num(value: Decimal | None):
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
                                    "baseline": _num(i.baseline),
                                    "target": _num(i.target),
                                    "target_on": _d(i.target_on),
                                    "direction": i.direction.value,
                                    "measurements": [
                                        {
                                            "on": _d(m.measured_on),
                                            "value": _num(m.value),
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


# -- import ------------------------------------------------------------------------------------


class _Reader:
    """Typed access to the document with precise error paths."""

    def __init__(self, path: str, data):
        self.path, self.data = path, data
        if not isinstance(data, dict):
            raise Invalid(f"{path}: expected an object")

    def at(self, key):
        return f"{self.path}.{key}"

    def str(self, key, *, required=True, max_len=None):
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise Invalid(f"{self.at(key)}: required")
            return None
        if not isinstance(value, str):
            raise Invalid(f"{self.at(key)}: expected text")
        value = value.strip()
        if max_len and len(value) > max_len:
            raise Invalid(f"{self.at(key)}: longer than {max_len} characters")
        return value

    def date(self, key, *, required=False):
        value = self.data.get(key)
        if value is None:
            if required:
                raise Invalid(f"{self.at(key)}: required")
            return None
        if not isinstance(value, str):
            raise Invalid(f"{self.at(key)}: expected an ISO date")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Invalid(f"{self.at(key)}: {value!r} is not a valid date (YYYY-MM-DD)") from None

    def enum(self, key, enum_cls, *, required=True, default=None):
        value = self.data.get(key)
        if value is None:
            if required and default is None:
                raise Invalid(f"{self.at(key)}: required")
            return default
        if value not in enum_cls.__members__:
            allowed = ", ".join(enum_cls.__members__)
            raise Invalid(f"{self.at(key)}: unknown value {value!r} (allowed: {allowed})")
        return enum_cls(value)

    def money(self, key):
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"{self.at(key)}: expected a whole number of VND")
        if value < 0:
            raise Invalid(f"{self.at(key)}: cannot be negative")
        return value

    def number(self, key, *, required=True):
        value = self.data.get(key)
        if value is None:
            if required:
                raise Invalid(f"{self.at(key)}: required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(f"{self.at(key)}: expected a number")
        try:
            return Decimal(str(value)).quantize(Decimal("0.0001"))
        except InvalidOperation:
            raise Invalid(f"{self.at(key)}: expected a number") from None

    def list(self, key):
        value = self.data.get(key) or []
        if not isinstance(value, list):
            raise Invalid(f"{self.at(key)}: expected a list")
        return value

    def bool(self, key, default=False):
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise Invalid(f"{self.at(key)}: expected true or false")
        return value


def _sync(existing: list, incoming: list, key, create, update, keep=None) -> list:
    """Match rows by key: update matches, create the rest, delete the others (except those
    `keep` says belong to someone else); return the new ordered list."""
    by_key = {key(obj): obj for obj in existing}
    result = []
    for item in incoming:
        obj = by_key.pop(item["__key__"], None)
        if obj is None:
            obj = create()
        update(obj, item)
        result.append(obj)
    for obj in by_key.values():
        if keep is not None and keep(obj):
            result.append(obj)
        else:
            db.session.delete(obj)
    return result


def _resolve_units(reader: _Reader, province: Province) -> dict[str, Unit]:
    codes: dict[str, Unit] = {}
    for i, raw in enumerate(reader.list("units")):
        r = _Reader(f"{reader.at('units')}[{i}]", raw)
        code = r.str("code", max_len=40)
        if code in codes:
            raise Invalid(f"{r.at('code')}: duplicated unit code {code!r}")
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
        if unit is None:
            side = r.enum("side", Side)
            unit = Unit(
                code=code,
                name=r.str("name", max_len=300),
                side=side,
                kind=UnitKind.vnpt_branch if side == Side.vnpt else UnitKind.other,
                province=province,
            )
            db.session.add(unit)
        codes[code] = unit
    return codes


def import_agreement(document) -> Agreement:
    """Create or update (by code) an agreement from a `tracker.agreement/v1` document.

    Rows are matched by code (areas, commitments), title (milestones), name (indicators), date
    (measurements) and date + text (directives), so importing the same file twice changes nothing.
    Raises Invalid naming the first bad path; the caller rolls back."""
    with db.session.no_autoflush:
        agreement = _import(document)
    db.session.flush()
    return agreement


def _import(document) -> Agreement:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise Invalid(f"format: expected {FORMAT!r}")
    r = _Reader("agreement", document.get("agreement"))
    code = r.str("code", max_len=40)
    province_code = r.str("province", max_len=40)
    province = db.session.scalar(sa.select(Province).where(Province.code == province_code))
    if province is None:
        province = Province(
            code=province_code, name=r.str("province_name", required=False) or province_code
        )
        db.session.add(province)
    units = _resolve_units(r, province)

    def unit(ref, path):
        if ref not in units:
            raise Invalid(f"{path}: unit {ref!r} is not in agreement.units")
        return units[ref]

    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == code))
    created = agreement is None
    if created:
        agreement = Agreement(code=code)
        db.session.add(agreement)
    period_start, period_end = (
        r.date("period_start", required=True),
        r.date("period_end", required=True),
    )
    if period_end <= period_start:
        raise Invalid(f"{r.at('period_end')}: must be after period_start")
    predecessor_code = r.str("predecessor", required=False)
    predecessor = None
    if predecessor_code:
        predecessor = db.session.scalar(
            sa.select(Agreement).where(Agreement.code == predecessor_code)
        )
        if predecessor is None:
            raise Invalid(f"{r.at('predecessor')}: no agreement with code {predecessor_code!r}")
    vision = r.data.get("vision_year")
    if vision is not None and (not isinstance(vision, int) or isinstance(vision, bool)):
        raise Invalid(f"{r.at('vision_year')}: expected a year")
    legal = r.list("legal_bases")
    if not all(isinstance(x, str) for x in legal):
        raise Invalid(f"{r.at('legal_bases')}: expected a list of text")
    agreement.title = r.str("title", max_len=500)
    agreement.province = province
    agreement.partner = r.str("partner", max_len=255)
    agreement.signed_on = r.date("signed_on")
    agreement.period_start, agreement.period_end, agreement.vision_year = (
        period_start,
        period_end,
        vision,
    )
    agreement.status = r.enum("status", AgreementStatus)
    agreement.reporting_frequency = r.enum(
        "reporting_frequency", PeriodKind, default=PeriodKind.quarter
    )
    days = r.data.get("report_deadline_days", 6)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 90:
        raise Invalid(f"{r.at('report_deadline_days')}: expected a number of days from 0 to 90")
    agreement.report_deadline_days = days
    agreement.legal_bases = [x.strip() for x in legal]
    agreement.description = r.str("description", required=False)
    agreement.province_signatory = r.str("province_signatory", required=False, max_len=255)
    agreement.partner_signatory = r.str("partner_signatory", required=False, max_len=255)
    agreement.predecessor = predecessor

    history = []
    for i, raw in enumerate(r.list("status_history")):
        h = _Reader(f"{r.at('status_history')}[{i}]", raw)
        history.append(
            {
                "__key__": (h.enum("status", AgreementStatus).value, h.date("on", required=True)),
                "to": h.enum("status", AgreementStatus),
                "on": h.date("on", required=True),
                "note": h.str("note", required=False),
            }
        )
    if not history and created:
        history.append(
            {
                "__key__": (agreement.status.value, agreement.signed_on or period_start),
                "to": agreement.status,
                "on": agreement.signed_on or period_start,
                "note": None,
            }
        )
    if history:
        previous = [None] + [h["to"] for h in history[:-1]]
        for h, before in zip(history, previous, strict=True):
            h["from"] = before

        def upd_change(ch, h):
            ch.to_status, ch.changed_on, ch.note, ch.from_status = (
                h["to"],
                h["on"],
                h["note"],
                h["from"],
            )

        agreement.status_changes = _sync(
            agreement.status_changes,
            history,
            lambda ch: (ch.to_status.value, ch.changed_on),
            StatusChange,
            upd_change,
        )

    seen_commitments: set[str] = set()
    areas_in = []
    for i, raw in enumerate(r.list("areas")):
        a = _Reader(f"{r.at('areas')}[{i}]", raw)
        areas_in.append({"__key__": a.str("code", max_len=20), "reader": a, "position": i})
    if len({x["__key__"] for x in areas_in}) != len(areas_in):
        raise Invalid(f"{r.at('areas')}: duplicated area code")

    def upd_area(area: Area, item):
        a = item["reader"]
        area.agreement = agreement
        area.code, area.title, area.position = (
            item["__key__"],
            a.str("title", max_len=500),
            item["position"],
        )
        area.description = a.str("description", required=False)
        commitments_in = []
        for j, raw_c in enumerate(a.list("commitments")):
            c = _Reader(f"{a.at('commitments')}[{j}]", raw_c)
            c_code = c.str("code", max_len=20)
            if c_code in seen_commitments:
                raise Invalid(f"{c.at('code')}: duplicated commitment code {c_code!r}")
            seen_commitments.add(c_code)
            commitments_in.append({"__key__": c_code, "reader": c, "position": j})
        existing = (
            db.session.scalars(
                sa.select(Commitment).where(
                    Commitment.agreement_id == agreement.id,
                    Commitment.code.in_([x["__key__"] for x in commitments_in]),
                )
            ).all()
            if agreement.id
            else []
        )
        current = {c.code: c for c in list(area.commitments) + list(existing)}
        area.commitments = _sync(
            list(current.values()),
            commitments_in,
            lambda c: c.code,
            lambda: Commitment(agreement=agreement),
            upd_commitment,
        )

    def upd_commitment(commitment: Commitment, item):
        c = item["reader"]
        commitment.agreement = agreement
        commitment.code, commitment.position = item["__key__"], item["position"]
        commitment.title = c.str("title", max_len=500)
        commitment.description = c.str("description", required=False)
        commitment.committed_by = c.enum("committed_by", Side)
        commitment.lead_unit = unit(c.str("lead_unit"), c.at("lead_unit"))
        supports = []
        for k, ref in enumerate(c.list("support_units")):
            u = unit(ref, f"{c.at('support_units')}[{k}]")
            if u is commitment.lead_unit or u in supports:
                raise Invalid(
                    f"{c.at('support_units')}[{k}]: {ref!r} is already the lead or listed twice"
                )
            supports.append(u)
        commitment.support_units = supports
        commitment.budget_vnd = c.money("budget_vnd")
        commitment.funding_source = c.enum("funding_source", FundingSource, required=False)
        commitment.due_on = c.date("due_on")
        commitment.priority = c.bool("priority")
        completion = c.enum("completion", Completion, default=Completion.not_started)
        if commitment.id not in reported:  # verified reports own the official completion
            commitment.completion = completion
        milestones_in = []
        for k, raw_m in enumerate(c.list("milestones")):
            m = _Reader(f"{c.at('milestones')}[{k}]", raw_m)
            milestones_in.append({"__key__": m.str("title", max_len=500), "reader": m})
        if len({x["__key__"] for x in milestones_in}) != len(milestones_in):
            raise Invalid(f"{c.at('milestones')}: duplicated milestone title")
        commitment.milestones = _sync(
            commitment.milestones, milestones_in, lambda m: m.title, Milestone, upd_milestone
        )
        indicators_in = []
        for k, raw_i in enumerate(c.list("indicators")):
            ind = _Reader(f"{c.at('indicators')}[{k}]", raw_i)
            indicators_in.append(
                {"__key__": ind.str("name", max_len=500), "reader": ind, "position": k}
            )
        if len({x["__key__"] for x in indicators_in}) != len(indicators_in):
            raise Invalid(f"{c.at('indicators')}: duplicated indicator name")
        commitment.indicators = _sync(
            commitment.indicators, indicators_in, lambda i: i.name, Indicator, upd_indicator
        )
        agreement_units.update({u.code: u for u in [commitment.lead_unit, *supports]})

    def upd_milestone(milestone: Milestone, item):
        m = item["reader"]
        milestone.title, milestone.due_on = item["__key__"], m.date("due_on", required=True)
        milestone.done_on = m.date("done_on")
        default = MilestoneStatus.met if milestone.done_on else MilestoneStatus.scheduled
        milestone.status = m.enum("status", MilestoneStatus, default=default)

    def upd_indicator(indicator: Indicator, item):
        i = item["reader"]
        indicator.name, indicator.position = item["__key__"], item["position"]
        indicator.unit = i.str("unit", max_len=40)
        indicator.baseline = i.number("baseline", required=False) or Decimal("0.0000")
        indicator.target = i.number("target")
        indicator.target_on = i.date("target_on")
        indicator.direction = i.enum("direction", Direction, default=Direction.increase)
        if indicator.direction == Direction.increase and indicator.target < indicator.baseline:
            raise Invalid(f"{i.path}.target: below the baseline for an increasing indicator")
        if indicator.direction == Direction.decrease and indicator.target > indicator.baseline:
            raise Invalid(f"{i.path}.target: above the baseline for a decreasing indicator")
        values_in = []
        for k, raw_v in enumerate(i.list("measurements")):
            v = _Reader(f"{i.at('measurements')}[{k}]", raw_v)
            values_in.append({"__key__": v.date("on", required=True), "reader": v})
        if len({x["__key__"] for x in values_in}) != len(values_in):
            raise Invalid(f"{i.at('measurements')}: two values on the same date")

        def upd_value(measurement: Measurement, item):
            v = item["reader"]
            measurement.measured_on, measurement.value = item["__key__"], v.number("value")
            measurement.verified = v.bool("verified")
            measurement.note = v.str("note", required=False)

        # Values that came from verified progress reports belong to the reporting workflow.
        indicator.measurements = sorted(
            _sync(
                indicator.measurements,
                values_in,
                lambda m: m.measured_on,
                Measurement,
                upd_value,
                keep=lambda m: m.report_id is not None,
            ),
            key=lambda m: m.measured_on,
        )

    reported = set()
    if agreement.id is not None:
        from tracker.progress.models import ProgressReport, ReportStatus

        reported = set(
            db.session.scalars(
                sa.select(ProgressReport.commitment_id)
                .join(Commitment)
                .where(
                    Commitment.agreement_id == agreement.id,
                    ProgressReport.status == ReportStatus.verified,
                )
            )
        )
    agreement_units: dict[str, Unit] = {}
    agreement.areas = _sync(agreement.areas, areas_in, lambda a: a.code, Area, upd_area)

    directives_in = []
    for i, raw in enumerate(r.list("directives")):
        d = _Reader(f"{r.at('directives')}[{i}]", raw)
        issued_on, text = d.date("issued_on", required=True), d.str("text", max_len=5000)
        directives_in.append({"__key__": (issued_on, text), "reader": d})

    def upd_directive(directive: Directive, item):
        d = item["reader"]
        directive.issued_on, directive.text = item["__key__"]
        directive.issued_by = d.str("issued_by", max_len=255)
        directive.meeting = d.str("meeting", required=False, max_len=500)
        directive.assignee = unit(d.str("assignee"), d.at("assignee"))
        directive.due_on, directive.done_on = d.date("due_on"), d.date("done_on")
        agreement_units[directive.assignee.code] = directive.assignee

    agreement.directives = _sync(
        agreement.directives,
        directives_in,
        lambda d: (d.issued_on, d.text),
        Directive,
        upd_directive,
    )
    agreement.units = sorted({**units, **agreement_units}.values(), key=lambda u: u.code)
    return agreement
