#!/usr/bin/env python
"""Load test on loopback: gunicorn + locust, against PostgreSQL and SQLite.

For each database it: creates an empty database (PostgreSQL: a database of its own, dropped
first; SQLite: a file in a work folder), runs the migrations, loads the demo data, adds an
agreement in force around today with its reporting periods and 100 commitments led by VNPT
Quảng Trị (the demo agreements are historical, their periods closed), accounts for every
simulated user and a generated five-year review; starts gunicorn; runs locust headless (50 users,
60 s by default, bench/load/locustfile.py); stops gunicorn; prints throughput and p50/p95/p99 per
request type, the 5xx and failure counts; then checks the database: every acknowledged
submission is there exactly once (status submitted, one per commitment and period), with its
1 MB evidence file on disk matching its SHA-256, and nothing was submitted that was not
acknowledged.

    .venv/bin/python bench/load/run.py                      # both databases
    .venv/bin/python bench/load/run.py --db sqlite -u 20 -t 30s

The exit code is non-zero when locust saw a failure, any answer was a 5xx, gunicorn logged an
error, or the database check fails."""

import argparse
import csv
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from flask_migrate import upgrade

from tracker import create_app
from tracker.agreements.models import (
    Agreement,
    AgreementStatus,
    Area,
    Commitment,
    Indicator,
    Milestone,
    StatusChange,
)
from tracker.auth.models import Role, User
from tracker.auth.services import create_user
from tracker.clock import local_today
from tracker.config import DevelopmentConfig
from tracker.demo.loader import DATA, load_demo
from tracker.extensions import db
from tracker.org.models import Side, Unit
from tracker.progress.models import Evidence, ProgressReport, ReportStatus
from tracker.progress.services import generate_periods
from tracker.reports import services as reports
from tracker.reports.pdf.five_year import ReviewOptions

BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
EVIDENCE_SIZE = 1024 * 1024

#: Accounts per kind of simulated user (more than locust starts of each kind, so none is shared).
ACCOUNTS = {"vnpt": 30, "leader": 15, "dic": 30}
COMMITMENTS = (5, 20)  # areas × commitments per area


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("postgresql", "sqlite", "both"), default="both")
    p.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/",
        help="server URL; the database name is --pg-database",
    )
    p.add_argument("--pg-database", default="tracker_load")
    p.add_argument("-u", "--users", type=int, default=50)
    p.add_argument("-r", "--spawn-rate", type=float, default=10)
    p.add_argument("-t", "--run-time", default="60s")
    p.add_argument("-w", "--workers", type=int, default=4, help="gunicorn workers")
    p.add_argument("--workdir", help="keep everything here (default: a new temporary folder)")
    p.add_argument("--json", help="also write the figures of every run to this file")
    return p.parse_args()


# -- preparing the data ----------------------------------------------------------------------


def prepare(url: str, files: Path) -> dict:
    """Migrate, load the demo, add the load agreement, accounts and a generated review; return
    the plan the locustfile reads."""

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = str(files)

    app = create_app(Config)
    with app.app_context():
        upgrade()
        plan = _populate()
    return plan


def _populate() -> dict:

    load_demo()
    db.session.commit()
    password = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))["demo_password"]
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    vnpt, dic, ubnd = units["VNPT-QT"], units["SKHCN-QT"], units["UBND-QT"]
    today = local_today()
    start, end = date(today.year - 1, 1, 1), date(today.year + 3, 12, 31)
    agreement = Agreement(
        code=f"LOAD-QT-{today.year}",
        title="Thỏa thuận hợp tác chiến lược về chuyển đổi số (dữ liệu kiểm thử tải)",
        partner="Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)",
        province=vnpt.province,
        status=AgreementStatus.in_force,
        signed_on=start,
        period_start=start,
        period_end=end,
        vision_year=end.year + 5,
    )
    agreement.units = [vnpt, dic, ubnd]
    agreement.status_changes.append(
        StatusChange(from_status=None, to_status=AgreementStatus.in_force, changed_on=start)
    )
    db.session.add(agreement)
    commitments = []
    n_areas, per_area = COMMITMENTS
    for a in range(n_areas):
        area = Area(
            code=["I", "II", "III", "IV", "V", "VI"][a],
            title=f"Lĩnh vực hợp tác {a + 1}",
            position=a,
        )
        agreement.areas.append(area)
        for c in range(per_area):
            commitment = Commitment(
                agreement=agreement,
                code=f"{a + 1}.{c + 1}",
                position=c,
                title=f"Triển khai hạ tầng số hạng mục {a + 1}.{c + 1}",
                committed_by=Side.vnpt,
                lead_unit=vnpt,
                support_units=[dic],
                due_on=end,
            )
            commitment.indicators.append(
                Indicator(
                    name="Số xã được phủ sóng 4G/5G", unit="xã", baseline=0, target=47, position=0
                )
            )
            commitment.milestones.append(
                Milestone(title="Hoàn thành lắp đặt thiết bị", due_on=date(today.year + 1, 6, 30))
            )
            area.commitments.append(commitment)
            commitments.append(commitment)
    db.session.flush()
    periods = [p for p in generate_periods(agreement) if p.accepts_reports(today=today)]
    emails = {
        "vnpt": ["vnpt.quangtri@demo.vn"],
        "leader": ["leader.quangtri@demo.vn"],
        "dic": ["dic.quangtri@demo.vn"],
    }
    roles = {"vnpt": (Role.vnpt, vnpt), "leader": (Role.leader, ubnd), "dic": (Role.dic, dic)}
    for kind, count in ACCOUNTS.items():
        role, unit = roles[kind]
        for n in range(1, count):
            email = f"load.{kind}{n:02d}@example.vn"
            create_user(
                email=email,
                password=password,
                role=role,
                unit=unit,
                full_name=f"Người dùng tải {kind} {n}",
            )
            emails[kind].append(email)
    db.session.commit()
    leader = db.session.scalar(sa.select(User).where(User.email == "leader.quangtri@demo.vn"))
    demo = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2020"))
    options = ReviewOptions(
        issuer_parent="UBND TỈNH QUẢNG TRỊ",
        issuer="SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        number="01/BC-SKHCN",
        place="Quảng Trị",
        issued_on=today,
        signer_authority="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        signer_name="Trần Thị Hoa",
        recipients=["UBND tỉnh;", "VNPT Quảng Trị;", "Lưu: VT."],
    )
    pdf = reports.generate_review(
        demo, user=leader, options=options, date_from=demo.period_start, date_to=demo.period_end
    )
    db.session.commit()
    slots = [
        {"commitment": c.id, "period": p.id, "indicator": c.indicators[0].id}
        for p in periods
        for c in commitments
    ]
    return {
        "password": password,
        "accounts": emails,
        "load_agreement": agreement.code,
        "dashboard_agreements": [agreement.code, demo.code],
        "pdf_agreement": demo.code,
        "pdfs": [pdf.id],
        "slots": slots,
        "open_periods": len(periods),
    }


def check(url: str, files: Path, code: str, results: dict) -> tuple[list[str], dict]:
    """What the database says after the run, compared with what locust was told."""

    engine = sa.create_engine(url)
    problems = []
    try:
        with engine.connect() as conn:
            agreement_id = conn.scalar(sa.select(Agreement.id).where(Agreement.code == code))
            rows = conn.execute(
                sa.select(
                    ProgressReport.id,
                    ProgressReport.commitment_id,
                    ProgressReport.period_id,
                    ProgressReport.status,
                )
                .join(Commitment, Commitment.id == ProgressReport.commitment_id)
                .where(Commitment.agreement_id == agreement_id)
            ).all()
            evidence = conn.execute(
                sa.select(Evidence.report_id, Evidence.sha256, Evidence.size).where(
                    Evidence.report_id.in_([r.id for r in rows] or [-1])
                )
            ).all()
    finally:
        engine.dispose()
    submitted = {r.id: r for r in rows if r.status == ReportStatus.submitted}
    acknowledged = {a["report"]: a for a in results["acknowledged"]}
    pairs = [(r.commitment_id, r.period_id) for r in rows]
    if len(pairs) != len(set(pairs)):
        problems.append("more than one report for a commitment and period")
    if len(acknowledged) != len(results["acknowledged"]):
        problems.append("a report was acknowledged twice")
    lost = set(acknowledged) - set(submitted)
    if lost:
        problems.append(f"{len(lost)} acknowledged submissions are not submitted in the database")
    unacknowledged = set(submitted) - set(acknowledged) - set(results["unknown"])
    if unacknowledged:
        problems.append(f"{len(unacknowledged)} reports submitted without an acknowledgement")
    by_report: dict[int, list] = {}
    for e in evidence:
        by_report.setdefault(e.report_id, []).append(e)
    for report_id, ack in acknowledged.items():
        row = submitted.get(report_id)
        if row is not None and (row.commitment_id, row.period_id) != (
            ack["commitment"],
            ack["period"],
        ):
            problems.append(f"report {report_id} is not the one acknowledged")
        files_of = by_report.get(report_id, [])
        if [(e.sha256, e.size) for e in files_of] != [(ack["evidence_sha256"], EVIDENCE_SIZE)]:
            problems.append(f"report {report_id}: evidence rows {files_of!r}")
            continue
        path = files / ack["evidence_sha256"][:2] / ack["evidence_sha256"]
        if (
            not path.is_file()
            or hashlib.sha256(path.read_bytes()).hexdigest() != ack["evidence_sha256"]
        ):
            problems.append(f"report {report_id}: evidence file missing or altered")
    return problems, {
        "reports": len(rows),
        "submitted": len(submitted),
        "acknowledged": len(acknowledged),
        "drafts_left": sum(1 for r in rows if r.status == ReportStatus.draft),
        "unknown": len(results["unknown"]),
    }


# -- databases ---------------------------------------------------------------------------------


def fresh_postgres(server_url: str, name: str) -> str:

    admin = sa.create_engine(
        server_url + "postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return server_url + name


# -- gunicorn and locust -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, files: Path, port: int, workers: int, logs: Path):
    env = dict(
        os.environ,
        DATABASE_URL=url,
        UPLOAD_FOLDER=str(files),
        SECRET_KEY=secrets.token_urlsafe(48),
        # Development settings with a real key: production would mark the session cookie
        # Secure, which a client on plain-HTTP loopback does not send back.
        TRACKER_ENV="development",
    )
    process = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(logs / "access.log"),
            "--error-logfile",
            str(logs / "error.log"),
            "--capture-output",
            "tracker:create_app()",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {logs / 'error.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_locust(host: str, plan_path: Path, results_path: Path, prefix: Path, args) -> int:
    env = dict(os.environ, LOAD_PLAN=str(plan_path), LOAD_RESULTS=str(results_path))
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "-u",
        str(args.users),
        "-r",
        str(args.spawn_rate),
        "-t",
        args.run_time,
        "--stop-timeout",
        "30",
        "--csv",
        str(prefix),
        "--only-summary",
        "--exit-code-on-error",
        "1",
        "--loglevel",
        "WARNING",
        "--logfile",
        str(prefix.parent / "locust.log"),
    ]
    with open(prefix.parent / "locust.out", "w") as out:
        return subprocess.run(  # noqa: S603
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def read_failures(prefix: Path) -> list[dict]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def print_table(label: str, stats: list[dict]) -> None:
    print(f"\n{label}")
    print(
        f"{'request':<44}{'count':>7}{'fail':>6}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    )
    for row in stats:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        print(
            f"{name:<44}{row['Request Count']:>7}{row['Failure Count']:>6}"
            f"{float(row['Requests/s']):>8.2f}{row['50%']:>9}{row['95%']:>9}{row['99%']:>9}"
        )


def gunicorn_errors(logs: Path) -> list[str]:
    text = (logs / "error.log").read_text(errors="replace") if (logs / "error.log").exists() else ""
    return [
        line
        for line in text.splitlines()
        if (
            "Traceback" in line
            or "ERROR" in line
            or "[CRITICAL]" in line
            or "database is locked" in line
        )
    ]


def status_5xx(logs: Path) -> int:
    count = 0
    for line in (logs / "access.log").read_text(errors="replace").splitlines():
        parts = line.split('"')
        if len(parts) >= 3 and parts[2].split()[:1] and parts[2].split()[0].startswith("5"):
            count += 1
    return count


def run_one(kind: str, args, base: Path) -> dict:
    work = base / kind
    files = work / "files"
    files.mkdir(parents=True)
    url = (
        fresh_postgres(args.pg_url, args.pg_database)
        if kind == "postgresql"
        else f"sqlite:///{work / 'tracker.sqlite3'}"
    )
    began = time.monotonic()
    plan = prepare(url, files)
    plan_path = work / "plan.json"
    plan_path.write_text(json.dumps(plan))
    print(
        f"[{kind}] data ready in {time.monotonic() - began:.0f} s: {plan['load_agreement']} with "
        f"{len(plan['slots'])} free report slots in {plan['open_periods']} open periods"
    )
    port = free_port()
    server = start_gunicorn(url, files, port, args.workers, work)
    try:
        print(
            f"[{kind}] locust: {args.users} users, spawn rate {args.spawn_rate}/s, "
            f"{args.run_time}, gunicorn -w {args.workers} on 127.0.0.1:{port}"
        )
        exit_code = run_locust(
            f"http://127.0.0.1:{port}", plan_path, work / "results.json", work / "locust", args
        )
    finally:
        stop(server)
    results = json.loads((work / "results.json").read_text())
    stats = read_stats(work / "locust")
    print_table(f"[{kind}] results", stats)
    failures = read_failures(work / "locust")
    for f in failures:
        print(f"  failure: {f['Method']} {f['Name']}: {f['Error']} × {f['Occurrences']}")
    if len(results["failures"]) > sum(int(f["Occurrences"]) for f in failures):
        for line in results["failures"][:10]:
            print(f"  failure (all, stop phase included): {line}")
    problems, counts = check(url, files, plan["load_agreement"], results)
    errors = gunicorn_errors(work)
    total = next(row for row in stats if row["Name"] == "Aggregated")
    figures = {
        "database": kind,
        "date": date.today().isoformat(),
        "users": args.users,
        "run_time": args.run_time,
        "workers": args.workers,
        "requests": int(total["Request Count"]),
        "requests_including_stop": results["requests"],
        "failures": max(int(total["Failure Count"]), len(results["failures"])),
        "throughput_rps": round(float(total["Requests/s"]), 2),
        "status_5xx_client": results["server_errors"],
        "status_5xx_server_log": status_5xx(work),
        "gunicorn_errors": len(errors),
        "locust_exit_code": exit_code,
        "uploaded_mb": round(results["upload_bytes"] / EVIDENCE_SIZE),
        "per_request": {
            row["Name"]: {
                "count": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 2),
                "p50": row["50%"],
                "p95": row["95%"],
                "p99": row["99%"],
            }
            for row in stats
        },
        **counts,
        "problems": problems,
    }
    print(
        f"[{kind}] {figures['requests']} requests in the run time ({results['requests']} with "
        f"the tasks finished after it), {figures['throughput_rps']} req/s, "
        f"{figures['failures']} failures, 5xx: {figures['status_5xx_server_log']} "
        f"(server log) / {figures['status_5xx_client']} (client), gunicorn errors: "
        f"{len(errors)}, locust exit code {exit_code}"
    )
    print(
        f"[{kind}] reports: {counts['acknowledged']} acknowledged submissions, "
        f"{counts['submitted']} submitted in the database, {counts['drafts_left']} drafts "
        f"left when the run stopped, {counts['unknown']} without an answer; "
        f"{figures['uploaded_mb']} MB of evidence uploaded"
    )
    for line in errors[:10]:
        print(f"  gunicorn: {line}")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    if not problems:
        print(f"[{kind}] check: no report lost or duplicated; every evidence file matches its hash")
    return figures


def main() -> int:
    args = parse_args()
    base = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="tracker-load-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"work folder: {base}")
    kinds = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    runs = [run_one(kind, args, base) for kind in kinds]
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2, ensure_ascii=False))
    bad = [
        r
        for r in runs
        if r["failures"]
        or r["status_5xx_server_log"]
        or r["status_5xx_client"]
        or r["gunicorn_errors"]
        or r["locust_exit_code"]
        or r["problems"]
    ]
    print(
        "\nOK: zero failures, zero 5xx, no report lost or duplicated"
        if not bad
        else f"\nFAILED: {', '.join(r['database'] for r in bad)}"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
