"""Operations on agreements and their records. Each checks the permission and the rule, changes
the objects, flushes (the audit hook records the change) and returns; the caller commits."""

from datetime import date

import sqlalchemy as sa

from tracker import events, trash
from tracker.agreements import signals
from tracker.agreements.models import (
    MAX_REPORTING_DAYS,
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Direction,
    Directive,
    Document,
    Indicator,
    Measurement,
    Milestone,
    MilestoneStatus,
    StatusChange,
    allowed_transitions,
)
from tracker.agreements.permissions import (
    can_create_agreement,
    can_edit_agreement,
    can_record_directive,
    can_view_agreement,
)
from tracker.agreements.queries import units_for_agreement
from tracker.auth.permissions import in_scope
from tracker.clock import local_date, local_today
from tracker.db import REASON
from tracker.errors import InvalidValue, NotAllowed, NotFound, WrongState, check_version
from tracker.extensions import db
from tracker.i18n import _, fmt_date, fmt_number
from tracker.org.models import Province, Side, Unit, UnitKind
from tracker.org.queries import refuse_ended

# `user=None` is the system: the command line and the demo loader act for nobody in particular
# and are not limited by a role or a scope; every other rule holds for them too.


def _require(user, check, *args) -> None:
    if user is not None and not check(user, *args):
        raise NotAllowed()


def _require_editable(user, agreement: Agreement) -> None:
    _require(user, can_edit_agreement, agreement)
    if not agreement.editable:
        raise WrongState(_("A closed agreement cannot be changed."))


def require_editable(agreement: Agreement, *, user) -> None:
    """Refuse unless the user may change the agreement and it is not closed (an import into
    an agreement is a change of it, even when the file turns out to change nothing)."""
    _require_editable(user, agreement)


def _actor_id(user) -> int | None:
    return user.id if user is not None else None


def _lineage(province: Province) -> set[int]:
    """The province and those it carries on or that carry it on (after a merger)."""
    today_id = province.current().id
    provinces = db.session.scalars(sa.select(Province)).all()
    return {p.id for p in provinces if p.current().id == today_id} | {province.id}


def _check_predecessor(user, province: Province, predecessor: Agreement) -> None:
    """An agreement renews one of its own province (or the province's predecessors) that the
    user may see. Any other is answered as not found, so no other province's code shows."""
    visible = user is None or can_view_agreement(user, predecessor)
    if not visible or predecessor.province_id not in _lineage(province):
        raise NotFound(
            _("No agreement of this province with this code was found."), "predecessor_id"
        )


def _assign(obj, fields: dict) -> None:
    for key, value in fields.items():
        setattr(obj, key, value)


def save_agreement(agreement: Agreement | None, *, user, version=None, **fields) -> Agreement:
    """Create an agreement (as a draft) or update its record."""
    province = fields.get("province") or db.session.get(Province, fields.pop("province_id", 0) or 0)
    fields["province"] = province
    if province is None:
        raise InvalidValue(_("Choose a province."), "province_id")
    if fields.get("period_start"):
        kept = [agreement.province] if agreement is not None else []
        refuse_ended(province, fields["period_start"], "province_id", keep=kept)
    if agreement is None:
        _require(user, lambda u: can_create_agreement(u) and in_scope(u, province.id))
    else:
        _require_editable(user, agreement)
        check_version(agreement, version)
        if user is not None and not in_scope(user, province.id):
            raise InvalidValue(
                _("You cannot move an agreement to a province outside your scope."), "province_id"
            )
    code = fields["code"]
    clash = db.session.scalar(
        sa.select(Agreement.id).where(
            sa.func.lower(Agreement.code) == code.lower(),
            Agreement.id != (agreement.id if agreement else -1),
        )
    )
    if clash is not None:
        raise InvalidValue(
            _("The code %(code)s is already used by another agreement.", code=code), "code"
        )
    if fields["period_end"] <= fields["period_start"]:
        raise InvalidValue(_("The end must be after the start."), "period_end")
    vision = fields.get("vision_year")
    if vision and vision < fields["period_end"].year:
        raise InvalidValue(
            _("The orientation year cannot be before the end of the period."), "vision_year"
        )
    days = fields.get("report_deadline_days")
    if days is not None and not 0 <= days <= MAX_REPORTING_DAYS:
        raise InvalidValue(
            _("Reports are due from 0 to 90 days after the end of a period."),
            "report_deadline_days",
        )
    grace = fields.get("resubmit_grace_days")
    if grace is not None and not 0 <= grace <= MAX_REPORTING_DAYS:
        raise InvalidValue(
            _("A returned report may be resubmitted from 0 to 90 days after its return."),
            "resubmit_grace_days",
        )
    frequency = fields.get("reporting_frequency")
    if (
        agreement is not None
        and frequency is not None
        and frequency != agreement.reporting_frequency
        and _has_period_reports(agreement)
    ):
        raise InvalidValue(
            _(
                "Progress reports have been made for the %(frequency)s periods: the reporting "
                "frequency can no longer change.",
                frequency=str(agreement.reporting_frequency.label).lower(),
            ),
            "reporting_frequency",
        )
    predecessor = fields.get("predecessor")
    if predecessor is not None:
        _check_predecessor(user, province, predecessor)
        node, seen = predecessor, set()
        while node is not None:
            if agreement is not None and node.id == agreement.id:
                raise InvalidValue(_("An agreement cannot renew itself."), "predecessor_id")
            if node.id in seen:
                break
            seen.add(node.id)
            node = node.predecessor
    if agreement is None:
        agreement = Agreement(status=AgreementStatus.draft, **fields)
        agreement.status_changes.append(
            StatusChange(
                from_status=None,
                to_status=AgreementStatus.draft,
                changed_on=local_today(),
                created_by_id=_actor_id(user),
            )
        )
        db.session.add(agreement)
        changed = set()
    else:
        changed = {key for key, value in fields.items() if getattr(agreement, key) != value}
        _assign(agreement, fields)
    db.session.flush()
    if changed & {"reporting_frequency", "report_deadline_days"}:
        signals.reporting_changed.send(agreement, changed=changed)
    return agreement


def _check_effective_date(
    agreement: Agreement,
    to_status: AgreementStatus,
    on: date,
    previous_on: date | None,
    field: str,
    **details,
) -> None:
    """A status change takes effect on a day: today or earlier, not before the previous change's
    effective date, and never "in force" before the agreement's period starts."""
    if on > local_today():
        raise InvalidValue(_("The effective date cannot be in the future."), field, **details)
    if previous_on is not None and on < previous_on:
        raise InvalidValue(
            _(
                "The effective date cannot be before that of the previous status change "
                "(%(date)s).",
                date=fmt_date(previous_on),
            ),
            field,
            **details,
        )
    if to_status == AgreementStatus.in_force and on < agreement.period_start:
        raise InvalidValue(
            _(
                "An agreement cannot come into force before its period starts (%(date)s).",
                date=fmt_date(agreement.period_start),
            ),
            field,
            **details,
        )


def _is_creation(change: StatusChange) -> bool:
    """The entry `save_agreement` writes when the record is created: a draft dated the day it
    was recorded, which says nothing of when the drafting began."""
    return (
        change.from_status is None
        and change.to_status == AgreementStatus.draft
        and (change.created_at is None or local_date(change.created_at) == change.changed_on)
    )


def change_status(
    agreement: Agreement,
    *,
    user,
    to_status: AgreementStatus,
    on: date,
    note: str = "",
    version=None,
) -> StatusChange:
    """Move the agreement along its life cycle on its effective date (a signing is often
    recorded days later); signing sets the signature date. An agreement entered after the fact
    may date its steps before the day its record was created: the creation entry moves back."""
    _require(user, can_edit_agreement, agreement)
    check_version(agreement, version)
    if to_status not in allowed_transitions(agreement.status, signed=agreement.is_signed):
        raise InvalidValue(_("This status change is not allowed."), "to_status")
    steps = [c for c in agreement.status_changes if not _is_creation(c)]
    previous_on = max((c.changed_on for c in steps), default=None)
    _check_effective_date(agreement, to_status, on, previous_on, "changed_on")
    for created in (c for c in agreement.status_changes if _is_creation(c)):
        created.changed_on = min(created.changed_on, on)
    change = StatusChange(
        from_status=agreement.status,
        to_status=to_status,
        changed_on=on,
        note=note or None,
        created_by_id=_actor_id(user),
    )
    agreement.status_changes.append(change)
    agreement.status = to_status
    if to_status == AgreementStatus.signed:
        agreement.signed_on = on
    db.session.flush()
    return change


def record_status_history(
    agreement: Agreement,
    *,
    user,
    status: AgreementStatus,
    signed_on: date | None,
    history: list[dict],
) -> None:
    """Set the status, the signing date and the dated history an agreement had elsewhere (an
    imported file): `history` lists {"to_status", "changed_on", "note"} oldest first. Steps
    already recorded are kept; each step follows the rules of `change_status`'s effective date."""
    _require_editable(user, agreement)
    if signed_on is not None and signed_on > local_today():
        raise InvalidValue(_("The effective date cannot be in the future."), "signed_on")
    previous = None
    for index, step in enumerate(history):
        _check_effective_date(
            agreement, step["to_status"], step["changed_on"], previous, "history", index=index
        )
        previous = step["changed_on"]
    kept = {(c.to_status, c.changed_on): c for c in agreement.status_changes}
    changes, before = [], None
    for step in history:
        change = kept.pop((step["to_status"], step["changed_on"]), None)
        if change is None:
            change = StatusChange(
                to_status=step["to_status"],
                changed_on=step["changed_on"],
                created_by_id=_actor_id(user),
            )
        change.from_status, change.note = before, step.get("note") or None
        before = step["to_status"]
        changes.append(change)
    agreement.status_changes = changes
    agreement.status, agreement.signed_on = status, signed_on
    db.session.flush()


def _unit_allowed(
    agreement: Agreement, unit: Unit | None, field: str, *, on: date, keep=(), **details
) -> Unit:
    """Units of the agreement's province (and its predecessors or successor) and national
    units may take part; any other is answered as not found, wherever it is. A unit that had
    ceased to exist before `on` (the date the record starts) is refused unless the record
    already names it (`keep`)."""
    if unit is None:
        raise InvalidValue(
            _("Choose a unit of this agreement's province or a national unit."), field
        )
    if unit.id is None or unit.id not in {u.id for u in units_for_agreement(agreement)}:
        raise NotFound(
            _("No unit with this code was found among the units this agreement may use."),
            field,
            **details,
        )
    refuse_ended(unit, on, field, keep=keep, **details)
    return unit


def add_unit(
    agreement: Agreement, *, user, code: str, name: str, side: Side, national: bool = False
) -> Unit:
    """A unit the system does not know yet, named by an imported file: it joins the
    agreement's province, or is national (only an administrator adds one)."""
    _require_editable(user, agreement)
    if national:
        _require(user, lambda u: u.is_admin)
    clash = db.session.scalar(sa.select(Unit.id).where(sa.func.lower(Unit.code) == code.lower()))
    if clash is not None:
        raise InvalidValue(_("The code %(code)s is already used.", code=code), "code")
    unit = Unit(
        code=code,
        name=name,
        side=side,
        kind=UnitKind.vnpt_branch if side == Side.vnpt else UnitKind.other,
        province=None if national else agreement.province,
    )
    db.session.add(unit)
    db.session.flush()
    return unit


def add_province(*, user, code: str, name: str) -> Province:
    """A province the system does not know yet, named by an imported file: only an
    administrator (or the system) adds one."""
    _require(user, lambda u: u.is_admin)
    clash = db.session.scalar(
        sa.select(Province.id).where(sa.func.lower(Province.code) == code.lower())
    )
    if clash is not None:
        raise InvalidValue(_("The code %(code)s is already used.", code=code), "code")
    province = Province(code=code, name=name)
    db.session.add(province)
    db.session.flush()
    return province


def set_parties(agreement: Agreement, *, user, units: list[Unit]) -> None:
    """The units taking part in the agreement: each must be one it may use, and those its
    commitments and directives name stay."""
    _require_editable(user, agreement)
    for index, unit in enumerate(units):
        _unit_allowed(
            agreement, unit, "units", on=agreement.period_start, keep=agreement.units, index=index
        )
    named = {c.lead_unit for c in _commitments_of(agreement)}
    named |= {u for c in _commitments_of(agreement) for u in c.support_units}
    named |= {d.assignee for d in agreement.directives}
    agreement.units = sorted(set(units) | named, key=lambda u: u.code)
    db.session.flush()


def _commitments_of(agreement: Agreement) -> list[Commitment]:
    return list(
        db.session.scalars(sa.select(Commitment).where(Commitment.agreement_id == agreement.id))
    )


def _take_part(agreement: Agreement, *units: Unit) -> None:
    for unit in units:
        if unit not in agreement.units:
            agreement.units.append(unit)


def save_area(area: Area | None, *, agreement: Agreement, user, version=None, **fields) -> Area:
    """Create or update an area."""
    _require_editable(user, agreement)
    if area is not None:
        check_version(area, version)
    clash = db.session.scalar(
        sa.select(Area.id).where(
            Area.agreement_id == agreement.id,
            sa.func.lower(Area.code) == fields["code"].lower(),
            Area.id != (area.id if area else -1),
        )
    )
    if clash is not None:
        raise InvalidValue(
            _("Another area of this agreement has the number %(code)s.", code=fields["code"]),
            "code",
        )
    if area is None:
        if not fields.get("position"):
            fields["position"] = len(agreement.areas)
        area = Area(agreement=agreement, **fields)
        db.session.add(area)
    else:
        _assign(area, fields)
    db.session.flush()
    return area


def save_commitment(
    commitment: Commitment | None,
    *,
    agreement: Agreement,
    user,
    version=None,
    area: Area,
    lead_unit: Unit | None,
    support_units: list[Unit],
    **fields,
) -> Commitment:
    """Create or update a commitment; its units join the agreement's parties."""
    _require_editable(user, agreement)
    if commitment is not None:
        check_version(commitment, version)
    if area is None or area.agreement_id != agreement.id:
        raise InvalidValue(_("Choose an area of this agreement."), "area_id")
    # A commitment starts with its agreement; the units it already names stay.
    named = [commitment.lead_unit, *commitment.support_units] if commitment is not None else []
    _unit_allowed(agreement, lead_unit, "lead_unit_id", on=agreement.period_start, keep=named)
    for index, unit in enumerate(support_units):
        _unit_allowed(
            agreement,
            unit,
            "support_unit_ids",
            on=agreement.period_start,
            keep=named,
            index=index,
        )
    if lead_unit in support_units:
        raise InvalidValue(_("The lead unit cannot also be a supporting unit."), "support_unit_ids")
    if len(set(support_units)) != len(support_units):
        raise InvalidValue(_("A supporting unit is listed twice."), "support_unit_ids")
    if (fields.get("budget_vnd") or 0) < 0:
        raise InvalidValue(_("An amount cannot be negative."), "budget_vnd")
    clash = db.session.scalar(
        sa.select(Commitment.id).where(
            Commitment.agreement_id == agreement.id,
            sa.func.lower(Commitment.code) == fields["code"].lower(),
            Commitment.id != (commitment.id if commitment else -1),
        )
    )
    if clash is not None:
        raise InvalidValue(
            _("Another commitment of this agreement has the number %(code)s.", code=fields["code"]),
            "code",
        )
    with db.session.no_autoflush:
        if commitment is None:
            if not fields.get("position"):
                fields["position"] = len(area.commitments)
            commitment = Commitment(
                agreement=agreement,
                area=area,
                lead_unit=lead_unit,
                support_units=list(support_units),
                **fields,
            )
            db.session.add(commitment)
        else:
            commitment.area = area
            commitment.lead_unit = lead_unit
            commitment.support_units = list(support_units)
            _assign(commitment, fields)
        _take_part(agreement, lead_unit, *support_units)
    db.session.flush()
    return commitment


def save_milestone(
    milestone: Milestone | None, *, commitment: Commitment, user, version=None, **fields
) -> Milestone:
    """Create or update a milestone."""
    _require_editable(user, commitment.agreement)
    if milestone is not None:
        check_version(milestone, version)
    done = fields.get("done_on")
    if done and done > local_today():
        raise InvalidValue(_("The date met cannot be in the future."), "done_on")
    met = fields.get("status") in (MilestoneStatus.met, MilestoneStatus.partially_met)
    if met and done is None:
        raise InvalidValue(_("Enter the date the milestone was met."), "done_on")
    if done is not None and not met:
        raise InvalidValue(_("A date met needs the status 'Met' or 'Partially met'."), "done_on")
    if milestone is None:
        milestone = Milestone(commitment=commitment, **fields)
        db.session.add(milestone)
    else:
        _assign(milestone, fields)
    db.session.flush()
    return milestone


def save_indicator(
    indicator: Indicator | None,
    *,
    commitment: Commitment,
    user,
    version=None,
    reason: str = "",
    **fields,
) -> Indicator:
    """Create or update an indicator. After signing, changing the baseline or target needs a
    reason, which the history keeps."""
    agreement = commitment.agreement
    _require_editable(user, agreement)
    direction, baseline, target = fields.get("direction"), fields["baseline"], fields["target"]
    if direction == Direction.increase and target < baseline:
        raise InvalidValue(
            _("The target of an increasing indicator cannot be below its baseline."), "target"
        )
    if direction == Direction.decrease and target > baseline:
        raise InvalidValue(
            _("The target of a decreasing indicator cannot be above its baseline."), "target"
        )
    if indicator is not None:
        check_version(indicator, version)
        changed = indicator.baseline != baseline or indicator.target != target
        if changed and agreement.is_signed:
            if not reason.strip():
                raise InvalidValue(
                    _(
                        "The agreement is signed: give the reason for changing the baseline or target."
                    ),
                    "reason",
                )
            db.session.info[REASON] = reason.strip()
    if indicator is None:
        fields.setdefault("position", len(commitment.indicators))
        indicator = Indicator(commitment=commitment, **fields)
        db.session.add(indicator)
    else:
        _assign(indicator, fields)
    db.session.flush()
    db.session.info.pop(REASON, None)
    return indicator


def add_measurement(
    indicator: Indicator, *, user, measured_on: date, value, verified: bool, note: str = ""
) -> Measurement:
    """Record a dated value of an indicator (one per date)."""
    _require_editable(user, indicator.commitment.agreement)
    if measured_on > local_today():
        raise InvalidValue(_("The date cannot be in the future."), "measured_on")
    if any(m.measured_on == measured_on for m in indicator.measurements):
        raise InvalidValue(_("There is already a value for this date."), "measured_on")
    measurement = Measurement(
        indicator=indicator,
        measured_on=measured_on,
        value=value,
        verified=verified,
        note=note or None,
    )
    db.session.add(measurement)
    db.session.flush()
    return measurement


def change_measurement(
    measurement: Measurement, *, user, value, verified: bool, note: str = "", version=None
) -> Measurement:
    """Correct a recorded value of an indicator (its date identifies it)."""
    _require_editable(user, measurement.indicator.commitment.agreement)
    check_version(measurement, version)
    measurement.value, measurement.verified, measurement.note = value, verified, note or None
    db.session.flush()
    return measurement


def save_directive(
    directive: Directive | None,
    *,
    agreement: Agreement,
    user,
    version=None,
    assignee: Unit | None,
    **fields,
) -> Directive:
    """Record or update a leadership directive."""
    _require(user, can_record_directive, agreement)
    if directive is not None:
        check_version(directive, version)
    _unit_allowed(
        agreement,
        assignee,
        "assignee_unit_id",
        on=fields["issued_on"],
        keep=[directive.assignee] if directive is not None else [],
    )
    if fields["issued_on"] > local_today():
        raise InvalidValue(_("The date cannot be in the future."), "issued_on")
    if fields.get("done_on") and fields["done_on"] > local_today():
        raise InvalidValue(_("The date done cannot be in the future."), "done_on")
    created = directive is None
    with db.session.no_autoflush:
        if directive is None:
            directive = Directive(agreement=agreement, assignee=assignee, **fields)
            db.session.add(directive)
        else:
            assigned_changed = directive.assignee_unit_id != (assignee.id if assignee else None)
            directive.assignee = assignee
            _assign(directive, fields)
        _take_part(agreement, assignee)
    db.session.flush()
    events.directive_recorded.send(
        directive,
        actor=user,
        created=created,
        assigned_changed=created or assigned_changed,
    )
    return directive


def attach_document(
    agreement: Agreement, *, user, title: str, issued_on: date | None, stored
) -> Document:
    """Attach a stored file to the agreement."""
    _require(user, can_edit_agreement, agreement)
    document = Document(
        agreement=agreement,
        title=title,
        issued_on=issued_on,
        file_name=stored.file_name,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
    )
    db.session.add(document)
    db.session.flush()
    return document


def delete_record(obj, *, agreement: Agreement, user) -> None:
    """Delete an area, commitment, milestone, indicator, measurement, directive or document."""
    if isinstance(obj, Directive):
        _require(user, lambda u: can_record_directive(u, agreement) and u.role != "leader")
    else:
        _require_editable(user, agreement)
    if isinstance(obj, Area) and _count(Commitment.__table__.c.area_id, obj.id):
        raise InvalidValue(_("Move or delete the area's commitments first."))
    if isinstance(obj, Commitment) and _has_reports(Commitment.id == obj.id):
        raise WrongState(
            _("This commitment has progress reports, which are kept: mark it withdrawn instead.")
        )
    if isinstance(obj, Milestone) and _count(_report_milestones.c.milestone_id, obj.id):
        raise WrongState(_("Progress reports refer to this milestone: it is kept."))
    if isinstance(obj, Indicator) and _count(_report_values.c.indicator_id, obj.id):
        raise WrongState(_("Progress reports refer to this indicator: it is kept."))
    if isinstance(obj, Directive) and _count(_evidence.c.directive_id, obj.id):
        raise WrongState(_("Evidence refers to this directive: it is kept."))
    _to_trash(obj, agreement=agreement, user=user)


def deletion_label(obj) -> str | None:
    """How a record is named on its delete's confirmation and in the recycle bin, where its own
    name does not say it (an indicator value: its indicator, value and date); None otherwise."""
    if isinstance(obj, Measurement):
        return f"{obj.indicator.name}: {fmt_number(obj.value)} ({fmt_date(obj.measured_on)})"
    return None


def _to_trash(obj, *, agreement: Agreement, user) -> None:
    """Delete into the recycle bin, where the agreement's DIC can restore it for 30 days."""
    trash.discard(
        obj,
        user=user,
        label=deletion_label(obj),
        province_id=agreement.province_id,
        agreement_id=agreement.id,
        agreement_label=agreement.code,
    )


def delete_agreement(agreement: Agreement, *, user) -> None:
    """Only a draft can be deleted; anything later is kept for the record."""
    _require(user, can_edit_agreement, agreement)
    if agreement.status != AgreementStatus.draft:
        raise InvalidValue(_("Only a draft agreement can be deleted."))
    if _has_reports(Commitment.agreement_id == agreement.id):
        raise InvalidValue(
            _("This agreement has progress reports, which are kept: it cannot be deleted.")
        )
    _to_trash(agreement, agreement=agreement, user=user)


#: The reporting tables, named here so this module does not import the progress package (which
#: depends on this one).
_reports = sa.table("progress_reports", sa.column("commitment_id"))
_report_milestones = sa.table("report_milestones", sa.column("milestone_id"))
_report_values = sa.table("report_values", sa.column("indicator_id"))
_evidence = sa.table("evidence", sa.column("directive_id"))
_periods = sa.table("reporting_periods", sa.column("id"), sa.column("agreement_id"))
_period_reports = sa.table("progress_reports", sa.column("period_id"))


def _count(column, value) -> int:
    """How many rows hold `value` in `column` (in the database, after the last flush)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(column.table).where(column == value)
    )


def _has_period_reports(agreement: Agreement) -> bool:
    """Whether any reporting period of the agreement has a progress report."""
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(_period_reports)
            .join(_periods, _periods.c.id == _period_reports.c.period_id)
            .where(_periods.c.agreement_id == agreement.id)
        )
    )


def _has_reports(condition) -> bool:
    """Whether any commitment matching the condition has a progress report."""
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(_reports)
            .join(Commitment, Commitment.id == _reports.c.commitment_id)
            .where(condition)
        )
    )
