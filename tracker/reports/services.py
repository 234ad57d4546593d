"""Generating review documents: gather verified data, build the PDF, store and record it; the
same review as an editable Word file."""

from dataclasses import asdict
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale

from tracker import storage
from tracker.agreements.permissions import can_view_agreement
from tracker.auth.models import Role
from tracker.clock import local_today
from tracker.errors import InvalidValue, NotAllowed
from tracker.extensions import db
from tracker.i18n import _, fmt_datetime
from tracker.reports import register
from tracker.reports.data import review_data
from tracker.reports.models import GeneratedReport, ReviewKind, review_file_name
from tracker.reports.pdf.five_year import Marks, ReviewOptions, build_review
from tracker.reports.word import build_review_docx


def can_generate(user, agreement) -> bool:
    """Leaders, DIC staff and admins of the agreement's scope generate and download reviews."""
    return can_view_agreement(user, agreement) and user.role in (Role.admin, Role.dic, Role.leader)


def default_issued_on(agreement, date_to: date | None = None) -> date:
    """The document's date when none is given: the end of the range asked for, else the end of
    the agreement or today, whichever comes first."""
    return date_to or min(agreement.period_end, local_today())


def default_range(agreement, kind: ReviewKind, issued_on: date) -> tuple[date, date]:
    """The usual range of a review dated `issued_on`, never ending after that date.

    Five-year and interim reviews: the agreement's period. Annual review: one calendar year of
    the agreement, the current year when the document is dated in December or after the
    agreement ended that year, the last full year otherwise."""
    start, end = agreement.period_start, agreement.period_end
    if ReviewKind(kind) == ReviewKind.annual:
        current = issued_on.month == 12 or end.year == issued_on.year and end < issued_on
        year = issued_on.year if current else issued_on.year - 1
        year = min(max(year, start.year), end.year)
        start, end = max(date(year, 1, 1), start), min(date(year, 12, 31), end)
    return start, min(end, issued_on)


def review_range(
    agreement, options: ReviewOptions, date_from: date | None, date_to: date | None
) -> tuple[date, date]:
    """The range of a review: the one given, its missing ends from `default_range`. Refused when
    it ends before it starts or after the document's date (a review never judges a day its
    document cannot know)."""
    issued_on = options.issued_on or local_today()
    start, end = default_range(agreement, options.kind, issued_on)
    date_from, date_to = date_from or start, date_to or end
    if date_to > issued_on:
        raise InvalidValue(
            _(
                "The range cannot end after the date of the document (%(date)s).",
                date=issued_on.strftime("%d/%m/%Y"),
            ),
            "date_to",
        )
    if date_to < date_from:
        raise InvalidValue(_("The end must be after the start."), "date_to")
    return date_from, date_to


def _review_data(agreement, options: ReviewOptions, date_from, date_to):
    if options.lang not in ("vi", "en"):
        raise InvalidValue(_("Not a valid choice."), "lang")
    if options.kind not in ReviewKind.__members__:
        raise InvalidValue(_("Not a valid choice."), "kind")
    date_from, date_to = review_range(agreement, options, date_from, date_to)
    return review_data(agreement, date_from, date_to)


def render_review(
    agreement,
    options: ReviewOptions,
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    marks: Marks | None = None,
) -> tuple[bytes, int, str]:
    """PDF bytes, page count and data fingerprint (no permission check, nothing recorded).
    `marks`: a draft unless told (`tracker.reports.signing` renders the signed one)."""
    data = _review_data(agreement, options, date_from, date_to)
    with force_locale(options.lang):
        pdf, pages = build_review(data, options, marks)
    return pdf, pages, data.fingerprint()


def render_review_docx(
    agreement,
    options: ReviewOptions,
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    made_from: GeneratedReport | None = None,
) -> tuple[bytes, str]:
    """The review as a Word file (the same words as the PDF) and its data fingerprint; no
    permission check, nothing recorded. With `made_from` (the generated review it repeats),
    a data fingerprint other than that review's is said in the file's first-page header."""
    data = _review_data(agreement, options, date_from, date_to)
    fingerprint = data.fingerprint()
    with force_locale(options.lang):
        note = ""
        if made_from is not None and made_from.data_fingerprint != fingerprint:
            note = _(
                "The data have changed since the PDF of %(when)s was generated: this file shows "
                "them as they are now.",
                when=fmt_datetime(made_from.created_at),
            )
        docx = build_review_docx(data, options, note=note)
    return docx, fingerprint


def review_docx(record: GeneratedReport, *, user) -> tuple[bytes, str, bool]:
    """The Word file of a generated review, from its saved options and range (for whoever may
    generate reviews of its agreement): bytes, file name, and whether the data changed since."""
    if not can_generate(user, record.agreement):
        raise NotAllowed()
    options = options_from(record.options)
    # the record's own kind and language; a record saved without a document date (older ones)
    # gets the end of its range, the earliest date its document can bear
    options.kind, options.lang = record.kind.value, record.lang
    options.issued_on = options.issued_on or record.date_to
    docx, fingerprint = render_review_docx(
        record.agreement, options, record.date_from, record.date_to, made_from=record
    )
    name = review_file_name(record.agreement, record.kind, record.date_to, record.lang, ext="docx")
    return docx, name, fingerprint != record.data_fingerprint


def generate_review(
    agreement,
    *,
    user,
    options: ReviewOptions,
    date_from: date | None = None,
    date_to: date | None = None,
) -> GeneratedReport:
    """Build a review, store it and record who made it, when, with what, from which data. An end
    of the range left out is the kind's usual one (`default_range`)."""
    if user is not None and not can_generate(user, agreement):
        raise NotAllowed()
    if options.issued_on is None:
        options.issued_on = local_today()
    date_from, date_to = review_range(agreement, options, date_from, date_to)
    issuer = register.issuer_for(agreement.province.current())
    replaced = register.superseded(
        agreement, ReviewKind(options.kind), options.lang, date_from, date_to
    )
    drawn = register.document_options(
        options, issuer, options.number or register.number_text(None, issuer.symbol)
    )
    marks = Marks(draft=True, supersedes=register.supersedes_sentence(replaced, options.lang))
    pdf, pages, fingerprint = render_review(agreement, drawn, date_from, date_to, marks=marks)
    stored = storage.store_bytes(
        pdf,
        review_file_name(agreement, ReviewKind(options.kind), date_to, options.lang),
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
        issuer_id=issuer.id,
        supersedes_id=replaced.id if replaced is not None else None,
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


def history(agreement) -> list[GeneratedReport]:
    """The reviews generated for an agreement, the latest first."""
    return db.session.scalars(
        sa.select(GeneratedReport)
        .where(GeneratedReport.agreement_id == agreement.id)
        .order_by(GeneratedReport.created_at.desc(), GeneratedReport.id.desc())
    ).all()


def previous_options(agreement, earlier: list[GeneratedReport] | None = None) -> ReviewOptions:
    """The options of the last review generated for the agreement (what the editors wrote is
    offered again), or the defaults; `earlier` is its `history` when the caller has it."""
    if earlier is None:
        earlier = history(agreement)[:1]
    return options_from(earlier[0].options) if earlier else ReviewOptions()
