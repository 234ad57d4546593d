"""Dashboards: one agreement; the agreements of a province; the national view. Every figure comes
from `tracker.progress.figures`, judged as of a date the page states (`?as_of=YYYY-MM-DD`)."""

from collections import defaultdict

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from tracker.agreements import rules
from tracker.agreements.models import Agreement, Area, Measurement
from tracker.agreements.permissions import agreements_visible_to, can_view_agreement
from tracker.agreements.queries import agreement_full
from tracker.auth.permissions import province_scope
from tracker.clock import local_today
from tracker.collation import sort_key
from tracker.extensions import db
from tracker.forms import int_arg
from tracker.org.models import Province, Unit
from tracker.progress import figures, lists
from tracker.progress.charts import indicator_chart
from tracker.progress.health import Health

bp = Blueprint("dashboard", __name__)

MAX_CHARTS = 8


def _visible(agreement):
    if agreement is None or not can_view_agreement(current_user, agreement):
        abort(404)
    return agreement


def requested_as_of():
    """The `?as_of=` of the request, or None and why it is refused."""
    return figures.asked_as_of(request.args.get("as_of"))


def _page(template, error, **context):
    """Render a figures page; 400 when its `?as_of=` was refused."""
    return render_template(template, as_of_error=error, **context), 400 if error else 200


@bp.route("/agreements/<code>/dashboard")
@login_required
def agreement(code):
    """Where one agreement stands: by area, by health, what is late, indicators, money, reporting."""
    item = _visible(agreement_full(code))
    wanted, error = requested_as_of()
    result = figures.agreement_figures(item, wanted)
    as_of, status = result.as_of, result.status
    commitments = [c for area in item.areas for c in area.commitments]

    late_milestones = figures.late_milestones(item, as_of)
    overdue_directives = [d for d in item.directives if d.is_overdue(as_of)]

    # Indicator charts: priority commitments first, only indicators with verified values.
    order = {
        c.id: (not c.priority, area.position, c.position)
        for area in item.areas
        for c in area.commitments
    }
    candidates = sorted(
        (i for c in commitments for i in status[c.id].indicators if i.actual is not None),
        key=lambda i: order[i.commitment_id],
    )[:MAX_CHARTS]
    series = defaultdict(list)
    if candidates:
        for ind_id, on, value in db.session.execute(
            sa.select(Measurement.indicator_id, Measurement.measured_on, Measurement.value)
            .where(
                Measurement.indicator_id.in_([i.id for i in candidates]),
                Measurement.verified.is_(True),
                figures.measurement_counted(Measurement, as_of),
            )
            .order_by(Measurement.measured_on)
        ):
            series[ind_id].append((on, value))
    by_id = {c.id: c for c in commitments}
    charts = [
        {
            "indicator": i,
            "commitment": by_id[i.commitment_id],
            "svg": indicator_chart(
                title=i.name,
                unit=i.unit,
                baseline=i.baseline,
                target=i.target,
                start=item.period_start,
                end=i.end_on,
                points=series[i.id],
            ),
        }
        for i in candidates
    ]
    return _page(
        "progress/dashboard.html",
        error,
        agreement=item,
        figures=result,
        areas={a.id: a for a in item.areas},
        healths=list(Health),
        late_milestones=late_milestones,
        overdue_directives=overdue_directives,
        charts=charts,
        as_of=as_of,
    )


@bp.route("/agreements/<code>/commitments")
@login_required
def commitments(code):
    """The commitments behind a dashboard figure: filter by health, area or lead unit."""
    item = _visible(agreement_full(code))
    wanted, error = requested_as_of()
    as_of = rules.as_of_for(item, wanted)
    status = figures.commitment_status([item], as_of)
    rows = [
        lists.CommitmentRow(c, status[c.id], area, c.lead_unit.current(as_of))
        for area in item.areas
        for c in area.commitments
    ]
    shown = lists.COMMITMENTS.show(rows)
    if shown.exporting and not error:
        return shown.download(f"cam-ket-{item.code}-{as_of.isoformat()}")
    health = shown.values.get("health", "")
    area_id, unit_id = shown.values.get("area"), shown.values.get("unit")
    unit = db.session.get(Unit, int(unit_id)) if unit_id else None
    area = db.session.get(Area, int(area_id)) if area_id else None
    page, status_code = _page(
        "progress/commitments.html",
        error,
        agreement=item,
        shown=shown,
        health=health,
        healths=list(Health),
        area=area,
        unit=unit,
        as_of=as_of,
    )
    return page, max(status_code, shown.status)


@bp.route("/dashboard")
@login_required
def overview():
    """Provinces (national users) or the agreements of the user's province, with their state."""
    today = local_today()
    wanted, error = requested_as_of()
    as_of = wanted or today
    agreements = db.session.scalars(
        agreements_visible_to(current_user)
        .options(selectinload(Agreement.province))
        .order_by(Agreement.period_start.desc())
    ).all()
    province_id = int_arg("province")
    if province_id:
        scope = province_scope(current_user)
        if scope is not None and province_id not in scope:
            abort(404)
        province = db.session.get(Province, province_id)
        if province is None:
            abort(404)
        wanted_ids = {
            p.id
            for p in db.session.scalars(sa.select(Province))
            if p.current(today).id == province.current(today).id
        }
        agreements = [a for a in agreements if a.province_id in wanted_ids]
    summary, overdue = figures.agreements_overview(agreements, wanted)
    provinces = defaultdict(lambda: {"agreements": 0, "tally": figures.Tally()})
    for row in summary:
        entry = provinces[row["agreement"].province.current(today)]
        entry["agreements"] += 1
        entry["tally"].merge(row["tally"])
    by_name = sorted(provinces.items(), key=lambda item: sort_key(item[0].sort_name))
    return _page(
        "progress/overview.html",
        error,
        summary=summary,
        provinces=by_name,
        healths=list(Health),
        national=current_user.is_national and not province_id,
        overdue=overdue,
        as_of=as_of,
        closed_earlier=any(row["as_of"] < as_of for row in summary),
    )
