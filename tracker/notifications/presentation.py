"""The words and the link of a notification, written when it is shown (in the reader's language)
from its kind and the record it concerns. A page of notifications loads its records in one
query per kind of record."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for

from tracker.agreements.models import Agreement, Commitment, Directive, Milestone
from tracker.auth.models import User
from tracker.extensions import db
from tracker.i18n import _
from tracker.notifications.models import Notification, NotificationKind, SubjectType
from tracker.progress.models import Extension, ProgressReport, ReportingPeriod

K = NotificationKind

#: What each kind says; %(actor)s is who acted, %(record)s the record.
SENTENCES = {
    K.report_submitted: lambda: _("%(actor)s submitted the report on %(record)s for verification"),
    K.report_returned: lambda: _("%(actor)s returned the report on %(record)s for revision"),
    K.report_verified: lambda: _("%(actor)s verified the report on %(record)s"),
    K.extension_requested: lambda: _("%(actor)s asked for an extension on %(record)s"),
    K.extension_decided: lambda: _("%(actor)s decided the extension request on %(record)s"),
    K.directive_assigned: lambda: _("A directive was assigned to your unit: %(record)s"),
    K.directive_changed: lambda: _("%(actor)s changed the directive %(record)s"),
    K.comment: lambda: _("%(actor)s commented on %(record)s"),
    K.mention: lambda: _("%(actor)s mentioned you in a comment on %(record)s"),
    K.submission_reminder: lambda: _("Reminder: submit the report on %(record)s"),
    K.milestone_due: lambda: _("The milestone %(record)s is due within 7 days"),
    K.milestone_overdue: lambda: _("The milestone %(record)s is overdue"),
    K.report_due: lambda: _("The report on %(record)s is due within 7 days"),
    K.report_overdue: lambda: _("The report on %(record)s is overdue"),
    K.period_opening: lambda: _("The reporting period %(record)s has opened"),
    K.period_locking: lambda: _("The reporting period %(record)s locks soon"),
}

_MODELS = {
    SubjectType.agreement: Agreement,
    SubjectType.commitment: Commitment,
    SubjectType.milestone: Milestone,
    SubjectType.report: ProgressReport,
    SubjectType.extension: Extension,
    SubjectType.directive: Directive,
    SubjectType.period: ReportingPeriod,
}


@dataclass
class Shown:
    """A notification as the reader sees it."""

    notification: Notification
    text: str
    url: str
    agreement_code: str

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def _short(text: str, size: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _record_label(n: Notification, record, commitments, periods) -> str:
    commitment = commitments.get(n.commitment_id)
    period = periods.get(n.period_id)
    if record is None:
        return _("a deleted record")
    if n.subject_type == SubjectType.report:
        return f"{commitment} ({record.period.label})" if commitment else record.period.label
    if n.subject_type == SubjectType.commitment:
        return f"{record} ({period.label})" if period is not None else str(record)
    if n.subject_type == SubjectType.milestone:
        return f"{record.title} ({commitment.code})" if commitment else record.title
    if n.subject_type == SubjectType.extension:
        return str(commitment) if commitment else str(record.commitment)
    if n.subject_type == SubjectType.directive:
        return _short(record.text)
    if n.subject_type == SubjectType.period:
        return f"{record.label} ({record.agreement.code})"
    return str(record)


def _url(n: Notification, record, agreements, *, external: bool) -> str:
    kw = {"_external": external}
    anchor = {"_anchor": f"comment-{n.comment_id}"} if n.comment_id else {}
    if record is None:
        return url_for("notifications.index", **kw)
    match n.subject_type:
        case SubjectType.report:
            return url_for("progress.report", report_id=n.subject_id, **anchor, **kw)
        case SubjectType.commitment if n.period_id and n.kind != K.comment:
            return url_for(
                "progress.edit_report",
                commitment_id=n.subject_id,
                period_id=n.period_id,
                **kw,
            )
        case SubjectType.commitment:
            return url_for("agreements.commitment", commitment_id=n.subject_id, **anchor, **kw)
        case SubjectType.milestone:
            return url_for(
                "agreements.commitment",
                commitment_id=n.commitment_id,
                _anchor="milestones",
                **kw,
            )
        case SubjectType.extension:
            return url_for("progress.extension", extension_id=n.subject_id, **kw)
        case SubjectType.directive:
            return url_for("progress.directive", directive_id=n.subject_id, **anchor, **kw)
        case SubjectType.period:
            return url_for("progress.period", period_id=n.subject_id, **kw)
    return url_for("agreements.detail", code=agreements[n.agreement_id].code, **kw)


def show(notifications: list[Notification], *, external: bool = False) -> list[Shown]:
    """The text and link of each notification (needs a request context for the links)."""
    by_type: dict[SubjectType, set[int]] = {}
    for n in notifications:
        by_type.setdefault(n.subject_type, set()).add(n.subject_id)
    records = {
        (kind, obj.id): obj
        for kind, ids in by_type.items()
        for obj in db.session.scalars(sa.select(_MODELS[kind]).where(_MODELS[kind].id.in_(ids)))
    }

    def load(model, ids):
        ids = {i for i in ids if i}
        if not ids:
            return {}
        return {o.id: o for o in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}

    commitments = load(Commitment, (n.commitment_id for n in notifications))
    periods = load(ReportingPeriod, (n.period_id for n in notifications))
    agreements = load(Agreement, (n.agreement_id for n in notifications))
    actors = load(User, (n.actor_id for n in notifications))
    shown = []
    for n in notifications:
        record = records.get((n.subject_type, n.subject_id))
        actor = actors.get(n.actor_id)
        text = SENTENCES[n.kind]() % {
            "actor": actor.full_name if actor is not None else _("Someone"),
            "record": _record_label(n, record, commitments, periods),
        }
        agreement = agreements.get(n.agreement_id)
        shown.append(
            Shown(
                notification=n,
                text=text,
                url=_url(n, record, agreements, external=external),
                agreement_code=agreement.code if agreement else "",
            )
        )
    return shown
