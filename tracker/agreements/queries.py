"""Loading what the agreement pages need, in a fixed number of statements."""

from datetime import date

import sqlalchemy as sa
from flask import g
from sqlalchemy.orm import selectinload

from tracker.agreements import rules
from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Directive,
    Indicator,
    Milestone,
)
from tracker.agreements.permissions import agreements_visible_to
from tracker.auth.permissions import province_scope
from tracker.collation import by_name
from tracker.extensions import db
from tracker.org.models import Province, Unit, preload
from tracker.org.queries import existing_on
from tracker.text import fold


def agreement_full(code: str) -> Agreement | None:
    """An agreement with areas → commitments → lead and supporting units, and its directives,
    units, documents and status history, in a fixed number of queries whatever its size.
    Milestones and indicators are summarised by `tracker.progress.figures.commitment_status`."""

    g.setdefault("_org", preload(db.session))
    return db.session.scalar(
        sa.select(Agreement)
        .where(Agreement.code == code)
        .options(
            selectinload(Agreement.areas)
            .selectinload(Area.commitments)
            .options(sa.orm.lazyload(Commitment.lead_unit), selectinload(Commitment.support_units)),
            selectinload(Agreement.directives),
            selectinload(Agreement.units),
            selectinload(Agreement.status_changes),
            selectinload(Agreement.documents),
        )
    )


def commitment_full(commitment_id: int) -> Commitment | None:
    """A commitment with its units, milestones and indicators with measurements."""
    return db.session.scalar(
        sa.select(Commitment)
        .where(Commitment.id == commitment_id)
        .options(
            selectinload(Commitment.support_units),
            selectinload(Commitment.milestones),
            selectinload(Commitment.indicators).selectinload(Indicator.measurements),
        )
    )


def search_agreements(user, *, q: str = "", status: str = "", province_id: int | None = None):
    """The agreements a user may see, filtered; search ignores case and diacritics."""
    query = agreements_visible_to(user)
    for word in fold(q).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Agreement.search_text.like(f"%{escaped}%", escape="\\"))
    if status in AgreementStatus.__members__:
        query = query.where(Agreement.status == AgreementStatus(status))
    if province_id:
        query = query.where(Agreement.province_id == province_id)
    return query.order_by(Agreement.period_start.desc(), Agreement.code)


def agreement_counts(agreements) -> dict[int, dict[str, int]]:
    """Areas, commitments and late milestones per agreement, the milestones judged as of each
    agreement's date (`rules.as_of_for`: a closed one as of its period's end), in two aggregate
    queries and one per distinct date."""
    agreement_ids = [a.id for a in agreements]
    counts = {aid: {"areas": 0, "commitments": 0, "late_milestones": 0} for aid in agreement_ids}
    if not agreement_ids:
        return counts
    for aid, n in db.session.execute(
        sa.select(Area.agreement_id, sa.func.count())
        .where(Area.agreement_id.in_(agreement_ids))
        .group_by(Area.agreement_id)
    ):
        counts[aid]["areas"] = n
    for aid, n in db.session.execute(
        sa.select(Commitment.agreement_id, sa.func.count())
        .where(Commitment.agreement_id.in_(agreement_ids))
        .group_by(Commitment.agreement_id)
    ):
        counts[aid]["commitments"] = n
    by_date: dict = {}
    for agreement in agreements:
        by_date.setdefault(rules.as_of_for(agreement), []).append(agreement.id)
    for as_of, ids in by_date.items():
        for aid, n in db.session.execute(
            sa.select(Commitment.agreement_id, sa.func.count())
            .join(Milestone, Milestone.commitment_id == Commitment.id)
            .where(Commitment.agreement_id.in_(ids), rules.milestone_late_by(as_of))
            .group_by(Commitment.agreement_id)
        ):
            counts[aid]["late_milestones"] = n
    return counts


def provinces_in_scope(user, *, on: date | None = None, keep=()) -> list[Province]:
    """Provinces the user may pick, by name; with `on`, only those existing on that date (the
    start of the record they are picked for) and those in `keep` (`org.queries.existing_on`)."""
    query = sa.select(Province).order_by(by_name(Province.sort_name), Province.id)
    scope = province_scope(user)
    if scope is not None:
        query = query.where(Province.id.in_(scope or {-1}))
    provinces = db.session.scalars(query).all()
    if on is not None:
        provinces = existing_on(provinces, on, keep=keep)
    return provinces


def units_for_record(agreement: Agreement, on: date, *, keep=()) -> list[Unit]:
    """The units a record of the agreement starting on `on` may name: those that may take part
    in it (`units_for_agreement`) and had not ceased to exist by then, plus those in `keep`
    (what the record already names)."""
    return existing_on(units_for_agreement(agreement), on, keep=keep)


def units_for_agreement(agreement: Agreement) -> list[Unit]:
    """Units that may take part in an agreement: those of its province and the province's
    predecessors and successor, national units, and any unit already taking part."""
    provinces = db.session.scalars(sa.select(Province)).all()
    today_id = agreement.province.current().id if agreement.province else None
    lineage = {p.id for p in provinces if p.current().id == today_id}
    lineage.add(agreement.province_id)
    units = db.session.scalars(
        sa.select(Unit)
        .where(sa.or_(Unit.province_id.in_(lineage), Unit.province_id.is_(None)))
        .order_by(Unit.side, by_name(Unit.name))
    ).all()
    seen = {u.id for u in units}
    return units + [u for u in agreement.units if u.id not in seen]


def directives_visible_to(user, *, open_only: bool = False, unit_ids: set[int] | None = None):
    """Directives of the agreements a user may see, oldest due first; `unit_ids` keeps those
    assigned to these units (`acting_unit_ids`: a unit and those it carries on)."""
    visible = agreements_visible_to(user).with_only_columns(Agreement.id).scalar_subquery()
    query = (
        sa.select(Directive)
        .where(Directive.agreement_id.in_(visible))
        .options(selectinload(Directive.agreement))
        .order_by(
            Directive.done_on.is_not(None),
            Directive.due_on.is_(None),
            Directive.due_on,
            Directive.id,
        )
    )
    if open_only:
        query = query.where(Directive.done_on.is_(None))
    if unit_ids is not None:
        query = query.where(Directive.assignee_unit_id.in_(unit_ids or {-1}))
    return query


def agreement_choices(user) -> list[tuple[str, str]]:
    """(code, code) of each agreement a user may see, by code: a list's agreement filter."""
    codes = db.session.scalars(
        agreements_visible_to(user).with_only_columns(Agreement.code).order_by(Agreement.code)
    )
    return [(code, code) for code in codes]
