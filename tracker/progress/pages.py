"""What the progress package adds to the agreement package's pages: the agreement page's
figures as of a date, the commitment page's reporting periods and reports. Connected to the
signals of tracker/agreements/signals.py when this module is imported (by the app factory)."""

import sqlalchemy as sa

from tracker.agreements.signals import agreement_page, commitment_page
from tracker.clock import local_today
from tracker.extensions import db
from tracker.progress import figures, services
from tracker.progress.health import Health
from tracker.progress.models import ProgressReport, ReportingPeriod
from tracker.progress.permissions import can_report
from tracker.progress.services import effective_deadlines


@agreement_page.connect
def agreement_figures(agreement, *, args) -> dict:
    """The agreement's figures as of the asked date (``?as_of=``), or its default date; a bad
    date answers 400 with the figures of the default date."""
    wanted, as_of_error = figures.asked_as_of(args.get("as_of"))
    result = figures.agreement_figures(agreement, wanted, with_compliance=False)
    return {
        "as_of": result.as_of,
        "as_of_error": as_of_error,
        "figures": result,
        "status": result.status,
        "healths": {member: str(member.label) for member in Health},
        "http_status": 400 if as_of_error else 200,
    }


@commitment_page.connect
def commitment_reports(commitment, *, user) -> dict:
    """The commitment's reporting periods so far, its report of each, each period's deadline
    (extensions included), which reports may be written now (the services' own rule, a returned
    report's resubmission window included), and its extension requests with their decisions."""
    today = local_today()
    periods = db.session.scalars(
        sa.select(ReportingPeriod)
        .where(
            ReportingPeriod.agreement_id == commitment.agreement_id,
            ReportingPeriod.starts_on <= today,
        )
        .order_by(ReportingPeriod.starts_on.desc())
    ).all()
    reports = {
        r.period_id: r
        for r in db.session.scalars(
            sa.select(ProgressReport).where(ProgressReport.commitment_id == commitment.id)
        )
    }
    deadlines = effective_deadlines(periods, commitment.id)
    open_until = {
        p.id: services.report_open_until(
            p, commitment.id, reports.get(p.id), deadline_on=deadlines[p.id]
        )
        for p in periods
    }
    extensions = services.extensions_of(commitment)
    return {
        "can_report": can_report(user, commitment) and commitment.agreement.editable,
        "periods": periods,
        "reports": reports,
        "deadlines": deadlines,
        "open_until": open_until,
        "open_periods": {
            p.id for p in periods if p.accepts_reports(today, deadline=open_until[p.id])
        },
        "extensions": list(reversed(extensions)),
        "extendable": {
            ("period", p.id)
            for p in periods
            if services.can_ask_extension(user, commitment, extensions, period=p)
        }
        | {
            ("milestone", m.id)
            for m in commitment.milestones
            if services.can_ask_extension(user, commitment, extensions, milestone=m)
        },
        "last_refused": services.last_refused(extensions),
    }
