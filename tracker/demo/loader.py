"""`tracker demo`: load the reference data (provinces, units, users) and the demo agreements
from the data files next to this module. Running it again changes nothing."""

import json
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tracker.auth.models import Role, User
from tracker.auth.services import create_user
from tracker.extensions import db
from tracker.interop.json_format import import_agreement
from tracker.org.models import ChangeKind, Province, Side, Unit, UnitKind

DATA = Path(__file__).parent / "data"


def _date(value):
    return date.fromisoformat(value) if value else None


def _upsert(model, code: str, fields: dict):
    obj = db.session.scalar(sa.select(model).where(model.code == code))
    if obj is None:
        obj = model(code=code)
        db.session.add(obj)
    for key, value in fields.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
    return obj


def load_reference(reference: dict) -> tuple[int, int]:
    """Provinces and units with their validity and successors."""
    provinces = {}
    for p in reference["provinces"]:
        provinces[p["code"]] = _upsert(Province, p["code"], {
            "name": p["name"], "is_city": p["is_city"], "valid_from": _date(p["valid_from"]),
            "valid_to": _date(p["valid_to"]),
            "change_kind": ChangeKind(p["change_kind"]) if p["change_kind"] else None,
        })
    for p in reference["provinces"]:
        provinces[p["code"]].successor = provinces[p["successor"]] if p["successor"] else None
    units = {}
    for u in reference["units"]:
        units[u["code"]] = _upsert(Unit, u["code"], {
            "name": u["name"], "short_name": u["short_name"], "kind": UnitKind(u["kind"]),
            "side": Side(u["side"]), "province": provinces[u["province"]] if u["province"] else None,
            "valid_from": _date(u["valid_from"]), "valid_to": _date(u["valid_to"]),
            "change_kind": ChangeKind(u["change_kind"]) if u["change_kind"] else None,
        })
    for u in reference["units"]:
        units[u["code"]].successor = units[u["successor"]] if u["successor"] else None
    db.session.flush()
    return len(provinces), len(units)


def load_demo() -> list[str]:
    """Load everything; return lines describing what is there, demo accounts included."""
    reference = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))
    n_provinces, n_units = load_reference(reference)
    password = reference["demo_password"]
    for u in reference["users"]:
        exists = db.session.scalar(sa.select(User.id).where(User.email == u["email"]))
        if exists is None:
            unit = db.session.scalar(sa.select(Unit).where(Unit.code == u["unit"])) if u["unit"] else None
            create_user(email=u["email"], password=password, role=Role(u["role"]), unit=unit,
                        full_name=u["full_name"])
    # Renewals point at their predecessor, so load oldest first.
    files = sorted((DATA / "agreements").glob("*.json"),
                   key=lambda p: json.loads(p.read_text(encoding="utf-8"))["agreement"]["period_start"])
    codes = []
    for path in files:
        agreement = import_agreement(json.loads(path.read_text(encoding="utf-8")))
        codes.append(agreement.code)
    db.session.flush()
    lines = [
        f"Demo data: {n_provinces} provinces, {n_units} units, agreements {', '.join(codes)}.",
        f"Demo accounts (password: {password}):",
    ]
    for u in reference["users"]:
        lines.append(f"  {u['role']:<7} {u['email']:<26} {u['unit'] or '(no unit)'}")
    return lines
