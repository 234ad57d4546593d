"""What the global search indexes: one Source per kind of record, in a registry. A feature's
records become searchable by registering a Source here (see docs/search.md, "Adding a source")."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import aliased, selectinload

from tracker.agreements.models import Agreement, Commitment, Directive, Indicator, Milestone
from tracker.discussion.models import Comment
from tracker.discussion.views import record_url
from tracker.progress.models import Evidence, ProgressReport

#: The commitment of a commented report (beside a commented commitment).
_ReportCommitment = aliased(Commitment)


@dataclass(frozen=True)
class Source:
    """One kind of searchable record and how the index reads it.

    `title`, `body`: the record's own text (shown, highlighted, ranked first and second);
    `names`: what else names it (codes, its units — their successors are added by the index);
    `agreement`: the agreement whose scope it is in (its place, and who may find it);
    `records`: a SELECT of the records of some agreements (None: all), for re-indexing;
    `url`: where a result links to."""

    kind: str
    model: type
    title: Callable[[object], str | None]
    agreement: Callable[[object], Agreement | None]
    records: Callable[[set[int] | None], sa.Select]
    url: Callable[[object], str]
    body: Callable[[object], str | None] = lambda obj: None
    names: Callable[[object], Iterable] = lambda obj: ()
    #: Units naming the record: their names, and their successors' names, are indexed.
    units: Callable[[object], Iterable] = lambda obj: ()
    #: Among results found alike, lower comes first (agreements before what they hold).
    priority: int = 5

    @property
    def label(self):
        """What the result list calls this kind of record ("Cam kết")."""
        return self.model.__label__


#: The sources by kind, and by model class.
SOURCES: dict[str, Source] = {}
_BY_MODEL: dict[type, Source] = {}


def register(source: Source) -> Source:
    """Make a kind of record searchable (the index follows its changes from then on)."""
    SOURCES[source.kind] = source
    _BY_MODEL[source.model] = source
    return source


def source_for(obj) -> Source | None:
    """The source a record is indexed by, or None when it is not searchable."""
    return _BY_MODEL.get(type(obj))


def _in(column, agreement_ids):
    return sa.true() if agreement_ids is None else column.in_(agreement_ids or {-1})


def _lines(*parts) -> str:
    return "\n".join(str(p) for p in parts if p)


register(
    Source(
        kind="agreement",
        priority=0,
        model=Agreement,
        title=lambda a: a.title,
        body=lambda a: _lines(a.description, *(a.legal_bases or [])),
        names=lambda a: (a.code, a.partner, a.province_signatory, a.partner_signatory),
        agreement=lambda a: a,
        records=lambda ids: sa.select(Agreement).where(_in(Agreement.id, ids)),
        url=lambda a: url_for("agreements.detail", code=a.code),
    )
)

register(
    Source(
        kind="commitment",
        priority=1,
        model=Commitment,
        title=lambda c: c.title,
        body=lambda c: c.description,
        names=lambda c: (c.agreement.code, c.code),
        units=lambda c: (c.lead_unit, *c.support_units),
        agreement=lambda c: c.agreement,
        records=lambda ids: (
            sa.select(Commitment)
            .where(_in(Commitment.agreement_id, ids))
            .options(selectinload(Commitment.support_units))
        ),
        url=lambda c: url_for("agreements.commitment", commitment_id=c.id),
    )
)

register(
    Source(
        kind="milestone",
        priority=3,
        model=Milestone,
        title=lambda m: m.title,
        names=lambda m: (m.commitment.agreement.code,),
        agreement=lambda m: m.commitment.agreement if m.commitment else None,
        records=lambda ids: (
            sa.select(Milestone)
            .join(Commitment, Milestone.commitment_id == Commitment.id)
            .where(_in(Commitment.agreement_id, ids))
        ),
        url=lambda m: (
            url_for("agreements.commitment", commitment_id=m.commitment_id) + "#milestones"
        ),
    )
)

register(
    Source(
        kind="indicator",
        priority=3,
        model=Indicator,
        title=lambda i: i.name,
        names=lambda i: (i.commitment.agreement.code,),
        agreement=lambda i: i.commitment.agreement if i.commitment else None,
        records=lambda ids: (
            sa.select(Indicator)
            .join(Commitment, Indicator.commitment_id == Commitment.id)
            .where(_in(Commitment.agreement_id, ids))
        ),
        url=lambda i: (
            url_for("agreements.commitment", commitment_id=i.commitment_id) + "#indicators"
        ),
    )
)

register(
    Source(
        kind="directive",
        priority=2,
        model=Directive,
        title=lambda d: d.text,
        body=lambda d: _lines(d.issued_by, d.meeting),
        names=lambda d: (d.agreement.code,),
        units=lambda d: (d.assignee,),
        agreement=lambda d: d.agreement,
        records=lambda ids: sa.select(Directive).where(_in(Directive.agreement_id, ids)),
        url=lambda d: url_for("progress.directive", directive_id=d.id),
    )
)


def _evidence_agreement(e: Evidence) -> Agreement | None:
    if e.report is not None:
        return e.report.commitment.agreement
    return e.directive.agreement if e.directive is not None else None


def _evidence_url(e: Evidence) -> str:
    if e.report_id is not None:
        return url_for("progress.report", report_id=e.report_id) + "#evidence"
    return url_for("progress.directive", directive_id=e.directive_id)


register(
    Source(
        kind="evidence",
        priority=4,
        model=Evidence,
        title=lambda e: e.title,
        body=lambda e: e.file_name,
        names=lambda e: (a.code,) if (a := _evidence_agreement(e)) else (),
        agreement=_evidence_agreement,
        records=lambda ids: (
            sa.select(Evidence)
            .outerjoin(ProgressReport, Evidence.report_id == ProgressReport.id)
            .outerjoin(Commitment, ProgressReport.commitment_id == Commitment.id)
            .outerjoin(Directive, Evidence.directive_id == Directive.id)
            .where(
                sa.or_(
                    _in(Commitment.agreement_id, ids),
                    _in(Directive.agreement_id, ids),
                )
            )
            .options(selectinload(Evidence.report), selectinload(Evidence.directive))
        ),
        url=_evidence_url,
    )
)


def _comment_records(ids):
    """The comments of some agreements, whichever record they are on."""
    return (
        sa.select(Comment)
        .outerjoin(ProgressReport, Comment.report_id == ProgressReport.id)
        .outerjoin(Commitment, Comment.commitment_id == Commitment.id)
        .outerjoin(Directive, Comment.directive_id == Directive.id)
        .outerjoin(_ReportCommitment, ProgressReport.commitment_id == _ReportCommitment.id)
        .where(
            sa.or_(
                _in(_ReportCommitment.agreement_id, ids),
                _in(Commitment.agreement_id, ids),
                _in(Directive.agreement_id, ids),
            )
        )
        .options(
            selectinload(Comment.report),
            selectinload(Comment.commitment),
            selectinload(Comment.directive),
        )
    )


register(
    Source(
        # A comment is found where its record is visible (its agreement's scope) and links to
        # itself in the record's thread.
        kind="comment",
        priority=4,
        model=Comment,
        title=lambda c: c.body,
        names=lambda c: (c.agreement.code,),
        agreement=lambda c: c.agreement,
        records=_comment_records,
        url=lambda c: record_url(c.subject, anchor=f"comment-{c.id}"),
    )
)
