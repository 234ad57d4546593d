"""The reporting workflow: periods, reports, evidence, return and verification, extensions.

Each function checks the permission and the state transition, changes the objects, flushes and
returns; the caller commits once. Only verification changes the official state of a commitment."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from tracker import events, trash
from tracker.agreements.models import (
    Agreement,
    Commitment,
    Completion,
    Directive,
    Measurement,
    Milestone,
)
from tracker.agreements.models import MilestoneStatus as MS
from tracker.agreements.permissions import can_edit_agreement, can_view_agreement
from tracker.agreements.signals import reporting_changed
from tracker.auth.permissions import unit_acts_for
from tracker.clock import local_date, local_today, utcnow
from tracker.db import REASON
from tracker.errors import (
    InvalidValue,
    NotAllowed,
    PeriodClosed,
    Refusal,
    WrongState,
    check_version,
)
from tracker.extensions import db
from tracker.i18n import _
from tracker.progress.models import (
    MAX_EXTENSIONS,
    Evidence,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportAction,
    ReportEvent,
    ReportingPeriod,
    ReportMilestone,
    ReportStatus,
    ReportValue,
)
from tracker.progress.periods import deadline, resubmission_ends, windows_between
from tracker.progress.permissions import can_report, can_request_extension, can_verify
from tracker.progress.queries import period_reports
from tracker.text import clean_text

EDITABLE = (ReportStatus.draft, ReportStatus.returned)


def _require(allowed: bool, message=None) -> None:
    if not allowed:
        raise NotAllowed(message)


def _require_reporter(user, commitment: Commitment) -> None:
    _require(can_report(user, commitment), _("You may read this commitment but not report on it."))


def _require_editable(report: ProgressReport, message=None) -> None:
    """A draft or a returned report; anything else is read-only to its authors."""
    if report.status not in EDITABLE:
        raise WrongState(
            message or _("A submitted report can no longer be changed."),
            status=report.status.value,
        )


# -- periods ----------------------------------------------------------------------------------


def generate_periods(agreement: Agreement, *, user=None) -> list[ReportingPeriod]:
    """Create the agreement's missing reporting periods for its whole period (idempotent)."""
    if user is not None:
        _require(can_edit_agreement(user, agreement))
    existing = {
        (p.kind, p.year, p.number): p
        for p in db.session.scalars(
            sa.select(ReportingPeriod).where(ReportingPeriod.agreement_id == agreement.id)
        )
    }
    result = []
    for w in windows_between(
        agreement.reporting_frequency, agreement.period_start, agreement.period_end
    ):
        period = existing.get((w.kind, w.year, w.number))
        if period is None:
            period = ReportingPeriod(
                agreement_id=agreement.id,
                kind=w.kind,
                year=w.year,
                number=w.number,
                starts_on=w.starts_on,
                ends_on=w.ends_on,
                deadline_on=deadline(w, agreement.report_deadline_days),
            )
            db.session.add(period)
        result.append(period)
    db.session.flush()
    return result


@reporting_changed.connect
def bring_periods_in_line(agreement: Agreement, *, changed: set) -> None:
    """After the agreement's reporting settings change: periods of another frequency give way
    to the new frequency's (`save_agreement` refuses the change once any has a report), and the
    periods not yet locked take the new number of days to report."""
    existing = db.session.scalars(
        sa.select(ReportingPeriod).where(ReportingPeriod.agreement_id == agreement.id)
    ).all()
    if not existing:
        return
    if "reporting_frequency" in changed:
        for period in existing:
            if period.kind != agreement.reporting_frequency:
                db.session.delete(period)
        db.session.flush()
        generate_periods(agreement)
    if "report_deadline_days" in changed:
        today = local_today()
        for period in db.session.scalars(
            sa.select(ReportingPeriod).where(
                ReportingPeriod.agreement_id == agreement.id, ReportingPeriod.deadline_on >= today
            )
        ):
            period.deadline_on = period.ends_on + timedelta(days=agreement.report_deadline_days)
    db.session.flush()


def effective_deadline(period: ReportingPeriod, commitment_id: int) -> date:
    """The period's deadline, moved by the latest approved extension for this commitment."""
    return effective_deadlines([period], commitment_id)[period.id]


def effective_deadlines(periods, commitment_id: int) -> dict[int, date]:
    """`effective_deadline` of each period for one commitment, in one query."""
    extended = dict(
        db.session.execute(
            sa.select(Extension.period_id, sa.func.max(Extension.requested_on))
            .where(
                Extension.period_id.in_([p.id for p in periods] or [-1]),
                Extension.commitment_id == commitment_id,
                Extension.status == ExtensionStatus.approved,
            )
            .group_by(Extension.period_id)
        ).all()
    )
    return {
        p.id: max(p.deadline_on, extended[p.id]) if p.id in extended else p.deadline_on
        for p in periods
    }


def returned_on(report: ProgressReport | None) -> date | None:
    """The day (in Vietnam) a returned report was last returned; None unless it is returned."""
    if report is None or report.status != ReportStatus.returned:
        return None
    last = max((e.at for e in report.events if e.action == ReportAction.returned), default=None)
    return local_date(last)


def resubmit_until(report: ProgressReport | None) -> date | None:
    """The last day a returned report may be corrected and resubmitted whatever its period's
    lock: its return plus the agreement's `resubmit_grace_days`. None unless it is returned."""
    day = returned_on(report)
    if day is None:
        return None
    return resubmission_ends(day, report.commitment.agreement.resubmit_grace_days)


def report_open_until(
    period: ReportingPeriod,
    commitment_id: int,
    report: ProgressReport | None = None,
    *,
    deadline_on: date | None = None,
) -> date:
    """The last day the commitment's report of the period may be written and submitted (the
    period's reopening aside): its deadline with approved extensions, or for a returned report
    the end of its resubmission window if that is later. `deadline_on` passes an effective
    deadline already loaded (`effective_deadlines`)."""
    until = deadline_on or effective_deadline(period, commitment_id)
    grace = resubmit_until(report)
    return max(until, grace) if grace else until


def accepts_report(
    period: ReportingPeriod,
    commitment_id: int,
    report: ProgressReport | None = None,
    *,
    deadline_on: date | None = None,
    today: date | None = None,
) -> bool:
    """Whether the period still accepts this commitment's report (`report_open_until`, or the
    period is reopened): the one rule the services enforce and the pages show."""
    until = report_open_until(period, commitment_id, report, deadline_on=deadline_on)
    return period.accepts_reports(today, deadline=until)


def _require_open(
    period: ReportingPeriod, commitment_id: int, report: ProgressReport | None = None
) -> None:
    until = report_open_until(period, commitment_id, report)
    if not period.accepts_reports(deadline=until):
        raise PeriodClosed(
            _(
                "The reporting period %(period)s is closed. Ask the DIC to reopen it or to "
                "extend your deadline.",
                period=period.label,
            ),
            deadline_on=until.isoformat(),
        )


def _require_writable(
    user,
    commitment: Commitment,
    period: ReportingPeriod,
    report: ProgressReport | None,
    message=None,
) -> None:
    """The user reports on the commitment, the report (if any) is a draft or returned, and the
    period still accepts it."""
    _require_reporter(user, commitment)
    if report is not None:
        _require_editable(report, message)
    _require_open(period, commitment.id, report)


def can_write_report(
    user, commitment: Commitment, period: ReportingPeriod, report: ProgressReport | None = None
) -> bool:
    """Whether saving or submitting this report would be accepted now (the pages show "Edit"
    and "Submit" exactly then): the services' own check, asked."""
    try:
        _require_writable(user, commitment, period, report)
    except (NotAllowed, WrongState):
        return False
    return True


def can_edit_report(user, report: ProgressReport) -> bool:
    """`can_write_report` for an existing report."""
    return can_write_report(user, report.commitment, report.period, report)


def reopen_period(period: ReportingPeriod, *, user, until: date, reason: str) -> ReportingPeriod:
    """The DIC reopens a locked period until a date; the reason goes into the audit log."""
    _require(can_verify(user, period.agreement))
    if not reason.strip():
        raise InvalidValue(_("Give the reason for reopening the period."), "reason")
    if until < local_today():
        raise InvalidValue(_("The date cannot be in the past."), "until")
    period.reopened_until = until
    db.session.info[REASON] = reason.strip()
    db.session.flush()
    db.session.info.pop(REASON, None)
    return period


def can_remind(user, period: ReportingPeriod) -> bool:
    """Whether the user may remind the units that have not reported ("Nhắc nộp báo cáo"): the
    period's verifiers (`can_verify`), while it accepts reports."""
    return can_verify(user, period.agreement) and _reminder_refusal(period) is None


def _reminder_refusal(period: ReportingPeriod, today: date | None = None) -> str | None:
    """Why a period's units cannot be reminded now, or None."""
    today = today or local_today()
    if today < period.starts_on:
        return _(
            "The reporting period %(period)s has not started yet (it starts on %(date)s): there "
            "is nothing to remind of.",
            period=period.label,
            date=period.starts_on.strftime("%d/%m/%Y"),
        )
    if not period.accepts_reports(today):
        return _(
            "The reporting period %(period)s is closed: reports are no longer accepted, so no "
            "reminder is sent. Reopen it first.",
            period=period.label,
        )
    return None


@dataclass
class Reminder:
    """What "Nhắc nộp báo cáo" did."""

    #: the commitments still without a submitted report, which the reminder is about
    commitments: list[Commitment]
    #: their lead units, as carried on today
    units: list
    #: how many people the receivers of `events.submission_reminder` notified
    notified: int


def units_to_remind(commitments) -> list:
    """The lead units (as carried on today) of commitments without a submitted report."""
    units = {}
    for commitment in commitments:
        unit = commitment.lead_unit.current()
        units.setdefault(unit.id, unit)
    return list(units.values())


def remind_submitters(period: ReportingPeriod, *, user) -> Reminder:
    """Remind the units that have not submitted their report for a period (the period page's
    "Still without a report"): sends `events.submission_reminder`, whose receivers notify the
    reporters and say how many. Nothing is changed, so nothing is audited; the notifications
    are the trace."""
    _require(can_verify(user, period.agreement))
    refusal = _reminder_refusal(period)
    if refusal:
        raise WrongState(refusal)
    missing = period_reports(period).missing
    if not missing:
        raise WrongState(_("Every commitment has reported for this period."))
    results = events.submission_reminder.send(period, actor=user, commitments=list(missing))
    notified = sum(value for _receiver, value in results if isinstance(value, int))
    db.session.flush()
    return Reminder(commitments=list(missing), units=units_to_remind(missing), notified=notified)


# -- reports ----------------------------------------------------------------------------------


def report_for(commitment: Commitment, period: ReportingPeriod) -> ProgressReport | None:
    """The report of a commitment for a period, if any."""
    return db.session.scalar(
        sa.select(ProgressReport).where(
            ProgressReport.commitment_id == commitment.id, ProgressReport.period_id == period.id
        )
    )


def save_report(
    report: ProgressReport | None,
    *,
    commitment: Commitment,
    period: ReportingPeriod,
    user,
    version=None,
    percent_complete: int,
    completion: Completion,
    spent_vnd: int | None,
    narrative: str | None,
    values: dict,
    milestones: dict,
) -> ProgressReport:
    """Save a draft (or a returned report being revised).

    `values` maps indicator id → (value or None, note); `milestones` maps milestone id →
    (status or None, date met)."""
    _require_reporter(user, commitment)
    if period.agreement_id != commitment.agreement_id:
        raise InvalidValue(_("This period belongs to another agreement."))
    _require_writable(user, commitment, period, report)
    if report is not None:
        check_version(report, version)
    if not 0 <= percent_complete <= 100:
        raise InvalidValue(_("Enter a percentage from 0 to 100."), "percent_complete")
    if spent_vnd is not None and spent_vnd < 0:
        raise InvalidValue(_("An amount cannot be negative."), "spent_vnd")
    if completion == Completion.complete and percent_complete != 100:
        raise InvalidValue(
            _("A complete commitment must have a percentage of 100."), "percent_complete"
        )
    indicators = {i.id: i for i in commitment.indicators}
    own_milestones = {m.id: m for m in commitment.milestones}
    today = local_today()
    for mid, (status, done_on) in milestones.items():
        if mid not in own_milestones:
            raise InvalidValue(_("A milestone of another commitment cannot be reported here."))
        if status is not None and done_on is None:
            raise InvalidValue(_("Enter the date the milestone was met."), f"m_{mid}_done_on")
        if done_on is not None and done_on > today:
            raise InvalidValue(_("The date met cannot be in the future."), f"m_{mid}_done_on")
    for iid in values:
        if iid not in indicators:
            raise InvalidValue(_("An indicator of another commitment cannot be reported here."))
    with db.session.no_autoflush:
        if report is None:
            report = ProgressReport(
                commitment=commitment,
                period=period,
                status=ReportStatus.draft,
                unit_id=user.unit_id,
            )
            db.session.add(report)
        report.percent_complete, report.completion = percent_complete, completion
        report.spent_vnd, report.narrative = spent_vnd, clean_text(narrative)
        current = {v.indicator_id: v for v in report.values}
        kept = []
        for iid, (value, note) in values.items():
            if value is None:
                continue
            row = current.get(iid) or ReportValue(indicator_id=iid)
            row.value, row.note = Decimal(value), clean_text(note)
            kept.append(row)
        report.values = kept
        current_m = {m.milestone_id: m for m in report.milestones}
        kept_m = []
        for mid, (status, done_on) in milestones.items():
            if status is None:
                continue
            row = current_m.get(mid) or ReportMilestone(milestone_id=mid)
            row.status, row.done_on = status, done_on
            kept_m.append(row)
        report.milestones = kept_m
    db.session.flush()
    return report


def submit_report(report: ProgressReport, *, user, version=None) -> ProgressReport:
    """Send a draft or a revised report to the DIC for verification; it becomes read-only."""
    _require_writable(
        user, report.commitment, report.period, report, _("This report has already been submitted.")
    )
    check_version(report, version)
    report.status = ReportStatus.submitted
    report.submitted_by_id, report.submitted_at = user.id, utcnow()
    report.events.append(ReportEvent(action=ReportAction.submitted, actor_id=user.id))
    db.session.flush()
    events.report_submitted.send(report, actor=user)
    return report


def submitters(report: ProgressReport) -> set[int]:
    """Who submitted the report (at any time): they may not verify or return it."""
    ids = {e.actor_id for e in report.events if e.action == ReportAction.submitted}
    if report.submitted_by_id:
        ids.add(report.submitted_by_id)
    return ids


def _require_reviewable(report: ProgressReport, user, version) -> None:
    _require(can_verify(user, report.commitment.agreement))
    check_version(report, version)
    if report.status != ReportStatus.submitted:
        raise WrongState(
            _(
                "This report is not awaiting verification (it may just have been handled "
                "by someone else)."
            ),
            status=report.status.value,
        )
    if user.id in submitters(report):
        raise InvalidValue(
            _("You submitted this report, so someone else must verify or return it.")
        )


def return_report(
    report: ProgressReport, *, user, reason: str, version=None, field_notes=None
) -> ProgressReport:
    """Send a report back for revision, with a reason kept in its history; ``field_notes``
    maps ("indicator" | "milestone", id) to the verifier's comment on that field."""
    _require_reviewable(report, user, version)
    reason = clean_text(reason)
    if not reason:
        raise InvalidValue(_("Give the reason for returning the report."), "reason")
    report.status = ReportStatus.returned
    report.events.append(ReportEvent(action=ReportAction.returned, actor_id=user.id, reason=reason))
    db.session.flush()
    events.report_returned.send(report, actor=user, reason=reason, field_notes=field_notes or {})
    return report


def verify_report(report: ProgressReport, *, user, version=None) -> ProgressReport:
    """Verify a report: its figures become the official state of the commitment."""
    _require_reviewable(report, user, version)
    report.status = ReportStatus.verified
    report.verified_by_id, report.verified_at = user.id, utcnow()
    report.events.append(ReportEvent(action=ReportAction.verified, actor_id=user.id))
    _apply(report)
    db.session.flush()
    events.report_verified.send(report, actor=user)
    return report


def _apply(report: ProgressReport) -> None:
    """Copy a verified report's figures into the commitment, its indicators and milestones."""
    commitment, period = report.commitment, report.period
    later = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ProgressReport)
        .join(ReportingPeriod)
        .where(
            ProgressReport.commitment_id == commitment.id,
            ProgressReport.id != report.id,
            ProgressReport.status == ReportStatus.verified,
            ReportingPeriod.ends_on > period.ends_on,
        )
    )
    if not later:
        commitment.completion = report.completion
        commitment.percent_complete = report.percent_complete
    for row in report.values:
        measurement = db.session.scalar(
            sa.select(Measurement).where(
                Measurement.indicator_id == row.indicator_id,
                Measurement.measured_on == period.ends_on,
            )
        )
        if measurement is None:
            measurement = Measurement(indicator_id=row.indicator_id, measured_on=period.ends_on)
            db.session.add(measurement)
        measurement.value, measurement.verified, measurement.report_id = row.value, True, report.id
        measurement.note = row.note
    for row in report.milestones:
        milestone = db.session.get(Milestone, row.milestone_id)
        milestone.status, milestone.done_on = row.status, row.done_on


# -- evidence ---------------------------------------------------------------------------------
#
# A report's evidence changes while the report is written (draft, returned): files are added,
# deleted or superseded. Once submitted it is frozen for the review; once verified it is kept for
# good, and a newer file can only supersede it (the old one stays, marked).


def _may_supersede(user, report: ProgressReport | None) -> bool:
    return report is not None and (
        can_report(user, report.commitment) or can_verify(user, report.commitment.agreement)
    )


def can_supersede(user, report: ProgressReport | None) -> bool:
    """Whether the user may supersede the evidence of this report now: the user reports on the
    commitment or verifies its agreement, and the report is not awaiting verification."""
    return _may_supersede(user, report) and report.status != ReportStatus.submitted


def _title(title: str | None) -> str:
    title = clean_text(title, multiline=False)
    if not title:
        raise InvalidValue(_("Give the evidence a title."), "title")
    return title


def _new_evidence(stored, thumbnail_sha256, **fields) -> Evidence:
    """A piece of evidence for a stored file (and its thumbnail), added and flushed; `fields`
    say what it belongs to and what it is."""
    evidence = Evidence(
        **fields,
        file_name=stored.file_name,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
        thumbnail_sha256=thumbnail_sha256,
    )
    db.session.add(evidence)
    db.session.flush()
    return evidence


def add_evidence(
    report: ProgressReport, *, user, stored, title: str, kind, issued_on=None, thumbnail_sha256=None
) -> Evidence:
    """Attach a stored file to a report that is still being written."""
    _require_reporter(user, report.commitment)
    _require_editable(report)
    return _new_evidence(
        stored,
        thumbnail_sha256,
        report=report,
        title=_title(title),
        kind=kind,
        issued_on=issued_on,
    )


def supersede_evidence(
    old: Evidence, *, user, stored, title: str, kind, issued_on=None, thumbnail_sha256=None
) -> Evidence:
    """Replace a verified piece of evidence by a newer file; the old one stays, marked."""
    report = old.report
    _require(_may_supersede(user, report))
    if report.status == ReportStatus.submitted:
        raise WrongState(
            _(
                "The report is awaiting verification: its evidence cannot be changed until the "
                "DIC verifies or returns it."
            ),
            status=report.status.value,
        )
    if old.superseded_by_id is not None:
        raise WrongState(_("This file has already been superseded."))
    new = _new_evidence(
        stored,
        thumbnail_sha256,
        report=report,
        title=_title(title),
        kind=kind,
        issued_on=issued_on,
    )
    old.superseded_by_id = new.id
    db.session.flush()
    return new


def delete_evidence(evidence: Evidence, *, user) -> None:
    """Remove a file from a report being written, into the recycle bin (its file stays while
    it is there); verified evidence is never deleted."""
    report = evidence.report
    if report is not None:
        _require_reporter(user, report.commitment)
        if report.status == ReportStatus.verified:
            raise WrongState(
                _("Verified evidence cannot be deleted; upload a newer file to supersede it."),
                status=report.status.value,
            )
        _require_editable(report)
    else:
        _require(can_complete_directive(user, evidence.directive))
        if evidence.directive.done_on is not None:
            raise WrongState(_("Evidence of a completed directive cannot be deleted."))
    agreement = report.commitment.agreement if report is not None else evidence.directive.agreement
    trash.discard(
        evidence,
        user=user,
        province_id=agreement.province_id,
        agreement_id=agreement.id,
        agreement_label=agreement.code,
    )


# -- directives -------------------------------------------------------------------------------


def can_complete_directive(user, directive: Directive) -> bool:
    """The assignee unit's users, DIC staff and admins report a directive done."""
    if directive is None or not can_view_agreement(user, directive.agreement):
        return False
    return user.role in ("admin", "dic") or unit_acts_for(user, directive.assignee)


def add_directive_evidence(
    directive: Directive, *, user, stored, title: str, kind, thumbnail_sha256=None
) -> Evidence:
    """Attach evidence of a directive's completion."""
    _require(can_complete_directive(user, directive))
    return _new_evidence(
        stored, thumbnail_sha256, directive=directive, title=_title(title), kind=kind
    )


def complete_directive(directive: Directive, *, user, done_on: date, version=None) -> Directive:
    """Record that a directive was carried out."""
    _require(can_complete_directive(user, directive))
    check_version(directive, version)
    if done_on > local_today():
        raise InvalidValue(_("The date done cannot be in the future."), "done_on")
    if done_on < directive.issued_on:
        raise InvalidValue(_("The date done cannot be before the date issued."), "done_on")
    directive.done_on = done_on
    db.session.flush()
    return directive


# -- extensions -------------------------------------------------------------------------------


def extensions_of(commitment: Commitment) -> list[Extension]:
    """The commitment's extension requests, oldest first (one query)."""
    return list(
        db.session.scalars(
            sa.select(Extension)
            .where(Extension.commitment_id == commitment.id)
            .order_by(Extension.created_at, Extension.id)
        )
    )


def extensions_for_item(
    extensions, *, milestone: Milestone | None = None, period: ReportingPeriod | None = None
) -> list[Extension]:
    """Of `extensions_of`, the requests for one milestone or one period's report."""
    if milestone is not None:
        return [e for e in extensions if e.milestone_id == milestone.id]
    return [e for e in extensions if e.period_id == (period.id if period else None)]


def last_refused(extensions) -> dict:
    """For each item whose latest request was refused, that request: {("period" | "milestone",
    id): Extension}, so a page says it was refused before offering a new one."""
    latest = {}
    for e in extensions:
        key = ("milestone", e.milestone_id) if e.milestone_id else ("period", e.period_id)
        latest[key] = e
    return {key: e for key, e in latest.items() if e.status == ExtensionStatus.refused}


def _require_extendable(
    user, commitment: Commitment, milestone, period, requests: list[Extension]
) -> None:
    """The user may ask, the item is the commitment's, still open, and has had fewer than
    MAX_EXTENSIONS requests pending or approved (`requests` are the item's)."""
    _require(can_request_extension(user, commitment))
    if (milestone is None) == (period is None):
        raise InvalidValue(_("Choose a milestone or a reporting period."))
    if milestone is not None and milestone.commitment_id != commitment.id:
        raise InvalidValue(_("A milestone of another commitment cannot be extended here."))
    if period is not None and period.agreement_id != commitment.agreement_id:
        raise InvalidValue(_("This period belongs to another agreement."))
    used = sum(
        1 for e in requests if e.status in (ExtensionStatus.pending, ExtensionStatus.approved)
    )
    if used >= MAX_EXTENSIONS:
        raise InvalidValue(
            _(
                "This deadline has already been extended (or asked to be) %(n)d times, the "
                "most allowed.",
                n=MAX_EXTENSIONS,
            )
        )
    if milestone is not None and milestone.done_on is not None:
        raise InvalidValue(_("This milestone has already been met."))


def can_ask_extension(
    user,
    commitment: Commitment,
    extensions,
    *,
    milestone: Milestone | None = None,
    period: ReportingPeriod | None = None,
) -> bool:
    """Whether `request_extension` would take a request for this item now (any later date):
    the pages offer "Ask for an extension" exactly then. `extensions` is `extensions_of`."""
    return (
        extension_refusal(user, commitment, extensions, milestone=milestone, period=period) is None
    )


def extension_refusal(
    user,
    commitment: Commitment,
    extensions,
    *,
    milestone: Milestone | None = None,
    period: ReportingPeriod | None = None,
) -> Refusal | None:
    """The refusal `request_extension` would give for this item whatever the date asked, or
    None when it would take a request."""
    requests = extensions_for_item(extensions, milestone=milestone, period=period)
    try:
        _require_extendable(user, commitment, milestone, period, requests)
    except (NotAllowed, InvalidValue) as refusal:
        return refusal
    return None


def current_due_on(
    commitment: Commitment, *, milestone: Milestone | None = None, period=None
) -> date:
    """The date an extension of the item would move: the milestone's due date, or the
    period's report deadline for the commitment (approved extensions included)."""
    return milestone.due_on if milestone else effective_deadline(period, commitment.id)


def request_extension(
    commitment: Commitment,
    *,
    user,
    requested_on: date,
    reason: str,
    milestone: Milestone | None = None,
    period: ReportingPeriod | None = None,
) -> Extension:
    """Ask for more time for a milestone or for a period's report (at most twice per item)."""
    requests = extensions_for_item(extensions_of(commitment), milestone=milestone, period=period)
    _require_extendable(user, commitment, milestone, period, requests)
    if not (reason or "").strip():
        raise InvalidValue(_("Give the reason for the extension."), "reason")
    current = current_due_on(commitment, milestone=milestone, period=period)
    if requested_on is None or requested_on <= current:
        raise InvalidValue(
            _(
                "The new date must be after the current one (%(date)s).",
                date=current.strftime("%d/%m/%Y"),
            ),
            "requested_on",
        )
    extension = Extension(
        commitment=commitment,
        milestone=milestone,
        period=period,
        original_on=current,
        requested_on=requested_on,
        reason=reason.strip(),
        requested_by_id=user.id,
    )
    db.session.add(extension)
    db.session.flush()
    events.extension_requested.send(extension, actor=user)
    return extension


def decide_extension(extension: Extension, *, user, approve: bool, note: str = "") -> Extension:
    """The DIC approves or refuses an extension; approving moves the milestone's due date and
    keeps the original one."""
    _require(can_verify(user, extension.commitment.agreement))
    if extension.status != ExtensionStatus.pending:
        raise WrongState(_("This request has already been decided."), status=extension.status.value)
    if extension.requested_by_id == user.id:
        raise InvalidValue(_("You asked for this extension, so someone else must decide on it."))
    if not approve and not (note or "").strip():
        raise InvalidValue(_("Give the reason for refusing."), "note")
    extension.status = ExtensionStatus.approved if approve else ExtensionStatus.refused
    extension.decided_by_id, extension.decided_at = user.id, utcnow()
    extension.decision_note = (note or "").strip() or None
    if approve and extension.milestone is not None:
        milestone = extension.milestone
        if milestone.original_due_on is None:
            milestone.original_due_on = milestone.due_on
        milestone.due_on = extension.requested_on
        if milestone.status == MS.not_met:
            milestone.status = MS.scheduled
    db.session.flush()
    events.extension_decided.send(extension, actor=user)
    return extension
