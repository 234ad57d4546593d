"""Administration: provinces, units and user accounts (admins only)."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from tracker.auth.forms import UserForm
from tracker.auth.models import Role, User
from tracker.auth.permissions import roles_required
from tracker.auth.services import (
    EMAIL_RE,
    AccountError,
    check_role_unit,
    normalise_email,
    password_problem,
)
from tracker.errors import InvalidValue, check_version
from tracker.extensions import db
from tracker.forms import int_arg, options, page_arg, save_with
from tracker.i18n import _
from tracker.org.forms import ProvinceForm, UnitForm
from tracker.org.models import ChangeKind, Province, Side, Unit, UnitKind

bp = Blueprint("org", __name__, url_prefix="/admin")


def _successor_choices(model, exclude_id=None):
    rows = db.session.scalars(sa.select(model).order_by(model.name)).all()
    return options(
        [(0, "—")] + [(r.id, f"{r.name} ({r.code})") for r in rows if r.id != exclude_id]
    )


def _succession(form) -> dict:
    return {
        "valid_from": form.valid_from.data,
        "valid_to": form.valid_to.data,
        "successor_id": form.successor_id.data or None,
        "change_kind": ChangeKind(form.change_kind.data) if form.change_kind.data else None,
    }


def _unique(model, code: str, own_id):
    clash = db.session.scalar(
        sa.select(model.id).where(
            sa.func.lower(model.code) == code.lower(), model.id != (own_id or -1)
        )
    )
    if clash is not None:
        raise InvalidValue(_("The code %(code)s is already used.", code=code), "code")


def _no_cycle(obj, successor_id):
    seen = {obj.id} if obj.id else set()
    node = db.session.get(type(obj), successor_id) if successor_id else None
    while node is not None:
        if node.id in seen:
            raise InvalidValue(
                _("The successor chain would loop back to this record."), "successor_id"
            )
        seen.add(node.id)
        node = node.successor


@bp.route("/provinces")
@roles_required(Role.admin)
def provinces():
    """Provinces with their validity and successors."""
    rows = db.session.scalars(
        sa.select(Province).order_by(Province.valid_to.is_not(None), Province.name)
    ).all()
    return render_template("org/provinces.html", provinces=rows)


@bp.route("/provinces/new", methods=["GET", "POST"])
@bp.route("/provinces/<int:province_id>/edit", methods=["GET", "POST"], endpoint="edit_province")
@roles_required(Role.admin)
def new_province(province_id=None):
    """Create or edit a province."""
    province = db.session.get(Province, province_id) if province_id else None
    if province_id and province is None:
        abort(404)
    form = ProvinceForm(obj=province)
    form.successor_id.choices = _successor_choices(Province, province_id)
    if request.method == "GET" and province is not None:
        form.successor_id.data = province.successor_id or 0
        form.change_kind.data = province.change_kind.value if province.change_kind else ""

    def save():
        target = province or Province()
        if province is not None:
            check_version(province, form.version.data)
        _unique(Province, form.code.data, province_id)
        _no_cycle(target, form.successor_id.data)
        for key, value in {
            "code": form.code.data,
            "name": form.name.data,
            "is_city": form.is_city.data,
            **_succession(form),
        }.items():
            setattr(target, key, value)
        db.session.add(target)
        db.session.flush()

    if form.validate_on_submit() and save_with(form, save, stale_obj=province):
        flash(_("The province has been saved."), "success")
        return redirect(url_for(".provinces"))
    return render_template(
        "agreements/form.html",
        form=form,
        cancel=url_for(".provinces"),
        title=_("Edit province") if province else _("New province"),
    )


@bp.route("/units")
@roles_required(Role.admin)
def units():
    """All units, with who carries on those that no longer exist."""
    q = request.args.get("q", "").strip()
    query = sa.select(Unit).order_by(Unit.valid_to.is_not(None), Unit.side, Unit.name)
    rows = db.session.scalars(query).all()
    if q:
        from tracker.db import fold

        needle = fold(q)
        rows = [
            u
            for u in rows
            if needle in fold(f"{u.code} {u.name} {u.province.name if u.province else ''}")
        ]
    return render_template("org/units.html", units=rows, q=q)


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"], endpoint="edit_unit")
@roles_required(Role.admin)
def new_unit(unit_id=None):
    """Create or edit a unit."""
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit_id and unit is None:
        abort(404)
    form = UnitForm(obj=unit)
    form.successor_id.choices = _successor_choices(Unit, unit_id)
    form.province_id.choices = options(
        [(0, _("— national —"))]
        + [(p.id, p.name) for p in db.session.scalars(sa.select(Province).order_by(Province.name))]
    )
    if request.method == "GET" and unit is not None:
        form.successor_id.data = unit.successor_id or 0
        form.province_id.data = unit.province_id or 0
        form.change_kind.data = unit.change_kind.value if unit.change_kind else ""

    def save():
        target = unit or Unit()
        if unit is not None:
            check_version(unit, form.version.data)
        _unique(Unit, form.code.data, unit_id)
        _no_cycle(target, form.successor_id.data)
        for key, value in {
            "code": form.code.data,
            "name": form.name.data,
            "short_name": form.short_name.data or None,
            "kind": UnitKind(form.kind.data),
            "side": Side(form.side.data),
            "province_id": form.province_id.data or None,
            **_succession(form),
        }.items():
            setattr(target, key, value)
        db.session.add(target)
        db.session.flush()

    if form.validate_on_submit() and save_with(form, save, stale_obj=unit):
        flash(_("The unit has been saved."), "success")
        return redirect(url_for(".units"))
    return render_template(
        "agreements/form.html",
        form=form,
        cancel=url_for(".units"),
        title=_("Edit unit") if unit else _("New unit"),
    )


@bp.route("/users")
@roles_required(Role.admin)
def users():
    """User accounts."""
    rows = db.session.scalars(sa.select(User).order_by(User.role, User.email)).all()
    return render_template("org/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"], endpoint="edit_user")
@roles_required(Role.admin)
def new_user(user_id=None):
    """Create or edit an account."""
    account = db.session.get(User, user_id) if user_id else None
    if user_id and account is None:
        abort(404)
    form = UserForm(obj=account)
    form.unit_id.choices = options(
        [(0, "—")]
        + [
            (u.id, f"{u.name} ({u.code})")
            for u in db.session.scalars(
                sa.select(Unit).where(Unit.valid_to.is_(None)).order_by(Unit.side, Unit.name)
            )
        ]
        + (
            [(account.unit.id, account.unit.name)]
            if account and account.unit and account.unit.valid_to
            else []
        )
    )
    if request.method == "GET" and account is not None:
        form.unit_id.data = account.unit_id or 0

    def save():
        target = account or User()
        if account is not None:
            check_version(account, form.version.data)
        email = normalise_email(form.email.data)
        if not EMAIL_RE.match(email):
            raise InvalidValue(_("Enter a valid e-mail address."), "email")
        clash = db.session.scalar(
            sa.select(User.id).where(User.email == email, User.id != (user_id or -1))
        )
        if clash is not None:
            raise InvalidValue(_("An account with this e-mail address already exists."), "email")
        if account is None and not form.password.data:
            raise InvalidValue(_("This field is required."), "password")
        if form.password.data:
            problem = password_problem(form.password.data, email=form.email.data or "")
            if problem:
                raise InvalidValue(problem, "password")
            target.set_password(form.password.data)
            target.renew_session_token()
        role = Role(form.role.data)
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
        try:
            check_role_unit(role, unit)
        except AccountError as exc:
            raise InvalidValue(str(exc), "unit_id") from None
        if (
            account is not None
            and account.id == _current_user_id()
            and (role != Role.admin or not form.active.data)
        ):
            raise InvalidValue(
                _("You cannot remove your own administrator rights or disable yourself."), "role"
            )
        target.email, target.full_name, target.role, target.unit = (
            email,
            form.full_name.data,
            role,
            unit,
        )
        if target.active and not form.active.data:
            target.renew_session_token()  # a disabled account's open sessions end now
        target.active = form.active.data
        db.session.add(target)
        db.session.flush()

    if form.validate_on_submit() and save_with(form, save, stale_obj=account):
        flash(_("The account has been saved."), "success")
        return redirect(url_for(".users"))
    return render_template(
        "agreements/form.html",
        form=form,
        cancel=url_for(".users"),
        title=_("Edit account") if account else _("New account"),
    )


def _current_user_id():
    from flask_login import current_user

    return current_user.id


@bp.route("/history")
@roles_required(Role.admin)
def audit_log():
    """Search every recorded change: by text, kind of record, person and date."""
    from datetime import date, datetime, time, timedelta

    from tracker import audit

    q = request.args.get("q", "").strip()[:200]
    entity = request.args.get("entity", "")
    actor = int_arg("actor")

    def parse(name):
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    date_from, date_to = parse("from"), parse("to")
    query = audit.history()
    if entity:
        query = query.where(audit.AuditEntry.entity_type == entity)
    if actor:
        query = query.where(audit.AuditEntry.actor_id == actor)
    if date_from:
        query = query.where(audit.AuditEntry.at >= datetime.combine(date_from, time.min))
    if date_to:
        query = query.where(
            audit.AuditEntry.at < datetime.combine(date_to + timedelta(days=1), time.min)
        )
    if q:
        needle = f"%{q.replace(chr(92), chr(92) * 2).replace('%', chr(92) + '%').replace('_', chr(92) + '_')}%"
        query = query.where(
            sa.or_(
                sa.cast(audit.AuditEntry.changes, sa.Text).ilike(needle, escape="\\"),
                audit.AuditEntry.reason.ilike(needle, escape="\\"),
            )
        )
    page = page_arg()
    pagination = db.paginate(query, page=page, per_page=50, error_out=False)
    users = db.session.scalars(sa.select(User).order_by(User.full_name)).all()
    return render_template(
        "audit/search.html",
        pagination=pagination,
        q=q,
        entity=entity,
        actor=actor,
        date_from=date_from,
        date_to=date_to,
        users=users,
        **audit.labels(pagination.items),
    )
