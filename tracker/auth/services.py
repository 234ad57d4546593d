"""Account operations shared by the CLI, the administration screens and the demo loader: the one
place the rules of an account (e-mail, password, role and unit) are checked."""

import re
from datetime import timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.auth.models import LoginAttempt, Role, User
from tracker.clock import local_today, utcnow
from tracker.errors import InvalidValue, NotAllowed, check_version
from tracker.extensions import db
from tracker.i18n import _
from tracker.org.models import Unit, UnitKind
from tracker.org.queries import refuse_ended

MIN_PASSWORD_LENGTH = 12
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(InvalidValue):
    """A user record that cannot be saved, with a message for the person who tried and the
    field it concerns (email, password, role, unit_id)."""


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively."""
    return (email or "").strip().lower()


@cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common-passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why a password is refused, or None when it is acceptable: at least 12 characters, long
    passphrases welcome, no composition rules, not a common password, not the e-mail address."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > 256:
        return _("The password may have at most %(n)d characters.", n=256)
    folded = password.strip().lower()
    if folded in _common_passwords() or (
        email and folded in (email.lower(), email.lower().split("@")[0])
    ):
        return _(
            "This password is too common or too easy to guess; choose another, e.g. a long phrase."
        )
    return None


def check_role_unit(role: Role, unit: Unit | None) -> None:
    """Admins need no unit; DIC staff and leaders belong to a provincial unit; VNPT users to a
    VNPT unit (a branch, or headquarters for national users)."""
    if role is None:
        raise AccountError(_("Choose the role of the account."), "role")
    if role == Role.admin:
        return
    if unit is None:
        raise AccountError(_("A user with this role must belong to a unit."), "unit_id")
    if role == Role.vnpt and unit.side != "vnpt":
        raise AccountError(_("A VNPT counterpart must belong to a VNPT unit."), "unit_id")
    if role == Role.dic and (unit.side != "province" or unit.province_id is None):
        raise AccountError(_("A DIC officer must belong to a unit of a province."), "unit_id")


def default_unit_for(role: Role) -> Unit | None:
    """The unit of a national VNPT user created without one: VNPT headquarters."""
    if role != Role.vnpt:
        return None
    return db.session.scalars(
        sa.select(Unit).where(Unit.kind == UnitKind.vnpt_hq).order_by(Unit.id).limit(1)
    ).first()


def _checked_email(email: str, *, own_id: int | None = None) -> str:
    """The address as stored (trimmed, lower case), refused when malformed or already used."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError(_("Enter a valid e-mail address."), "email")
    clash = db.session.scalar(
        sa.select(User.id).where(User.email == email, User.id != (own_id or -1))
    )
    if clash is not None:
        raise AccountError(_("An account with this e-mail address already exists."), "email")
    return email


def _check_password(password: str, *, email: str) -> None:
    problem = password_problem(password, email=email)
    if problem:
        raise AccountError(problem, "password")


def create_user(
    *,
    email: str,
    password: str,
    role: Role,
    unit: Unit | None,
    full_name: str = "",
    active: bool = True,
) -> User:
    """Create an account after checking the e-mail, the password and the role's unit (a
    national VNPT user without one belongs to VNPT headquarters)."""
    email = _checked_email(email)
    if not password:
        raise AccountError(_("This field is required."), "password")
    _check_password(password, email=email)
    unit = unit or default_unit_for(role)
    check_role_unit(role, unit)
    refuse_ended(unit, local_today(), "unit_id")
    user = User(
        email=email,
        full_name=(full_name or "").strip() or email.split("@")[0],
        role=role,
        unit=unit,
        active=active,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User,
    *,
    actor: User,
    email: str,
    full_name: str,
    role: Role,
    unit: Unit | None,
    active: bool,
    password: str | None = None,
    version=None,
) -> User:
    """An administrator changes an account. A new password or disabling the account ends its
    open sessions; administrators cannot remove their own rights or disable themselves."""
    if actor.role != Role.admin:
        raise NotAllowed()
    check_version(user, version)
    email = _checked_email(email, own_id=user.id)
    if password:
        _check_password(password, email=email)
    check_role_unit(role, unit)
    refuse_ended(unit, local_today(), "unit_id", keep=[user.unit])
    if user.id == actor.id and (role != Role.admin or not active):
        raise AccountError(
            _("You cannot remove your own administrator rights or disable yourself."), "role"
        )
    if password:
        user.set_password(password)
        user.renew_session_token()
    if user.active and not active:
        user.renew_session_token()  # a disabled account's open sessions end now
    user.email, user.full_name, user.role, user.unit, user.active = (
        email,
        (full_name or "").strip() or email.split("@")[0],
        role,
        unit,
        active,
    )
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer whatever is wrong)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        # Spend the same time as a real check, so timing does not tell which e-mails exist.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password")


#: Failed sign-ins allowed in the window, per account (e-mail) and per address.
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
LOCKOUT_WINDOW = timedelta(minutes=15)


def sign_in_locked(email: str, address: str) -> bool:
    """Too many recent failures for this e-mail (existing or not) or from this address.

    The attempts are rows in the database, so the count is shared by every worker process."""
    since = utcnow() - LOCKOUT_WINDOW
    failures = (
        sa.select(sa.func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    )
    by_account = db.session.scalar(failures.where(LoginAttempt.email == normalise_email(email)))
    by_address = db.session.scalar(failures.where(LoginAttempt.address == address))
    return by_account >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS


def record_attempt(email: str, address: str, success: bool) -> None:
    """Remember a sign-in attempt; a success clears the account's earlier failures."""
    email = normalise_email(email)[:254]
    if success:
        db.session.execute(
            sa.delete(LoginAttempt).where(
                LoginAttempt.email == email, LoginAttempt.success.is_(False)
            )
        )
    db.session.add(LoginAttempt(email=email, address=(address or "?")[:64], success=success))
