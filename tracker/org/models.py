"""Provinces and units, which change over time (renamed, merged) and keep their successor links."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.clock import local_today
from tracker.db import Base, VersionedMixin, enum_column
from tracker.i18n import _l
from tracker.labels import LabelledEnum


class Side(LabelledEnum):
    """The two parties of an agreement."""

    province = "province"
    vnpt = "vnpt"
    __labels__ = {"province": _l("Province"), "vnpt": _l("VNPT")}


class ChangeKind(LabelledEnum):
    """How a province or unit ended and passed on to its successor."""

    renamed = "renamed"
    merged = "merged"
    split = "split"
    dissolved = "dissolved"
    __labels__ = {
        "renamed": _l("renamed"),
        "merged": _l("merged into"),
        "split": _l("split into"),
        "dissolved": _l("dissolved"),
    }


class UnitKind(LabelledEnum):
    """What kind of body a unit is."""

    dic = "dic"
    people_committee = "people_committee"
    department = "department"
    district = "district"
    vnpt_hq = "vnpt_hq"
    vnpt_branch = "vnpt_branch"
    other = "other"
    __labels__ = {
        "dic": _l("Department in charge of IT (focal point)"),
        "people_committee": _l("People's Committee"),
        "department": _l("Provincial department or agency"),
        "district": _l("District-level committee"),
        "vnpt_hq": _l("VNPT headquarters"),
        "vnpt_branch": _l("VNPT provincial branch"),
        "other": _l("Other"),
    }


class _Succession:
    """Validity dates and the successor chain shared by provinces and units."""

    def current(self, on: date | None = None):
        """The body that carries this one on today (or on a date): follows successor links."""
        on = on or local_today()
        node, seen = self, set()
        while node.successor is not None and node.valid_to is not None and node.valid_to < on:
            if node.id in seen:  # a cycle is a data error; stop rather than loop
                break
            seen.add(node.id)
            node = node.successor
        return node

    def ended_before(self, on: date) -> bool:
        """Whether the body had ceased to exist before a date: a record that starts then may not
        name it, while the records made while it existed keep it."""
        return self.valid_to is not None and self.valid_to < on

    def carried_on_by(self, body_id: int | None, on: date | None = None) -> bool:
        """Whether the body with this id is this one or the one carrying it on (today or on a
        date): the lineage rule by which a successor acts for its predecessors (their
        directives, commitments and agreements become its own)."""
        return body_id is not None and (self.id == body_id or self.current(on).id == body_id)

    def is_valid_on(self, on: date | None = None) -> bool:
        """Whether the body exists on a date (today by default)."""
        on = on or local_today()
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


#: How official names of centrally-run cities begin ("Thành phố Hồ Chí Minh").
CITY_PREFIXES = ("Thành phố ", "thành phố ")


def province_full_name(name: str, is_city: bool) -> str:
    """A province's name in running text: 'tỉnh Quảng Bình' or 'thành phố Đà Nẵng'; a city whose
    official name says it ('Thành phố Hồ Chí Minh', 'Thành phố Huế') is not called 'thành phố'
    twice."""
    for prefix in CITY_PREFIXES:
        if name.startswith(prefix):
            return f"thành phố {name[len(prefix) :]}"
    return f"{'thành phố' if is_city else 'tỉnh'} {name}"


class Province(_Succession, VersionedMixin, Base):
    """A province or centrally-run city."""

    __tablename__ = "provinces"
    __audited__ = True
    __label__ = _l("Province")
    #: What shows the record where another one refers to it (the history of changes).
    __display__ = "name"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, info={"label": _l("Code")})
    name: Mapped[str] = mapped_column(sa.String(120), info={"label": _l("Name")})
    #: True for the centrally-run cities (thành phố trực thuộc trung ương).
    is_city: Mapped[bool] = mapped_column(default=False, info={"label": _l("Centrally-run city")})
    valid_from: Mapped[date | None] = mapped_column(info={"label": _l("Valid from")})
    valid_to: Mapped[date | None] = mapped_column(info={"label": _l("Valid until")})
    successor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("provinces.id"), info={"label": _l("Carried on by")}
    )
    change_kind: Mapped[ChangeKind | None] = enum_column(
        ChangeKind, nullable=True, info={"label": _l("How it changed")}
    )

    #: Loaded on demand; pages that show many units call `preload()` first, after which these
    #: many-to-one lookups are served from the session's identity map without SQL.
    successor: Mapped["Province | None"] = relationship(remote_side=[id])

    def __str__(self):
        return self.name

    @property
    def full_name(self) -> str:
        """'tỉnh Quảng Bình', 'thành phố Đà Nẵng', 'thành phố Hồ Chí Minh' (running text)."""
        return province_full_name(self.name, self.is_city)

    @hybrid_property
    def sort_name(self) -> str:
        """The name lists sort by: the official name without "Thành phố", so Thành phố Huế
        sorts as Huế, after Hà Nội (`collation.by_name(Province.sort_name)`)."""
        return self.name.removeprefix(CITY_PREFIXES[0])

    @sort_name.inplace.expression
    @classmethod
    def _sort_name_expression(cls):
        prefix = CITY_PREFIXES[0]
        return sa.case(
            (cls.name.startswith(prefix), sa.func.substr(cls.name, len(prefix) + 1)),
            else_=cls.name,
        )


class Unit(_Succession, VersionedMixin, Base):
    """A responsible body: DIC, another department, a district committee, VNPT HQ or a branch."""

    __tablename__ = "units"
    __audited__ = True
    __label__ = _l("Unit")
    #: What shows the record where another one refers to it (the history of changes).
    __display__ = "name"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, info={"label": _l("Code")})
    name: Mapped[str] = mapped_column(sa.String(300), info={"label": _l("Name")})
    short_name: Mapped[str | None] = mapped_column(sa.String(80), info={"label": _l("Short name")})
    kind: Mapped[UnitKind] = enum_column(
        UnitKind, default=UnitKind.other, info={"label": _l("Unit kind")}
    )
    side: Mapped[Side] = enum_column(Side, info={"label": _l("Side")})
    #: None for national units (VNPT headquarters).
    province_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("provinces.id"), index=True, info={"label": _l("Province")}
    )
    valid_from: Mapped[date | None] = mapped_column(info={"label": _l("Valid from")})
    valid_to: Mapped[date | None] = mapped_column(info={"label": _l("Valid until")})
    successor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id"), info={"label": _l("Carried on by")}
    )
    change_kind: Mapped[ChangeKind | None] = enum_column(
        ChangeKind, nullable=True, info={"label": _l("How it changed")}
    )

    province: Mapped[Province | None] = relationship()
    successor: Mapped["Unit | None"] = relationship(remote_side=[id])

    def __str__(self):
        return self.name

    @property
    def is_national(self) -> bool:
        return self.province_id is None

    @property
    def label(self) -> str:
        """The short name where there is one."""
        return self.short_name or self.name


def preload(session) -> list:
    """Load every province and unit once (a few hundred rows), so that following successor
    links and provinces while rendering costs no query; returns them to keep them referenced."""

    return [*session.scalars(sa.select(Province)).all(), *session.scalars(sa.select(Unit)).all()]
