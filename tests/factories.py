"""Test data builders with sensible defaults; every builder flushes and returns the object."""

import itertools
from datetime import date
from decimal import Decimal

from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Directive,
    Indicator,
    Milestone,
)
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.org.models import Province, Side, Unit, UnitKind

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def province(name="Quảng Bình", code=None, **kw):
    return _add(Province(code=code or f"p{next(_seq)}", name=name, **kw))


def unit(
    province=None, *, side=Side.province, kind=UnitKind.department, code=None, name=None, **kw
):
    n = next(_seq)
    return _add(
        Unit(
            code=code or f"U{n}",
            name=name or f"Đơn vị {n}",
            side=side,
            kind=kind,
            province=province,
            **kw,
        )
    )


def user(role=Role.dic, unit=None, *, email=None, **kw):
    n = next(_seq)
    account = User(
        email=email or f"user{n}@example.vn",
        full_name=kw.pop("full_name", f"Người dùng {n}"),
        role=role,
        unit=unit,
        **kw,
    )
    account.set_password(PASSWORD)
    return _add(account)


def agreement(province, *, code=None, status=AgreementStatus.draft, **kw):
    defaults = dict(
        title="Thỏa thuận hợp tác chiến lược về viễn thông - công nghệ thông tin",
        partner="Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)",
        period_start=date(2020, 1, 1),
        period_end=date(2025, 12, 31),
        vision_year=2030,
    )
    defaults.update(kw)
    return _add(
        Agreement(code=code or f"A-{next(_seq)}", province=province, status=status, **defaults)
    )


def area(agreement, *, code=None, title="Xây dựng hạ tầng viễn thông - CNTT", **kw):
    return _add(Area(agreement=agreement, code=code or f"{next(_seq)}", title=title, **kw))


def commitment(
    area,
    lead_unit,
    *,
    code=None,
    title="Triển khai hệ thống một cửa điện tử",
    support_units=(),
    **kw,
):
    kw.setdefault("committed_by", lead_unit.side)
    return _add(
        Commitment(
            agreement=area.agreement,
            area=area,
            code=code or f"{next(_seq)}.1",
            title=title,
            lead_unit=lead_unit,
            support_units=list(support_units),
            **kw,
        )
    )


def milestone(commitment, *, title="Hoàn thành lắp đặt", due_on=date(2021, 6, 30), **kw):
    return _add(Milestone(commitment=commitment, title=title, due_on=due_on, **kw))


def indicator(
    commitment, *, name="Số xã có hệ thống một cửa", unit="xã", baseline=0, target=151, **kw
):
    return _add(
        Indicator(
            commitment=commitment,
            name=name,
            unit=unit,
            baseline=Decimal(baseline),
            target=Decimal(target),
            **kw,
        )
    )


def directive(agreement, assignee, *, text="Sở TT&TT rà soát, hoàn chỉnh dự thảo", **kw):
    kw.setdefault("issued_on", date(2018, 5, 14))
    kw.setdefault("issued_by", "Phó Chủ tịch UBND tỉnh")
    return _add(Directive(agreement=agreement, assignee=assignee, text=text, **kw))


def world():
    """Two provinces, each with a DIC, a VNPT branch, users of every role and one agreement with
    an area, a commitment led by the VNPT branch, a milestone, an indicator and a directive."""
    w = {}
    for key, name in (("qb", "Quảng Bình"), ("vl", "Vĩnh Long")):
        p = province(name, code=f"prov-{key}")
        dic = unit(
            p, kind=UnitKind.dic, code=f"DIC-{key}", name=f"Sở Thông tin và Truyền thông {name}"
        )
        branch = unit(
            p, side=Side.vnpt, kind=UnitKind.vnpt_branch, code=f"VNPT-{key}", name=f"VNPT {name}"
        )
        other_branch = unit(
            p,
            side=Side.vnpt,
            kind=UnitKind.vnpt_branch,
            code=f"VNPT2-{key}",
            name=f"Trung tâm Kinh doanh VNPT {name}",
        )
        ubnd = unit(p, kind=UnitKind.people_committee, code=f"UBND-{key}", name=f"UBND tỉnh {name}")
        a = agreement(p, code=f"{key.upper()}-2020")
        ar = area(a, code="I")
        c = commitment(ar, branch, code="1.1", support_units=[dic])
        a.units = [branch, dic, ubnd]
        w[key] = dict(
            province=p,
            dic_unit=dic,
            branch=branch,
            other_branch=other_branch,
            ubnd=ubnd,
            agreement=a,
            area=ar,
            commitment=c,
            milestone=milestone(c),
            indicator=indicator(c),
            directive=directive(a, dic),
            dic=user(Role.dic, dic, email=f"dic.{key}@example.vn"),
            vnpt=user(Role.vnpt, branch, email=f"vnpt.{key}@example.vn"),
            vnpt_other=user(Role.vnpt, other_branch, email=f"vnpt2.{key}@example.vn"),
            leader=user(Role.leader, ubnd, email=f"leader.{key}@example.vn"),
        )
    hq = unit(None, side=Side.vnpt, kind=UnitKind.vnpt_hq, code="VNPT", name="Tập đoàn VNPT")
    w["hq"] = user(Role.vnpt, hq, email="hq@example.vn")
    w["admin"] = user(Role.admin, None, email="admin@example.vn")
    db.session.commit()
    return w
