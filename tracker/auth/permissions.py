"""Who may see and change what. Every check takes the object, not only the page."""

from functools import wraps

import sqlalchemy as sa
from flask import abort, g
from flask_login import current_user, login_required

from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.org.models import Province


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


def can_view_agreement(user: User, agreement) -> bool:
    """Every role reads the agreements of its scope."""
    return user.is_authenticated and in_scope(user, agreement.province_id)


def can_edit_agreement(user: User, agreement) -> bool:
    """Admins, and DIC staff of the agreement's province, edit it."""
    if not can_view_agreement(user, agreement):
        return False
    return user.role == Role.admin or user.role == Role.dic


def can_create_agreement(user: User) -> bool:
    """Admins and DIC staff create agreements (DIC staff only for their own province)."""
    return user.role in (Role.admin, Role.dic)


def can_record_directive(user: User, agreement) -> bool:
    """Leaders record directives; DIC staff and admins keep them up to date."""
    if not can_view_agreement(user, agreement):
        return False
    return user.role in (Role.admin, Role.dic, Role.leader)


def unit_acts_for(user: User, unit) -> bool:
    """Whether the user's unit is this unit or the one that carries it on today."""
    if user.unit is None or unit is None:
        return False
    return user.unit_id == unit.id or user.unit_id == unit.current().id


def is_responsible_for(user: User, commitment) -> bool:
    """Whether the user's unit leads or supports the commitment (directly or as successor)."""
    units = [commitment.lead_unit, *commitment.support_units]
    return any(unit_acts_for(user, unit) for unit in units)


def agreements_visible_to(user: User):
    """A SELECT of the agreements the user may see."""
    from tracker.agreements.models import Agreement

    query = sa.select(Agreement)
    scope = province_scope(user)
    if scope is not None:
        query = query.where(Agreement.province_id.in_(scope or {-1}))
    return query
