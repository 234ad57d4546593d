"""Who may report on, verify, and read progress."""

from tracker.agreements.permissions import can_view_agreement, is_responsible_for
from tracker.auth.models import Role
from tracker.auth.permissions import in_scope


def can_report(user, commitment) -> bool:
    """VNPT users only for commitments their unit leads or supports; DIC staff for every
    commitment of their province; admins everywhere."""
    agreement = commitment.agreement
    if not can_view_agreement(user, agreement):
        return False
    if user.role == Role.admin:
        return True
    if user.role == Role.dic:
        return in_scope(user, agreement.province_id) and not user.is_national
    if user.role == Role.vnpt:
        return is_responsible_for(user, commitment)
    return False


def can_verify(user, agreement) -> bool:
    """DIC staff of the agreement's province, and admins."""
    if not can_view_agreement(user, agreement):
        return False
    return user.role == Role.admin or (user.role == Role.dic and not user.is_national)


def can_request_extension(user, commitment) -> bool:
    """Those who report on a commitment may ask for more time."""
    return can_report(user, commitment)
