"""The lists of the agreements pages, declared for `tracker.listing`: their columns, how they sort
and filter, and what their Excel exports hold."""

from flask import g
from flask_login import current_user

from tracker.agreements.models import Directive
from tracker.auth.permissions import acting_unit_ids
from tracker.clock import local_today
from tracker.i18n import _, _l
from tracker.labels import label_of
from tracker.listing import Choice, Column, DateFrom, DateTo, Flag, Listing, Search, choices_from


def unit_text(unit) -> str:
    """A unit's name, and the name of the unit that carries it on today when it has ceased (what
    the `unit_name` macro shows)."""
    if unit is None:
        return ""
    now = unit.current()
    if now.id == unit.id:
        return unit.name
    return f"{unit.name} ({_('now: %(unit)s', unit=now.name)})"


def _assignees(rows):
    return choices_from(rows, lambda d: (d.assignee_unit_id, d.assignee.name))


#: /directives: every directive of the agreements in the user's scope.

def _assigned_to_my_unit(directive: Directive) -> bool:
    """Assigned to the user's unit or to one it carries on (mergers); the units are read once
    per request."""
    if "acting_unit_ids" not in g:
        g.acting_unit_ids = acting_unit_ids(current_user)
    return directive.assignee_unit_id in g.acting_unit_ids

DIRECTIVES = Listing(
    name="y-kien-chi-dao",
    title=_l("Leadership directives"),
    columns=(
        Column("agreement", label_of(Directive.agreement_id), lambda d: d.agreement.code, width=14),
        Column("issued_on", label_of(Directive.issued_on), lambda d: d.issued_on, "date", 14),
        Column(
            "text",
            label_of(Directive.text),
            lambda d: d.text,
            width=60,
            detail=lambda d: d.issued_by,
        ),
        Column(
            "assignee",
            label_of(Directive.assignee_unit_id),
            lambda d: unit_text(d.assignee),
            width=36,
        ),
        Column("due_on", label_of(Directive.due_on), lambda d: d.due_on, "date", 14),
        Column("done_on", label_of(Directive.done_on), lambda d: d.done_on, "date", 14),
    ),
    filters=(
        Search("q", _l("Keywords"), text=lambda d: f"{d.text} {d.issued_by} {d.meeting or ''}"),
        Choice(
            "agreement",
            label_of(Directive.agreement_id),
            value=lambda d: d.agreement.code,
            choices=lambda rows: choices_from(rows, lambda d: (d.agreement.code, d.agreement.code)),
        ),
        Choice(
            "unit",
            label_of(Directive.assignee_unit_id),
            value=lambda d: d.assignee_unit_id,
            choices=_assignees,
        ),
        DateFrom("issued_from", _l("Issued from"), day=lambda d: d.issued_on),
        DateTo("issued_to", _l("Issued until"), day=lambda d: d.issued_on),
        Flag("open", _l("Open only"), test=lambda d: d.done_on is None),
        Flag("overdue", _l("Overdue only"), test=lambda d: d.is_overdue(local_today())),
        Flag(
            "mine",
            _l("Assigned to my unit"),
            test=_assigned_to_my_unit,
        ),
    ),
)
