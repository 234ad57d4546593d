"""Which provinces and units exist on a date, and which ones a unit carries on: the one place
these rules are read from by the forms (their choices), the services (their refusals), the
to-do list, the home page and the dashboards."""

from datetime import date

import sqlalchemy as sa

from tracker.collation import by_name
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.i18n import _, fmt_date
from tracker.org.models import Province, Unit


def existing_on(bodies, on: date, *, keep=()) -> list:
    """The provinces or units among `bodies` that had not ceased to exist before `on` (the date
    a new record starts), in their order, plus those in `keep` (what a record already names)."""
    kept = {b.id for b in keep if b is not None}
    return [b for b in bodies if b.id in kept or not b.ended_before(on)]


def units_existing_on(on: date, *, keep=()) -> list[Unit]:
    """Every unit a record starting on `on` may name, by side and name (and those in `keep`)."""
    units = db.session.scalars(sa.select(Unit).order_by(Unit.side, by_name(Unit.name), Unit.id)).all()
    return existing_on(units, on, keep=keep)


def provinces_existing_on(on: date, *, keep=()) -> list[Province]:
    """Every province a record starting on `on` may name, by name (and those in `keep`)."""
    provinces = db.session.scalars(sa.select(Province).order_by(by_name(Province.sort_name), Province.id)).all()
    return existing_on(provinces, on, keep=keep)


def refuse_ended(body, on: date, field: str, *, keep=(), **details) -> None:
    """Refuse a province or unit that had ceased to exist before the record it is chosen for
    starts (`keep`: what the record already names, which stays)."""
    if body is None or body.id in {b.id for b in keep if b is not None}:
        return
    if body.ended_before(on):
        successor = body.current(on)
        raise InvalidValue(
            _(
                "%(name)s existed only until %(end)s (carried on by %(successor)s): it cannot be "
                "chosen for a record starting on %(start)s.",
                name=body.name,
                end=fmt_date(body.valid_to),
                successor=successor.name if successor.id != body.id else "—",
                start=fmt_date(on),
            ),
            field,
            **details,
        )


def carried_on_ids(model, body_id: int | None, on: date | None = None) -> set[int]:
    """The ids of the body and of every one it carries on (on a date, today by default): the
    units whose directives and commitments a successor unit takes over (`carried_on_by`)."""
    if body_id is None:
        return set()
    bodies = db.session.scalars(sa.select(model)).all()
    return {b.id for b in bodies if b.carried_on_by(body_id, on)}
