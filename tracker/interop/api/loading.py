"""Loading the objects a request names, with their object permission: an object outside the
user's scope answers 404 exactly like a missing one (`errors.not_found`)."""

import sqlalchemy as sa

from tracker.agreements.models import Agreement, Commitment
from tracker.agreements.permissions import can_view_agreement
from tracker.extensions import db
from tracker.interop.api import openapi
from tracker.interop.api.blueprint import api_user
from tracker.interop.api.errors import not_found
from tracker.progress.models import ProgressReport


def load_agreement(code: str) -> Agreement:
    """The agreement of this code, if the user may see it."""
    if not code or len(code) > 40 or "\x00" in code:
        raise not_found()
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == code))
    if agreement is None or not can_view_agreement(api_user(), agreement):
        raise not_found()
    return agreement


def load(model, obj_id: int):
    """A record by id (ids beyond the database's integers are simply not found)."""
    if obj_id < 1 or obj_id > openapi.MAX_ID:
        raise not_found()
    obj = db.session.get(model, obj_id)
    if obj is None:
        raise not_found()
    return obj


def load_commitment(commitment_id: int) -> Commitment:
    """A commitment of an agreement the user may see."""
    commitment = load(Commitment, commitment_id)
    if not can_view_agreement(api_user(), commitment.agreement):
        raise not_found()
    return commitment


def load_report(report_id: int) -> ProgressReport:
    """A progress report of an agreement the user may see."""
    report = load(ProgressReport, report_id)
    if not can_view_agreement(api_user(), report.commitment.agreement):
        raise not_found()
    return report
