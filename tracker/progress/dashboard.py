"""Dashboards: one agreement; the agreements of a province; the national view."""

from collections import Counter, defaultdict

import sqlalchemy as sa
from flask import Blueprint, abort, g, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from tracker.agreements.models import (
    Agreement,
    Area,
    Commitment,
    Completion,
    Directive,
    Measurement,
    Milestone,
    sum_known,
)
from tracker.agreements.queries import agreement_full
from tracker.auth.permissions import agreements_visible_to, can_view_agreement, province_scope
from tracker.db import fold, local_today
from tracker.extensions import db
from tracker.org.models import Province, Unit
from tracker.progress.charts import indicator_chart
from tracker.progress.health import Health
from tracker.progress.models import ProgressReport, ReportingPeriod, ReportStatus
from tracker.progress.queries import commitment_status

bp = Blueprint("dashboard", __name__)

MAX_CHARTS = 8


def _visible(agreement):
    if agreement is None or not can_view_agreement(current_user, agreement):
        abort(404)
    return agreement


def current_period(agreement_id: int, today):
    """The period being reported on: the latest one whose data window has started."""
    return db.session.scalar(
        sa.select(ReportingPeriod)
        .where(
            ReportingPeriod.agreement_id == agreement_id,
            ReportingPeriod.starts_on <= today,
            ReportingPeriod.kind
            == sa.select(Agreement.reporting_frequency)
            .where(Agreement.id == agreement_id)
            .scalar_subquery(),
        )
        .order_by(ReportingPeriod.starts_on.desc())
        .limit(1)
    )


@bp.route("/agreements/<code>/dashboard")
@login_required
def agreement(code):
    """Where one agreement stands: by area, by health, what is late, indicators, money, reporting."""
    item = _visible(agreement_full(code))
    today = local_today()
    status = commitment_status([item], today)
    commitments = [c for area in item.areas for c in area.commitments]
    active = [c for c in commitments if c.completion != Completion.withdrawn]

    areas = []
    for area in item.areas:
        rows = [c for c in area.commitments if c.completion != Completion.withdrawn]
        areas.append(
            {
                "area": area,
                "count": len(rows),
                "done": sum(1 for c in rows if status[c.id].health == Health.done),
                "percent": round(sum(c.percent_complete for c in rows) / len(rows)) if rows else 0,
                "planned": sum_known(c.budget_vnd for c in area.commitments),
                "spent": sum(status[c.id].spent_vnd for c in area.commitments),
            }
        )
    health = Counter(status[c.id].health for c in active)

    late_milestones = db.session.execute(
        sa.select(Milestone, Commitment)
        .join(Commitment, Commitment.id == Milestone.commitment_id)
        .where(
            Commitment.agreement_id == item.id,
            Milestone.done_on.is_(None),
            Milestone.due_on < today,
        )
        .options(selectinload(Commitment.lead_unit))
        .order_by(Milestone.due_on)
        .limit(50)
    ).all()
    overdue_directives = [d for d in item.directives if d.is_overdue(today)]

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
                end=i.target_on or by_id[i.commitment_id].due_on or item.period_end,
                points=series[i.id],
            ),
        }
        for i in candidates
    ]

    period = current_period(item.id, today)
    compliance = []
    if period is not None:
        reports = dict(
            db.session.execute(
                sa.select(ProgressReport.commitment_id, ProgressReport.status).where(
                    ProgressReport.period_id == period.id
                )
            ).all()
        )
        units = defaultdict(lambda: {"expected": 0, "reported": 0, "verified": 0})
        unit_objs = {}
        by_id = {u.id: u for u in g.get("_org", []) if isinstance(u, Unit)}
        for c in active:
            unit = by_id[c.lead_unit_id].current(today)
            unit_objs[unit.id] = unit
            state = reports.get(c.id)
            units[unit.id]["expected"] += 1
            if state in (ReportStatus.submitted, ReportStatus.verified):
                units[unit.id]["reported"] += 1
            if state == ReportStatus.verified:
                units[unit.id]["verified"] += 1
        compliance = sorted(
            ({"unit": unit_objs[uid], **counts} for uid, counts in units.items()),
            key=lambda row: (row["reported"] / row["expected"], row["unit"].name),
        )
    return render_template(
        "progress/dashboard.html",
        agreement=item,
        areas=areas,
        health=health,
        healths=list(Health),
        total=len(active),
        late_milestones=late_milestones,
        overdue_directives=overdue_directives,
        charts=charts,
        period=period,
        compliance=compliance,
        today=today,
        planned=sum_known(a["planned"] for a in areas),
        spent=sum(a["spent"] for a in areas),
        percent=round(sum(c.percent_complete for c in active) / len(active)) if active else 0,
    )


@bp.route("/agreements/<code>/commitments")
@login_required
def commitments(code):
    """The commitments behind a dashboard figure: filter by health, area or lead unit."""
    item = _visible(agreement_full(code))
    today = local_today()
    status = commitment_status([item], today)
    health = request.args.get("health", "")
    area_id = request.args.get("area", type=int)
    unit_id = request.args.get("unit", type=int)
    rows = []
    for area in item.areas:
        if area_id and area.id != area_id:
            continue
        for c in area.commitments:
            st = status[c.id]
            if health and (st.health is None or st.health.value != health):
                continue
            if unit_id and c.lead_unit.current(today).id != unit_id and c.lead_unit_id != unit_id:
                continue
            rows.append((c, st))
    unit = db.session.get(Unit, unit_id) if unit_id else None
    area = db.session.get(Area, area_id) if area_id else None
    return render_template(
        "progress/commitments.html",
        agreement=item,
        rows=rows,
        health=health,
        healths=list(Health),
        area=area,
        unit=unit,
    )


@bp.route("/dashboard")
@login_required
def overview():
    """Provinces (national users) or the agreements of the user's province, with their state."""
    today = local_today()
    agreements = db.session.scalars(
        agreements_visible_to(current_user)
        .options(selectinload(Agreement.province))
        .order_by(Agreement.period_start.desc())
    ).all()
    province_id = request.args.get("province", type=int)
    if province_id:
        scope = province_scope(current_user)
        if scope is not None and province_id not in scope:
            abort(404)
        province = db.session.get(Province, province_id)
        if province is None:
            abort(404)
        wanted = {
            p.id
            for p in db.session.scalars(sa.select(Province))
            if p.current(today).id == province.current(today).id
        }
        agreements = [a for a in agreements if a.province_id in wanted]
    status = commitment_status(agreements, today)
    by_agreement = defaultdict(list)
    rows = db.session.execute(
        sa.select(
            Commitment.id,
            Commitment.agreement_id,
            Commitment.percent_complete,
            Commitment.completion,
        ).where(Commitment.agreement_id.in_([a.id for a in agreements] or [-1]))
    ).all()
    for cid, aid, percent, completion in rows:
        if completion != Completion.withdrawn:
            by_agreement[aid].append((status[cid].health, percent))
    summary = []
    for a in agreements:
        items = by_agreement[a.id]
        summary.append(
            {
                "agreement": a,
                "count": len(items),
                "health": Counter(h for h, _ in items),
                "percent": round(sum(p for _, p in items) / len(items)) if items else 0,
            }
        )
    provinces = defaultdict(
        lambda: {"agreements": 0, "count": 0, "health": Counter(), "percent_sum": 0}
    )
    for row in summary:
        today_province = row["agreement"].province.current(today)
        entry = provinces[today_province]
        entry["agreements"] += 1
        entry["count"] += row["count"]
        entry["health"].update(row["health"])
        entry["percent_sum"] += row["percent"] * row["count"]
    overdue = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Directive)
        .where(
            Directive.agreement_id.in_([a.id for a in agreements] or [-1]),
            Directive.done_on.is_(None),
            Directive.due_on < today,
        )
    )
    by_name = sorted(provinces.items(), key=lambda item: fold(item[0].name))
    return render_template(
        "progress/overview.html",
        summary=summary,
        provinces=by_name,
        healths=list(Health),
        national=current_user.is_national and not province_id,
        overdue=overdue,
        today=today,
    )
