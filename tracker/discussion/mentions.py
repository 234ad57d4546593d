"""@mentions: who may be mentioned in a record's thread, and the mentions a text makes.

The syntax is the one the autocomplete inserts: ``@[Display name](user:12)`` for a person and
``@[Unit name](unit:5)`` for a unit. The id decides who is meant; the name in brackets is only
what the author saw (the thread shows the current name). Only the people and units of the
record's agreement may be mentioned: a mention of anyone else refuses the comment."""

import re

import sqlalchemy as sa

from tracker.agreements.permissions import can_view_agreement
from tracker.auth.models import User
from tracker.collation import sort_key
from tracker.discussion.permissions import agreement_of
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.i18n import _
from tracker.org.models import Unit

#: A mention as written in a comment's text.
MENTION = re.compile(r"@\[([^\[\]\n]{1,200})\]\((user|unit):([0-9]{1,10})\)")


def mentioned_ids(body: str | None) -> dict[str, set[int]]:
    """The ids of the people ("user") and units ("unit") a text mentions."""
    found: dict[str, set[int]] = {"user": set(), "unit": set()}
    for match in MENTION.finditer(body or ""):
        found[match.group(2)].add(int(match.group(3)))
    return found


def mentionable_units(subject) -> list[Unit]:
    """The units of the record's agreement: its participating units, the units of the commitment
    (lead and supporting) or the directive's assignee, and the units that carry them on today."""
    agreement = agreement_of(subject)
    units = list(agreement.units)
    commitment = subject if hasattr(subject, "lead_unit") else getattr(subject, "commitment", None)
    if commitment is not None:
        units += [commitment.lead_unit, *commitment.support_units]
    if getattr(subject, "assignee", None) is not None:
        units.append(subject.assignee)
    units += [unit.current() for unit in units]
    by_id = {unit.id: unit for unit in units if unit is not None}
    return sorted(by_id.values(), key=lambda unit: sort_key(unit.name))


def mentionable_users(subject, units: list[Unit] | None = None) -> list[User]:
    """The active people of those units who may read the record."""
    agreement = agreement_of(subject)
    ids = [unit.id for unit in (units if units is not None else mentionable_units(subject))]
    people = db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.unit_id.in_(ids or [-1]))
    ).all()
    people = [person for person in people if can_view_agreement(person, agreement)]
    return sorted(people, key=lambda person: sort_key(person.full_name))


def token(obj) -> str:
    """The mention of a person or a unit as the autocomplete inserts it."""
    kind = "unit" if isinstance(obj, Unit) else "user"
    name = obj.name if kind == "unit" else obj.full_name
    name = re.sub(r"[\[\]\n]", " ", name).strip()[:200]
    return f"@[{name}]({kind}:{obj.id})"


def resolve(subject, body: str) -> tuple[set[User], set[Unit]]:
    """The people and units a comment's text mentions; refused (on the field "body") when it
    mentions anyone who is not of the record's agreement."""
    wanted = mentioned_ids(body)
    if not wanted["user"] and not wanted["unit"]:
        return set(), set()
    units = mentionable_units(subject)
    unit_ids = {unit.id: unit for unit in units}
    user_ids = {person.id: person for person in mentionable_users(subject, units)}
    unknown = (wanted["user"] - user_ids.keys()) or (wanted["unit"] - unit_ids.keys())
    if unknown:
        raise InvalidValue(
            _(
                "Only the people and units of this agreement may be mentioned; choose them from "
                "the list that opens when you type @."
            ),
            "body",
        )
    return {user_ids[i] for i in wanted["user"]}, {unit_ids[i] for i in wanted["unit"]}
