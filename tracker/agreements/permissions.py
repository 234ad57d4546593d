"""Who may see and change an agreement and its records. Every check takes the object."""

import sqlalchemy as sa

from tracker.agreements.models import Agreement
from tracker.auth.models import Role, User
from tracker.auth.permissions import in_scope, province_scope, unit_acts_for


def can_view_agreement(user: User, agreement: Agreement) -> bool:
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


def is_responsible_for(user: User, commitment) -> bool:
    """Whether the user's unit leads or supports the commitment (directly or as successor)."""
    units = [commitment.lead_unit, *commitment.support_units]
    return any(unit_acts_for(user, unit) for unit in units)


def agreements_visible_to(user: User):
    """A SELECT of the agreements the user may see."""
    query = sa.select(Agreement)
    scope = province_scope(user)
    if scope is not None:
        query = query.where(Agreement.province_id.in_(scope or {-1}))
    return query
