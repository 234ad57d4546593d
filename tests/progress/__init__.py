"""Helpers shared by the progress tests: an app with the to-do blueprint and the `remind`
command, and builders for reporting periods, reports and extensions."""

import itertools
from datetime import date, timedelta

from tests import factories
from tracker import create_app
from tracker.agreements.models import AgreementStatus, PeriodKind
from tracker.notifications.digest import remind_command
from tracker.progress.feeds import bp
from tracker.progress.models import (
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)


def app_with_todo(app):
    """A fresh app on the suite's database (the session app has served requests, so nothing
    can be registered on it any more) with the to-do blueprint and the `remind` command, unless
    the factory registers them already."""

    fresh = create_app(dict(app.config))
    fresh.test_client_class = app.test_client_class
    if "todo" not in fresh.blueprints:
        fresh.register_blueprint(bp)
    if "remind" not in fresh.cli.commands:
        fresh.cli.add_command(remind_command)
    return fresh


def sign(agreement, on=date(2020, 3, 1), status=AgreementStatus.in_force):
    """Make an agreement signed and in force (reports are due only then)."""
    agreement.signed_on = on
    agreement.status = status
    factories.db.session.flush()
    return agreement


def period(
    agreement, *, starts_on, deadline_on, number=None, year=None, kind=PeriodKind.quarter, **kw
):
    """A reporting period; `year` defaults to a value unique in the run (the constraint is on
    agreement, kind, year and number)."""
    p = ReportingPeriod(
        agreement=agreement,
        kind=kind,
        year=year or 2000 + next(_years),
        number=number or 1,
        starts_on=starts_on,
        ends_on=kw.pop("ends_on", deadline_on - timedelta(days=6)),
        deadline_on=deadline_on,
        **kw,
    )
    return factories._add(p)


def report(commitment, period, status=ReportStatus.draft, **kw):
    return factories._add(ProgressReport(commitment=commitment, period=period, status=status, **kw))


def extension(
    commitment,
    *,
    original_on,
    requested_on,
    period=None,
    milestone=None,
    status=ExtensionStatus.approved,
    reason="Chờ phê duyệt kinh phí",
):
    return factories._add(
        Extension(
            commitment=commitment,
            period=period,
            milestone=milestone,
            original_on=original_on,
            requested_on=requested_on,
            reason=reason,
            status=status,
        )
    )


def quiet(world):
    """Mark the milestones and directives `factories.world()` creates as done, so a test sees
    only the items it adds."""
    for key in ("qb", "vl"):
        world[key]["milestone"].done_on = date(2021, 6, 30)
        world[key]["directive"].done_on = date(2018, 6, 1)
    factories.db.session.commit()
    return world


_years = itertools.count(1)
