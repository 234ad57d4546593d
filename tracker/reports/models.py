"""Generated review documents (PDF), kept so they can be downloaded again and traced."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, enum_column
from tracker.i18n import _l
from tracker.labels import LabelledEnum


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


def review_file_name(code: str, kind: ReviewKind, date_to: date, lang: str) -> str:
    """The file name of a review: QB-VNPT-2020-annual-2024-12-31-vi.pdf."""
    return f"{code}-{kind.value}-{date_to.isoformat()}-{lang}.pdf"


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
        return review_file_name(self.agreement.code, self.kind, self.date_to, self.lang)

    @property
    def audit_agreement_id(self):
        return self.agreement_id
