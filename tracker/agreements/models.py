"""Agreements and everything recorded under them: areas, commitments, milestones, indicators,
measurements, directives, documents and the status history."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tracker.clock import local_today, utcnow
from tracker.collation import by_name
from tracker.db import Base, TimestampMixin, VersionedMixin, enum_column
from tracker.i18n import _l
from tracker.labels import LabelledEnum
from tracker.org.models import Province, Side, Unit
from tracker.text import fold


class AgreementStatus(LabelledEnum):
    """The agreement's life cycle: draft → under review → signed → in force → (review) → closed."""

    draft = "draft"
    under_review = "under_review"
    signed = "signed"
    in_force = "in_force"
    closed = "closed"
    __labels__ = {
        "draft": _l("Draft"),
        "under_review": _l("Under review"),
        "signed": _l("Signed"),
        "in_force": _l("In force"),
        "closed": _l("Closed"),
    }


def allowed_transitions(status: AgreementStatus, *, signed: bool) -> list[AgreementStatus]:
    """The statuses an agreement may move to. 'Under review' before signing is the draft's
    review (back to draft or on to signed); after signing it is the final review (closed)."""
    S = AgreementStatus
    if status == S.draft:
        return [S.under_review]
    if status == S.under_review:
        return [S.in_force, S.closed] if signed else [S.draft, S.signed]
    if status == S.signed:
        return [S.in_force, S.closed]
    if status == S.in_force:
        return [S.under_review, S.closed]
    return []


#: Decree 09/2019/NĐ-CP defaults: reports are due 6 days after the cut-off on the 14th (the 20th),
#: and a returned report may be corrected within 5 days of its return (the decree sets no
#: resubmission window; five days is this tool's default, a setting of each agreement).
REPORT_DEADLINE_DAYS = 6
RESUBMIT_GRACE_DAYS = 5
#: The longest either may be set to.
MAX_REPORTING_DAYS = 90


class PeriodKind(LabelledEnum):
    """Reporting periods of the Vietnamese reporting regime (Decree 09/2019/NĐ-CP)."""

    quarter = "quarter"
    half_year = "half_year"
    year = "year"
    __labels__ = {"quarter": _l("Quarterly"), "half_year": _l("Half-yearly"), "year": _l("Yearly")}


class FundingSource(LabelledEnum):
    """Where a commitment's money comes from."""

    vnpt = "vnpt"
    provincial_budget = "provincial_budget"
    central_budget = "central_budget"
    service_rental = "service_rental"
    socialization = "socialization"
    other = "other"
    __labels__ = {
        "vnpt": _l("VNPT investment"),
        "provincial_budget": _l("Provincial budget"),
        "central_budget": _l("Central budget"),
        "service_rental": _l("Service rental"),
        "socialization": _l("Socialisation (private funds)"),
        "other": _l("Other"),
    }


class Completion(LabelledEnum):
    """How complete a commitment is, as the Open Government Partnership rates it."""

    not_started = "not_started"
    limited = "limited"
    substantial = "substantial"
    complete = "complete"
    withdrawn = "withdrawn"
    __labels__ = {
        "not_started": _l("Not started"),
        "limited": _l("Limited"),
        "substantial": _l("Substantial"),
        "complete": _l("Complete"),
        "withdrawn": _l("Withdrawn"),
    }


class MilestoneStatus(LabelledEnum):
    """Open Contracting milestone codes."""

    scheduled = "scheduled"
    met = "met"
    partially_met = "partially_met"
    not_met = "not_met"
    __labels__ = {
        "scheduled": _l("Scheduled"),
        "met": _l("Met"),
        "partially_met": _l("Partially met"),
        "not_met": _l("Not met"),
    }


class Direction(LabelledEnum):
    """Whether an indicator should rise or fall toward its target."""

    increase = "increase"
    decrease = "decrease"
    __labels__ = {"increase": _l("Increase to target"), "decrease": _l("Decrease to target")}


agreement_units = sa.Table(
    "agreement_units",
    Base.metadata,
    sa.Column("agreement_id", sa.ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("units.id"), primary_key=True),
)

commitment_support_units = sa.Table(
    "commitment_support_units",
    Base.metadata,
    sa.Column(
        "commitment_id", sa.ForeignKey("commitments.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("unit_id", sa.ForeignKey("units.id"), primary_key=True),
)


class Agreement(VersionedMixin, Base):
    """A strategic cooperation agreement between a province and VNPT."""

    __tablename__ = "agreements"
    __audited__ = True
    __label__ = _l("Agreement")
    #: What shows the record where another one refers to it (the history of changes).
    __display__ = "code"
    __audited_collections__ = ("units",)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, info={"label": _l("Code")})
    title: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Title")})
    province_id: Mapped[int] = mapped_column(
        sa.ForeignKey("provinces.id"), index=True, info={"label": _l("Province")}
    )
    partner: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("Partner")})
    province_signatory: Mapped[str | None] = mapped_column(
        sa.String(255), info={"label": _l("Signatory for the province")}
    )
    partner_signatory: Mapped[str | None] = mapped_column(
        sa.String(255), info={"label": _l("Signatory for the partner")}
    )
    signed_on: Mapped[date | None] = mapped_column(info={"label": _l("Signed on")})
    period_start: Mapped[date] = mapped_column(info={"label": _l("Period start")})
    period_end: Mapped[date] = mapped_column(info={"label": _l("Period end")})
    vision_year: Mapped[int | None] = mapped_column(info={"label": _l("Orientation to year")})
    status: Mapped[AgreementStatus] = enum_column(
        AgreementStatus, default=AgreementStatus.draft, info={"label": _l("Status")}
    )
    description: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": _l("Objectives and notes")}
    )
    #: Legal bases, one citation per item, in the order they are cited.
    legal_bases: Mapped[list] = mapped_column(
        sa.JSON, default=list, info={"label": _l("Legal bases")}
    )
    #: The agreement this one renews.
    predecessor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agreements.id"), info={"label": _l("Renews agreement")}
    )
    #: How often responsible units report, and how many days after the cut-off reports are due.
    reporting_frequency: Mapped[PeriodKind] = enum_column(
        PeriodKind, default=PeriodKind.quarter, info={"label": _l("Reporting frequency")}
    )
    report_deadline_days: Mapped[int] = mapped_column(
        default=REPORT_DEADLINE_DAYS, info={"label": _l("Days to report after the period")}
    )
    #: How many days after a return a returned report may still be corrected and resubmitted,
    #: even when its period has locked meanwhile (calendar days, counted from the return).
    resubmit_grace_days: Mapped[int] = mapped_column(
        default=RESUBMIT_GRACE_DAYS, info={"label": _l("Days to resubmit a returned report")}
    )
    #: Folded code, title, province and partner, so search ignores case and diacritics.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")

    province: Mapped[Province] = relationship(lazy="joined")
    predecessor: Mapped["Agreement | None"] = relationship(remote_side=[id])
    areas: Mapped[list["Area"]] = relationship(
        back_populates="agreement", order_by="Area.position", cascade="all, delete-orphan"
    )
    units: Mapped[list[Unit]] = relationship(
        secondary=agreement_units,
        order_by=by_name(Unit.name),
        info={"label": _l("Participating units")},
    )
    directives: Mapped[list["Directive"]] = relationship(
        back_populates="agreement",
        order_by="(Directive.issued_on, Directive.id)",
        cascade="all, delete-orphan",
    )
    status_changes: Mapped[list["StatusChange"]] = relationship(
        back_populates="agreement",
        order_by="(StatusChange.changed_on, StatusChange.id)",
        cascade="all, delete-orphan",
    )
    documents: Mapped[list["Document"]] = relationship(
        back_populates="agreement", order_by="Document.id", cascade="all, delete-orphan"
    )

    def __str__(self):
        return f"{self.code} — {self.title}"

    @property
    def audit_agreement_id(self):
        return self.id

    @property
    def is_signed(self) -> bool:
        return self.signed_on is not None

    @property
    def editable(self) -> bool:
        """Closed agreements are kept as they were."""
        return self.status != AgreementStatus.closed

    def refresh_derived(self) -> None:
        """Recompute the search column (called before each flush)."""
        province = self.province.name if self.province else ""
        self.search_text = fold(
            " ".join([self.code or "", self.title or "", province, self.partner or ""])
        )


class StatusChange(Base):
    """One dated step of an agreement's life cycle."""

    __tablename__ = "agreement_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[AgreementStatus | None] = enum_column(AgreementStatus, nullable=True)
    to_status: Mapped[AgreementStatus] = enum_column(
        AgreementStatus, info={"label": _l("New status")}
    )
    #: When the step took effect (the signing ceremony), not when it was recorded (created_at).
    changed_on: Mapped[date] = mapped_column(info={"label": _l("Effective date")})
    note: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Note")})
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    agreement: Mapped[Agreement] = relationship(back_populates="status_changes")
    created_by = relationship("User", foreign_keys=[created_by_id])


class Document(TimestampMixin, Base):
    """A file attached to an agreement: the signed text, a decision, meeting minutes."""

    __tablename__ = "agreement_documents"
    __audited__ = True
    __label__ = _l("Document")

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Agreement"), "in_history": False},
    )
    title: Mapped[str] = mapped_column(sa.String(300), info={"label": _l("Title")})
    issued_on: Mapped[date | None] = mapped_column(info={"label": _l("Date of the document")})
    #: The name the file had when uploaded, kept for download.
    file_name: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("File")})
    #: SHA-256 of the content; also the stored file's name.
    sha256: Mapped[str] = mapped_column(
        sa.String(64), index=True, info={"label": "SHA-256", "stored_file": True}
    )
    size: Mapped[int] = mapped_column(sa.BigInteger, info={"label": _l("Size")})
    content_type: Mapped[str] = mapped_column(
        sa.String(120), info={"label": _l("File type"), "in_history": False}
    )

    agreement: Mapped[Agreement] = relationship(back_populates="documents")

    @property
    def audit_agreement_id(self):
        return self.agreement_id


class Area(VersionedMixin, Base):
    """An area of cooperation (lĩnh vực), ordered within its agreement."""

    __tablename__ = "areas"
    __audited__ = True
    __label__ = _l("Area")
    __table_args__ = (sa.UniqueConstraint("agreement_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Agreement"), "in_history": False},
    )
    code: Mapped[str] = mapped_column(sa.String(20), info={"label": _l("Number")})
    position: Mapped[int] = mapped_column(
        default=0, info={"label": _l("Order"), "in_history": False}
    )
    title: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Title")})
    description: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Description")})

    agreement: Mapped[Agreement] = relationship(back_populates="areas")
    commitments: Mapped[list["Commitment"]] = relationship(
        back_populates="area", order_by="Commitment.position", cascade="all, delete-orphan"
    )

    def __str__(self):
        return f"{self.code}. {self.title}"

    @property
    def audit_agreement_id(self):
        return self.agreement_id


def sum_known(amounts) -> int | None:
    """The sum of the amounts that are known; None when none is (a planned budget nobody
    recorded is not a budget of 0 đồng)."""
    known = [a for a in amounts if a is not None]
    return sum(known) if known else None


class Commitment(VersionedMixin, Base):
    """A commitment (cam kết / nhiệm vụ) made by one side, with a lead unit and supporting units."""

    __tablename__ = "commitments"
    __audited__ = True
    __label__ = _l("Commitment")
    __audited_collections__ = ("support_units",)
    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "code"),
        sa.CheckConstraint("budget_vnd IS NULL OR budget_vnd >= 0", name="budget_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Denormalised from the area, so codes are unique per agreement and scope checks are one join.
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Agreement"), "in_history": False},
    )
    area_id: Mapped[int] = mapped_column(
        sa.ForeignKey("areas.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Area"), "in_history": False},
    )
    code: Mapped[str] = mapped_column(sa.String(20), info={"label": _l("Number")})
    position: Mapped[int] = mapped_column(
        default=0, info={"label": _l("Order"), "in_history": False}
    )
    title: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Commitment")})
    description: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Description")})
    committed_by: Mapped[Side] = enum_column(Side, info={"label": _l("Committed by")})
    lead_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id"), index=True, info={"label": _l("Lead unit")}
    )
    due_on: Mapped[date | None] = mapped_column(info={"label": _l("Due date")})
    budget_vnd: Mapped[int | None] = mapped_column(
        sa.BigInteger, info={"label": _l("Planned budget")}
    )
    funding_source: Mapped[FundingSource | None] = enum_column(
        FundingSource, nullable=True, info={"label": _l("Funding source")}
    )
    priority: Mapped[bool] = mapped_column(default=False, info={"label": _l("Priority")})
    completion: Mapped[Completion] = enum_column(
        Completion, default=Completion.not_started, info={"label": _l("Completion")}
    )
    #: Official percent complete: from the last verified progress report.
    percent_complete: Mapped[int] = mapped_column(default=0, info={"label": _l("Percent complete")})

    agreement: Mapped[Agreement] = relationship()
    area: Mapped[Area] = relationship(back_populates="commitments")
    lead_unit: Mapped[Unit] = relationship(foreign_keys=[lead_unit_id], lazy="joined")
    support_units: Mapped[list[Unit]] = relationship(
        secondary=commitment_support_units,
        order_by=by_name(Unit.name),
        info={"label": _l("Supporting units")},
    )
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="commitment",
        order_by="(Milestone.due_on, Milestone.id)",
        cascade="all, delete-orphan",
    )
    indicators: Mapped[list["Indicator"]] = relationship(
        back_populates="commitment", order_by="Indicator.position", cascade="all, delete-orphan"
    )

    @validates("completion")
    def _complete_means_100(self, key, value):
        """A commitment assessed complete is 100 % done, however the assessment was recorded
        (the form, an import, a verified report), so lists and averages never show a complete
        commitment at 0 %. (A report can only say "complete" at 100 % too.)"""
        if value == Completion.complete:
            self.percent_complete = 100
        return value

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def audit_agreement_id(self):
        return self.agreement_id


class Milestone(VersionedMixin, Base):
    """A dated step of a commitment."""

    __tablename__ = "milestones"
    __audited__ = True
    __label__ = _l("Milestone")

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Commitment"), "in_history": False},
    )
    title: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Milestone")})
    due_on: Mapped[date] = mapped_column(info={"label": _l("Due date")})
    #: The due date as first agreed, kept when an extension moves `due_on`.
    original_due_on: Mapped[date | None] = mapped_column(info={"label": _l("Original due date")})
    done_on: Mapped[date | None] = mapped_column(info={"label": _l("Date met")})
    status: Mapped[MilestoneStatus] = enum_column(
        MilestoneStatus,
        default=MilestoneStatus.scheduled,
        info={"label": _l("Status")},
    )

    commitment: Mapped[Commitment] = relationship(back_populates="milestones")

    def __str__(self):
        return self.title

    @property
    def audit_agreement_id(self):
        return self.commitment.agreement_id if self.commitment else None

    def is_late(self, today: date | None = None) -> bool:
        """Past its due date and not met."""
        today = today or local_today()
        return self.done_on is None and self.due_on < today


class Indicator(VersionedMixin, Base):
    """A measurable target of a commitment, with baseline, target and dated measurements."""

    __tablename__ = "indicators"
    __audited__ = True
    __label__ = _l("Indicator")

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Commitment"), "in_history": False},
    )
    position: Mapped[int] = mapped_column(
        default=0, info={"label": _l("Order"), "in_history": False}
    )
    name: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Indicator")})
    #: Unit of measure: "%", "xã", "trạm BTS"…
    unit: Mapped[str] = mapped_column(sa.String(40), info={"label": _l("Unit of measure")})
    baseline: Mapped[Decimal] = mapped_column(
        sa.Numeric(20, 4), default=0, info={"label": _l("Baseline")}
    )
    target: Mapped[Decimal] = mapped_column(sa.Numeric(20, 4), info={"label": _l("Target")})
    target_on: Mapped[date | None] = mapped_column(info={"label": _l("Target date")})
    direction: Mapped[Direction] = enum_column(
        Direction, default=Direction.increase, info={"label": _l("Direction")}
    )

    commitment: Mapped[Commitment] = relationship(back_populates="indicators")
    measurements: Mapped[list["Measurement"]] = relationship(
        back_populates="indicator", order_by="Measurement.measured_on", cascade="all, delete-orphan"
    )

    def __str__(self):
        return self.name

    @property
    def audit_agreement_id(self):
        return self.commitment.agreement_id if self.commitment else None

    def latest_verified(self):
        """The most recent verified measurement, or None."""
        verified = [m for m in self.measurements if m.verified]
        return verified[-1] if verified else None


class Measurement(VersionedMixin, Base):
    """A dated value of an indicator; only verified ones count in official figures."""

    __tablename__ = "measurements"
    __audited__ = True
    __label__ = _l("Indicator value")
    __table_args__ = (sa.UniqueConstraint("indicator_id", "measured_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("indicators.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Indicator"), "in_history": False},
    )
    measured_on: Mapped[date] = mapped_column(info={"label": _l("Date of the value")})
    value: Mapped[Decimal] = mapped_column(sa.Numeric(20, 4), info={"label": _l("Value")})
    verified: Mapped[bool] = mapped_column(default=False, info={"label": _l("Verified by the DIC")})
    note: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Source or note")})
    #: The verified progress report the value came from (None when recorded by the DIC).
    report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("progress_reports.id", ondelete="SET NULL"),
        index=True,
        info={"label": _l("Progress report"), "in_history": False},
    )

    indicator: Mapped[Indicator] = relationship(back_populates="measurements")

    @property
    def audit_agreement_id(self):
        ind = self.indicator
        return ind.commitment.agreement_id if ind and ind.commitment else None


def directive_overdue(issued_on: date, due_on: date | None, done_on: date | None, as_of: date):
    """A directive issued by the date, past its due date and not done by then."""
    return (
        issued_on <= as_of
        and due_on is not None
        and due_on < as_of
        and (done_on is None or done_on > as_of)
    )


class Directive(VersionedMixin, Base):
    """A leadership directive (ý kiến chỉ đạo): a named unit must do a named thing by a date."""

    __tablename__ = "directives"
    __audited__ = True
    __label__ = _l("Leadership directive")

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Agreement"), "in_history": False},
    )
    issued_on: Mapped[date] = mapped_column(info={"label": _l("Issued on")})
    #: Free text: the leader and their title.
    issued_by: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("Issued by")})
    meeting: Mapped[str | None] = mapped_column(
        sa.String(500), info={"label": _l("Meeting or document")}
    )
    text: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Directive")})
    assignee_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id"), index=True, info={"label": _l("Assigned to")}
    )
    due_on: Mapped[date | None] = mapped_column(info={"label": _l("Due date")})
    done_on: Mapped[date | None] = mapped_column(info={"label": _l("Done on")})

    agreement: Mapped[Agreement] = relationship(back_populates="directives")
    assignee: Mapped[Unit] = relationship(foreign_keys=[assignee_unit_id], lazy="joined")

    @property
    def audit_agreement_id(self):
        return self.agreement_id

    def is_overdue(self, today: date | None = None) -> bool:
        """Past its due date and not done (`directive_overdue` as of today)."""
        return directive_overdue(self.issued_on, self.due_on, self.done_on, today or local_today())
