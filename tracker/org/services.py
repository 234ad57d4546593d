"""Writing provinces and units: the one place their rules are checked (unique code, a successor
chain that never loops, the version the editor read). The administration screens call these;
the permission (administrators only) is theirs to check, as org sits below auth."""

import sqlalchemy as sa

from tracker.errors import InvalidValue, check_version
from tracker.extensions import db
from tracker.i18n import _
from tracker.org.models import ChangeKind, Province, Side, Unit, UnitKind


def _unique_code(model, code: str, own_id: int | None) -> None:
    clash = db.session.scalar(
        sa.select(model.id).where(
            sa.func.lower(model.code) == code.lower(), model.id != (own_id or -1)
        )
    )
    if clash is not None:
        raise InvalidValue(_("The code %(code)s is already used.", code=code), "code")


def _no_cycle(obj, successor_id: int | None) -> None:
    seen = {obj.id} if obj.id else set()
    node = db.session.get(type(obj), successor_id) if successor_id else None
    while node is not None:
        if node.id in seen:
            raise InvalidValue(
                _("The successor chain would loop back to this record."), "successor_id"
            )
        seen.add(node.id)
        node = node.successor


def _save(model, record, *, version, succession: dict, values: dict):
    target = record or model()
    if record is not None:
        check_version(record, version)
    _unique_code(model, values["code"], record.id if record is not None else None)
    successor_id = succession.get("successor_id") or None
    _no_cycle(target, successor_id)
    change_kind = succession.get("change_kind")
    for key, value in {
        **values,
        "valid_from": succession.get("valid_from"),
        "valid_to": succession.get("valid_to"),
        "successor_id": successor_id,
        "change_kind": ChangeKind(change_kind) if change_kind else None,
    }.items():
        setattr(target, key, value)
    db.session.add(target)
    db.session.flush()
    return target


def save_province(
    province: Province | None,
    *,
    code: str,
    name: str,
    is_city: bool,
    version=None,
    **succession,
) -> Province:
    """Create (province None) or change a province; succession: valid_from, valid_to,
    successor_id, change_kind."""
    return _save(
        Province,
        province,
        version=version,
        succession=succession,
        values={"code": code, "name": name, "is_city": is_city},
    )


def save_unit(
    unit: Unit | None,
    *,
    code: str,
    name: str,
    short_name: str | None,
    kind: str,
    side: str,
    province_id: int | None,
    version=None,
    **succession,
) -> Unit:
    """Create (unit None) or change a responsible unit: a unit of the province side belongs to
    a province."""
    if Side(side) == Side.province and not province_id:
        raise InvalidValue(_("A unit of the province side belongs to a province."), "province_id")
    return _save(
        Unit,
        unit,
        version=version,
        succession=succession,
        values={
            "code": code,
            "name": name,
            "short_name": short_name or None,
            "kind": UnitKind(kind),
            "side": Side(side),
            "province_id": province_id or None,
        },
    )
