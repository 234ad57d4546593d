"""Benchmark of the review PDF.

    python bench/pdf.py --db /tmp/bench.sqlite3 [--code CODE] [--runs 3]
    python bench/pdf.py --demo            # the Quảng Bình demo (instance/tracker.sqlite3)

For the chosen agreement it prints: wall time of the whole generation (queries + PDF), peak Python
memory (tracemalloc) and the process's peak RSS, pages and size; and, in the same run, the time
reportlab alone takes to lay out the same tables from already-loaded data with no charts, so the
overhead of our own code shows as a ratio. Targets: under 3 s and 300 MB for the large agreement,
under 0.5 s for the demo.
"""

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLite file made by bench/make_data.py")
    parser.add_argument("--database-url", help="any SQLAlchemy URL instead of --db")
    parser.add_argument("--demo", action="store_true", help="use the demo database under instance/")
    parser.add_argument(
        "--code",
        help="agreement code (default: the one with most commitments; QB-VNPT-2020 for --demo)",
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.demo:
        url = f"sqlite:///{ROOT / 'instance' / 'tracker.sqlite3'}"
        args.code = args.code or "QB-VNPT-2020"
    else:
        url = args.database_url or f"sqlite:///{Path(args.db).resolve()}"
    os.environ["DATABASE_URL"] = url

    import sqlalchemy as sa
    from flask_babel import force_locale

    from tracker import create_app
    from tracker.agreements.models import Agreement, Commitment
    from tracker.extensions import db
    from tracker.reports import services
    from tracker.reports.data import review_data
    from tracker.reports.pdf import charts, five_year
    from tracker.reports.pdf.five_year import ReviewOptions

    app = create_app()
    with app.app_context():
        code = args.code or db.session.scalar(
            sa.select(Agreement.code)
            .join(Commitment, Commitment.agreement_id == Agreement.id)
            .group_by(Agreement.code)
            .order_by(sa.func.count().desc())
            .limit(1)
        )
        agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == code))
        start, end = agreement.period_start, agreement.period_end

        def full():
            db.session.expire_all()
            return services.render_review(agreement, ReviewOptions(issued_on=end), start, end)

        full()  # warm up: fonts, templates, imports
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            pdf, pages, _fingerprint = full()
            times.append(time.perf_counter() - t0)
        # Memory in a separate run: tracemalloc slows Python down several times.
        tracemalloc.start()
        full()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        data = review_data(agreement, start, end)
        counts = {
            "areas": len(data.areas),
            "commitments": sum(len(a.commitments) for a in data.areas),
            "milestones": sum(len(c.milestones) for a in data.areas for c in a.commitments),
            "indicators": sum(len(c.indicators) for a in data.areas for c in a.commitments),
            "measurements": sum(
                len(i.series) for a in data.areas for c in a.commitments for i in c.indicators
            ),
            "evidence": len(data.evidence),
        }
        # reportlab alone: the same document from loaded data, charts replaced by nothing.
        from reportlab.platypus import Spacer

        real = (charts.completion_by_area, charts.indicator_over_time)
        charts.completion_by_area = lambda *a, **k: Spacer(1, 1)
        charts.indicator_over_time = lambda *a, **k: Spacer(1, 1)
        raw = []
        try:
            for _ in range(args.runs):
                t0 = time.perf_counter()
                with force_locale("vi"):
                    five_year.build_review(data, ReviewOptions(issued_on=end))
                raw.append(time.perf_counter() - t0)
        finally:
            charts.completion_by_area, charts.indicator_over_time = real
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    median, raw_median = statistics.median(times), statistics.median(raw)
    print(f"agreement {code}: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    print(
        f"full generation (queries + PDF): median {median:.3f} s over {args.runs} runs "
        f"(min {min(times):.3f}, max {max(times):.3f})"
    )
    print(f"pages {pages}, size {len(pdf) / 1024:.0f} KiB")
    print(
        f"peak Python memory (tracemalloc) {peak / 2**20:.1f} MiB; peak RSS of the process {rss:.0f} MiB"
    )
    print(
        f"reportlab alone (same tables, no queries, no charts): median {raw_median:.3f} s; "
        f"ratio full / reportlab-alone = {median / raw_median:.2f}"
    )


if __name__ == "__main__":
    main()
