"""Generated review documents (PDF), kept so they can be downloaded again and traced."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import utcnow
from tracker.db import Base, enum_column
from tracker.i18n import _, _l
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
    #: Who issues the review (its header and its register).
    issuer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("issuing_organisations.id"), info={"label": _l("Issuing organisation")}
    )
    #: The signed review this one replaces (same agreement, kind, language and range).
    supersedes_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("generated_reports.id"), info={"label": _l("Replaces")}
    )
    #: The register's number, given at signing: year, order in the year, "12/BC-UBND".
    number_year: Mapped[int | None] = mapped_column(info={"label": _l("Register year")})
    number_seq: Mapped[int | None] = mapped_column(info={"label": _l("Register number")})
    number_text: Mapped[str | None] = mapped_column(
        sa.String(60), info={"label": _l("Number and symbol")}
    )
    #: The signed PDF (the draft stays under `sha256`).
    signed_sha256: Mapped[str | None] = mapped_column(
        sa.String(64), info={"label": _l("Signed PDF"), "stored_file": True}
    )
    signed_size: Mapped[int | None] = mapped_column(
        sa.BigInteger, info={"label": _l("Size of the signed PDF")}
    )
    signed_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), info={"label": _l("Signed at")}
    )
    signed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Signed by")}
    )
    #: The signer's name as the certificate gives it.
    signer_certificate_name: Mapped[str | None] = mapped_column(
        sa.String(200), info={"label": _l("Signer's certificate")}
    )
    #: Whether the organisation's signature (seal, appendices) was applied too.
    sealed: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(), info={"label": _l("Seal signature")}
    )

    agreement = relationship("Agreement")
    created_by = relationship("User", foreign_keys=[created_by_id])
    signed_by = relationship("User", foreign_keys=[signed_by_id])
    issuer = relationship("IssuingOrganisation")
    supersedes = relationship("GeneratedReport", remote_side=[id])

    __table_args__ = (
        sa.UniqueConstraint(
            "issuer_id", "number_year", "number_seq", name="uq_generated_reports_number"
        ),
    )

    @property
    def signed(self) -> bool:
        """A signed review is a document of record: it never changes."""
        return self.signed_sha256 is not None

    @property
    def signed_file_name(self) -> str:
        """The signed PDF's download name: the draft's with its number and "đã ký số"
        ("Báo cáo tổng kết 05 năm - Quảng Bình - 23-09-2025 - 12-BC-UBND - đã ký số.pdf")."""
        with force_locale(self.lang):
            signed = _("digitally signed")
        number = (self.number_text or "").replace("/", "-")
        stem = self.file_name.removesuffix(".pdf")
        return clean_file_name(f"{stem} - {number} - {signed}.pdf" if number else f"{stem}.pdf")

    @property
    def file_name(self) -> str:
        """The name the review downloads under."""
        return review_file_name(self.agreement, self.kind, self.date_to, self.lang)

    @property
    def audit_agreement_id(self):
        return self.agreement_id


class IssuingOrganisation(Base):
    """The body that issues a province's reviews (cơ quan ban hành): its name and parent body
    for the header, its symbol for the number ("BC-UBND"), its seal. One per province, the
    province's People's Committee unless the admin says otherwise."""

    __tablename__ = "issuing_organisations"
    __audited__ = True
    __label__ = _l("Issuing organisation")
    __display__ = "name"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(
        sa.ForeignKey("provinces.id"), unique=True, info={"label": _l("Province")}
    )
    #: As the header prints it, one line each ("Ủy ban nhân dân\ntỉnh Quảng Bình").
    name: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Issuing agency")})
    parent_name: Mapped[str] = mapped_column(
        sa.String(200), default="", info={"label": _l("Parent agency")}
    )
    #: The agency's part of the symbol: 12/BC-UBND.
    symbol: Mapped[str] = mapped_column(sa.String(20), info={"label": _l("Symbol")})
    #: The seal (red, transparent PNG re-encoded by the server) and its real diameter.
    seal_sha256: Mapped[str | None] = mapped_column(
        sa.String(64), info={"label": _l("Seal"), "stored_file": True}
    )
    seal_mm: Mapped[int] = mapped_column(default=36, info={"label": _l("Seal diameter (mm)")})

    province = relationship("Province")

    def __str__(self):
        return self.name.replace("\n", " ")


class ReviewRegister(Base):
    """The register of an issuing organisation for a year: the last number it gave. Locked
    (SELECT … FOR UPDATE) while a review is signed, so two signings never share a number."""

    __tablename__ = "review_registers"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(sa.ForeignKey("issuing_organisations.id"))
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.UniqueConstraint("issuer_id", "year", name="uq_review_registers_year"),)


class SignatureImage(Base):
    """A signer's handwritten signature as a blue transparent PNG (re-encoded by the server),
    shown in the signature block when they sign."""

    __tablename__ = "signature_images"
    __audited__ = True
    __label__ = _l("Signature image")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True, info={"label": _l("Account")}
    )
    image_sha256: Mapped[str] = mapped_column(
        sa.String(64), info={"label": _l("Signature image"), "stored_file": True}
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    user = relationship("User")


class ExternalSigning(Base):
    """A review prepared for a signature made outside the server (USB token, remote signing
    service): the prepared file, the digest to sign, the certificate it must be signed with.
    It expires; its number, taken when it was prepared, is never given to another review."""

    __tablename__ = "external_signings"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("generated_reports.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    prepared_sha256: Mapped[str] = mapped_column(sa.String(64), info={"stored_file": True})
    digest: Mapped[str] = mapped_column(sa.String(64))
    reserved_start: Mapped[int] = mapped_column(sa.BigInteger)
    reserved_end: Mapped[int] = mapped_column(sa.BigInteger)
    number_year: Mapped[int]
    number_seq: Mapped[int]
    number_text: Mapped[str] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    report = relationship("GeneratedReport")
