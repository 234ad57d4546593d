"""A comment on the record: on exactly one progress report, commitment or directive; on a report
it may concern one indicator or milestone (a verifier's note when returning it)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.agreements.models import Commitment, Directive, Indicator, Milestone
from tracker.db import Base, VersionedMixin
from tracker.i18n import _l
from tracker.progress.models import ProgressReport, ReportEvent

#: The kinds of record a thread belongs to, as URLs and the API name them.
SUBJECT_KINDS = {"report": ProgressReport, "commitment": Commitment, "directive": Directive}
#: The kinds of field a comment on a report may concern.
ANCHOR_KINDS = {"indicator": Indicator, "milestone": Milestone}

_ONE_OF = " + ".join(f"(CASE WHEN {kind}_id IS NULL THEN 0 ELSE 1 END)" for kind in SUBJECT_KINDS)


class Comment(VersionedMixin, Base):
    """One comment of a thread. Never deleted by anyone else than the database cascade of its
    record; edits are kept in the history of changes (audited)."""

    __tablename__ = "comments"
    __audited__ = True
    __label__ = _l("Comment")
    __table_args__ = (
        sa.CheckConstraint(f"{_ONE_OF} = 1", name="one_subject"),
        sa.CheckConstraint(
            "(indicator_id IS NULL AND milestone_id IS NULL) OR "
            "(report_id IS NOT NULL AND (indicator_id IS NULL OR milestone_id IS NULL))",
            name="anchor_on_report",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("progress_reports.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Progress report"), "in_history": False},
    )
    commitment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Commitment"), "in_history": False},
    )
    directive_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directives.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Leadership directive"), "in_history": False},
    )
    #: The field of a report the comment concerns (at most one of the two).
    indicator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("indicators.id", ondelete="CASCADE"), info={"label": _l("Indicator")}
    )
    milestone_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("milestones.id", ondelete="CASCADE"), info={"label": _l("Milestone")}
    )
    #: The return of the report this comment was written with (a per-field return note).
    return_event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("report_events.id", ondelete="CASCADE"),
        index=True,
        info={"label": _l("Returned for revision"), "in_history": False},
    )
    author_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id"), index=True, info={"label": _l("Author")}
    )
    #: Plain text; mentions are written ``@[Name](user:12)`` or ``@[Name](unit:5)``.
    body: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Comment")})
    #: When the author last changed the text (None: never edited).
    edited_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), info={"label": _l("Edited at"), "in_history": False}
    )

    report: Mapped[ProgressReport | None] = relationship()
    commitment: Mapped[Commitment | None] = relationship()
    directive: Mapped[Directive | None] = relationship()
    indicator: Mapped[Indicator | None] = relationship()
    milestone: Mapped[Milestone | None] = relationship()
    return_event: Mapped[ReportEvent | None] = relationship()
    author = relationship("User", lazy="joined")

    @property
    def subject(self):
        """The record the comment belongs to: a ProgressReport, a Commitment or a Directive."""
        return self.report or self.commitment or self.directive

    @property
    def subject_kind(self) -> str:
        """ "report", "commitment" or "directive"."""
        return next(kind for kind in SUBJECT_KINDS if getattr(self, kind) is not None)

    @property
    def anchor(self):
        """The indicator or milestone of the report the comment concerns, or None."""
        return self.indicator or self.milestone

    @property
    def agreement(self):
        """The agreement the record belongs to."""
        subject = self.subject
        return subject.commitment.agreement if self.report is not None else subject.agreement

    @property
    def audit_agreement_id(self):
        return self.agreement.id

    @property
    def label(self) -> str:
        """How the history of changes names the comment: its text (shortened there)."""
        return self.body
