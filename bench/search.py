"""Time the global search (/search) on the large data set built by bench/make_data.py.

    python bench/search.py --db /tmp/bench.sqlite3 [--runs 20] [--query "…" …]
    python bench/search.py --database-url postgresql+psycopg://…/bench

make_data.py writes its rows with SQLAlchemy Core, past the session hook that keeps the search
index, so the first run builds the index (`tracker search reindex`, timed and printed) when it
is empty. Then, signed in as the bench admin (every province in scope) with the Flask test
client, for each query it warms up twice and times ``--runs`` GETs of the first page of results;
it prints the status, the number of records found, the median, p95 and min wall-clock ms, the
median CPU ms of this process and the SQL statements per request.
"""

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa

from bench.pages import DEFAULT_DB, SqlCounter, make_app, percentile, sign_in, upgrade
from tracker.auth.models import User
from tracker.extensions import db
from tracker.search.index import reindex
from tracker.search.models import SearchDocument
from tracker.search.queries import search

#: A phrase of a few hundred commitment titles, a province with its predecessors (tens of
#: thousands of records of its agreements), and a rare phrase with its acronym.
QUERIES = [
    "hoi nghi truyen hinh truc tuyen",
    "quang tri",
    "trung tam giam sat an toan thong tin soc",
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", help="the SQLite file made by make_data.py")
    where.add_argument("--database-url", help="any SQLAlchemy URL (PostgreSQL)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--query", action="append", help="queries to time (repeatable)")
    parser.add_argument(
        "--reindex", action="store_true", help="rebuild the index first even if it is not empty"
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        db_file = Path(args.db or DEFAULT_DB)
        if not db_file.exists():
            parser.error(f"{db_file} does not exist: run bench/make_data.py first")
        args.database_url = f"sqlite:///{db_file.resolve()}"
    return args


def ensure_index(app, force: bool) -> None:
    """Build the search index when it is empty (or when asked), and say how long it took."""
    with app.app_context():
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument))
        if rows and not force:
            print(f"search index: {rows:,} records")
            return
        t0 = time.perf_counter()
        count = reindex(db.session)
        db.session.commit()
        print(f"search index built: {count:,} records in {time.perf_counter() - t0:.1f} s")


def time_query(client, counter, q, runs, warmup):
    url = "/search?" + urlencode({"q": q})
    for _ in range(warmup):
        response = client.get(url)
    samples, cpu, statements = [], [], []
    for _ in range(runs):
        counter.n = 0
        c0, t0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        statements.append(counter.n)
    with client.application.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "bench-admin@example.vn"))
        found = search(admin, q).total
    return {
        "status": response.status_code,
        "found": found,
        "median": statistics.median(samples),
        "p95": percentile(samples, 95),
        "min": min(samples),
        "cpu": statistics.median(cpu),
        "sql": statements,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    app = make_app(args.database_url)
    upgrade(app)
    logging.getLogger("tracker.request").disabled = True
    ensure_index(app, args.reindex)
    client = sign_in(app)
    with app.app_context():
        counter = SqlCounter(db.engine)
    print(f"database: {args.database_url}")
    print(f"{args.runs} timed GETs per query after {args.warmup} warm-up GETs\n")
    header = f"{'query':<44}{'status':>7}{'found':>9}{'median ms':>11}{'p95 ms':>9}{'min ms':>9}{'CPU ms':>8}{'SQL/req':>9}"
    print(header)
    print("-" * len(header))
    bad = 0
    for q in args.query or QUERIES:
        r = time_query(client, counter, q, args.runs, args.warmup)
        sql = str(r["sql"][0]) if len(set(r["sql"])) == 1 else f"{min(r['sql'])}-{max(r['sql'])}"
        print(
            f"{q:<44}{r['status']:>7}{r['found']:>9,}{r['median']:>11.1f}{r['p95']:>9.1f}"
            f"{r['min']:>9.1f}{r['cpu']:>8.1f}{sql:>9}"
        )
        bad += r["status"] != 200
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
