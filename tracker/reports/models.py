"""Generated review documents (PDF), kept so they can be downloaded again and traced."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, enum_column
from tracker.i18n import _l
from tracker.labels import LabelledEnum
from tracker.storage import clean_file_name


class ReviewKind(LabelledEnum):
    """What a review covers."""

    five_year = "five_year"
    annual = "annual"
    interim = "interim"
    __labels__ = {
        "five_year": _l("Five-year review"),
        "annual": _l("Annual review"),
        "interim": _l("Interim review"),
    }


def review_file_name(
    agreement, kind: ReviewKind, date_to: date, lang: str, ext: str = "pdf"
) -> str:
    """The name a review is stored and downloaded under, readable in the review's language:
    "Báo cáo tổng kết 05 năm - Quảng Bình - 23-09-2025.pdf", "Annual review - Quảng Trị -
    31-12-2024.docx" (the kind, the agreement's province, the end of the range)."""
    with force_locale(lang):
        label = str(ReviewKind(kind).label)
    return clean_file_name(f"{label} - {agreement.province.name} - {date_to:%d-%m-%Y}.{ext}")


class GeneratedReport(Base):
    """One generated PDF: who, when, with which options, and a fingerprint of the data used."""

    __tablename__ = "generated_reports"
    __audited__ = True
    __label__ = _l("Generated review")

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Agreement"), "in_history": False},
    )
    kind: Mapped[ReviewKind] = enum_column(ReviewKind, info={"label": _l("Kind of review")})
    lang: Mapped[str] = mapped_column(sa.String(5), info={"label": _l("Language")})
    date_from: Mapped[date] = mapped_column(info={"label": _l("From")})
    date_to: Mapped[date] = mapped_column(info={"label": _l("To")})
    #: Everything the user chose or wrote: narrative sections, signer, recipients, number.
    options: Mapped[dict] = mapped_column(
        sa.JSON, default=dict, info={"label": _l("Options"), "in_history": False}
    )
    #: SHA-256 of the verified data the document was built from (same data → same fingerprint).
    data_fingerprint: Mapped[str] = mapped_column(
        sa.String(64), info={"label": _l("Data fingerprint"), "in_history": False}
    )
    sha256: Mapped[str] = mapped_column(
        sa.String(64), index=True, info={"label": "SHA-256", "stored_file": True}
    )
    size: Mapped[int] = mapped_column(sa.BigInteger, info={"label": _l("Size")})
    pages: Mapped[int] = mapped_column(default=0, info={"label": _l("Number of pages")})
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    agreement = relationship("Agreement")
    created_by = relationship("User")

    @property
    def file_name(self) -> str:
        """The name the review downloads under."""
        return review_file_name(self.agreement, self.kind, self.date_to, self.lang)

    @property
    def audit_agreement_id(self):
        return self.agreement_id
