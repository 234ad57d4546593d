"""Generating review documents: gather verified data, build the PDF, store and record it."""

from dataclasses import asdict
from datetime import date

from flask_babel import force_locale

from tracker import storage
from tracker.auth.models import Role
from tracker.auth.permissions import can_view_agreement
from tracker.errors import InvalidValue, NotAllowed
from tracker.extensions import db
from tracker.i18n import _
from tracker.reports.data import review_data
from tracker.reports.models import GeneratedReport, ReviewKind
from tracker.reports.pdf.five_year import ReviewOptions, build_review


def can_generate(user, agreement) -> bool:
    """Leaders, DIC staff and admins of the agreement's scope generate and download reviews."""
    return can_view_agreement(user, agreement) and user.role in (Role.admin, Role.dic, Role.leader)


def default_range(agreement, kind: ReviewKind, today: date) -> tuple[date, date]:
    """The whole period for a five-year review, the calendar year for an annual one."""
    if kind == ReviewKind.annual:
        year = min(today.year, agreement.period_end.year)
        return max(date(year, 1, 1), agreement.period_start), min(
            date(year, 12, 31), agreement.period_end
        )
    return agreement.period_start, agreement.period_end


def render_review(
    agreement, options: ReviewOptions, date_from: date, date_to: date
) -> tuple[bytes, int, str]:
    """PDF bytes, page count and data fingerprint (no permission check, nothing recorded)."""
    if date_to < date_from:
        raise InvalidValue(_("The end must be after the start."), "date_to")
    if options.lang not in ("vi", "en"):
        raise InvalidValue(_("Not a valid choice."), "lang")
    data = review_data(agreement, date_from, date_to)
    with force_locale(options.lang):
        pdf, pages = build_review(data, options)
    return pdf, pages, data.fingerprint()


def generate_review(
    agreement, *, user, options: ReviewOptions, date_from: date, date_to: date
) -> GeneratedReport:
    """Build a review, store it and record who made it, when, with what, from which data."""
    if user is not None and not can_generate(user, agreement):
        raise NotAllowed()
    pdf, pages, fingerprint = render_review(agreement, options, date_from, date_to)
    stored = storage.store_bytes(
        pdf,
        f"{agreement.code}-{options.kind}-{date_to.isoformat()}-{options.lang}.pdf",
        "application/pdf",
    )
    saved = asdict(options)
    saved["issued_on"] = options.issued_on.isoformat() if options.issued_on else None
    record = GeneratedReport(
        agreement_id=agreement.id,
        kind=ReviewKind(options.kind),
        lang=options.lang,
        date_from=date_from,
        date_to=date_to,
        options=saved,
        data_fingerprint=fingerprint,
        sha256=stored.sha256,
        size=stored.size,
        pages=pages,
        created_by_id=user.id if user is not None else None,
    )
    db.session.add(record)
    db.session.flush()
    return record


def options_from(saved: dict) -> ReviewOptions:
    """The options of an earlier report, to start the next one from."""
    values = {k: v for k, v in (saved or {}).items() if k in ReviewOptions.__dataclass_fields__}
    if values.get("issued_on"):
        values["issued_on"] = date.fromisoformat(values["issued_on"])
    return ReviewOptions(**values)
