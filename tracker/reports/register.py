"""The issuing organisations of the reviews, their registers of numbers, and the versions of
a review (a new one replaces the signed one of the same agreement, kind, language and range)."""

from dataclasses import replace

import sqlalchemy as sa
from flask_babel import force_locale

from tracker.clock import LOCAL_TZ
from tracker.extensions import db
from tracker.i18n import _
from tracker.org.models import province_full_name
from tracker.reports.models import GeneratedReport, IssuingOrganisation, ReviewRegister

#: The document type's part of the symbol (báo cáo).
REVIEW_TYPE = "BC"
#: Placeholder of the number in a draft: "Số:        /BC-UBND".
BLANK_NUMBER = "\u00a0" * 8


def default_issuer_name(province) -> str:
    return f"Ủy ban nhân dân\n{province_full_name(province.name, province.is_city)}"


def issuer_for(province) -> IssuingOrganisation:
    """The issuing organisation of a province; its People's Committee until the admin says
    otherwise (made on first use)."""
    issuer = db.session.scalar(
        sa.select(IssuingOrganisation).where(IssuingOrganisation.province_id == province.id)
    )
    if issuer is None:
        issuer = IssuingOrganisation(
            province_id=province.id, name=default_issuer_name(province), symbol="UBND"
        )
        db.session.add(issuer)
        db.session.flush()
    return issuer


def number_text(seq: int | None, symbol: str) -> str:
    """ "12/BC-UBND"; a draft's number is blank: "        /BC-UBND"."""
    return f"{seq if seq else BLANK_NUMBER}/{REVIEW_TYPE}-{symbol}"


def peek_number(issuer: IssuingOrganisation, year: int) -> int:
    """The number the register would give next (shown before signing; not reserved)."""
    last = db.session.scalar(
        sa.select(ReviewRegister.last_number).where(
            ReviewRegister.issuer_id == issuer.id, ReviewRegister.year == year
        )
    )
    return (last or 0) + 1


def take_number(issuer: IssuingOrganisation, year: int) -> int:
    """The next number of the issuer's register for the year, inside the caller's transaction:
    the register row is locked (SELECT … FOR UPDATE) until it commits or rolls back, so a
    refused signing gives nothing away and two signings never share a number."""
    register = db.session.scalar(
        sa.select(ReviewRegister)
        .where(ReviewRegister.issuer_id == issuer.id, ReviewRegister.year == year)
        .with_for_update()
    )
    if register is None:
        register = ReviewRegister(issuer_id=issuer.id, year=year, last_number=0)
        db.session.add(register)
        db.session.flush()
    register.last_number += 1
    db.session.flush()
    return register.last_number


def superseded(agreement, kind, lang, date_from, date_to) -> GeneratedReport | None:
    """The latest signed review a new one of the same agreement, kind, language and range
    replaces."""
    return db.session.scalar(
        sa.select(GeneratedReport)
        .where(
            GeneratedReport.agreement_id == agreement.id,
            GeneratedReport.kind == kind,
            GeneratedReport.lang == lang,
            GeneratedReport.date_from == date_from,
            GeneratedReport.date_to == date_to,
            GeneratedReport.signed_sha256.is_not(None),
        )
        .order_by(GeneratedReport.signed_at.desc(), GeneratedReport.id.desc())
        .limit(1)
    )


def supersedes_sentence(record: GeneratedReport | None, lang: str) -> str:
    """ "Báo cáo này thay thế Báo cáo số 12/BC-UBND ngày 05/01/2026." (empty when none)."""
    if record is None:
        return ""
    with force_locale(lang):
        return _(
            "This report replaces report No. %(number)s of %(date)s.",
            number=record.number_text,
            date=record.signed_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y"),
        )


def document_options(options, issuer: IssuingOrganisation | None, number: str):
    """The options a review is drawn with: the issuing organisation's name and parent body
    where the editors left them empty (Vietnamese reviews), and the number."""
    options = replace(options)
    if issuer is not None and options.lang == "vi":
        options.issuer = options.issuer or issuer.name
        options.issuer_parent = options.issuer_parent or issuer.parent_name
    options.number = number
    return options
