"""Operations on agreements and their records. Each checks the permission and the rule, changes
the objects, flushes (the audit hook records the change) and returns; the caller commits."""

from datetime import date

import sqlalchemy as sa

from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Directive,
    Document,
    Indicator,
    Measurement,
    Milestone,
    MilestoneStatus,
    StatusChange,
    allowed_transitions,
)
from tracker.agreements.queries import units_for_agreement
from tracker.auth.permissions import (
    can_create_agreement,
    can_edit_agreement,
    can_record_directive,
    in_scope,
)
from tracker.db import REASON, local_today
from tracker.errors import InvalidValue, NotAllowed, check_version
from tracker.extensions import db
from tracker.i18n import _
from tracker.org.models import Province, Unit


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed()


def _require_editable(user, agreement: Agreement) -> None:
    _require(can_edit_agreement(user, agreement))
    if not agreement.editable:
        raise InvalidValue(_("A closed agreement cannot be changed."))


def _assign(obj, fields: dict) -> None:
    for key, value in fields.items():
        setattr(obj, key, value)


def save_agreement(agreement: Agreement | None, *, user, version=None, **fields) -> Agreement:
    """Create an agreement (as a draft) or update its record."""
    province = fields.get("province") or db.session.get(Province, fields.pop("province_id", 0) or 0)
    fields["province"] = province
    if province is None:
        raise InvalidValue(_("Choose a province."), "province_id")
    if agreement is None:
        _require(can_create_agreement(user) and in_scope(user, province.id))
    else:
        _require_editable(user, agreement)
        check_version(agreement, version)
        if not in_scope(user, province.id):
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
    predecessor = fields.get("predecessor")
    if predecessor is not None:
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
                created_by_id=user.id,
            )
        )
        db.session.add(agreement)
    else:
        _assign(agreement, fields)
    db.session.flush()
    return agreement


def change_status(
    agreement: Agreement,
    *,
    user,
    to_status: AgreementStatus,
    on: date,
    note: str = "",
    version=None,
) -> StatusChange:
    """Move the agreement along its life cycle; signing sets the signature date."""
    _require(can_edit_agreement(user, agreement))
    check_version(agreement, version)
    if to_status not in allowed_transitions(agreement.status, signed=agreement.is_signed):
        raise InvalidValue(_("This status change is not allowed."), "to_status")
    if on > local_today():
        raise InvalidValue(_("The date cannot be in the future."), "changed_on")
    last = max((c.changed_on for c in agreement.status_changes), default=None)
    if last and on < last:
        raise InvalidValue(_("The date cannot be before the previous status change."), "changed_on")
    change = StatusChange(
        from_status=agreement.status,
        to_status=to_status,
        changed_on=on,
        note=note or None,
        created_by_id=user.id,
    )
    agreement.status_changes.append(change)
    agreement.status = to_status
    if to_status == AgreementStatus.signed:
        agreement.signed_on = on
    db.session.flush()
    return change


def _unit_allowed(agreement: Agreement, unit: Unit | None, field: str) -> Unit:
    if unit is None or unit.id not in {u.id for u in units_for_agreement(agreement)}:
        raise InvalidValue(
            _("Choose a unit of this agreement's province or a national unit."), field
        )
    return unit


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
    _unit_allowed(agreement, lead_unit, "lead_unit_id")
    for unit in support_units:
        _unit_allowed(agreement, unit, "support_unit_ids")
    if lead_unit in support_units:
        raise InvalidValue(_("The lead unit cannot also be a supporting unit."), "support_unit_ids")
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
    if indicator is not None:
        check_version(indicator, version)
        changed = indicator.baseline != fields["baseline"] or indicator.target != fields["target"]
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
        indicator = Indicator(commitment=commitment, position=len(commitment.indicators), **fields)
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
    _require(can_record_directive(user, agreement))
    if directive is not None:
        check_version(directive, version)
    _unit_allowed(agreement, assignee, "assignee_unit_id")
    if fields["issued_on"] > local_today():
        raise InvalidValue(_("The date cannot be in the future."), "issued_on")
    if fields.get("done_on") and fields["done_on"] > local_today():
        raise InvalidValue(_("The date done cannot be in the future."), "done_on")
    with db.session.no_autoflush:
        if directive is None:
            directive = Directive(agreement=agreement, assignee=assignee, **fields)
            db.session.add(directive)
        else:
            directive.assignee = assignee
            _assign(directive, fields)
        _take_part(agreement, assignee)
    db.session.flush()
    return directive


def attach_document(
    agreement: Agreement, *, user, title: str, issued_on: date | None, stored
) -> Document:
    """Attach a stored file to the agreement."""
    _require(can_edit_agreement(user, agreement))
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
        _require(can_record_directive(user, agreement) and user.role != "leader")
    else:
        _require_editable(user, agreement)
    if isinstance(obj, Area) and obj.commitments:
        raise InvalidValue(_("Move or delete the area's commitments first."))
    if isinstance(obj, Commitment) and _has_reports(Commitment.id == obj.id):
        raise InvalidValue(
            _("This commitment has progress reports, which are kept: mark it withdrawn instead.")
        )
    db.session.delete(obj)
    db.session.flush()


def delete_agreement(agreement: Agreement, *, user) -> None:
    """Only a draft can be deleted; anything later is kept for the record."""
    _require(can_edit_agreement(user, agreement))
    if agreement.status != AgreementStatus.draft:
        raise InvalidValue(_("Only a draft agreement can be deleted."))
    if _has_reports(Commitment.agreement_id == agreement.id):
        raise InvalidValue(
            _("This agreement has progress reports, which are kept: it cannot be deleted.")
        )
    db.session.delete(agreement)
    db.session.flush()


#: The reports table, named here so this module does not import the progress package (which
#: depends on this one).
_reports = sa.table("progress_reports", sa.column("commitment_id"))


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
