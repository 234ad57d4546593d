"""Roles and scope: which provinces a user sees, which unit acts for which. The rules on
agreements and their records are in tracker/agreements/permissions.py, on progress in
tracker/progress/permissions.py."""

from datetime import date
from functools import wraps

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user, login_required

from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.org.models import Province, Unit
from tracker.org.queries import carried_on_ids


def roles_required(*roles: Role):
    """Allow a view to signed-in users of the given roles; others get 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def province_scope(user: User) -> set[int] | None:
    """Ids of the provinces a user may see: None means every province (national users).

    A province's scope includes its predecessors: after the 2025 mergers the Department of
    Science and Technology of Quảng Trị carries on the Quảng Bình DIC's agreements.
    """
    if user.is_national:
        return None
    cache = g.setdefault("_province_scope", {})
    if user.id in cache:
        return cache[user.id]
    scope: set[int] = set()
    if user.unit is not None and user.unit.province is not None:
        today_province = user.unit.province.current()
        provinces = db.session.scalars(sa.select(Province)).all()
        scope = {p.id for p in provinces if p.current().id == today_province.id}
        scope.add(user.unit.province_id)
    cache[user.id] = scope
    return scope


def in_scope(user: User, province_id: int) -> bool:
    """Whether a province lies in the user's scope."""
    scope = province_scope(user)
    return scope is None or province_id in scope


def unit_acts_for(user: User, unit) -> bool:
    """Whether the user's unit is this unit or the one that carries it on today
    (`Unit.carried_on_by`, the lineage rule)."""
    if user.unit is None or unit is None:
        return False
    return unit.carried_on_by(user.unit_id)


def acting_unit_ids(user: User, on: date | None = None) -> set[int]:
    """The ids of the units the user acts for (`unit_acts_for`): their own unit and every unit it
    carries on (today or on a date), e.g. the directives assigned to the Quảng Bình DIC before
    the 2025 merger are the Quảng Trị department's."""
    return carried_on_ids(Unit, user.unit_id, on)
