"""`tracker demo`: the seed documents' agreements, loaded idempotently; refused in production."""

import sqlalchemy as sa

from tracker.agreements.models import Agreement, AgreementStatus, Commitment, Directive, Indicator
from tracker.audit import AuditEntry
from tracker.auth.models import Role, User
from tracker.org.models import Province


def _counts(db):
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Province, User, Agreement, Commitment, Indicator, Directive, AuditEntry)
    }


def test_demo_loads_the_seed_agreements_and_is_idempotent(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.vn" in first.output and "Demo-2026-tracker" in first.output
    counts = _counts(db)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert _counts(db) == counts  # nothing new, not even audit entries

    provinces = db.session.scalars(sa.select(Province)).all()
    assert sum(p.valid_to is None for p in provinces) == 34
    assert {r for r in db.session.scalars(sa.select(User.role))} == set(Role)

    qb = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2015"))
    assert qb.province.name == "Quảng Bình" and qb.province.current().name == "Quảng Trị"
    assert len(qb.areas) == 6
    indicators = {i.name: i for a in qb.areas for c in a.commitments for i in c.indicators}
    one_stop = next(i for n, i in indicators.items() if "một cửa" in n)
    assert one_stop.target == 151 and one_stop.latest_verified().value == 151
    budgets = [c.budget_vnd for a in qb.areas for c in a.commitments if c.budget_vnd]
    assert any(6_000_000_000 < b <= 7_000_000_000 for b in budgets)

    brvt = db.session.scalar(sa.select(Agreement).where(Agreement.code == "BRVT-VNPT-2018"))
    assert brvt.status == AgreementStatus.under_review and brvt.signed_on is None
    issued = {d.issued_on.isoformat() for d in brvt.directives}
    assert {"2017-03-30", "2018-05-14", "2018-08-06"} <= issued

    vl = db.session.scalar(sa.select(Agreement).where(Agreement.code == "VL-VNPT-2017"))
    assert vl.signed_on.isoformat() == "2017-02-10"
    renewal = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2020"))
    assert renewal.predecessor.code == "QB-VNPT-2015"
    # Entered long after the ceremony, they show their real signing dates (seeds 002, 003), and
    # the history is in effective-date order, in force not before the period starts.
    assert renewal.signed_on.isoformat() == "2020-09-24"
    for agreement in (vl, renewal, qb):
        steps = [(c.to_status, c.changed_on) for c in agreement.status_changes]
        assert (AgreementStatus.signed, agreement.signed_on) in steps
        assert [on for _status, on in steps] == sorted(on for _status, on in steps)
        assert all(
            on >= agreement.period_start for st, on in steps if st == AgreementStatus.in_force
        )


def test_demo_is_refused_in_production(app):
    app.config["DEMO_ALLOWED"] = False
    try:
        result = app.test_cli_runner().invoke(args=["demo"])
    finally:
        app.config["DEMO_ALLOWED"] = True
    assert result.exit_code != 0
    assert "production" in result.output
