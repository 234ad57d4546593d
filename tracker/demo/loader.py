"""`tracker demo`: load the reference data (provinces, units, users) and the demo agreements
from the data files next to this module. Running it again changes nothing."""

import io
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tracker import storage
from tracker.agreements.models import Agreement, Commitment, Completion
from tracker.auth.models import Role, User
from tracker.auth.services import create_user
from tracker.clock import utcnow
from tracker.demo.signing import evidence_pdf, load_signing
from tracker.extensions import db
from tracker.interop.json import import_agreement
from tracker.org.models import ChangeKind, Province, Side, Unit, UnitKind
from tracker.progress import services
from tracker.progress.models import (
    Evidence,
    EvidenceKind,
    ProgressReport,
    ReportAction,
    ReportEvent,
    ReportingPeriod,
    ReportStatus,
    ReportValue,
)

DATA = Path(__file__).parent / "data"


def _date(value):
    return date.fromisoformat(value) if value else None


def _upsert(model, code: str, fields: dict):
    obj = db.session.scalar(sa.select(model).where(model.code == code))
    if obj is None:
        obj = model(code=code)
        db.session.add(obj)
    for key, value in fields.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
    return obj


def load_reference(reference: dict) -> tuple[int, int]:
    """Provinces and units with their validity and successors."""
    provinces = {}
    for p in reference["provinces"]:
        provinces[p["code"]] = _upsert(
            Province,
            p["code"],
            {
                "name": p["name"],
                "is_city": p["is_city"],
                "valid_from": _date(p["valid_from"]),
                "valid_to": _date(p["valid_to"]),
                "change_kind": ChangeKind(p["change_kind"]) if p["change_kind"] else None,
            },
        )
    for p in reference["provinces"]:
        provinces[p["code"]].successor = provinces[p["successor"]] if p["successor"] else None
    units = {}
    for u in reference["units"]:
        units[u["code"]] = _upsert(
            Unit,
            u["code"],
            {
                "name": u["name"],
                "short_name": u["short_name"],
                "kind": UnitKind(u["kind"]),
                "side": Side(u["side"]),
                "province": provinces[u["province"]] if u["province"] else None,
                "valid_from": _date(u["valid_from"]),
                "valid_to": _date(u["valid_to"]),
                "change_kind": ChangeKind(u["change_kind"]) if u["change_kind"] else None,
            },
        )
    for u in reference["units"]:
        units[u["code"]].successor = units[u["successor"]] if u["successor"] else None
    db.session.flush()
    return len(provinces), len(units)


def load_demo() -> list[str]:
    """Load everything; return lines describing what is there, demo accounts included."""
    reference = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))
    n_provinces, n_units = load_reference(reference)
    password = reference["demo_password"]
    for u in reference["users"]:
        exists = db.session.scalar(sa.select(User.id).where(User.email == u["email"]))
        if exists is None:
            unit = (
                db.session.scalar(sa.select(Unit).where(Unit.code == u["unit"]))
                if u["unit"]
                else None
            )
            create_user(
                email=u["email"],
                password=password,
                role=Role(u["role"]),
                unit=unit,
                full_name=u["full_name"],
            )
    # Renewals point at their predecessor, so load oldest first.
    files = sorted(
        (DATA / "agreements").glob("*.json"),
        key=lambda p: json.loads(p.read_text(encoding="utf-8"))["agreement"]["period_start"],
    )
    codes = []
    for path in files:
        agreement = import_agreement(json.loads(path.read_text(encoding="utf-8")))
        codes.append(agreement.code)
    db.session.flush()
    reports = load_progress(json.loads((DATA / "progress.json").read_text(encoding="utf-8")))
    signing_lines = load_signing()
    lines = [
        f"Demo data: {n_provinces} provinces, {n_units} units, agreements {', '.join(codes)}; "
        f"{reports} new progress reports.",
        f"Demo accounts (password: {password}):",
    ]
    for u in reference["users"]:
        lines.append(f"  {u['role']:<7} {u['email']:<26} {u['unit'] or '(no unit)'}")
    return lines + signing_lines


#: A one-page PDF standing in for scanned evidence in the demo (real uploads are checked files).
_DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 58>>stream\nBT /F1 18 Tf 72 760 Td (Tai lieu minh chung - du lieu demo) Tj ET\n"
    b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class _DemoUpload:
    """Enough of werkzeug's FileStorage for tracker.storage.store."""

    def __init__(self, name: str, data: bytes):

        self.filename, self.stream = name, io.BytesIO(data)


def load_progress(data: dict) -> int:
    """Reporting periods for every signed agreement, and the demo's progress reports, written as
    they would have been at the time (submitted at the deadline, verified a few days later)."""

    for agreement in db.session.scalars(
        sa.select(Agreement).where(Agreement.signed_on.is_not(None))
    ):
        services.generate_periods(agreement)
    created = 0
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    for code, spec in data["agreements"].items():
        agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == code))
        commitments = {
            c.code: c
            for c in db.session.scalars(
                sa.select(Commitment).where(Commitment.agreement_id == agreement.id)
            )
        }
        for item in spec["reports"]:
            commitment = commitments[item["commitment"]]
            period = db.session.scalar(
                sa.select(ReportingPeriod).where(
                    ReportingPeriod.agreement_id == agreement.id,
                    ReportingPeriod.year == item["year"],
                    ReportingPeriod.kind == agreement.reporting_frequency,
                )
            )
            if services.report_for(commitment, period) is not None:
                continue
            by_dic = item.get("by") == "dic"
            reporter = users[spec["dic_reporter"] if by_dic else spec["reporter"]]
            verifier = users["admin@demo.vn" if by_dic else spec["dic_reporter"]]
            submitted_at = datetime.combine(
                period.deadline_on, time(9, 0), tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")
            )
            status = ReportStatus(item["status"])
            report = ProgressReport(
                commitment=commitment,
                period=period,
                status=status,
                percent_complete=item["percent"],
                completion=Completion(item["completion"]),
                spent_vnd=item.get("spent_vnd"),
                narrative=item["narrative"],
                unit_id=reporter.unit_id,
            )
            for position, value in item.get("values", {}).items():
                indicator = commitment.indicators[int(position)]
                report.values.append(ReportValue(indicator_id=indicator.id, value=value))
            if status != ReportStatus.draft:
                report.submitted_by_id, report.submitted_at = reporter.id, submitted_at
                report.events.append(
                    ReportEvent(
                        action=ReportAction.submitted, actor_id=reporter.id, at=submitted_at
                    )
                )
            if status == ReportStatus.returned:
                report.events.append(
                    ReportEvent(
                        action=ReportAction.returned,
                        actor_id=verifier.id,
                        reason=item["returned"],
                        at=submitted_at + timedelta(days=3),
                    )
                )
            db.session.add(report)
            for title, kind, *signed in item.get("evidence", []):
                # A scan stands in for most; "signed"/"modified": a PDF signed by VNPT's demo key
                # (changed after signing), to show each signature status.
                data = evidence_pdf(title, signed[0]) if signed else _DEMO_PDF + title.encode()
                stored = storage.store(_DemoUpload(f"{title}.pdf", data))
                db.session.add(
                    Evidence(
                        report=report,
                        title=title,
                        kind=EvidenceKind(kind),
                        file_name=stored.file_name,
                        sha256=stored.sha256,
                        size=stored.size,
                        content_type=stored.content_type,
                    )
                )
            db.session.flush()
            if status == ReportStatus.verified:
                verified_at = min(submitted_at + timedelta(days=5), utcnow())
                report.verified_by_id, report.verified_at = verifier.id, verified_at
                report.events.append(
                    ReportEvent(action=ReportAction.verified, actor_id=verifier.id, at=verified_at)
                )
                services._apply(report)
            db.session.flush()
            created += 1
    return created
