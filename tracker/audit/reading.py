"""The query of audit entries: an agreement's, or those of given records."""

import sqlalchemy as sa

from tracker.audit.models import AuditEntry


def history(
    *, agreement_id: int | None = None, entities: list[tuple[str, list[int]]] | None = None
):
    """A SELECT of audit entries, newest first: an agreement's, or those of given records
    (pairs of class name and ids)."""
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if agreement_id is not None:
        query = query.where(AuditEntry.agreement_id == agreement_id)
    if entities:
        query = query.where(
            sa.or_(
                *(
                    sa.and_(AuditEntry.entity_type == kind, AuditEntry.entity_id.in_(ids or [-1]))
                    for kind, ids in entities
                )
            )
        )
    return query
