"""Progress reporting: reporting periods, progress reports with indicator values, milestones met
and evidence; the return/verify history; deadline extensions."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.agreements.models import (
    Commitment,
    Completion,
    Directive,
    Indicator,
    Milestone,
    MilestoneStatus,
    PeriodKind,
)
from tracker.clock import local_today, utcnow
from tracker.db import Base, TimestampMixin, VersionedMixin, enum_column
from tracker.i18n import _, _l, fmt_date
from tracker.labels import LabelledEnum
from tracker.org.models import Unit


class ReportingPeriod(TimestampMixin, Base):
    """One period of an agreement: its data cut-off window and submission deadline."""

    __tablename__ = "reporting_periods"
    __audited__ = True
    __label__ = _l("Reporting period")
    __table_args__ = (sa.UniqueConstraint("agreement_id", "kind", "year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Agreement"), "in_history": False},
    )
    kind: Mapped[PeriodKind] = enum_column(PeriodKind, info={"label": _l("Reporting frequency")})
    year: Mapped[int] = mapped_column(info={"label": _l("Year")})
    #: 1–4 for quarters, 1–2 for half-years, 1 for a year.
    number: Mapped[int] = mapped_column(info={"label": _l("Number")})
    #: First and last day of the data cut-off window (15th of the month before → 14th).
    starts_on: Mapped[date] = mapped_column(info={"label": _l("Starts on")})
    ends_on: Mapped[date] = mapped_column(info={"label": _l("Ends on")})
    deadline_on: Mapped[date] = mapped_column(info={"label": _l("Reporting deadline")})
    #: Set when the DIC reopens a locked period: reports are accepted until this date.
    reopened_until: Mapped[date | None] = mapped_column(info={"label": _l("Accept reports until")})

    agreement = relationship("Agreement")

    @property
    def audit_agreement_id(self):
        return self.agreement_id

    @property
    def label(self) -> str:
        roman = {1: "I", 2: "II", 3: "III", 4: "IV"}
        if self.kind == PeriodKind.quarter:
            return _("Quarter %(n)s/%(year)d", n=roman[self.number], year=self.year)
        if self.kind == PeriodKind.half_year:
            if self.number == 1:
                return _("First half of %(year)d", year=self.year)
            return _("Second half of %(year)d", year=self.year)
        return _("Year %(year)d", year=self.year)

    def accepts_reports(self, today: date | None = None, deadline: date | None = None) -> bool:
        """Open until the deadline (or an item's extended deadline), or while reopened."""
        today = today or local_today()
        if today <= (deadline or self.deadline_on):
            return True
        return self.reopened_until is not None and today <= self.reopened_until

    def is_current(self, today: date | None = None) -> bool:
        today = today or local_today()
        return self.starts_on <= today <= self.deadline_on


class ReportStatus(LabelledEnum):
    """draft → submitted → (returned → submitted …) → verified."""

    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    verified = "verified"
    __labels__ = {
        "draft": _l("Draft"),
        "submitted": _l("Awaiting verification"),
        "returned": _l("Returned for revision"),
        "verified": _l("Verified"),
    }


class ProgressReport(VersionedMixin, Base):
    """A responsible unit's report on one commitment for one period."""

    __tablename__ = "progress_reports"
    __audited__ = True
    __label__ = _l("Progress report")
    __table_args__ = (
        sa.UniqueConstraint("commitment_id", "period_id"),
        sa.CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent_range"),
        sa.CheckConstraint("spent_vnd IS NULL OR spent_vnd >= 0", name="spent_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Commitment"), "in_history": False},
    )
    period_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reporting_periods.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Reporting period"), "in_history": False},
    )
    status: Mapped[ReportStatus] = enum_column(
        ReportStatus, default=ReportStatus.draft, info={"label": _l("Status")}
    )
    percent_complete: Mapped[int] = mapped_column(default=0, info={"label": _l("Percent complete")})
    completion: Mapped[Completion] = enum_column(
        Completion, default=Completion.not_started, info={"label": _l("Completion")}
    )
    #: Money spent during the period, in VND.
    spent_vnd: Mapped[int | None] = mapped_column(
        sa.BigInteger, info={"label": _l("Spent in the period")}
    )
    narrative: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": _l("Results, difficulties and next steps")}
    )
    #: The unit the report was made for (the author's unit).
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id"), info={"label": _l("Unit")}
    )
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), info={"label": _l("Submitted by")}
    )
    submitted_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), info={"label": _l("Submitted at")}
    )
    verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), info={"label": _l("Verified by")}
    )
    verified_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), info={"label": _l("Verified at")}
    )

    commitment: Mapped[Commitment] = relationship()
    period: Mapped[ReportingPeriod] = relationship()
    unit: Mapped[Unit | None] = relationship()
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    verified_by = relationship("User", foreign_keys=[verified_by_id])
    values: Mapped[list["ReportValue"]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )
    milestones: Mapped[list["ReportMilestone"]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )
    evidence: Mapped[list["Evidence"]] = relationship(
        back_populates="report", order_by="Evidence.id", foreign_keys="Evidence.report_id"
    )
    events: Mapped[list["ReportEvent"]] = relationship(
        back_populates="report", order_by="ReportEvent.id", cascade="all, delete-orphan"
    )

    @property
    def audit_agreement_id(self):
        return self.commitment.agreement_id if self.commitment else None


class ReportValue(Base):
    """An indicator value reported (it becomes a verified measurement on verification)."""

    __tablename__ = "report_values"
    __table_args__ = (sa.UniqueConstraint("report_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("progress_reports.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("indicators.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[Decimal] = mapped_column(sa.Numeric(20, 4), info={"label": _l("Value")})
    note: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Source or note")})

    report: Mapped[ProgressReport] = relationship(back_populates="values")
    indicator: Mapped[Indicator] = relationship()


class ReportMilestone(Base):
    """A milestone the report says was met (or partly met), with the date."""

    __tablename__ = "report_milestones"
    __table_args__ = (sa.UniqueConstraint("report_id", "milestone_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("progress_reports.id", ondelete="CASCADE"), index=True
    )
    milestone_id: Mapped[int] = mapped_column(
        sa.ForeignKey("milestones.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[MilestoneStatus] = enum_column(MilestoneStatus, info={"label": _l("Status")})
    done_on: Mapped[date] = mapped_column(info={"label": _l("Date met")})

    report: Mapped[ProgressReport] = relationship(back_populates="milestones")
    milestone: Mapped[Milestone] = relationship()


class ReportAction(LabelledEnum):
    """Steps in a report's history."""

    submitted = "submitted"
    returned = "returned"
    verified = "verified"
    __labels__ = {
        "submitted": _l("Sent for verification"),
        "returned": _l("Returned for revision"),
        "verified": _l("Verified"),
    }


class ReportEvent(Base):
    """One step of a report's history: never edited, never deleted."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("progress_reports.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[ReportAction] = enum_column(ReportAction)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    report: Mapped[ProgressReport] = relationship(back_populates="events")
    actor = relationship("User")


class EvidenceKind(LabelledEnum):
    """What a piece of evidence is."""

    minutes = "minutes"
    decision = "decision"
    photo = "photo"
    report = "report"
    statistics = "statistics"
    other = "other"
    __labels__ = {
        "minutes": _l("Acceptance minutes"),
        "decision": _l("Decision"),
        "photo": _l("Photo"),
        "report": _l("Report"),
        "statistics": _l("Statistics"),
        "other": _l("Other"),
    }


class Evidence(TimestampMixin, Base):
    """A file proving a result (minh chứng), for a report or for a directive's completion."""

    __tablename__ = "evidence"
    __audited__ = True
    __label__ = _l("Evidence")
    #: What shows the record where another one refers to it (the history of changes).
    __display__ = "title"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("progress_reports.id"),
        index=True,
        info={"label": _l("Progress report"), "in_history": False},
    )
    directive_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directives.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Directive"), "in_history": False},
    )
    title: Mapped[str] = mapped_column(sa.String(300), info={"label": _l("Title")})
    kind: Mapped[EvidenceKind] = enum_column(
        EvidenceKind, default=EvidenceKind.other, info={"label": _l("Evidence kind")}
    )
    issued_on: Mapped[date | None] = mapped_column(info={"label": _l("Date of the document")})
    file_name: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("File")})
    sha256: Mapped[str] = mapped_column(
        sa.String(64), index=True, info={"label": "SHA-256", "stored_file": True}
    )
    size: Mapped[int] = mapped_column(sa.BigInteger, info={"label": _l("Size")})
    content_type: Mapped[str] = mapped_column(
        sa.String(120), info={"label": _l("File type"), "in_history": False}
    )
    #: SHA-256 of the stored thumbnail (images only).
    thumbnail_sha256: Mapped[str | None] = mapped_column(
        sa.String(64), info={"label": _l("Thumbnail"), "in_history": False, "stored_file": True}
    )
    #: Verified evidence is never deleted; a newer file supersedes it.
    superseded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evidence.id"), info={"label": _l("Replaced by")}
    )

    report: Mapped[ProgressReport | None] = relationship(
        back_populates="evidence", foreign_keys=[report_id]
    )
    directive: Mapped[Directive | None] = relationship()
    superseded_by: Mapped["Evidence | None"] = relationship(remote_side=[id])

    @property
    def audit_agreement_id(self):
        if self.report is not None:
            return self.report.commitment.agreement_id
        if self.directive is not None:
            return self.directive.agreement_id
        return None


class ExtensionStatus(LabelledEnum):
    """A deadline extension request's decision."""

    pending = "pending"
    approved = "approved"
    refused = "refused"
    __labels__ = {"pending": _l("Pending"), "approved": _l("Approved"), "refused": _l("Refused")}


#: An item gets at most this many extensions (requests pending or approved).
MAX_EXTENSIONS = 2


class Extension(TimestampMixin, Base):
    """A request to extend a deadline (gia hạn): a milestone's due date, or a commitment's report
    deadline for one period. The original date is kept."""

    __tablename__ = "extensions"
    __audited__ = True
    __label__ = _l("Extension request")

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Commitment"), "in_history": False},
    )
    milestone_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("milestones.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Milestone"), "in_history": False},
    )
    period_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reporting_periods.id", ondelete="CASCADE"),
        info={"label": _l("Reporting period"), "in_history": False},
    )
    #: The date before this extension.
    original_on: Mapped[date] = mapped_column(info={"label": _l("Original date")})
    requested_on: Mapped[date] = mapped_column(info={"label": _l("New date")})
    reason: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Reason")})
    status: Mapped[ExtensionStatus] = enum_column(
        ExtensionStatus, default=ExtensionStatus.pending, info={"label": _l("Status")}
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), info={"label": _l("Requested by")}
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), info={"label": _l("Decided by")}
    )
    decided_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), info={"label": _l("Decided at")}
    )
    decision_note: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Decision note")})

    commitment: Mapped[Commitment] = relationship()
    milestone: Mapped[Milestone | None] = relationship()
    period: Mapped[ReportingPeriod | None] = relationship()
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def audit_agreement_id(self):
        return self.commitment.agreement_id if self.commitment else None

    def decision_text(self) -> str:
        """What was decided, in a sentence: the new date, or the refusal with its reason, or that
        the request awaits the DIC."""
        on = fmt_date(self.requested_on)
        if self.status == ExtensionStatus.approved:
            return _("Approved: the new date is %(date)s.", date=on)
        if self.status == ExtensionStatus.refused:
            return _(
                "The extension to %(date)s was refused: %(reason)s",
                date=on,
                reason=self.decision_note or "—",
            )
        return _("The extension to %(date)s awaits the DIC's decision.", date=on)
