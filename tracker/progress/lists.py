"""The lists of the progress pages, declared for `tracker.listing`: the commitments behind a
dashboard figure, the reports awaiting verification, the to-do list. Their columns, how they sort
and filter, and what their Excel exports hold."""

from dataclasses import dataclass

from tracker.agreements.models import Area, Commitment
from tracker.clock import local_date
from tracker.i18n import _, _l
from tracker.labels import label_of
from tracker.listing import (
    Choice,
    Column,
    DateFrom,
    DateTo,
    Flag,
    Listing,
    Search,
    choices_from,
    code_key,
    enum_choices,
)
from tracker.org.models import Unit
from tracker.progress.figures import Status
from tracker.progress.health import Health
from tracker.progress.models import Evidence, EvidenceKind, ReportStatus
from tracker.progress.queries import EvidenceRow
from tracker.progress.todo import SECTIONS
from tracker.signatures import badges
from tracker.signatures.validation import SignatureStatus


@dataclass(frozen=True)
class CommitmentRow:
    """A commitment with its figures as of the page's day and its lead unit on that day."""

    commitment: Commitment
    status: Status
    area: Area
    lead_now: Unit


def _milestones(row: CommitmentRow) -> str:
    st = row.status
    text = f"{st.milestones_met}/{st.milestones_total}"
    if st.milestones_late:
        text += f" · {st.milestones_late} {_('late')}"
    return text


def _health(row: CommitmentRow) -> str:
    st = row.status
    return st.health.text if st.health else st.completion.text


def _lead_units(rows):
    """The lead units, as of the page's day and as recorded (a dashboard links either)."""
    for row in rows:
        yield row.lead_now.id, row.lead_now.name
    for row in rows:
        yield row.commitment.lead_unit_id, row.commitment.lead_unit.name


#: /agreements/<code>/commitments: one agreement's commitments with their figures.
COMMITMENTS = Listing(
    name="cam-ket",
    title=_l("Commitments"),
    paged=False,
    columns=(
        Column(
            "code",
            _l("No."),
            lambda r: r.commitment.code,
            width=10,
            sort_key=lambda r: (code_key(r.area.code), code_key(r.commitment.code)),
        ),
        Column("title", _l("Commitment"), lambda r: r.commitment.title, width=60),
        Column("lead_unit", _l("Lead unit"), lambda r: r.lead_now.name, width=36),
        Column("due_on", _l("Due date"), lambda r: r.commitment.due_on, "date", 14),
        Column(
            "milestones",
            _l("Milestones"),
            _milestones,
            width=16,
            sort_key=lambda r: (r.status.milestones_late, r.status.milestones_met),
        ),
        Column("percent", _l("Completion"), lambda r: r.status.percent, "percent", 12),
        Column(
            "health",
            _l("Health"),
            _health,
            width=18,
            sort_key=lambda r: list(Health).index(r.status.health) if r.status.health else None,
        ),
    ),
    filters=(
        Search("q", _l("Keywords"), text=lambda r: f"{r.commitment.code} {r.commitment.title}"),
        Choice(
            "area",
            _l("Area"),
            value=lambda r: r.area.id,
            choices=lambda rows: choices_from(
                rows, lambda r: (r.area.id, f"{r.area.code}. {r.area.title}")
            ),
        ),
        Choice(
            "unit",
            _l("Lead unit"),
            value=lambda r: {r.lead_now.id, r.commitment.lead_unit_id},
            choices=lambda rows: sorted(
                dict.fromkeys(_lead_units(rows)).keys(), key=lambda p: p[1]
            ),
        ),
        Choice(
            "health",
            _l("Health"),
            value=lambda r: r.status.health.value if r.status.health else None,
            choices=enum_choices(Health),
        ),
        DateFrom("due_from", _l("Due from"), day=lambda r: r.commitment.due_on),
        DateTo("due_to", _l("Due until"), day=lambda r: r.commitment.due_on),
        Flag("late", _l("With late milestones"), test=lambda r: r.status.milestones_late > 0),
    ),
)


#: /review: the reports awaiting the DIC's verification.
REVIEW_REPORTS = Listing(
    name="bao-cao-cho-xac-minh",
    title=_l("Reports awaiting verification"),
    paged=False,
    columns=(
        Column("agreement", _l("Agreement"), lambda r: r.commitment.agreement.code, width=14),
        Column(
            "commitment",
            _l("Commitment"),
            lambda r: f"{r.commitment.code} {r.commitment.title}",
            width=60,
            sort_key=lambda r: (r.commitment.agreement.code, code_key(r.commitment.code)),
        ),
        Column(
            "period",
            _l("Reporting period"),
            lambda r: r.period.label,
            width=18,
            sort_key=lambda r: r.period.starts_on,
        ),
        Column("unit", _l("Unit"), lambda r: r.unit.name if r.unit else None, width=36),
        Column("submitted", _l("Submitted"), lambda r: r.submitted_at, "datetime", 18),
    ),
    filters=(
        Search("q", _l("Keywords"), text=lambda r: f"{r.commitment.code} {r.commitment.title}"),
        Choice(
            "agreement",
            _l("Agreement"),
            value=lambda r: r.commitment.agreement.code,
            choices=lambda rows: choices_from(
                rows, lambda r: (r.commitment.agreement.code, r.commitment.agreement.code)
            ),
        ),
        Choice(
            "unit",
            _l("Unit"),
            value=lambda r: r.unit_id,
            choices=lambda rows: choices_from(
                rows, lambda r: (r.unit_id, r.unit.name) if r.unit else None
            ),
        ),
        DateFrom("submitted_from", _l("Submitted from"), day=lambda r: local_date(r.submitted_at)),
        DateTo("submitted_to", _l("Submitted until"), day=lambda r: local_date(r.submitted_at)),
    ),
)


_SECTION_LABELS = {kind: label for _key, kind, label in SECTIONS}

#: /todo: what the user has to do, by section.
TO_DO_LIST = Listing(
    name="viec-can-lam",
    title=_l("To do"),
    paged=False,
    group=Column("section", _l("Section"), lambda i: str(_SECTION_LABELS[i.kind]), width=28),
    columns=(
        Column("date", _l("Date"), lambda i: i.date, "date", 14),
        Column("item", _l("Item"), lambda i: i.label, width=60, detail=lambda i: i.detail),
        Column("agreement", _l("Agreement"), lambda i: i.agreement_code, width=14),
        Column("unit", _l("Unit"), lambda i: i.unit, width=36),
    ),
    filters=(
        Search("q", _l("Keywords"), text=lambda i: f"{i.label} {i.detail}"),
        Choice(
            "section",
            _l("Section"),
            value=lambda i: i.kind.value,
            choices=lambda rows: [
                (kind.value, label)
                for _key, kind, label in SECTIONS
                if any(i.kind == kind for i in rows)
            ],
        ),
        Choice(
            "agreement",
            _l("Agreement"),
            value=lambda i: i.agreement_code,
            choices=lambda rows: choices_from(rows, lambda i: (i.agreement_code, i.agreement_code)),
        ),
        DateFrom("from", _l("From"), day=lambda i: i.date),
        DateTo("to", _l("Until"), day=lambda i: i.date),
        Flag("overdue", _l("Overdue only"), test=lambda i: i.overdue),
    ),
)


def _evidence_status(row: EvidenceRow) -> str:
    """The state of what the evidence documents: its report's, or "Directive evidence"."""
    if row.report is None:
        return _("Directive evidence")
    status = row.report.status.text
    if row.evidence.superseded_by_id:
        status = f"{status} ({_('superseded')})"
    return status


def _documents(row: EvidenceRow) -> str:
    """What the evidence documents: "1.2 Title" of the commitment, or the directive's text."""
    if row.commitment is not None:
        return f"{row.commitment.code} {row.commitment.title}"
    return row.directive.text if row.directive else ""


#: /agreements/<code>/evidence: the evidence register of an agreement.
EVIDENCE = Listing(
    name="minh-chung",
    title=_l("Evidence"),
    columns=(
        Column("title", label_of(Evidence.title), lambda r: r.evidence.title, width=50),
        Column("date", _l("Date"), lambda r: r.day, "date", 14),
        Column("kind", label_of(Evidence.kind), lambda r: r.evidence.kind.text, width=22),
        Column(
            "documents",
            _l("Evidence for"),
            _documents,
            width=50,
            detail=lambda r: r.period.label if r.period else None,
        ),
        Column("unit", _l("Unit"), lambda r: r.unit.name if r.unit else None, width=36),
        Column("status", _l("Status"), _evidence_status, width=24),
        Column("file", label_of(Evidence.file_name), lambda r: r.evidence.file_name, width=36),
        Column(
            "signature",
            _l("Digital signature"),
            lambda r: badges.column_text(r.signature, r.evidence.content_type),
            width=60,
            sort_key=lambda r: r.signature.status.severity if r.signature else -1,
        ),
    ),
    filters=(
        Search(
            "q",
            _l("Keywords"),
            text=lambda r: f"{r.evidence.title} {r.evidence.file_name} {_documents(r)}",
        ),
        Choice(
            "kind",
            label_of(Evidence.kind),
            value=lambda r: r.evidence.kind.value,
            choices=enum_choices(EvidenceKind),
        ),
        Choice(
            "unit",
            _l("Unit"),
            value=lambda r: r.unit.id if r.unit else None,
            choices=lambda rows: choices_from(
                rows, lambda r: (r.unit.id, r.unit.name) if r.unit else None
            ),
        ),
        DateFrom("from", _l("From"), day=lambda r: r.day),
        DateTo("to", _l("Until"), day=lambda r: r.day),
        Flag(
            "verified",
            _l("Verified reports only"),
            test=lambda r: r.report is not None and r.report.status == ReportStatus.verified,
        ),
        Flag("current", _l("Not superseded"), test=lambda r: not r.evidence.superseded_by_id),
        Choice(
            "signature",
            _l("Digital signature"),
            value=lambda r: r.signature.status.value if r.signature else None,
            choices=enum_choices(SignatureStatus),
        ),
    ),
)
