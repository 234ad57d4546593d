"""What a user has to do: milestones and directives coming due, progress reports to submit or
revise, and for the DIC the reports to verify and the extension requests to decide.

The same list feeds the /todo page, the `tracker remind` e-mails and the calendar feed, and is
loaded in a fixed number of statements whatever the number of rows.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask import request, url_for
from sqlalchemy.orm import aliased

from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Commitment,
    Completion,
    Directive,
    Milestone,
    MilestoneStatus,
    commitment_support_units,
)
from tracker.auth.models import Role, User
from tracker.auth.permissions import acting_unit_ids, province_scope
from tracker.clock import LOCAL_TZ, local_date, local_today
from tracker.extensions import db
from tracker.i18n import _l
from tracker.org.models import Unit
from tracker.progress.models import (
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportAction,
    ReportEvent,
    ReportingPeriod,
    ReportStatus,
)
from tracker.progress.periods import resubmission_ends

#: Milestones and directives due within this many days are listed ("upcoming").
HORIZON_DAYS = 14
#: A report to submit stays listed until this many days after its (extended) deadline.
REPORT_GRACE_DAYS = 30
#: Agreement statuses under which responsible units report (and only once signed).
REPORTING_STATUSES = (
    AgreementStatus.signed,
    AgreementStatus.in_force,
    AgreementStatus.under_review,
)
#: Roles that verify reports and decide extension requests.
REVIEWER_ROLES = (Role.dic, Role.admin)


class ItemKind(StrEnum):
    """What a to-do item asks for."""

    milestone = "milestone"
    directive = "directive"
    report_due = "report_due"
    report_returned = "report_returned"
    report_to_verify = "report_to_verify"
    extension = "extension"
    extension_decided = "extension_decided"


#: The sections of a to-do list, in the order they are shown: (attribute, kind, label).
SECTIONS = (
    ("milestones", ItemKind.milestone, _l("Milestones")),
    ("directives", ItemKind.directive, _l("Directives")),
    ("reports_due", ItemKind.report_due, _l("Reports to submit")),
    ("reports_returned", ItemKind.report_returned, _l("Reports returned for revision")),
    ("reports_to_verify", ItemKind.report_to_verify, _l("Reports awaiting verification")),
    ("extensions", ItemKind.extension, _l("Extension requests to decide")),
    ("extension_decisions", ItemKind.extension_decided, _l("Decisions on your extension requests")),
)
_REVIEWER_SECTIONS = {"reports_to_verify", "extensions"}


@dataclass(frozen=True)
class TodoItem:
    """One thing to do. Holds ids, not URLs: `item_url` builds the link where there is a request."""

    kind: ItemKind
    #: The milestone, directive, report or extension id; the commitment id for a report to submit.
    id: int
    title: str
    date: date | None
    agreement_code: str
    overdue: bool = False
    #: Name of the unit the item concerns (the lead unit, the assignee, the reporting unit).
    unit: str | None = None
    commitment_id: int | None = None
    commitment_code: str | None = None
    period_id: int | None = None
    #: A second line: the commitment of a milestone, the period of a report, who issued a directive.
    detail: str = ""

    @property
    def label(self) -> str:
        """What to show: the milestone or directive, or the commitment ("1.1 Title") a report or
        an extension request is about."""
        if self.kind in (ItemKind.milestone, ItemKind.directive) or not self.commitment_code:
            return self.title
        return f"{self.commitment_code} {self.title}"

    @property
    def uid(self) -> str:
        """A stable identifier (the calendar feed's UID)."""
        if self.kind == ItemKind.report_due:
            return f"report-due-{self.commitment_id}-{self.period_id}@tracker"
        return f"{self.kind.value.replace('_', '-')}-{self.id}@tracker"


@dataclass
class TodoList:
    """A user's to-do list on a date, by section."""

    today: date
    #: Whether the reviewer sections (reports to verify, extension requests) apply to the user.
    reviewer: bool = False
    milestones: list[TodoItem] = field(default_factory=list)
    directives: list[TodoItem] = field(default_factory=list)
    reports_due: list[TodoItem] = field(default_factory=list)
    reports_returned: list[TodoItem] = field(default_factory=list)
    reports_to_verify: list[TodoItem] = field(default_factory=list)
    extensions: list[TodoItem] = field(default_factory=list)
    #: The user's own extension requests decided in the last HORIZON_DAYS days, with the decision.
    extension_decisions: list[TodoItem] = field(default_factory=list)

    def sections(self, *, include_empty: bool = False):
        """(key, label, items) for each section that applies to the user."""
        return [
            (key, label, getattr(self, key))
            for key, _kind, label in SECTIONS
            if (include_empty and (self.reviewer or key not in _REVIEWER_SECTIONS))
            or getattr(self, key)
        ]

    @property
    def items(self) -> list[TodoItem]:
        return [item for key, _kind, _label in SECTIONS for item in getattr(self, key)]

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.items if item.overdue)

    def __len__(self) -> int:
        return sum(len(getattr(self, key)) for key, _kind, _label in SECTIONS)


def item_url(item: TodoItem, *, external: bool = False) -> str:
    """The page where an item is dealt with (needs a request context)."""
    if item.kind == ItemKind.milestone:
        return url_for(
            "agreements.commitment",
            commitment_id=item.commitment_id,
            _anchor="milestones",
            _external=external,
        )
    if item.kind == ItemKind.directive:
        return url_for(
            "agreements.detail", code=item.agreement_code, _anchor="directives", _external=external
        )
    if item.kind == ItemKind.report_due:
        path = f"/commitments/{item.commitment_id}/reports/{item.period_id}"
    elif item.kind in (ItemKind.extension, ItemKind.extension_decided):
        path = f"/extensions/{item.id}"
    else:
        path = f"/reports/{item.id}"
    # Pages of the progress workflow are linked by path: their views live elsewhere.
    root = request.url_root if external else request.script_root + "/"
    return root.rstrip("/") + path


# -- loading ------------------------------------------------------------------------------------


def todo_for_user(
    user: User, today: date | None = None, *, horizon_days: int | None = HORIZON_DAYS
) -> TodoList:
    """The user's to-do list. `horizon_days=None` lists every open milestone and directive
    however far ahead (the calendar feed); overdue ones are always listed."""
    today = today or local_today()
    todo = TodoList(today=today, reviewer=user.role in REVIEWER_ROLES)
    scope = province_scope(user)
    in_scope = sa.true() if scope is None else Agreement.province_id.in_(scope or {-1})
    until = None if horizon_days is None else today + timedelta(days=horizon_days)

    unit_ids = acting_unit_ids(user, today)
    if unit_ids:
        responsible = sa.or_(
            Commitment.lead_unit_id.in_(unit_ids),
            Commitment.id.in_(
                sa.select(commitment_support_units.c.commitment_id).where(
                    commitment_support_units.c.unit_id.in_(unit_ids)
                )
            ),
        )
        todo.milestones = _milestones(in_scope, responsible, today, until)
        todo.directives = _directives(in_scope, unit_ids, today, until)
        todo.reports_due = _reports_due(in_scope, responsible, today)
        todo.reports_returned = _reports(in_scope, responsible, ReportStatus.returned, today)
    if todo.reviewer:
        todo.reports_to_verify = _reports(
            in_scope, sa.true(), ReportStatus.submitted, today, exclude_submitter=user.id
        )
        todo.extensions = _extensions(in_scope, today)
    todo.extension_decisions = _extension_decisions(in_scope, user, today)
    return todo


def _unit_label(name: str | None, short_name: str | None) -> str | None:
    return short_name or name


def _commitment_label(code: str, title: str) -> str:
    return f"{code} {title}"


def _commitment_columns(unit) -> tuple:
    """The columns saying which commitment an item is about (with its agreement and the unit
    concerned), named for `_commitment_item`."""
    return (
        Commitment.id.label("commitment_id"),
        Commitment.code.label("commitment_code"),
        Commitment.title.label("commitment_title"),
        Agreement.code.label("agreement_code"),
        unit.name.label("unit_name"),
        unit.short_name.label("unit_short_name"),
    )


def _commitment_item(row, kind: ItemKind, item_id: int, **fields) -> TodoItem:
    """An item about the commitment of a row with `_commitment_columns`; its title is the
    commitment's unless `fields` give one."""
    fields.setdefault("title", row.commitment_title)
    return TodoItem(
        kind=kind,
        id=item_id,
        agreement_code=row.agreement_code,
        unit=_unit_label(row.unit_name, row.unit_short_name),
        commitment_id=row.commitment_id,
        commitment_code=row.commitment_code,
        **fields,
    )


def _milestones(in_scope, responsible, today: date, until: date | None) -> list[TodoItem]:
    lead = aliased(Unit)
    query = (
        sa.select(Milestone.id, Milestone.title, Milestone.due_on, *_commitment_columns(lead))
        .join(Commitment, Milestone.commitment_id == Commitment.id)
        .join(Agreement, Commitment.agreement_id == Agreement.id)
        .join(lead, Commitment.lead_unit_id == lead.id)
        .where(
            in_scope,
            responsible,
            Agreement.status != AgreementStatus.closed,
            Commitment.completion != Completion.withdrawn,
            Milestone.done_on.is_(None),
            Milestone.status != MilestoneStatus.met,
        )
        .order_by(Milestone.due_on, Agreement.code, Milestone.id)
    )
    if until is not None:
        query = query.where(Milestone.due_on <= until)
    return [
        _commitment_item(
            row,
            ItemKind.milestone,
            row.id,
            title=row.title,
            date=row.due_on,
            overdue=row.due_on < today,
            detail=_commitment_label(row.commitment_code, row.commitment_title),
        )
        for row in db.session.execute(query)
    ]


def _directives(in_scope, unit_ids: set[int], today: date, until: date | None) -> list[TodoItem]:
    assignee = aliased(Unit)
    query = (
        sa.select(
            Directive.id,
            Directive.text,
            Directive.due_on,
            Directive.issued_on,
            Directive.issued_by,
            Agreement.code,
            assignee.name,
            assignee.short_name,
        )
        .join(Agreement, Directive.agreement_id == Agreement.id)
        .join(assignee, Directive.assignee_unit_id == assignee.id)
        .where(
            in_scope,
            Agreement.status != AgreementStatus.closed,
            Directive.assignee_unit_id.in_(unit_ids),
            Directive.done_on.is_(None),
        )
        .order_by(Directive.due_on.is_(None), Directive.due_on, Directive.issued_on, Directive.id)
    )
    if until is not None:
        query = query.where(sa.or_(Directive.due_on.is_(None), Directive.due_on <= until))
    rows = db.session.execute(query)
    return [
        TodoItem(
            kind=ItemKind.directive,
            id=did,
            title=text,
            date=due_on,
            agreement_code=code,
            overdue=due_on is not None and due_on < today,
            unit=_unit_label(unit_name, unit_short),
            detail=f"{issued_by}, {issued_on:%d/%m/%Y}",
        )
        for did, text, due_on, issued_on, issued_by, code, unit_name, unit_short in rows
    ]


def _extended_deadlines():
    """The latest approved extension of a commitment's report deadline, per period."""
    return (
        sa.select(
            Extension.commitment_id,
            Extension.period_id,
            sa.func.max(Extension.requested_on).label("extended_on"),
        )
        .where(Extension.status == ExtensionStatus.approved, Extension.period_id.is_not(None))
        .group_by(Extension.commitment_id, Extension.period_id)
        .subquery("extended")
    )


def _effective_deadline(deadline_on: date, extended_on: date | None) -> date:
    return max(deadline_on, extended_on) if extended_on else deadline_on


def _reports_due(in_scope, responsible, today: date) -> list[TodoItem]:
    """A row per (commitment, period) whose window has started, whose effective deadline is at
    most REPORT_GRACE_DAYS behind, and with no report submitted, verified or returned (returned
    reports have their own section)."""
    ext = _extended_deadlines()
    lead = aliased(Unit)
    effective = sa.case(
        (ext.c.extended_on > ReportingPeriod.deadline_on, ext.c.extended_on),
        else_=ReportingPeriod.deadline_on,
    )
    handed_in = (
        sa.select(ProgressReport.id)
        .where(
            ProgressReport.commitment_id == Commitment.id,
            ProgressReport.period_id == ReportingPeriod.id,
            ProgressReport.status.in_(
                [ReportStatus.submitted, ReportStatus.verified, ReportStatus.returned]
            ),
        )
        .exists()
    )
    query = (
        sa.select(ReportingPeriod, ext.c.extended_on, *_commitment_columns(lead))
        .join(Agreement, ReportingPeriod.agreement_id == Agreement.id)
        .join(Commitment, Commitment.agreement_id == Agreement.id)
        .join(lead, Commitment.lead_unit_id == lead.id)
        .outerjoin(
            ext,
            sa.and_(ext.c.commitment_id == Commitment.id, ext.c.period_id == ReportingPeriod.id),
        )
        .where(
            in_scope,
            responsible,
            Agreement.status.in_(REPORTING_STATUSES),
            Agreement.signed_on.is_not(None),
            Commitment.completion != Completion.withdrawn,
            ReportingPeriod.starts_on <= today,
            effective >= today - timedelta(days=REPORT_GRACE_DAYS),
            ~handed_in,
        )
        .order_by(effective, Agreement.code, Commitment.position, Commitment.id)
    )
    items = []
    for row in db.session.execute(query):
        period = row.ReportingPeriod
        deadline = _effective_deadline(period.deadline_on, row.extended_on)
        items.append(
            _commitment_item(
                row,
                ItemKind.report_due,
                row.commitment_id,
                date=deadline,
                overdue=today > deadline,
                period_id=period.id,
                detail=period.label,
            )
        )
    return items


def _reports(
    in_scope,
    responsible,
    status: ReportStatus,
    today: date,
    *,
    exclude_submitter: int | None = None,
) -> list[TodoItem]:
    """Reports in a status: returned ones dated by the last day they may be resubmitted (their
    extended deadline, or the end of their resubmission window if later), submitted ones by when
    they were submitted."""
    ext = _extended_deadlines()
    returned = (
        sa.select(ReportEvent.report_id, sa.func.max(ReportEvent.at).label("returned_at"))
        .where(ReportEvent.action == ReportAction.returned)
        .group_by(ReportEvent.report_id)
        .subquery("returned")
    )
    unit = aliased(Unit)
    query = (
        sa.select(
            ProgressReport.id,
            ProgressReport.submitted_at,
            ReportingPeriod,
            ext.c.extended_on,
            returned.c.returned_at,
            Agreement.resubmit_grace_days,
            *_commitment_columns(unit),
        )
        .join(Commitment, ProgressReport.commitment_id == Commitment.id)
        .join(Agreement, Commitment.agreement_id == Agreement.id)
        .join(ReportingPeriod, ProgressReport.period_id == ReportingPeriod.id)
        .join(unit, sa.func.coalesce(ProgressReport.unit_id, Commitment.lead_unit_id) == unit.id)
        .outerjoin(
            ext,
            sa.and_(ext.c.commitment_id == Commitment.id, ext.c.period_id == ReportingPeriod.id),
        )
        .outerjoin(returned, returned.c.report_id == ProgressReport.id)
        .where(in_scope, responsible, ProgressReport.status == status)
        .order_by(ReportingPeriod.deadline_on, ProgressReport.submitted_at, ProgressReport.id)
    )
    if exclude_submitter is not None:
        # Separation of duties: nobody verifies their own report.
        query = query.where(
            sa.or_(
                ProgressReport.submitted_by_id.is_(None),
                ProgressReport.submitted_by_id != exclude_submitter,
            )
        )
    kind = (
        ItemKind.report_returned if status == ReportStatus.returned else ItemKind.report_to_verify
    )
    items = []
    for row in db.session.execute(query):
        period = row.ReportingPeriod
        if kind == ItemKind.report_returned:
            when = _effective_deadline(period.deadline_on, row.extended_on)
            if row.returned_at is not None:
                when = max(
                    when, resubmission_ends(local_date(row.returned_at), row.resubmit_grace_days)
                )
            overdue = today > when
        else:
            when, overdue = local_date(row.submitted_at), False
        items.append(
            _commitment_item(
                row,
                kind,
                row.id,
                date=when,
                overdue=overdue,
                period_id=period.id,
                detail=period.label,
            )
        )
    return items


def _extensions(in_scope, today: date) -> list[TodoItem]:
    """Pending extension requests, dated by the deadline they would move."""
    lead = aliased(Unit)
    query = (
        sa.select(
            Extension.id,
            Extension.original_on,
            Extension.requested_on,
            Milestone.title.label("milestone_title"),
            ReportingPeriod,
            *_commitment_columns(lead),
        )
        .join(Commitment, Extension.commitment_id == Commitment.id)
        .join(Agreement, Commitment.agreement_id == Agreement.id)
        .join(lead, Commitment.lead_unit_id == lead.id)
        .outerjoin(Milestone, Extension.milestone_id == Milestone.id)
        .outerjoin(ReportingPeriod, Extension.period_id == ReportingPeriod.id)
        .where(in_scope, Extension.status == ExtensionStatus.pending)
        .order_by(Extension.original_on, Extension.id)
    )
    items = []
    for row in db.session.execute(query):
        period = row.ReportingPeriod
        items.append(
            _commitment_item(
                row,
                ItemKind.extension,
                row.id,
                date=row.original_on,
                overdue=today > row.original_on,
                period_id=period.id if period is not None else None,
                detail=row.milestone_title or (period.label if period is not None else ""),
            )
        )
    return items


def _extension_decisions(in_scope, user: User, today: date) -> list[TodoItem]:
    """The user's extension requests decided in the last HORIZON_DAYS days, newest first, each
    saying the decision (`Extension.decision_text`)."""
    lead = aliased(Unit)
    since = datetime.combine(today - timedelta(days=HORIZON_DAYS), time(), tzinfo=LOCAL_TZ)
    query = (
        sa.select(
            Extension,
            Milestone.title.label("milestone_title"),
            ReportingPeriod,
            *_commitment_columns(lead),
        )
        .join(Commitment, Extension.commitment_id == Commitment.id)
        .join(Agreement, Commitment.agreement_id == Agreement.id)
        .join(lead, Commitment.lead_unit_id == lead.id)
        .outerjoin(Milestone, Extension.milestone_id == Milestone.id)
        .outerjoin(ReportingPeriod, Extension.period_id == ReportingPeriod.id)
        .where(
            in_scope,
            Extension.requested_by_id == user.id,
            Extension.status != ExtensionStatus.pending,
            Extension.decided_at >= since,
        )
        .order_by(Extension.decided_at.desc(), Extension.id.desc())
    )
    items = []
    for row in db.session.execute(query):
        extension, period = row.Extension, row.ReportingPeriod
        subject = row.milestone_title or (period.label if period is not None else "")
        items.append(
            _commitment_item(
                row,
                ItemKind.extension_decided,
                extension.id,
                date=local_date(extension.decided_at),
                period_id=period.id if period is not None else None,
                detail=f"{subject} · {extension.decision_text()}",
            )
        )
    return items
