"""Administration (administrators only): provinces, units, accounts and the audit log. The
screens only bind forms and call the org and auth services, which hold the rules."""

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker import audit
from tracker.admin import queries
from tracker.admin.forms import ProvinceForm, UnitForm, UserForm
from tracker.auth import services as accounts
from tracker.auth.models import Role, User
from tracker.auth.permissions import roles_required
from tracker.clock import local_today
from tracker.collation import by_name
from tracker.extensions import db
from tracker.forms import int_arg, options, page_arg, save_with
from tracker.i18n import _
from tracker.org import services as org
from tracker.org.models import Province, Unit
from tracker.org.queries import provinces_existing_on, units_existing_on
from tracker.text import fold

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _successor_choices(model, exclude_id=None):
    rows = db.session.scalars(sa.select(model).order_by(by_name(model.name))).all()
    return options(
        [(0, "—")] + [(r.id, f"{r.name} ({r.code})") for r in rows if r.id != exclude_id]
    )


def _succession(form) -> dict:
    return {
        "valid_from": form.valid_from.data,
        "valid_to": form.valid_to.data,
        "successor_id": form.successor_id.data or None,
        "change_kind": form.change_kind.data or None,
    }


def _load(model, record_id):
    record = db.session.get(model, record_id) if record_id else None
    if record_id and record is None:
        abort(404)
    return record


def _form_page(form, *, cancel, title):
    return render_template("agreements/form.html", form=form, cancel=cancel, title=title)


# -- provinces -----------------------------------------------------------------------------------


@bp.route("/provinces")
@roles_required(Role.admin)
def provinces():
    """Provinces with their validity and successors."""
    rows = db.session.scalars(
        sa.select(Province).order_by(Province.valid_to.is_not(None), by_name(Province.sort_name))
    ).all()
    return render_template("admin/provinces.html", provinces=rows)


@bp.route("/provinces/new", methods=["GET", "POST"])
@bp.route("/provinces/<int:province_id>/edit", methods=["GET", "POST"], endpoint="edit_province")
@roles_required(Role.admin)
def new_province(province_id=None):
    """Create or edit a province."""
    province = _load(Province, province_id)
    form = ProvinceForm(obj=province)
    form.successor_id.choices = _successor_choices(Province, province_id)
    if request.method == "GET" and province is not None:
        form.successor_id.data = province.successor_id or 0
        form.change_kind.data = province.change_kind.value if province.change_kind else ""

    def save():
        org.save_province(
            province,
            code=form.code.data,
            name=form.name.data,
            is_city=form.is_city.data,
            version=form.version.data,
            **_succession(form),
        )

    if form.validate_on_submit() and save_with(form, save, stale_obj=province):
        flash(_("The province has been saved."), "success")
        return redirect(url_for(".provinces"))
    return _form_page(
        form,
        cancel=url_for(".provinces"),
        title=_("Edit province") if province else _("New province"),
    )


# -- units ---------------------------------------------------------------------------------------


@bp.route("/units")
@roles_required(Role.admin)
def units():
    """All units, with who carries on those that no longer exist."""
    q = request.args.get("q", "").strip()[:200]
    query = sa.select(Unit).order_by(Unit.valid_to.is_not(None), Unit.side, by_name(Unit.name))
    rows = db.session.scalars(query).all()
    if q:
        needle = fold(q)
        rows = [
            u
            for u in rows
            if needle in fold(f"{u.code} {u.name} {u.province.name if u.province else ''}")
        ]
    return render_template("admin/units.html", units=rows, q=q)


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"], endpoint="edit_unit")
@roles_required(Role.admin)
def new_unit(unit_id=None):
    """Create or edit a unit."""
    unit = _load(Unit, unit_id)
    form = UnitForm(obj=unit)
    form.successor_id.choices = _successor_choices(Unit, unit_id)
    # Only the provinces existing today, and the unit's own even if it has ended.
    provinces = provinces_existing_on(local_today(), keep=[unit.province] if unit else [])
    form.province_id.choices = options(
        [(0, _("— national —"))] + [(p.id, p.name) for p in provinces]
    )
    if request.method == "GET" and unit is not None:
        form.successor_id.data = unit.successor_id or 0
        form.province_id.data = unit.province_id or 0
        form.change_kind.data = unit.change_kind.value if unit.change_kind else ""

    def save():
        org.save_unit(
            unit,
            code=form.code.data,
            name=form.name.data,
            short_name=form.short_name.data,
            kind=form.kind.data,
            side=form.side.data,
            province_id=form.province_id.data,
            version=form.version.data,
            **_succession(form),
        )

    if form.validate_on_submit() and save_with(form, save, stale_obj=unit):
        flash(_("The unit has been saved."), "success")
        return redirect(url_for(".units"))
    return _form_page(
        form, cancel=url_for(".units"), title=_("Edit unit") if unit else _("New unit")
    )


# -- accounts ------------------------------------------------------------------------------------


@bp.route("/users")
@roles_required(Role.admin)
def users():
    """User accounts."""
    rows = db.session.scalars(
        sa.select(User).order_by(User.role, by_name(User.full_name), User.email)
    ).all()
    return render_template("admin/users.html", users=rows)


def _unit_choices(account):
    """The units existing today, and the account's own unit even if it has ended."""
    units = units_existing_on(local_today(), keep=[account.unit] if account else [])
    return options([(0, "—")] + [(u.id, f"{u.name} ({u.code})") for u in units])


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"], endpoint="edit_user")
@roles_required(Role.admin)
def new_user(user_id=None):
    """Create or edit an account."""
    account = _load(User, user_id)
    form = UserForm(obj=account)
    form.unit_id.choices = _unit_choices(account)
    if request.method == "GET" and account is not None:
        form.unit_id.data = account.unit_id or 0

    def save():
        fields = {
            "email": form.email.data,
            "full_name": form.full_name.data,
            "role": Role(form.role.data) if form.role.data else None,
            "unit": db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None,
            "active": form.active.data,
        }
        if account is None:
            accounts.create_user(password=form.password.data, **fields)
        else:
            accounts.update_user(
                account,
                actor=current_user,
                password=form.password.data,
                version=form.version.data,
                **fields,
            )

    if form.validate_on_submit() and save_with(form, save, stale_obj=account):
        flash(_("The account has been saved."), "success")
        return redirect(url_for(".users"))
    return _form_page(
        form,
        cancel=url_for(".users"),
        title=_("Edit account") if account else _("New account"),
    )


# -- audit log -----------------------------------------------------------------------------------


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/history")
@roles_required(Role.admin)
def audit_log():
    """Search every recorded change: by text, kind of record, person and date."""
    q = request.args.get("q", "").strip()[:200]
    entity = request.args.get("entity", "")[:40]
    actor = int_arg("actor")
    date_from, date_to = _date_arg("from"), _date_arg("to")
    pagination = db.paginate(
        queries.search_history(
            q=q, entity=entity, actor_id=actor, date_from=date_from, date_to=date_to
        ),
        page=page_arg(),
        per_page=50,
        error_out=False,
    )
    users = db.session.scalars(sa.select(User).order_by(by_name(User.full_name))).all()
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
