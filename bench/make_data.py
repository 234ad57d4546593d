"""Build the LARGE synthetic data set the page benchmark runs on.

    python bench/make_data.py --out /tmp/bench.sqlite3
    python bench/make_data.py --database-url postgresql+psycopg://user:pw@host/bench

What it creates (see bench/README.md):

- the provinces and units of ``tracker/demo/data/reference.json`` (current and historical),
- for each of the 34 current provinces: a DIC unit, a VNPT branch and 3 other departments,
  and 2 agreements (2021–2025 and 2024–2028, in force, quarterly reporting),
- per agreement: 6 areas × 50 commitments; per commitment 5 milestones (met, late or upcoming
  relative to today) and 2 indicators with 20 verified, increasing measurements each,
- the agreement's quarterly reporting periods, one progress report per commitment per period
  whose window has started (mostly verified; some submitted, returned or draft), 3 evidence rows
  per report and the report events (submitted, returned, verified),
- a few directives, documents and status changes per agreement,
- the admin user ``bench-admin@example.vn`` (password ``bench-password-123``) that pages.py uses,
  and a VNPT user who "submitted" the reports (the verifier is never the submitter).

The schema is created with Flask-Migrate's ``upgrade()``; rows go in with SQLAlchemy Core
``insert()`` executemany, one transaction per table batch, agreement by agreement (parents before
children, so foreign keys are checked). Everything is deterministic for a given ``--seed``
except the dates, which are relative to today.
"""

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import flask_migrate
import sqlalchemy as sa

from tracker import create_app
from tracker.agreements import models as am
from tracker.agreements.models import Agreement
from tracker.auth.models import Role, User
from tracker.auth.services import create_user
from tracker.clock import local_today
from tracker.config import DevelopmentConfig
from tracker.demo.loader import DATA, load_reference
from tracker.extensions import db
from tracker.org.models import Province, Side, Unit, UnitKind
from tracker.progress import models as pm
from tracker.progress.periods import deadline, windows_between
from tracker.text import fold

ADMIN_EMAIL = "bench-admin@example.vn"
SUBMITTER_EMAIL = "bench-vnpt@example.vn"
PASSWORD = "bench-password-123"  # noqa: S105  (a throw-away bench account)
DEFAULT_OUT = "/tmp/bench.sqlite3"  # noqa: S108

N_AREAS = 6
COMMITMENTS_PER_AREA = 50
MILESTONES = 5
INDICATORS = 2
MEASUREMENTS = 20
EVIDENCE_PER_REPORT = 3
DIRECTIVES = 10
BATCH = 20_000

AGREEMENT_PERIODS = [
    (date(2021, 1, 1), date(2025, 12, 31), 2030),
    (date(2024, 1, 1), date(2028, 12, 31), 2035),
]

AREA_TITLES = [
    "Phát triển hạ tầng viễn thông - CNTT hướng tới đô thị thông minh",
    "Ứng dụng CNTT trong cơ quan nhà nước, xây dựng chính quyền điện tử",
    "Bảo đảm an toàn, an ninh thông tin",
    "Phát triển nguồn nhân lực CNTT",
    "Phát triển công nghiệp CNTT",
    "Cơ chế, chính sách",
]
COMMITMENT_VERBS = [
    "Triển khai",
    "Nâng cấp",
    "Xây dựng",
    "Mở rộng",
    "Đào tạo",
    "Hỗ trợ",
    "Phủ sóng",
    "Tích hợp",
]
COMMITMENT_OBJECTS = [
    "hệ thống một cửa điện tử cấp xã",
    "mạng cáp quang đến thôn bản",
    "trạm BTS 4G/5G",
    "trung tâm điều hành thông minh (IOC)",
    "dịch vụ công trực tuyến mức độ 4",
    "hệ thống quản lý văn bản và điều hành",
    "nền tảng chia sẻ, tích hợp dữ liệu (LGSP)",
    "trung tâm giám sát an toàn thông tin (SOC)",
    "hội nghị truyền hình trực tuyến",
    "bệnh án điện tử tại bệnh viện tuyến tỉnh",
    "sổ liên lạc điện tử trong trường học",
    "hóa đơn điện tử cho doanh nghiệp",
]
INDICATOR_DEFS = [
    ("Tỷ lệ xã sử dụng hệ thống một cửa điện tử", "%", 20, 100),
    ("Số trạm BTS lắp mới", "trạm BTS", 0, 60),
    ("Tỷ lệ dịch vụ công trực tuyến mức độ 4", "%", 10, 80),
    ("Số xã có cáp quang", "xã", 40, 151),
    ("Số cán bộ được đào tạo", "người", 0, 1200),
    ("Tỷ lệ văn bản điện tử", "%", 30, 95),
]
EVIDENCE_KINDS = ["minutes", "decision", "photo", "report", "statistics", "other"]
EVIDENCE_FILES = {
    "minutes": ("bien-ban-nghiem-thu-{}.pdf", "application/pdf"),
    "decision": ("quyet-dinh-{}.pdf", "application/pdf"),
    "photo": ("anh-khanh-thanh-{}.jpg", "image/jpeg"),
    "report": (
        "bao-cao-{}.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "statistics": (
        "so-lieu-{}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "other": ("tai-lieu-{}.pdf", "application/pdf"),
}
FUNDING = [
    "vnpt",
    "provincial_budget",
    "central_budget",
    "service_rental",
    "socialization",
    "other",
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", help="SQLite file to create (replaced if it exists)")
    where.add_argument(
        "--database-url", help="an EMPTY database, e.g. postgresql+psycopg://…/bench"
    )
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument(
        "--provinces",
        type=int,
        default=None,
        help="only the first N current provinces (a quick smoke test; default all 34)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    if not args.out and not args.database_url:
        args.out = DEFAULT_OUT
    return args


def make_app(url: str):
    """The app on the given database, with the development configuration."""

    config = type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    return create_app(config)


class Ids:
    """Primary keys assigned here, so children can point at parents without RETURNING."""

    def __init__(self, conn, tables):
        self.next = {}
        for t in tables:
            self.next[t.name] = (conn.scalar(sa.select(sa.func.max(t.c.id))) or 0) + 1

    def take(self, table) -> int:
        value = self.next[table.name]
        self.next[table.name] = value + 1
        return value


class Inserter:
    """Core executemany in batches, one transaction per batch; counts rows and time per table."""

    def __init__(self, engine):
        self.engine = engine
        self.counts = Counter()
        self.seconds = Counter()

    def __call__(self, table, rows):
        if not rows:
            return
        stmt = table.insert()
        for i in range(0, len(rows), BATCH):
            chunk = rows[i : i + BATCH]
            t0 = time.perf_counter()
            with self.engine.begin() as conn:
                conn.execute(stmt, chunk)
            self.seconds[table.name] += time.perf_counter() - t0
            self.counts[table.name] += len(chunk)


def fake_sha256(*parts) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def at(day: date, hour: int = 9) -> datetime:
    """A UTC timestamp on a day (9:00 UTC is 16:00 in Vietnam)."""
    return datetime.combine(day, dtime(hour, 0), tzinfo=UTC)


def completion_for(percent: int) -> str:
    if percent <= 0:
        return "not_started"
    if percent < 50:
        return "limited"
    if percent < 100:
        return "substantial"
    return "complete"


def spread_dates(start: date, end: date, n: int) -> list[date]:
    """n distinct dates evenly spread over [start, end]."""
    span = max((end - start).days, n)
    return [start + timedelta(days=round(span * (k + 1) / (n + 1))) for k in range(n)]


def setup_reference(app, url):
    """Schema (migrations), reference provinces and units, bench units and users: through the ORM."""

    flask_migrate.upgrade()

    if db.session.scalar(sa.select(sa.func.count()).select_from(Agreement)):
        raise SystemExit(f"{url} already holds agreements; give an empty database.")

    reference = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))
    load_reference(reference)
    db.session.flush()
    current = db.session.scalars(
        sa.select(Province).where(Province.valid_to.is_(None)).order_by(Province.code)
    ).all()
    dept_names = [("SYT", "Sở Y tế"), ("SGDDT", "Sở Giáo dục và Đào tạo"), ("STC", "Sở Tài chính")]
    units_by_province = {}
    for p in current:
        slug = p.code.upper()
        created = {
            "dic": Unit(
                code=f"B-DIC-{slug}"[:40],
                name=f"Sở Khoa học và Công nghệ {p.full_name}",
                short_name=f"Sở KH&CN {p.name}",
                kind=UnitKind.dic,
                side=Side.province,
                province=p,
            ),
            "vnpt": Unit(
                code=f"B-VNPT-{slug}"[:40],
                name=f"VNPT {p.name}",
                short_name=f"VNPT {p.name}",
                kind=UnitKind.vnpt_branch,
                side=Side.vnpt,
                province=p,
            ),
        }
        for key, name in dept_names:
            created[key] = Unit(
                code=f"B-{key}-{slug}"[:40],
                name=f"{name} {p.full_name}",
                short_name=f"{name} {p.name}",
                kind=UnitKind.department,
                side=Side.province,
                province=p,
            )
        db.session.add_all(created.values())
        units_by_province[p.id] = created
    db.session.flush()
    hq = db.session.scalar(
        sa.select(Unit).where(Unit.kind == UnitKind.vnpt_hq).order_by(Unit.id).limit(1)
    )

    admin = db.session.scalar(sa.select(User).where(User.email == ADMIN_EMAIL))
    if admin is None:
        admin = create_user(
            email=ADMIN_EMAIL,
            password=PASSWORD,
            role=Role.admin,
            unit=None,
            full_name="Bench administrator",
        )
    submitter = db.session.scalar(sa.select(User).where(User.email == SUBMITTER_EMAIL))
    if submitter is None:
        submitter = create_user(
            email=SUBMITTER_EMAIL,
            password=PASSWORD,
            role=Role.vnpt,
            unit=hq,
            full_name="Bench VNPT reporter",
        )
    db.session.commit()
    plan = [
        {
            "province": (p.id, p.code, p.name, p.full_name),
            "units": {k: (u.id, u.side.value) for k, u in units_by_province[p.id].items()},
        }
        for p in current
    ]
    return plan, hq.id, admin.id, submitter.id


def build(engine, plan, hq_id, admin_id, submitter_id, *, seed: int, quiet: bool):
    """Insert the agreements and everything under them with Core executemany."""

    T = {
        "agreements": am.Agreement.__table__,
        "agreement_units": am.agreement_units,
        "status_changes": am.StatusChange.__table__,
        "documents": am.Document.__table__,
        "areas": am.Area.__table__,
        "commitments": am.Commitment.__table__,
        "support": am.commitment_support_units,
        "milestones": am.Milestone.__table__,
        "indicators": am.Indicator.__table__,
        "measurements": am.Measurement.__table__,
        "directives": am.Directive.__table__,
        "periods": pm.ReportingPeriod.__table__,
        "reports": pm.ProgressReport.__table__,
        "evidence": pm.Evidence.__table__,
        "events": pm.ReportEvent.__table__,
    }
    with engine.connect() as conn:
        ids = Ids(conn, [t for k, t in T.items() if k not in ("agreement_units", "support")])
    insert = Inserter(engine)
    rng = random.Random(seed)
    today = local_today()
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = {
        "created_at": now,
        "updated_at": now,
        "created_by_id": admin_id,
        "updated_by_id": admin_id,
    }
    versioned = {**stamp, "version": 1}

    for n_province, entry in enumerate(plan, 1):
        pid, pcode, pname, pfull = entry["province"]
        units = entry["units"]
        unit_cycle = ["dic", "vnpt", "SYT", "vnpt", "SGDDT", "STC"]
        for start, end, vision in AGREEMENT_PERIODS:
            t_agreement = time.perf_counter()
            rows = {k: [] for k in T}
            aid = ids.take(T["agreements"])
            code = f"B{start.year}-{pcode.upper()}"[:40]
            title = f"Thỏa thuận hợp tác chiến lược về VT-CNTT giai đoạn {start.year}–{end.year} giữa UBND {pfull} và VNPT"
            signed_on = start - timedelta(days=20)
            rows["agreements"].append(
                {
                    **versioned,
                    "id": aid,
                    "code": code,
                    "title": title,
                    "province_id": pid,
                    "partner": "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)",
                    "province_signatory": f"Chủ tịch UBND {pfull}",
                    "partner_signatory": "Tổng Giám đốc VNPT",
                    "signed_on": signed_on,
                    "period_start": start,
                    "period_end": end,
                    "vision_year": vision,
                    "status": am.AgreementStatus.in_force,
                    "description": "Bộ dữ liệu tổng hợp cho đo hiệu năng (bench/make_data.py).",
                    "legal_bases": [
                        "Nghị quyết 17/NQ-CP ngày 07/3/2019",
                        "Nghị quyết 36a/NQ-CP ngày 14/10/2015",
                    ],
                    "predecessor_id": None,
                    "reporting_frequency": am.PeriodKind.quarter,
                    "report_deadline_days": 6,
                    "search_text": fold(" ".join([code, title, pname, "VNPT"])),
                }
            )
            for key in ["dic", "vnpt", "SYT", "SGDDT", "STC"]:
                rows["agreement_units"].append({"agreement_id": aid, "unit_id": units[key][0]})
            rows["agreement_units"].append({"agreement_id": aid, "unit_id": hq_id})
            for frm, to, on in [
                (None, "draft", signed_on - timedelta(days=90)),
                ("draft", "signed", signed_on),
                ("signed", "in_force", start),
            ]:
                rows["status_changes"].append(
                    {
                        "id": ids.take(T["status_changes"]),
                        "agreement_id": aid,
                        "from_status": am.AgreementStatus(frm) if frm else None,
                        "to_status": am.AgreementStatus(to),
                        "changed_on": on,
                        "note": None,
                        "created_at": now,
                        "created_by_id": admin_id,
                    }
                )
            for i in range(2):
                rows["documents"].append(
                    {
                        **stamp,
                        "id": ids.take(T["documents"]),
                        "agreement_id": aid,
                        "title": ["Văn bản thỏa thuận đã ký", "Kế hoạch triển khai"][i],
                        "issued_on": signed_on,
                        "file_name": f"{code.lower()}-{i}.pdf",
                        "sha256": fake_sha256("doc", aid, i),
                        "size": 200_000 + i,
                        "content_type": "application/pdf",
                    }
                )
            for i in range(DIRECTIVES):
                issued = start + timedelta(days=120 * (i + 1))
                due = issued + timedelta(days=60)
                done = due - timedelta(days=5) if (due < today and rng.random() < 0.7) else None
                rows["directives"].append(
                    {
                        **versioned,
                        "id": ids.take(T["directives"]),
                        "agreement_id": aid,
                        "issued_on": issued,
                        "issued_by": "Phó Chủ tịch UBND tỉnh",
                        "meeting": f"Cuộc họp giao ban số {i + 1}",
                        "text": f"Giao đơn vị đẩy nhanh tiến độ nội dung {i + 1}, báo cáo kết quả.",
                        "assignee_unit_id": units[unit_cycle[i % len(unit_cycle)]][0],
                        "due_on": due,
                        "done_on": done,
                    }
                )

            windows = windows_between(am.PeriodKind.quarter, start, end)
            periods = []  # (id, window, deadline)
            for w in windows:
                pid_ = ids.take(T["periods"])
                dl = deadline(w, 6)
                rows["periods"].append(
                    {
                        **stamp,
                        "id": pid_,
                        "agreement_id": aid,
                        "kind": am.PeriodKind.quarter,
                        "year": w.year,
                        "number": w.number,
                        "starts_on": w.starts_on,
                        "ends_on": w.ends_on,
                        "deadline_on": dl,
                        "reopened_until": None,
                    }
                )
                periods.append((pid_, w, dl))
            started = [p for p in periods if p[1].starts_on <= today]
            measure_end = min(today, end)
            measure_dates = spread_dates(start, measure_end, MEASUREMENTS)

            milestone_dates = spread_dates(start, end, MILESTONES)
            for a in range(N_AREAS):
                area_id = ids.take(T["areas"])
                roman = ["I", "II", "III", "IV", "V", "VI"][a]
                rows["areas"].append(
                    {
                        **versioned,
                        "id": area_id,
                        "agreement_id": aid,
                        "code": roman,
                        "position": a + 1,
                        "title": AREA_TITLES[a],
                        "description": None,
                    }
                )
                for n in range(COMMITMENTS_PER_AREA):
                    cid = ids.take(T["commitments"])
                    lead_key = unit_cycle[(a + n) % len(unit_cycle)]
                    lead_id, lead_side = units[lead_key]
                    final = rng.choice([40, 60, 80, 90, 100, 100])
                    withdrawn = rng.random() < 0.01
                    due_on = end if n % 3 else date(rng.randint(start.year + 1, end.year), 12, 31)
                    # Reports: one per started period; percent grows toward `final` over the whole period.
                    c_reports = []
                    last_verified_pct = 0
                    for k, (period_id, w, dl) in enumerate(started):
                        pct = min(100, round(final * (k + 1) / len(periods)))
                        if dl >= today:  # still open: being written or awaiting verification
                            state = rng.choices(["draft", "submitted", "verified"], [40, 45, 15])[0]
                        else:
                            state = rng.choices(
                                ["verified", "submitted", "returned", "draft"], [90, 4, 3, 3]
                            )[0]
                        if state == "verified":
                            last_verified_pct = pct
                        c_reports.append((period_id, w, dl, pct, state))
                    percent = last_verified_pct
                    completion = "withdrawn" if withdrawn else completion_for(percent)
                    rows["commitments"].append(
                        {
                            **versioned,
                            "id": cid,
                            "agreement_id": aid,
                            "area_id": area_id,
                            "code": f"{a + 1}.{n + 1}",
                            "position": n + 1,
                            "title": f"{COMMITMENT_VERBS[(a + n) % len(COMMITMENT_VERBS)]} "
                            f"{COMMITMENT_OBJECTS[(a * 7 + n) % len(COMMITMENT_OBJECTS)]} (nội dung {a + 1}.{n + 1})",
                            "description": None,
                            "committed_by": am.Side(lead_side),
                            "lead_unit_id": lead_id,
                            "due_on": due_on,
                            "budget_vnd": rng.randrange(100, 50_000) * 1_000_000,
                            "funding_source": am.FundingSource(FUNDING[(a + n) % len(FUNDING)]),
                            "priority": n < 3,
                            "completion": am.Completion(completion),
                            "percent_complete": percent,
                        }
                    )
                    support = {
                        units[unit_cycle[(a + n + 1) % len(unit_cycle)]][0],
                        units[unit_cycle[(a + n + 2) % len(unit_cycle)]][0],
                    } - {lead_id}
                    rows["support"].extend(
                        {"commitment_id": cid, "unit_id": u} for u in sorted(support)
                    )

                    for m, due in enumerate(milestone_dates):
                        if due < today and rng.random() < 0.8:
                            done, status = due - timedelta(days=rng.randint(0, 20)), "met"
                        elif due < today:
                            done, status = None, rng.choice(["scheduled", "not_met"])
                        else:
                            done, status = None, "scheduled"
                        rows["milestones"].append(
                            {
                                **versioned,
                                "id": ids.take(T["milestones"]),
                                "commitment_id": cid,
                                "title": f"Mốc {m + 1}: hoàn thành giai đoạn {m + 1}",
                                "due_on": due,
                                "original_due_on": None,
                                "done_on": done,
                                "status": am.MilestoneStatus(status),
                            }
                        )
                    for i in range(INDICATORS):
                        name, unit, baseline, target = INDICATOR_DEFS[
                            (a * 2 + n + i) % len(INDICATOR_DEFS)
                        ]
                        iid = ids.take(T["indicators"])
                        rows["indicators"].append(
                            {
                                **versioned,
                                "id": iid,
                                "commitment_id": cid,
                                "position": i + 1,
                                "name": name,
                                "unit": unit,
                                "baseline": baseline,
                                "target": target,
                                "target_on": None,
                                "direction": am.Direction.increase,
                            }
                        )
                        reach = rng.uniform(0.5, 1.1)
                        for k, on in enumerate(measure_dates):
                            value = baseline + (target - baseline) * reach * (k + 1) / MEASUREMENTS
                            rows["measurements"].append(
                                {
                                    **versioned,
                                    "id": ids.take(T["measurements"]),
                                    "indicator_id": iid,
                                    "measured_on": on,
                                    "value": round(value, 2),
                                    "verified": True,
                                    "note": None,
                                    "report_id": None,
                                }
                            )

                    for period_id, w, dl, pct, state in c_reports:
                        rid = ids.take(T["reports"])
                        submitted_on = min(dl - timedelta(days=rng.randint(0, 5)), today)
                        submitted = state != "draft"
                        verified_on = min(submitted_on + timedelta(days=rng.randint(1, 10)), today)
                        rows["reports"].append(
                            {
                                **versioned,
                                "id": rid,
                                "commitment_id": cid,
                                "period_id": period_id,
                                "status": pm.ReportStatus(state),
                                "percent_complete": pct,
                                "completion": am.Completion(completion_for(pct)),
                                "spent_vnd": rng.randrange(0, 2_000) * 1_000_000,
                                "narrative": f"Trong kỳ đã triển khai các nội dung theo kế hoạch, đạt {pct}%.",
                                "unit_id": lead_id,
                                "submitted_by_id": submitter_id if submitted else None,
                                "submitted_at": at(submitted_on) if submitted else None,
                                "verified_by_id": admin_id if state == "verified" else None,
                                "verified_at": at(verified_on, 10) if state == "verified" else None,
                            }
                        )
                        if submitted:
                            rows["events"].append(
                                {
                                    "id": ids.take(T["events"]),
                                    "report_id": rid,
                                    "action": pm.ReportAction.submitted,
                                    "reason": None,
                                    "actor_id": submitter_id,
                                    "at": at(submitted_on),
                                }
                            )
                        if state == "verified":
                            rows["events"].append(
                                {
                                    "id": ids.take(T["events"]),
                                    "report_id": rid,
                                    "action": pm.ReportAction.verified,
                                    "reason": None,
                                    "actor_id": admin_id,
                                    "at": at(verified_on, 10),
                                }
                            )
                        elif state == "returned":
                            rows["events"].append(
                                {
                                    "id": ids.take(T["events"]),
                                    "report_id": rid,
                                    "action": pm.ReportAction.returned,
                                    "reason": "Bổ sung biên bản nghiệm thu.",
                                    "actor_id": admin_id,
                                    "at": at(verified_on, 10),
                                }
                            )
                        for e in range(EVIDENCE_PER_REPORT):
                            kind = EVIDENCE_KINDS[(rid + e) % len(EVIDENCE_KINDS)]
                            pattern, ctype = EVIDENCE_FILES[kind]
                            evid = ids.take(T["evidence"])
                            rows["evidence"].append(
                                {
                                    **stamp,
                                    "id": evid,
                                    "report_id": rid,
                                    "directive_id": None,
                                    "title": f"Minh chứng {e + 1} kỳ {w.number}/{w.year}",
                                    "kind": pm.EvidenceKind(kind),
                                    "issued_on": min(w.ends_on, today),
                                    "file_name": pattern.format(evid),
                                    "sha256": fake_sha256("evidence", evid),
                                    "size": 50_000 + (evid * 7919) % 5_000_000,
                                    "content_type": ctype,
                                    "thumbnail_sha256": fake_sha256("thumb", evid)
                                    if kind == "photo"
                                    else None,
                                    "superseded_by_id": None,
                                }
                            )

            for key in [
                "agreements",
                "agreement_units",
                "status_changes",
                "documents",
                "directives",
                "periods",
                "areas",
                "commitments",
                "support",
                "milestones",
                "indicators",
                "measurements",
                "reports",
                "events",
                "evidence",
            ]:
                insert(T[key], rows[key])
            if not quiet:
                print(
                    f"  [{n_province:2d}/{len(plan)}] {code}: {len(rows['commitments'])} commitments, "
                    f"{len(rows['reports'])} reports, {len(rows['measurements'])} measurements "
                    f"({time.perf_counter() - t_agreement:.1f} s)",
                    flush=True,
                )
    return insert


def fix_sequences(engine):
    """PostgreSQL: move the id sequences past the ids given explicitly."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in sa.inspect(conn).get_table_names():
            columns = {c["name"] for c in sa.inspect(conn).get_columns(table)}
            if "id" not in columns:
                continue
            seq = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})
            if seq:
                # Table names come from the database's own catalogue.
                sql = f'SELECT setval(:s, COALESCE((SELECT max(id) FROM "{table}"), 0) + 1, false)'  # noqa: S608
                conn.execute(sa.text(sql), {"s": seq})


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.database_url:
        url = args.database_url
    else:
        out = Path(args.out).resolve()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{out}{suffix}").unlink(missing_ok=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{out}"
    os.environ.setdefault("TRACKER_ENV", "development")

    t0 = time.perf_counter()
    app = make_app(url)
    with app.app_context():
        plan, hq_id, admin_id, submitter_id = setup_reference(app, url)
        if args.provinces:
            plan = plan[: args.provinces]
        t_ref = time.perf_counter()
        print(
            f"schema and reference data: {t_ref - t0:.1f} s ({len(plan)} current provinces)",
            flush=True,
        )
        engine = db.engine
        if engine.dialect.name == "sqlite":
            # A throw-away data set: no fsync at each batch commit.
            @sa.event.listens_for(engine, "connect")
            def _fast(dbapi_connection, record):
                dbapi_connection.execute("PRAGMA synchronous=OFF")

            engine.dispose()
        inserter = build(
            engine, plan, hq_id, admin_id, submitter_id, seed=args.seed, quiet=args.quiet
        )
        fix_sequences(engine)
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
            # A checkpoint cannot run inside a transaction.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        t_end = time.perf_counter()

        print(f"\n{'table':<28}{'rows':>12}{'insert s':>10}")
        with engine.connect() as conn:
            names = sorted(sa.inspect(conn).get_table_names())
            total = 0
            for name in names:
                if name == "alembic_version":
                    continue
                n = conn.scalar(sa.text(f'SELECT count(*) FROM "{name}"'))  # noqa: S608
                total += n
                secs = inserter.seconds.get(name)
                print(f"{name:<28}{n:>12,}{(f'{secs:.1f}' if secs else ''):>10}")
            print(f"{'total':<28}{total:>12,}")
        print(
            f"\ngenerated in {t_end - t0:.1f} s (reference {t_ref - t0:.1f} s, bulk inserts "
            f"{sum(inserter.seconds.values()):.1f} s) on {url}"
        )
        print(f"sign in as {ADMIN_EMAIL} / {PASSWORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
