"""Who hears of each event of tracker/events.py. Connected when this module is imported (by the
app factory); each receiver runs inside the service's transaction, so the notifications commit
or roll back with the event."""

from tracker import events
from tracker.auth.models import User
from tracker.extensions import db
from tracker.notifications import services as s
from tracker.notifications.models import NotificationKind as K
from tracker.progress import services as progress_services


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id else None


def _excerpt(text: str | None, size: int = 300) -> str | None:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1] + "…"


@events.report_submitted.connect
def on_report_submitted(report, *, actor=None, **_):
    """A report to verify: the DIC verifiers of its province and the watchers."""
    subject = s.subject_of(report)
    s.follow_automatically([actor], report.commitment)
    s.notify(
        K.report_submitted,
        [*s.verifiers(subject.agreement), *s.watchers(subject)],
        subject=subject,
        actor=actor,
    )


def _submitters(report) -> list[User]:
    """The people who submitted the report (the service's own rule), as users."""
    ids = sorted(progress_services.submitters(report))
    return [u for u in (_user(i) for i in ids) if u is not None]


def _reviewed(kind, report, actor, detail=None):
    subject = s.subject_of(report)
    s.follow_automatically([actor], report.commitment)
    s.notify(
        kind,
        [
            *_submitters(report),
            *s.users_of_units(s.commitment_units(report.commitment)),
            *s.watchers(subject),
        ],
        subject=subject,
        actor=actor,
        detail=detail,
    )


@events.report_returned.connect
def on_report_returned(report, *, actor=None, reason=None, **_):
    """A report returned with its reason: the submitter, the commitment's units, the watchers."""
    _reviewed(K.report_returned, report, actor, detail=reason)


@events.report_verified.connect
def on_report_verified(report, *, actor=None, **_):
    """A verified report: the submitter, the commitment's units, the watchers."""
    _reviewed(K.report_verified, report, actor)


@events.extension_requested.connect
def on_extension_requested(extension, *, actor=None, **_):
    """An extension to decide: the DIC verifiers and the watchers."""
    subject = s.subject_of(extension)
    s.follow_automatically([actor], extension.commitment)
    s.notify(
        K.extension_requested,
        [*s.verifiers(subject.agreement), *s.watchers(subject)],
        subject=subject,
        actor=actor,
        detail=extension.reason,
    )


@events.extension_decided.connect
def on_extension_decided(extension, *, actor=None, **_):
    """A decided extension: the requester, the DIC verifiers and the watchers."""
    subject = s.subject_of(extension)
    s.notify(
        K.extension_decided,
        [_user(extension.requested_by_id), *s.verifiers(subject.agreement), *s.watchers(subject)],
        subject=subject,
        actor=actor,
        detail=extension.decision_note,
    )


@events.directive_recorded.connect
def on_directive_recorded(directive, *, actor=None, created=False, assigned_changed=False, **_):
    """A directive recorded or given to another unit: the users of the assigned unit (or of the
    unit that carries it on), who then follow it; any change: its watchers."""
    subject = s.subject_of(directive)
    assignees = []
    if created or assigned_changed:
        assignees = s.users_of_units([directive.assignee])
        s.notify(K.directive_assigned, assignees, subject=subject, actor=actor)
    if not created:
        # The new assignees were just told; the watchers hear of the change.
        told = {u.id for u in assignees}
        s.notify(
            K.directive_changed,
            [u for u in s.watchers(subject) if u.id not in told],
            subject=subject,
            actor=actor,
        )
    s.follow_automatically(assignees, directive)


@events.comment_posted.connect
def on_comment_posted(comment, *, edited=False, mentioned_users=(), mentioned_units=(), **_):
    """A comment: the people and units it mentions (new mentions only, for an edit), and, for a
    new comment, the watchers of what it is on. ``comment.subject`` is the report, commitment or
    directive; ``comment.author_id`` the author; ``comment.body`` its text."""
    subject = s.subject_of(comment.subject)
    actor = _user(comment.author_id)
    detail = _excerpt(comment.body)
    comment_id = getattr(comment, "id", None)
    mentioned = [*mentioned_users, *s.users_of_units(mentioned_units)]
    told = s.notify(
        K.mention, mentioned, subject=subject, actor=actor, detail=detail, comment_id=comment_id
    )
    if edited:
        return
    # The ones just told of their mention are not told a second time of the same comment.
    skip = {n.user_id for n in told} | {u.id for u in mentioned}
    s.notify(
        K.comment,
        [u for u in s.watchers(subject) if u.id not in skip],
        subject=subject,
        actor=actor,
        detail=detail,
        comment_id=comment_id,
    )


@events.submission_reminder.connect
def on_submission_reminder(period, *, commitments=(), actor=None, **_) -> int:
    """ "Nhắc nộp báo cáo": the reporters of each commitment still without a report. Returns the
    number of people told."""
    people = set()
    for commitment in commitments:
        subject = s.Subject(
            s.SubjectType.commitment,
            commitment.id,
            commitment.agreement,
            commitment.id,
            period.id,
        )
        made = s.notify(
            K.submission_reminder, s.reporters(commitment), subject=subject, actor=actor
        )
        people |= {n.user_id for n in made}
    return len(people)
