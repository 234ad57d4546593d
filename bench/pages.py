"""Time the heavy pages on the large data set built by bench/make_data.py.

    python bench/pages.py --db /tmp/bench.sqlite3 [--runs 30]
    python bench/pages.py --database-url postgresql+psycopg://…/bench
    python bench/pages.py --db /tmp/bench.sqlite3 --profile dashboard [--profiler cprofile]

Signs in as the bench admin through /login with the Flask test client (no network, no server:
the figures are the app's own time, WSGI included), picks the largest agreement and, for each
page, warms up twice then times ``--runs`` GETs. Per page it prints the status code, median, p95
and min wall-clock ms, the median CPU ms of this process (SQLite runs in-process, so this is the
figure least disturbed by other programs on a busy machine), the SQL statements per request (a
``before_cursor_execute`` listener on db.engine) and the response size.
"""

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa

ADMIN_EMAIL = "bench-admin@example.vn"
PASSWORD = "bench-password-123"  # noqa: S105  (the bench account of make_data.py)
DEFAULT_DB = "/tmp/bench.sqlite3"  # noqa: S108
PAGES = {
    "agreement": "/agreements/{code}",
    "dashboard": "/agreements/{code}/dashboard",
    "commitments": "/agreements/{code}/commitments",
    "home": "/",
    # Not in the default set: the national overview runs commitment_status over every agreement.
    "overview": "/dashboard",
}
DEFAULT_PAGES = ["agreement", "dashboard", "commitments", "home"]
TARGET_MS = 100


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--db", help="the SQLite file made by make_data.py (default /tmp/bench.sqlite3)"
    )
    where.add_argument("--database-url", help="any SQLAlchemy URL (PostgreSQL)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--agreement", help="agreement code (default: the one with most commitments)"
    )
    parser.add_argument(
        "--page",
        action="append",
        choices=list(PAGES),
        help="only these pages (repeatable; 'overview' = /dashboard is only timed when asked)",
    )
    parser.add_argument("--profile", choices=list(PAGES), help="profile one page instead of timing")
    parser.add_argument("--profiler", choices=["auto", "pyinstrument", "cprofile"], default="auto")
    parser.add_argument("--top", type=int, default=25, help="functions to list when profiling")
    parser.add_argument(
        "--sql", action="store_true", help="also list each page's SQL statements with times"
    )
    parser.add_argument(
        "--no-upgrade",
        action="store_true",
        help="do not apply pending migrations to the bench database first",
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        db_file = Path(args.db or DEFAULT_DB)
        if not db_file.exists():
            parser.error(f"{db_file} does not exist: run bench/make_data.py first")
        args.database_url = f"sqlite:///{db_file.resolve()}"
    return args


def make_app(url: str):
    os.environ["TRACKER_ENV"] = "development"
    from tracker import create_app
    from tracker.config import DevelopmentConfig

    config = type(
        "BenchConfig",
        (DevelopmentConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": None,
        },
    )
    return create_app(config)


class SqlCounter:
    """Counts (and optionally times) the statements sent to the database."""

    def __init__(self, engine, keep: bool = False):
        self.n = 0
        self.keep = keep
        self.log = []
        self._t = None
        sa.event.listen(engine, "before_cursor_execute", self.before)
        sa.event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        self.n += 1
        self._t = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):
        if self.keep:
            self.log.append(((time.perf_counter() - self._t) * 1000, statement))


def upgrade(app) -> None:
    """Apply migrations added since make_data.py built the database (the schema moves on)."""
    import flask_migrate

    with app.app_context():
        flask_migrate.upgrade()


def largest_agreement(app) -> tuple[str, int]:
    from tracker.agreements.models import Agreement, Commitment
    from tracker.extensions import db

    with app.app_context():
        row = db.session.execute(
            sa.select(Agreement.code, Agreement.id, sa.func.count(Commitment.id).label("n"))
            .join(Commitment, Commitment.agreement_id == Agreement.id)
            .group_by(Agreement.id, Agreement.code)
            .order_by(sa.desc("n"), Agreement.code)
            .limit(1)
        ).first()
        if row is None:
            raise SystemExit(
                "The database holds no agreement with commitments: run bench/make_data.py."
            )
        return row.code, row.id


def agreement_counts(app, code: str) -> dict:
    from tracker.agreements.models import (
        Agreement,
        Area,
        Commitment,
        Indicator,
        Measurement,
        Milestone,
    )
    from tracker.extensions import db
    from tracker.progress.models import Evidence, ProgressReport, ReportingPeriod

    with app.app_context():
        aid = db.session.scalar(sa.select(Agreement.id).where(Agreement.code == code))
        if aid is None:
            raise SystemExit(f"No agreement {code}")
        cids = sa.select(Commitment.id).where(Commitment.agreement_id == aid).scalar_subquery()
        iids = sa.select(Indicator.id).where(Indicator.commitment_id.in_(cids)).scalar_subquery()
        rids = (
            sa.select(ProgressReport.id)
            .where(ProgressReport.commitment_id.in_(cids))
            .scalar_subquery()
        )

        def count(model, *where):
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

        return {
            "areas": count(Area, Area.agreement_id == aid),
            "commitments": count(Commitment, Commitment.agreement_id == aid),
            "milestones": count(Milestone, Milestone.commitment_id.in_(cids)),
            "indicators": count(Indicator, Indicator.commitment_id.in_(cids)),
            "measurements": count(Measurement, Measurement.indicator_id.in_(iids)),
            "periods": count(ReportingPeriod, ReportingPeriod.agreement_id == aid),
            "reports": count(ProgressReport, ProgressReport.commitment_id.in_(cids)),
            "evidence": count(Evidence, Evidence.report_id.in_(rids)),
        }


def sign_in(app):
    client = app.test_client()
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(
            f"Sign-in as {ADMIN_EMAIL} failed ({response.status_code}); was the database "
            "made by bench/make_data.py?"
        )
    home = client.get("/")
    if home.status_code != 200:
        raise SystemExit(
            f"Signed in, but / answers {home.status_code} ({home.headers.get('Location')}): "
            "the session is not kept"
        )
    return client


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_page(client, counter, url, runs, warmup):
    for _ in range(warmup):
        response = client.get(url)
    samples, cpu, statements = [], [], []
    for _ in range(runs):
        counter.n = 0
        counter.log.clear()
        c0, t0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        statements.append(counter.n)
    return {
        "status": response.status_code,
        "median": statistics.median(samples),
        "p95": percentile(samples, 95),
        "min": min(samples),
        "cpu": statistics.median(cpu),
        "sql": statements,
        "bytes": len(response.get_data()),
        "log": list(counter.log),
    }


def profile_page(client, url, profiler, top):
    for _ in range(2):
        client.get(url)
    if profiler in ("auto", "pyinstrument"):
        try:
            from pyinstrument import Profiler
        except ImportError:
            if profiler == "pyinstrument":
                raise SystemExit(
                    "pyinstrument is not installed (pip install pyinstrument)"
                ) from None
        else:
            p = Profiler(interval=0.0005)
            p.start()
            for _ in range(5):
                client.get(url)
            p.stop()
            print(p.output_text(unicode=True, color=False, show_all=False))
            return
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(5):
        client.get(url)
    prof.disable()
    print(f"cProfile of 5 GETs of {url} (times are totals over the 5 requests)")
    stats = pstats.Stats(prof).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    print("--- by own time ---")
    stats.sort_stats("tottime").print_stats(top)


def main(argv=None) -> int:
    args = parse_args(argv)
    app = make_app(args.database_url)
    if not args.no_upgrade:
        upgrade(app)
    # One JSON line per request would drown the figures (and cost time of its own). After the
    # upgrade: Alembic's logging set-up re-creates the handlers.
    logging.getLogger("tracker.request").disabled = True
    code = args.agreement or largest_agreement(app)[0]
    counts = agreement_counts(app, code)
    client = sign_in(app)
    with app.app_context():
        from tracker.extensions import db

        engine = db.engine
    counter = SqlCounter(engine, keep=args.sql)

    print(f"database: {args.database_url}")
    print(f"agreement {code}: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    if args.profile:
        profile_page(client, PAGES[args.profile].format(code=code), args.profiler, args.top)
        return 0

    pages = args.page or DEFAULT_PAGES
    print(f"{args.runs} timed GETs per page after {args.warmup} warm-up GETs\n")
    header = f"{'page':<13}{'url':<42}{'status':>7}{'median ms':>11}{'p95 ms':>9}{'min ms':>9}{'CPU ms':>8}{'SQL/req':>9}{'bytes':>10}"
    print(header)
    print("-" * len(header))
    results = {}
    for name in pages:
        url = PAGES[name].format(code=code)
        r = time_page(client, counter, url, args.runs, args.warmup)
        results[name] = r
        sql = str(r["sql"][0]) if len(set(r["sql"])) == 1 else f"{min(r['sql'])}-{max(r['sql'])}"
        print(
            f"{name:<13}{url:<42}{r['status']:>7}{r['median']:>11.1f}{r['p95']:>9.1f}{r['min']:>9.1f}{r['cpu']:>8.1f}"
            f"{sql:>9}{r['bytes']:>10,}"
        )
    if args.sql:
        for name, r in results.items():
            print(f"\n{name}: {len(r['log'])} statements (last run)")
            for ms, statement in r["log"]:
                print(f"  {ms:8.2f} ms  {' '.join(statement.split())[:160]}")
    slow = [
        n for n in ("agreement", "dashboard") if n in results and results[n]["median"] > TARGET_MS
    ]
    if slow:
        print(
            f"\nAbove the {TARGET_MS} ms median target: {', '.join(slow)} "
            f"(profile with --profile {slow[0]})"
        )
    bad = [n for n, r in results.items() if r["status"] != 200]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
