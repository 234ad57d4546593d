"""Who may open and submit which page: the role × page matrix of DESIGN §2.

MATRIX below is the single source of the expected answers. Each key is "KIND /path/template":

- GET   a page that is only read;
- FORM  a page that is read (GET) and submitted (POST);
- POST  an action (sign-out, delete).

The placeholders ({code}, {commitment}, …) are filled from ``factories.world()`` by ``url()``:
objects of the Quảng Bình ("qb") agreement unless a test says otherwise. Each row gives, for
every user kind, the status of the GET (GET and FORM rows) or of the POST (POST rows). LOGIN
means "302 to the sign-in page". A FORM row's POST answers the same as its GET, except that a
valid submission by a permitted user saves and answers 302. A refused POST changes no row of
any table.

Users of the other province (Vĩnh Long) get 404 for every Quảng Bình record, and
test_every_route_has_a_row_in_the_matrix fails for any route that has no row here.
"""

import functools
import re
import string
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.conftest import text_of
from tracker import storage
from tracker.agreements import services as agreement_services
from tracker.agreements.models import Agreement, Commitment, Document, Measurement
from tracker.auth.tokens import ApiToken, hash_token, new_token
from tracker.clock import local_today
from tracker.discussion.models import Comment
from tracker.notifications import services as notifications
from tracker.notifications.models import NotificationKind
from tracker.progress import services
from tracker.progress.models import (
    Evidence,
    EvidenceKind,
    Extension,
    ProgressReport,
    ReportAction,
    ReportEvent,
    ReportStatus,
)
from tracker.reports import register
from tracker.reports.models import GeneratedReport, ReviewKind
from tracker.signatures import demo_ca
from tracker.signatures.services import add_anchor
from tracker.trash import TrashItem

LOGIN = "login"  # anonymous: 302 to /login

USERS = ("anonymous", "admin", "dic_qb", "vnpt_qb", "vnpt_other_qb", "leader_qb", "hq")
VL_USERS = ("dic_vl", "vnpt_vl", "leader_vl")


def row(anonymous, admin, dic_qb, vnpt_qb, vnpt_other_qb, leader_qb, hq, *, post=None):
    """One line of the matrix, one status per user kind (in the order of USERS); `post` gives
    the answers of an empty POST where they differ from the page's GET."""
    statuses = dict(
        zip(USERS, (anonymous, admin, dic_qb, vnpt_qb, vnpt_other_qb, leader_qb, hq), strict=True)
    )
    statuses["_post"] = post or {}
    return statuses


MATRIX = {
    # kind and path template                         anon   admin dic  vnpt vnpt2 leader hq
    "FORM /login": row(200, 302, 302, 302, 302, 302, 302),
    "POST /logout": row(LOGIN, 302, 302, 302, 302, 302, 302),
    "POST /language": row(302, 302, 302, 302, 302, 302, 302),
    "FORM /account/password": row(LOGIN, 200, 200, 200, 200, 200, 200),
    # lists and home
    "GET /": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /agreements": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /directives": row(LOGIN, 200, 200, 200, 200, 200, 200),
    # "Record a directive" from the list: to the agreement's form, or back to the list
    "GET /directives/new": row(LOGIN, 302, 302, 302, 302, 302, 302),
    "FORM /agreements/new": row(LOGIN, 200, 200, 403, 403, 403, 403),
    # the agreement
    "GET /agreements/{code}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "FORM /agreements/{code}/edit": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /agreements/{code}/status": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /agreements/{spare_code}/delete": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /agreements/{code}/areas/new": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /areas/{area}/edit": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /agreements/{code}/commitments/new": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "GET /commitments/{commitment}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "FORM /commitments/{commitment}/edit": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /commitments/{commitment}/milestones/new": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /milestones/{milestone}/edit": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /commitments/{commitment}/indicators/new": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /indicators/{indicator}/edit": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /indicators/{indicator}/measurements/new": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /agreements/{code}/directives/new": row(LOGIN, 200, 200, 403, 403, 200, 403),
    "FORM /directives/{directive}/edit": row(LOGIN, 200, 200, 403, 403, 200, 403),
    "FORM /agreements/{code}/documents/new": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "GET /documents/{document}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    # deleting records under the agreement (leaders record directives but do not delete them)
    "FORM /delete/area/{spare_area}": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /delete/commitment/{spare_commitment}": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /delete/milestone/{milestone}": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /delete/indicator/{indicator}": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /delete/measurement/{measurement}": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /delete/directive/{directive}": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /delete/document/{document}": row(LOGIN, 200, 200, 403, 403, 403, 403),
    # the recycle bin: the DIC restores its province's records, only administrators purge
    "GET /admin/trash": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /admin/trash/{trash_item}/restore": row(LOGIN, 200, 200, 404, 404, 404, 404),
    "FORM /admin/trash/{trash_item}/purge": row(LOGIN, 200, 403, 404, 404, 404, 404),
    # history, dashboards, to-do list, calendar
    "GET /agreements/{code}/history": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /agreements/{code}/dashboard": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /agreements/{code}/commitments": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /dashboard": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /todo": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "FORM /account/calendar": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /calendar/nosuchtoken-nosuchtoken-nosuchtoken0.ics": row(
        404, 404, 404, 404, 404, 404, 404
    ),
    # reporting: periods, reports, evidence, verification, extensions, directives' follow-up
    "GET /review": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "GET /agreements/{code}/periods": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /agreements/{code}/evidence": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "POST /agreements/{code}/periods/generate": row(LOGIN, 302, 302, 403, 403, 403, 403),
    "GET /periods/{period}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "POST /periods/{old_period}/reopen": row(LOGIN, 302, 302, 403, 403, 403, 403),
    # "Nhắc nộp báo cáo": the notifications' receivers write the reminders
    "POST /periods/{period}/remind": row(LOGIN, 302, 302, 403, 403, 403, 403),
    "FORM /commitments/{commitment}/reports/{period}": row(LOGIN, 200, 200, 200, 403, 403, 403),
    "GET /reports/{report}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "POST /reports/{report}/submit": row(LOGIN, 302, 302, 302, 403, 403, 403),
    "POST /reports/{submitted}/return": row(LOGIN, 302, 302, 403, 403, 403, 403),
    "POST /reports/{submitted}/verify": row(LOGIN, 302, 302, 403, 403, 403, 403),
    "POST /review/verify": row(LOGIN, 302, 302, 403, 403, 403, 403),
    "POST /reports/{report}/evidence": row(LOGIN, 302, 302, 302, 403, 403, 403),
    "GET /evidence/{evidence}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /evidence/{evidence}/thumbnail": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "FORM /evidence/{evidence}/delete": row(LOGIN, 200, 200, 200, 403, 403, 403),
    "FORM /evidence/{evidence}/supersede": row(LOGIN, 200, 200, 200, 403, 403, 403),
    "FORM /milestones/{milestone}/extension": row(LOGIN, 200, 200, 200, 403, 403, 403),
    "FORM /commitments/{commitment}/reports/{period}/extension": row(
        LOGIN, 200, 200, 200, 403, 403, 403
    ),
    "GET /extensions/{extension}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "POST /extensions/{extension}/decide": row(LOGIN, 302, 302, 403, 403, 403, 403),
    "GET /directives/{directive}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "POST /directives/{directive}/evidence": row(LOGIN, 302, 302, 403, 403, 403, 403),
    "POST /directives/{directive}/complete": row(LOGIN, 302, 302, 403, 403, 403, 403),
    # discussion: a record's thread is read and written by whoever reads the record; only the
    # author edits a comment (the {comment} is vnpt_qb's)
    "FORM /discussion/report/{report}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "FORM /discussion/commitment/{commitment}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "FORM /discussion/directive/{directive}": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /discussion/commitment/{commitment}/mentions": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "FORM /comments/{comment}/edit": row(LOGIN, 403, 403, 200, 403, 403, 403),
    # exchange: exports, imports, personal API tokens
    "GET /agreements/{code}/export.json": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /agreements/{code}/export.xlsx": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /import/template.xlsx": row(LOGIN, 200, 200, 403, 403, 403, 403),
    "FORM /import": row(LOGIN, 200, 200, 403, 403, 403, 403, post={"admin": 400, "dic_qb": 400}),
    "POST /import/confirm": row(
        LOGIN, 302, 302, 403, 403, 403, 403, post={"admin": 302, "dic_qb": 302}
    ),
    "FORM /account/tokens": row(
        LOGIN,
        200,
        200,
        200,
        200,
        200,
        200,
        post={k: 400 for k in ("admin", "dic_qb", "vnpt_qb", "vnpt_other_qb", "leader_qb", "hq")},
    ),
    "POST /account/tokens/{token}/revoke": row(LOGIN, 404, 404, 302, 404, 404, 404),
    # the JSON API answers 401 without a bearer token, whatever the session cookie
    "ANY /api/v1/": row(404, 404, 404, 404, 404, 404, 404),
    "ANY /api/v1/nothing-here": row(404, 404, 404, 404, 404, 404, 404),
    "GET /api/v1/openapi.json": row(200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/agreements": row(401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/agreements/{code}": row(401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/agreements/{code}/areas": row(401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/agreements/{code}/figures": row(401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/agreements/{code}/directives": row(401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/commitments/{commitment}": row(401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/commitments/{commitment}/milestones": row(401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/commitments/{commitment}/indicators": row(401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/commitments/{commitment}/reports": row(401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/reports/{report}": row(401, 401, 401, 401, 401, 401, 401),
    "GET /api/v1/periods": row(401, 401, 401, 401, 401, 401, 401),
    "POST /api/v1/commitments/{commitment}/reports/{period}": row(
        401, 401, 401, 401, 401, 401, 401
    ),
    "POST /api/v1/reports/{report}/submit": row(401, 401, 401, 401, 401, 401, 401),
    "POST /api/v1/reports/{report}/evidence": row(401, 401, 401, 401, 401, 401, 401),
    # health check (no sign-in)
    "GET /healthz": row(200, 200, 200, 200, 200, 200, 200),
    # review documents
    "FORM /agreements/{code}/reports": row(LOGIN, 200, 200, 403, 403, 200, 403),
    "GET /generated/{generated}.pdf": row(LOGIN, 200, 200, 403, 403, 200, 403),
    # signing: the world's review is a draft (no signed file yet); only leaders sign, and an
    # empty submission is refused on its fields
    "GET /generated/{generated}/signed.pdf": row(LOGIN, 404, 404, 403, 403, 404, 403),
    "FORM /generated/{generated}/sign": row(
        LOGIN, 403, 403, 403, 403, 200, 403, post={"leader_qb": 422}
    ),
    "FORM /account/signature-image": row(
        LOGIN, 200, 403, 403, 403, 200, 403, post={"admin": 422, "leader_qb": 422}
    ),
    "GET /account/signature-image.png": row(LOGIN, 404, 403, 403, 403, 404, 403),
    "POST /api/v1/reviews/{generated}/external-signing": row(401, 401, 401, 401, 401, 401, 401),
    "POST /api/v1/external-signings/{session}/finish": row(401, 401, 401, 401, 401, 401, 401),
    "GET /generated/{generated}.docx": row(LOGIN, 200, 200, 403, 403, 200, 403),
    # notifications (each user's own), their settings, following a record
    "GET /notifications": row(LOGIN, 200, 200, 200, 200, 200, 200),
    # the global search: every signed-in user, within their scope
    "GET /search": row(LOGIN, 200, 200, 200, 200, 200, 200),
    "GET /notifications/{notification}": row(LOGIN, 404, 404, 302, 404, 404, 404),
    "POST /notifications/read-all": row(LOGIN, 302, 302, 302, 302, 302, 302),
    "FORM /notifications/settings": row(LOGIN, 200, 200, 200, 200, 200, 200),
    # (in the world everyone follows the qb agreement, nobody its commitment)
    "POST /watch/commitment/{commitment}": row(LOGIN, 302, 302, 302, 302, 302, 302),
    "POST /unwatch/agreement/{agreement_id}": row(LOGIN, 302, 302, 302, 302, 302, 302),
    # administration
    "GET /admin/history": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /admin/provinces": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "FORM /admin/provinces/new": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "FORM /admin/provinces/{province}/edit": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /admin/units": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "FORM /admin/units/new": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "FORM /admin/units/{unit}/edit": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /admin/users": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "FORM /admin/users/new": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "FORM /admin/users/{user}/edit": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "FORM /admin/trust-anchors": row(LOGIN, 200, 403, 403, 403, 403, 403, post={"admin": 422}),
    "FORM /admin/trust-anchors/{anchor}/remove": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /admin/issuers": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "FORM /admin/issuers/{issuer}": row(LOGIN, 200, 403, 403, 403, 403, 403),
    "GET /admin/issuers/{issuer}/seal.png": row(LOGIN, 404, 403, 403, 403, 403, 403),
}

#: The HTTP methods each kind of row answers.
METHODS = {
    "GET": ("GET",),
    "FORM": ("GET", "POST"),
    "POST": ("POST",),
    # the API's catch-all, which answers a JSON 404 to any method
    "ANY": ("DELETE", "GET", "PATCH", "POST", "PUT", "TRACE"),
}

#: Placeholders that name an object of an agreement (and so belong to one province).
AGREEMENT_OBJECTS = {
    "code",
    "trash_item",
    "spare_code",
    "spare_commitment",
    "area",
    "spare_area",
    "commitment",
    "milestone",
    "indicator",
    "measurement",
    "directive",
    "document",
    "period",
    "old_period",
    "report",
    "submitted",
    "evidence",
    "extension",
    "generated",
    "token",
    "comment",
    "agreement_id",
    "notification",
}

#: Distinctive titles of the qb agreement and commitment, which must never leak to vl users.
QB_TITLE = "Thỏa thuận MẬT Quảng Bình về VT-CNTT"
QB_COMMITMENT = "Cam kết MẬT: phủ sóng xã biên giới Quảng Bình"

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


# -- helpers -------------------------------------------------------------------------------------


def split(key: str) -> tuple[str, str]:
    """'FORM /agreements/{code}/edit' -> ('FORM', '/agreements/{code}/edit')."""
    kind, template = key.split(" ", 1)
    return kind, template


def placeholders(key: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(split(key)[1]) if name}


def ids(w, key: str = "qb") -> dict:
    """The values of the placeholders for one province of the world."""
    p = w[key]
    return {
        "code": p["agreement"].code,
        "spare_code": p["spare_agreement"].code,
        "spare_commitment": p["spare_commitment"].id,
        "trash_item": p["trash_item"].id,
        "area": p["area"].id,
        "spare_area": p["spare_area"].id,
        "commitment": p["commitment"].id,
        "milestone": p["milestone"].id,
        "indicator": p["indicator"].id,
        "measurement": p["measurement"].id,
        "directive": p["directive"].id,
        "document": p["document"].id,
        "period": p["period"].id,
        "old_period": p["old_period"].id,
        "report": p["report"].id,
        "submitted": p["submitted"].id,
        "evidence": p["evidence"].id,
        "extension": p["extension"].id,
        "generated": p["generated"].id,
        "token": p["token"].id,
        "comment": p["comment"].id,
        "agreement_id": p["agreement"].id,
        "notification": p["notification"].id,
        "province": p["province"].id,
        "unit": p["branch"].id,
        "user": p["vnpt"].id,
        "issuer": p["issuer"].id,
        "anchor": w["anchor"].id,
        "session": "no-such-session",
    }


def url(key_or_template: str, w, province: str = "qb") -> str:
    template = key_or_template.split(" ", 1)[-1]
    return template.format_map(ids(w, province))


def email_of(w, kind: str) -> str:
    """'admin', 'hq' or '<role>_<province>' such as 'vnpt_other_qb'."""
    if kind in ("admin", "hq"):
        return w[kind].email
    role, province = kind.rsplit("_", 1)
    return w[province][role].email


def sign_in(auth, w, kind: str) -> None:
    if kind == "anonymous":
        return
    response = auth.login(email_of(w, kind))
    assert response.status_code == 302, f"{kind} could not sign in"
    assert urlsplit(response.location).path != "/login"


def request_as(client, auth, w, kind: str, method: str, path: str, data=None):
    """One request by one user kind, signed out again afterwards."""
    sign_in(auth, w, kind)
    response = client.open(path, method=method, data=data)
    auth.logout()
    return response


def status_problem(response, expected) -> str | None:
    """What is wrong with the response's status (None when it is the expected one)."""
    got = response.status_code
    if expected == LOGIN:
        if got != 302 or urlsplit(response.location).path != "/login":
            return f"{got} {response.location or ''}, expected 302 to /login"
    elif got != expected:
        return f"{got}, expected {expected}"
    return None


#: Session bookkeeping that signing in and out changes by design (tokens, attempts).
_SESSION_COLUMNS = {
    "users": {"session_token", "version", "updated_at", "updated_by_id", "last_login_at"}
}
_SESSION_TABLES = {"login_attempts", "user_sessions"}


def snapshot(db) -> dict:
    """Every row of every table, read afresh: to prove that a refused request changed nothing."""
    db.session.rollback()
    db.session.expire_all()
    result = {}
    for table in db.metadata.sorted_tables:
        if table.name in _SESSION_TABLES:
            continue
        skip = _SESSION_COLUMNS.get(table.name, set())
        columns = [c for c in table.columns if c.name not in skip]
        result[table.name] = sorted(repr(tuple(r)) for r in db.session.execute(sa.select(*columns)))
    return result


# -- valid submissions ---------------------------------------------------------------------------
# Each builds a form that a permitted user could save, so that a refused submission proves the
# check and not a validation error. test_submit shows that permitted users save them.


def _agreement_record(w, **changes):
    a = w["qb"]["agreement"]
    data = {
        "code": a.code,
        "title": a.title,
        "province_id": w["qb"]["province"].id,
        "partner": a.partner,
        "period_start": "2020-01-01",
        "period_end": "2025-12-31",
        "vision_year": "2030",
        "predecessor_id": "0",
        "legal_bases": "",
        "description": "",
        "version": a.version,
    }
    return data | changes


def _commitment_record(w, **changes):
    q = w["qb"]
    data = {
        "area_id": q["area"].id,
        "code": "1.2",
        "title": "Phủ sóng 4G các xã",
        "committed_by": "vnpt",
        "lead_unit_id": q["branch"].id,
        "support_unit_ids": [q["dic_unit"].id],
        "budget_vnd": "7.000.000.000",
        "funding_source": "vnpt",
        "completion": "not_started",
        "position": "2",
    }
    return data | changes


PAYLOADS = {
    "POST /periods/{period}/remind": lambda w: {},
    "FORM /account/password": lambda w: {
        "current_password": factories.PASSWORD,
        "new_password": "một câu mật khẩu mới rất dài",
        "confirm": "một câu mật khẩu mới rất dài",
    },
    "FORM /agreements/new": lambda w: _agreement_record(
        w,
        code="QB-2026",
        title="Thỏa thuận giai đoạn 2026-2030",
        period_start="2026-01-01",
        period_end="2030-12-31",
        vision_year="2035",
        version="",
    ),
    "FORM /agreements/{code}/edit": lambda w: _agreement_record(w, title="Tiêu đề đã sửa"),
    "FORM /agreements/{code}/status": lambda w: {
        "to_status": "under_review",
        "changed_on": local_today().isoformat(),
        "note": "",
        "version": w["qb"]["agreement"].version,
    },
    "FORM /agreements/{code}/areas/new": lambda w: {
        "code": "III",
        "title": "An toàn thông tin",
        "position": "3",
    },
    "FORM /areas/{area}/edit": lambda w: {
        "code": "I",
        "title": "Hạ tầng (đã sửa)",
        "position": "1",
        "version": w["qb"]["area"].version,
    },
    "FORM /agreements/{code}/commitments/new": lambda w: _commitment_record(w),
    "FORM /commitments/{commitment}/edit": lambda w: _commitment_record(
        w, code="1.1", title="Tiêu đề đã sửa", version=w["qb"]["commitment"].version
    ),
    "FORM /commitments/{commitment}/milestones/new": lambda w: {
        "title": "Nghiệm thu",
        "due_on": "2022-12-31",
        "status": "scheduled",
    },
    "FORM /milestones/{milestone}/edit": lambda w: {
        "title": "Hoàn thành lắp đặt (đã sửa)",
        "due_on": "2021-06-30",
        "status": "scheduled",
        "version": w["qb"]["milestone"].version,
    },
    "FORM /commitments/{commitment}/indicators/new": lambda w: {
        "name": "Tỷ lệ dịch vụ công mức độ 4",
        "unit": "%",
        "baseline": "5",
        "target": "30",
        "direction": "increase",
    },
    "FORM /indicators/{indicator}/edit": lambda w: {
        "name": "Số xã có hệ thống một cửa (đã sửa)",
        "unit": "xã",
        "baseline": "1",
        "target": "151",
        "direction": "increase",
        "version": w["qb"]["indicator"].version,
    },
    "FORM /indicators/{indicator}/measurements/new": lambda w: {
        "measured_on": "2022-06-30",
        "value": "75",
        "verified": "y",
        "note": "",
    },
    "FORM /agreements/{code}/directives/new": lambda w: {
        "issued_on": "2020-03-02",
        "issued_by": "Chủ tịch UBND tỉnh",
        "text": "VNPT báo cáo tiến độ hằng quý",
        "assignee_unit_id": w["qb"]["branch"].id,
    },
    "FORM /directives/{directive}/edit": lambda w: {
        "issued_on": "2018-05-14",
        "issued_by": "Phó Chủ tịch UBND tỉnh",
        "text": "Sở TT&TT hoàn chỉnh dự thảo (đã sửa)",
        "assignee_unit_id": w["qb"]["dic_unit"].id,
        "version": w["qb"]["directive"].version,
    },
    "FORM /agreements/{code}/documents/new": lambda w: {
        "title": "Quyết định phê duyệt",
        "issued_on": "2020-02-01",
        "file": (BytesIO(PDF), "quyet-dinh.pdf"),
    },
    "FORM /agreements/{spare_code}/delete": lambda w: {},
    "FORM /admin/trust-anchors/{anchor}/remove": lambda w: {},
    "FORM /admin/issuers/{issuer}": lambda w: {
        "name": "Ủy ban nhân dân\ntỉnh Quảng Bình",
        "parent_name": "",
        "symbol": "UBND",
        "seal_mm": "38",
    },
    "FORM /delete/area/{spare_area}": lambda w: {},
    "FORM /delete/commitment/{spare_commitment}": lambda w: {},
    "FORM /delete/milestone/{milestone}": lambda w: {},
    "FORM /delete/indicator/{indicator}": lambda w: {},
    "FORM /delete/measurement/{measurement}": lambda w: {},
    "FORM /delete/directive/{directive}": lambda w: {},
    "FORM /delete/document/{document}": lambda w: {},
    "FORM /account/calendar": lambda w: {"action": "renew"},
    "POST /account/tokens/{token}/revoke": lambda w: {},
    "FORM /agreements/{code}/reports": lambda w: {
        "kind": "interim",
        "lang": "vi",
        "date_from": "2024-01-01",
        "date_to": "2024-12-31",
        "issued_on": "2025-01-05",
    },
    "FORM /discussion/report/{report}": lambda w: {"body": "Đề nghị bổ sung số liệu"},
    "FORM /discussion/commitment/{commitment}": lambda w: {"body": "Đề nghị cập nhật tiến độ"},
    "FORM /discussion/directive/{directive}": lambda w: {"body": "Đã giao phòng chuyên môn"},
    "FORM /comments/{comment}/edit": lambda w: {
        "body": "Đã lắp đặt 3/5 trạm (đã sửa)",
        "version": w["qb"]["comment"].version,
    },
    "POST /agreements/{code}/periods/generate": lambda w: {},
    "POST /periods/{old_period}/reopen": lambda w: {
        "until": (local_today() + timedelta(days=5)).isoformat(),
        "reason": "Đơn vị báo cáo chậm do mưa lũ",
    },
    "FORM /commitments/{commitment}/reports/{period}": lambda w: {
        "percent_complete": "30",
        "completion": "limited",
        "spent_vnd": "1.000.000",
        "narrative": "Đã triển khai 30%",
        "action": "save",
        "version": w["qb"]["report"].version,
    },
    "POST /reports/{report}/submit": lambda w: {"version": w["qb"]["report"].version},
    "POST /reports/{submitted}/return": lambda w: {
        "reason": "Bổ sung biên bản",
        "version": w["qb"]["submitted"].version,
    },
    "POST /reports/{submitted}/verify": lambda w: {"version": w["qb"]["submitted"].version},
    "POST /review/verify": lambda w: {
        "report": [str(w["qb"]["submitted"].id)],
        f"version-{w['qb']['submitted'].id}": w["qb"]["submitted"].version,
    },
    "POST /reports/{report}/evidence": lambda w: {
        "title": "Biên bản nghiệm thu",
        "kind": "minutes",
        "file": (BytesIO(PDF), "bien-ban.pdf"),
    },
    "FORM /evidence/{evidence}/delete": lambda w: {},
    "FORM /evidence/{evidence}/supersede": lambda w: {
        "title": "Ảnh nghiệm thu (bản mới)",
        "kind": "photo",
        "file": (BytesIO(PDF), "anh-moi.pdf"),
    },
    "FORM /milestones/{milestone}/extension": lambda w: {
        "requested_on": (local_today() + timedelta(days=200)).isoformat(),
        "reason": "Chờ phê duyệt kinh phí",
    },
    "FORM /commitments/{commitment}/reports/{period}/extension": lambda w: {
        "requested_on": (local_today() + timedelta(days=120)).isoformat(),
        "reason": "Chờ số liệu thống kê",
    },
    "FORM /admin/trash/{trash_item}/restore": lambda w: {},
    "FORM /admin/trash/{trash_item}/purge": lambda w: {},
    "POST /extensions/{extension}/decide": lambda w: {"decision": "approve", "note": ""},
    "POST /directives/{directive}/evidence": lambda w: {
        "ev-title": "Báo cáo hoàn thành",
        "ev-kind": "report",
        "ev-file": (BytesIO(PDF), "bao-cao.pdf"),
    },
    "POST /directives/{directive}/complete": lambda w: {
        "done_on": local_today().isoformat(),
        "version": w["qb"]["directive"].version,
    },
    "POST /notifications/read-all": lambda w: {},
    "FORM /notifications/settings": lambda w: {"report_returned": "digest"},
    "POST /watch/commitment/{commitment}": lambda w: {},
    "POST /unwatch/agreement/{agreement_id}": lambda w: {},
    "FORM /admin/provinces/new": lambda w: {
        "code": "prov-qt",
        "name": "Quảng Trị",
        "successor_id": "0",
        "change_kind": "",
    },
    "FORM /admin/provinces/{province}/edit": lambda w: {
        "code": "prov-qb",
        "name": "Quảng Bình (đã sửa)",
        "successor_id": "0",
        "change_kind": "",
        "version": w["qb"]["province"].version,
    },
    "FORM /admin/units/new": lambda w: {
        "code": "SKHCN-qb",
        "name": "Sở Khoa học và Công nghệ",
        "kind": "dic",
        "side": "province",
        "province_id": w["qb"]["province"].id,
        "successor_id": "0",
        "change_kind": "",
    },
    "FORM /admin/units/{unit}/edit": lambda w: {
        "code": "VNPT-qb",
        "name": "VNPT Quảng Bình (đã sửa)",
        "kind": "vnpt_branch",
        "side": "vnpt",
        "province_id": w["qb"]["province"].id,
        "successor_id": "0",
        "change_kind": "",
        "version": w["qb"]["branch"].version,
    },
    "FORM /admin/users/new": lambda w: {
        "email": "can.bo.moi@example.vn",
        "full_name": "Cán bộ mới",
        "role": "dic",
        "unit_id": w["qb"]["dic_unit"].id,
        "active": "y",
        "password": "một câu mật khẩu đủ dài",
    },
    "FORM /admin/users/{user}/edit": lambda w: {
        "email": w["qb"]["vnpt"].email,
        "full_name": "Tên đã sửa",
        "role": "vnpt",
        "unit_id": w["qb"]["branch"].id,
        "active": "y",
        "password": "",
        "version": w["qb"]["vnpt"].version,
    },
}


# -- the world -----------------------------------------------------------------------------------


@pytest.fixture
def w(db):
    """factories.world(), plus per province a spare (empty) area, a measurement and a document,
    and distinctive titles for the qb agreement and commitment."""
    world = factories.world()
    for key in ("qb", "vl"):
        p = world[key]
        p["spare_area"] = factories.area(p["agreement"], code="II", title="Nguồn nhân lực")
        # Records without progress reports, which may be deleted (reports are kept for the record).
        p["spare_commitment"] = factories.commitment(p["area"], p["branch"], code="1.9")
        p["spare_agreement"] = factories.agreement(p["province"], code=f"{key.upper()}-DU-THAO")
        p["measurement"] = Measurement(
            indicator=p["indicator"],
            measured_on=date(2021, 12, 31),
            value=Decimal(40),
            verified=True,
        )
        stored = storage.store(FileStorage(BytesIO(PDF), filename="bien-ban.pdf"))
        p["document"] = Document(
            agreement=p["agreement"],
            title="Biên bản ký kết",
            issued_on=date(2020, 1, 15),
            file_name=stored.file_name,
            sha256=stored.sha256,
            size=stored.size,
            content_type=stored.content_type,
        )
        db.session.add_all([p["measurement"], p["document"]])
        _reporting(db, p)
        deleted = factories.directive(p["agreement"], p["dic_unit"], text="Chỉ đạo đã xóa")
        agreement_services.delete_record(deleted, agreement=p["agreement"], user=p["dic"])
        p["trash_item"] = db.session.scalar(
            sa.select(TrashItem).where(TrashItem.entity_id == deleted.id)
        )
    # Everyone follows the qb agreement and has one unread notification about it; only its
    # recipient may open one (the VNPT reporter's is the one the matrix opens).
    qb = world["qb"]
    everyone = [
        world["admin"],
        world["hq"],
        *(qb[k] for k in ("dic", "vnpt", "vnpt_other", "leader")),
    ]
    for user in everyone:
        notifications.watch(user, qb["agreement"])
    made = notifications.notify(
        NotificationKind.report_returned,
        everyone,
        subject=notifications.subject_of(qb["submitted"]),
        detail="Thiếu biên bản nghiệm thu",
    )
    qb["notification"] = next(n for n in made if n.user_id == qb["vnpt"].id)
    world["vl"]["notification"] = made[0]  # (cross-province cases only use qb's ids)
    world["qb"]["agreement"].title = QB_TITLE
    world["qb"]["commitment"].title = QB_COMMITMENT
    db.session.commit()
    # The signing world: each province's issuing organisation, and one trust anchor.
    for key in ("qb", "vl"):
        world[key]["issuer"] = register.issuer_for(world[key]["province"])
    world["anchor"] = add_anchor(_ca_pem(), user=None)
    db.session.commit()
    return world


@functools.cache
def _ca_pem() -> bytes:
    """A CA certificate to trust (made once: making a key takes a while)."""
    return demo_ca.make_ca().certificate_pem


def _png() -> bytes:

    buffer = BytesIO()
    Image.new("RGB", (64, 48), (11, 79, 138)).save(buffer, format="PNG")
    return buffer.getvalue()


def _reporting(db, p):
    """Periods around today (the last one left out, for the generate action), a draft report with
    an image as evidence, a submitted report for an earlier period, and a pending extension."""

    today = local_today()
    agreement = p["agreement"]
    agreement.period_start, agreement.period_end = (
        today - timedelta(days=400),
        today + timedelta(days=700),
    )
    db.session.flush()
    periods = services.generate_periods(agreement)
    db.session.delete(periods[-1])
    p["period"] = next(x for x in periods if x.starts_on <= today <= x.deadline_on)
    p["old_period"] = next(x for x in periods if x.deadline_on < today)
    p["report"] = ProgressReport(
        commitment=p["commitment"],
        period=p["period"],
        status=ReportStatus.draft,
        percent_complete=10,
        unit_id=p["branch"].id,
    )
    p["submitted"] = ProgressReport(
        commitment=p["commitment"],
        period=p["old_period"],
        status=ReportStatus.submitted,
        percent_complete=20,
        unit_id=p["branch"].id,
        submitted_by_id=p["vnpt"].id,
    )
    p["submitted"].events.append(ReportEvent(action=ReportAction.submitted, actor_id=p["vnpt"].id))
    stored = storage.store(FileStorage(BytesIO(_png()), filename="ảnh.png"))
    p["evidence"] = Evidence(
        report=p["report"],
        title="Ảnh nghiệm thu",
        kind=EvidenceKind.photo,
        file_name=stored.file_name,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
        thumbnail_sha256=storage.make_thumbnail(stored),
    )
    p["milestone"].due_on = today + timedelta(days=30)
    p["extension"] = Extension(
        commitment=p["commitment"],
        milestone=p["milestone"],
        original_on=p["milestone"].due_on,
        requested_on=today + timedelta(days=90),
        reason="Chờ thiết bị",
        requested_by_id=p["vnpt"].id,
    )

    pdf = storage.store_bytes(PDF, "review.pdf", "application/pdf")
    p["generated"] = GeneratedReport(
        agreement=agreement,
        kind=ReviewKind.five_year,
        lang="vi",
        date_from=agreement.period_start,
        date_to=agreement.period_end,
        options={},
        data_fingerprint="0" * 64,
        sha256=pdf.sha256,
        size=pdf.size,
    )

    secret = new_token()
    p["token"] = ApiToken(
        user_id=p["vnpt"].id, name="Hệ thống VNPT", token_hash=hash_token(secret), hint=secret[:8]
    )
    p["comment"] = Comment(
        commitment=p["commitment"], author_id=p["vnpt"].id, body="Đã lắp đặt 2/5 trạm"
    )
    db.session.add_all(
        [p["report"], p["submitted"], p["evidence"], p["extension"], p["generated"], p["token"]]
        + [p["comment"]]
    )
    db.session.flush()


# -- the matrix ----------------------------------------------------------------------------------
# One test per row, trying every user kind in turn in the same world; the failure message lists
# every cell of the row that is wrong. (One world per row rather than per cell keeps the module
# fast: building the world dominates the run time.)


@pytest.mark.parametrize("key", [key for key in MATRIX if split(key)[0] != "POST"])
def test_open_page(client, auth, w, key):
    """GET the page as each user kind."""
    path = url(key, w)
    wrong = []
    for kind in USERS:
        response = request_as(client, auth, w, kind, "GET", path)
        if problem := status_problem(response, MATRIX[key][kind]) or title_problem(response):
            wrong.append(f"{kind}: {problem}")
    assert not wrong, f"GET {path}: " + "; ".join(wrong)


def title_problem(response) -> str | None:
    """A page's <title> (the browser tab, the history, what a screen reader announces first)
    is one short line of text: never markup that leaked into the block."""
    if response.status_code != 200 or response.mimetype != "text/html":
        return None
    head = response.get_data(as_text=True).partition("</head>")[0]
    titles = re.findall(r"<title>(.*?)</title>", head, re.S)  # charts have titles of their own
    if len(titles) != 1:
        return f"{len(titles)} <title> elements in <head>"
    if "<" in titles[0] or len(titles[0]) > 400 or "\n" in titles[0].strip():
        return f"title is not one line of text: {titles[0][:120]!r}"
    return None


def _submit_cases():
    """(key, who): who is one user kind that may save the valid payload (a fresh world each,
    as the data changes), or "unchanged" for all the others together, whose POST must change
    nothing: the refused ones, and those with nothing to save (sign-out, language)."""
    cases = []
    for key in MATRIX:
        if split(key)[0] == "GET":
            continue
        cases.append((key, "unchanged"))
        cases += [(key, kind) for kind in USERS if kind in saving_kinds(key)]
    return cases


def saving_kinds(key: str) -> list[str]:
    return [
        kind for kind in USERS if key in PAYLOADS and MATRIX[key][kind] not in (LOGIN, 403, 404)
    ]


@pytest.mark.parametrize(("key", "who"), _submit_cases(), ids=lambda v: v)
def test_submit(client, auth, db, w, key, who):
    """POST each form and action: refused POSTs change nothing, valid ones by permitted users
    save (so the payloads, valid for them, prove that a refusal is the permission check)."""
    path = url(key, w)
    if who != "unchanged":
        data = PAYLOADS[key](w)
        expected = 302 if MATRIX[key][who] == 200 else MATRIX[key][who]  # saved: redirect
        before = snapshot(db)
        response = request_as(client, auth, w, who, "POST", path, data)
        problem = status_problem(response, expected)
        assert problem is None, f"POST {path} as {who}: {problem}"
        assert snapshot(db) != before, f"POST {path} as {who} saved nothing"
        return
    wrong = []
    for kind in USERS:
        if kind in saving_kinds(key):
            continue
        data = PAYLOADS[key](w) if key in PAYLOADS else {}
        sign_in(auth, w, kind)
        before = snapshot(db)
        response = client.post(path, data=data)
        auth.logout()
        expected = MATRIX[key]["_post"].get(kind, MATRIX[key][kind])
        if problem := status_problem(response, expected):
            wrong.append(f"{kind}: {problem}")
        elif snapshot(db) != before:
            wrong.append(f"{kind}: the data changed")
    assert not wrong, f"POST {path}: " + "; ".join(wrong)


# -- the other province --------------------------------------------------------------------------

CROSS_CASES = [
    (method, key)
    for key in MATRIX
    # (the API answers 401 to a session cookie; its object checks are in tests/interop)
    if placeholders(key) & AGREEMENT_OBJECTS and not split(key)[1].startswith("/api/")
    for method in METHODS[split(key)[0]]
]


@pytest.mark.parametrize(
    ("method", "key"), CROSS_CASES, ids=[f"{m} {split(k)[1]}" for m, k in CROSS_CASES]
)
def test_other_province_gets_404(client, auth, db, w, method, key):
    """Users of Vĩnh Long who guess the URL of a Quảng Bình record get 404: never 403, never
    data, never a change."""
    path = url(key, w, "qb")
    wrong = []
    for kind in VL_USERS:
        data = (PAYLOADS[key](w) if key in PAYLOADS else {}) if method == "POST" else None
        sign_in(auth, w, kind)
        before = snapshot(db)
        response = client.open(path, method=method, data=data)
        auth.logout()
        body = response.get_data(as_text=True)
        if response.status_code != 404:
            wrong.append(f"{kind}: {response.status_code}, expected 404")
        if QB_TITLE in body or QB_COMMITMENT in body:
            wrong.append(f"{kind}: the page shows Quảng Bình data")
        if snapshot(db) != before:
            wrong.append(f"{kind}: the data changed")
    assert not wrong, f"{method} {path}: " + "; ".join(wrong)


NATIONAL_READ_KEYS = [
    key
    for key in MATRIX
    if split(key)[0] == "GET" and placeholders(key) & AGREEMENT_OBJECTS and MATRIX[key]["hq"] == 200
]


@pytest.mark.parametrize("kind", ["hq", "admin"])
@pytest.mark.parametrize("key", NATIONAL_READ_KEYS)
def test_national_users_read_every_province(client, auth, w, key, kind):
    sign_in(auth, w, kind)
    for province in ("qb", "vl"):
        assert client.get(url(key, w, province)).status_code == 200, f"{province}: {key}"


@pytest.mark.parametrize("page", ["/", "/agreements"])
@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("dic_qb", {"QB-2020"}),
        ("vnpt_qb", {"QB-2020"}),
        ("vnpt_other_qb", {"QB-2020"}),
        ("leader_qb", {"QB-2020"}),
        ("dic_vl", {"VL-2020"}),
        ("hq", {"QB-2020", "VL-2020"}),
        ("admin", {"QB-2020", "VL-2020"}),
    ],
)
def test_lists_show_the_agreements_of_the_scope(client, auth, w, page, kind, codes):
    sign_in(auth, w, kind)
    response = client.get(page)
    assert response.status_code == 200
    text = text_of(response)
    for code in ("QB-2020", "VL-2020"):
        assert (code in text) == (code in codes), f"{code} on {page} for {kind}"
    if "QB-2020" not in codes:
        assert QB_TITLE not in text


# -- refused edits leave the row as it was (read back with a fresh query) --------------------------


def test_vnpt_cannot_retitle_the_commitment_it_leads(client, auth, db, w):
    commitment_id, title = w["qb"]["commitment"].id, w["qb"]["commitment"].title
    sign_in(auth, w, "vnpt_qb")
    data = PAYLOADS["FORM /commitments/{commitment}/edit"](w) | {"title": "Đổi tên trái phép"}
    response = client.post(f"/commitments/{commitment_id}/edit", data=data)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Commitment, commitment_id).title == title


def test_leader_cannot_edit_the_agreement(client, auth, db, w):
    agreement_id, code = w["qb"]["agreement"].id, w["qb"]["agreement"].code
    sign_in(auth, w, "leader_qb")
    data = PAYLOADS["FORM /agreements/{code}/edit"](w) | {"title": "Đổi tên trái phép"}
    response = client.post(f"/agreements/{code}/edit", data=data)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Agreement, agreement_id).title == QB_TITLE


def test_dic_of_another_province_cannot_retitle_the_commitment(client, auth, db, w):
    commitment_id = w["qb"]["commitment"].id
    sign_in(auth, w, "dic_vl")
    data = PAYLOADS["FORM /commitments/{commitment}/edit"](w) | {"title": "Đổi tên trái phép"}
    response = client.post(f"/commitments/{commitment_id}/edit", data=data)
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Commitment, commitment_id).title == QB_COMMITMENT


# -- a permitted editor cannot reach into the other province through an id in the form ------------


@pytest.mark.parametrize(
    ("key", "field", "vl_object"),
    [
        ("FORM /agreements/new", "province_id", "province"),
        ("FORM /agreements/{code}/edit", "province_id", "province"),
        ("FORM /agreements/{code}/edit", "predecessor_id", "agreement"),
        ("FORM /agreements/{code}/commitments/new", "area_id", "area"),
        ("FORM /agreements/{code}/commitments/new", "lead_unit_id", "branch"),
        ("FORM /commitments/{commitment}/edit", "area_id", "area"),
        ("FORM /commitments/{commitment}/edit", "support_unit_ids", "dic_unit"),
        ("FORM /agreements/{code}/directives/new", "assignee_unit_id", "dic_unit"),
    ],
)
def test_dic_cannot_point_a_form_at_the_other_province(client, auth, db, w, key, field, vl_object):
    """A valid submission of dic_qb, but for one id of a Vĩnh Long record: nothing is saved."""
    data = PAYLOADS[key](w) | {field: w["vl"][vl_object].id}
    sign_in(auth, w, "dic_qb")
    before = snapshot(db)
    response = client.post(url(key, w), data=data)
    assert response.status_code in (200, 403, 404), "expected the form again, or a refusal"
    assert snapshot(db) == before


# -- the matrix itself ---------------------------------------------------------------------------


class _AnyValue(dict):
    def __missing__(self, name):
        return "1"


def test_every_route_has_a_row_in_the_matrix(app):
    """A new route without a permission row fails here; so does a row of the wrong kind."""
    adapter = app.url_map.bind("localhost")
    listed = set()
    for key in MATRIX:
        kind, template = split(key)
        path = template.format_map(_AnyValue())
        allowed = set(adapter.allowed_methods(path)) - {"HEAD", "OPTIONS"}
        if template.startswith("/api/"):  # the API's catch-all answers the other methods
            assert set(METHODS[kind]) <= allowed, f"{key}: the route answers {sorted(allowed)}"
        else:
            assert allowed == set(METHODS[kind]), f"{key}: the route answers {sorted(allowed)}"
        for method in METHODS[kind]:
            endpoint, _ = adapter.match(path, method=method)
            listed.add(endpoint)
    missing = sorted({rule.endpoint for rule in app.url_map.iter_rules()} - listed - {"static"})
    assert not missing, f"routes without a row in MATRIX: {missing}"


def test_every_guarded_submission_has_a_valid_payload():
    """A refused POST only proves something if the same data would be saved by others."""
    assert set(PAYLOADS) <= set(MATRIX)
    for key, statuses in MATRIX.items():
        if split(key)[0] != "GET" and 403 in statuses.values() and not statuses["_post"]:
            assert key in PAYLOADS, f"{key} needs an entry in PAYLOADS"
