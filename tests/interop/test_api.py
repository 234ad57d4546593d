"""The JSON API: token authentication, the error shape, pagination, reading, object permissions,
and writing progress reports and evidence through the same services as the pages."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator
from PIL import Image

from tests.interop import client_for, reporting_world, with_interop
from tracker import storage
from tracker.agreements.models import Measurement
from tracker.auth.tokens import ApiToken
from tracker.clock import local_today, utcnow
from tracker.interop import json as jf
from tracker.interop.api.openapi import document
from tracker.interop.api.tokens import create_token, revoke_token
from tracker.progress import figures
from tracker.progress.models import Evidence, ProgressReport, ReportStatus


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (11, 79, 138)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def app(app):
    return with_interop(app)


@pytest.fixture
def client(app):
    return client_for(app)


@pytest.fixture
def rw(db):
    """The reporting world (periods around today) with a token for each user."""
    rw = reporting_world()
    for key in ("qb", "vl"):
        for who in ("dic", "vnpt", "vnpt_other", "leader"):
            _token, secret = create_token(rw[key][who], name="test", days=None)
            rw[key][f"{who}_token"] = secret
    rw["admin_token"] = create_token(rw["admin"], name="test", days=None)[1]
    db.session.commit()
    return rw


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


# -- authentication -----------------------------------------------------------------------------


def test_requests_without_a_valid_token_are_refused(db, rw, client):
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        bearer("trk_" + "x" * 43),
        bearer("not-a-tracker-token"),
    ):
        response = client.get("/api/v1/agreements", headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_expired_and_disabled_are_refused(db, rw, client):
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == rw["qb"]["dic"].id))
    headers = bearer(rw["qb"]["dic_token"])
    assert client.get("/api/v1/agreements", headers=headers).status_code == 200
    token.expires_on = local_today() - timedelta(days=1)
    db.session.commit()
    assert_error(client.get("/api/v1/agreements", headers=headers), 401, "unauthorized")
    token.expires_on = None
    rw["qb"]["dic"].active = False
    db.session.commit()
    assert_error(client.get("/api/v1/agreements", headers=headers), 401, "unauthorized")
    rw["qb"]["dic"].active = True
    revoke_token(token, user=rw["qb"]["dic"])
    db.session.commit()
    assert_error(client.get("/api/v1/agreements", headers=headers), 401, "unauthorized")


def test_each_use_is_recorded(db, rw, client):
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == rw["qb"]["vnpt"].id))
    assert token.last_used_at is None
    before = utcnow()
    client.get("/api/v1/agreements", headers=bearer(rw["qb"]["vnpt_token"]))
    db.session.expire_all()
    used = db.session.get(ApiToken, token.id).last_used_at
    assert used is not None and used.replace(tzinfo=before.tzinfo) >= before - timedelta(seconds=1)


def test_a_signed_in_session_is_not_a_token(rw, client, auth):
    auth.login(rw["qb"]["dic"].email)
    assert_error(client.get("/api/v1/agreements"), 401, "unauthorized")


def test_the_openapi_document_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"] == "3.1.0"


# -- reading ------------------------------------------------------------------------------------


def test_agreements_are_paginated(rw, client):
    headers = bearer(rw["admin_token"])
    body = client.get("/api/v1/agreements?per_page=1", headers=headers).get_json()
    assert body["page"] == 1 and body["per_page"] == 1 and body["total"] == 2
    assert len(body["items"]) == 1
    second = client.get("/api/v1/agreements?per_page=1&page=2", headers=headers).get_json()
    assert {body["items"][0]["code"], second["items"][0]["code"]} == {"QB-2020", "VL-2020"}
    beyond = client.get("/api/v1/agreements?page=9", headers=headers).get_json()
    assert beyond["items"] == [] and beyond["total"] == 2
    mine = client.get("/api/v1/agreements", headers=bearer(rw["qb"]["vnpt_token"])).get_json()
    assert [a["code"] for a in mine["items"]] == ["QB-2020"] and mine["total"] == 1
    assert mine["per_page"] == 25


@pytest.mark.parametrize(
    "query",
    [
        "per_page=101",
        "per_page=0",
        "page=0",
        "page=abc",
        "page=-1",
        "status=ongoing",
        # A repeated parameter: each value is checked like a single one...
        "status=in_force&status=bogus",
        "status=bogus&status=in_force",
        "page=1&page=abc",
        # ...and two different values are not a list this API takes.
        "status=in_force&status=draft",
        "per_page=5&per_page=6",
        "as_of=",
        "as_of=30/06/2024",
        "as_of=2024-13-01",
        "as_of=20240630",
        "as_of=2024-06-30&as_of=2024-07-01",
    ],
)
def test_bad_query_parameters_are_400(rw, client, query):
    response = client.get(f"/api/v1/agreements?{query}", headers=bearer(rw["admin_token"]))
    error = assert_error(response, 400, "invalid_request")
    assert error["details"]["errors"][0]["path"] == query.split("=")[0]


def test_the_agreement_is_its_interchange_document(rw, client):
    response = client.get("/api/v1/agreements/QB-2020", headers=bearer(rw["qb"]["leader_token"]))
    assert response.status_code == 200
    assert response.get_json() == jf.export_agreement(rw["qb"]["agreement"])
    jf.validate_document(response.get_json())


def test_reading_areas_commitments_milestones_indicators_directives(db, rw, client):
    headers = bearer(rw["qb"]["vnpt_token"])
    c = rw["qb"]["commitment"]
    db.session.add_all(
        [
            Measurement(indicator=rw["qb"]["indicator"], measured_on=local_today(), value=5),
            Measurement(
                indicator=rw["qb"]["indicator"],
                measured_on=local_today() - timedelta(days=90),
                value=Decimal("2.5"),
                verified=True,
            ),
        ]
    )
    db.session.commit()
    areas = client.get("/api/v1/agreements/QB-2020/areas", headers=headers).get_json()["items"]
    assert areas[0]["commitments"] == [{"id": c.id, "code": "1.1", "title": c.title}]
    body = client.get(f"/api/v1/commitments/{c.id}", headers=headers).get_json()
    assert body["lead_unit"] == {"code": "VNPT-qb", "name": "VNPT Quảng Bình"}
    assert body["support_units"] == [{"code": "DIC-qb", "name": rw["qb"]["dic_unit"].name}]
    assert body["agreement"] == "QB-2020" and body["version"] == c.version
    milestones = client.get(f"/api/v1/commitments/{c.id}/milestones", headers=headers).get_json()
    assert milestones["items"][0]["id"] == rw["qb"]["milestone"].id
    indicators = client.get(f"/api/v1/commitments/{c.id}/indicators", headers=headers).get_json()
    assert indicators["items"][0]["target"] == 151
    assert indicators["items"][0]["measurements"] == [
        {"on": (local_today() - timedelta(days=90)).isoformat(), "value": 2.5, "note": None}
    ]
    directives = client.get("/api/v1/agreements/QB-2020/directives", headers=headers).get_json()
    assert directives["items"][0]["assignee"]["code"] == "DIC-qb"
    periods = client.get("/api/v1/periods?agreement=QB-2020", headers=headers).get_json()["items"]
    assert {p["id"] for p in periods} == {p.id for p in rw["qb"]["periods"]}
    current = next(p for p in periods if p["id"] == rw["qb"]["current"].id)
    assert current["open"] is True


def test_another_provinces_objects_are_not_found(db, rw, client):
    headers = bearer(rw["qb"]["dic_token"])
    vl = rw["vl"]
    report = ProgressReport(commitment=vl["commitment"], period=vl["current"])
    db.session.add(report)
    db.session.commit()
    for url in (
        "/api/v1/agreements/VL-2020",
        "/api/v1/agreements/VL-2020/areas",
        "/api/v1/agreements/VL-2020/directives",
        f"/api/v1/commitments/{vl['commitment'].id}",
        f"/api/v1/commitments/{vl['commitment'].id}/milestones",
        f"/api/v1/commitments/{vl['commitment'].id}/indicators",
        f"/api/v1/commitments/{vl['commitment'].id}/reports",
        f"/api/v1/reports/{report.id}",
        "/api/v1/periods?agreement=VL-2020",
        "/api/v1/agreements/NOPE",
        "/api/v1/commitments/999999",
        "/api/v1/commitments/99999999999999",
    ):
        assert_error(client.get(url, headers=headers), 404, "not_found")
    for url, kw in (
        (f"/api/v1/commitments/{vl['commitment'].id}/reports/{vl['current'].id}", {"json": {}}),
        (f"/api/v1/reports/{report.id}/submit", {}),
        (f"/api/v1/reports/{report.id}/evidence", {"data": {"title": "x"}}),
    ):
        assert_error(client.post(url, headers=headers, **kw), 404, "not_found")


def test_a_repeated_parameter_with_one_value_is_that_value(rw, client):
    headers = bearer(rw["admin_token"])
    body = client.get("/api/v1/agreements?status=in_force&status=in_force", headers=headers)
    assert body.status_code == 200 and body.get_json()["total"] == 2
    error = assert_error(
        client.get("/api/v1/agreements?status=in_force&status=bogus", headers=headers),
        400,
        "invalid_request",
    )
    assert error["details"]["errors"] == [
        {
            "path": "status",
            "message": "giá trị 'bogus' không hợp lệ (cho phép: draft, under_review, signed, "
            "in_force, closed)",
        }
    ]


def test_unknown_paths_and_methods(rw, client):
    headers = bearer(rw["admin_token"])
    for path in ("/api/v1/nothing-here", "/api/v1/nothing/deeper/still", "/api/v1/reports/x"):
        error = assert_error(client.get(path, headers=headers), 404, "not_found")
        assert error["details"] == {"path": path}
        assert_error(client.get(path), 404, "not_found")  # no token needed to learn that
    response = client.delete("/api/v1/agreements", headers=headers)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    response = client.get(f"/api/v1/reports/{1}/submit", headers=headers)
    assert_error(response, 405, "method_not_allowed")
    assert client.options("/api/v1/agreements").headers["Allow"] == "GET, HEAD, OPTIONS"


# -- writing reports ----------------------------------------------------------------------------


def report_url(rw, key="qb", period="current"):
    return f"/api/v1/commitments/{rw[key]['commitment'].id}/reports/{rw[key][period].id}"


def report_body(rw, key="qb", **kw):
    body = {
        "percent_complete": 40,
        "completion": "limited",
        "spent_vnd": 1_500_000_000,
        "narrative": "Đã lắp đặt 2/5 trạm BTS.",
        "values": {str(rw[key]["indicator"].id): 60.5},
        "milestones": {
            str(rw[key]["milestone"].id): {
                "status": "met",
                "done_on": (local_today() - timedelta(days=3)).isoformat(),
            }
        },
    }
    body.update(kw)
    return body


def test_write_and_submit_a_report(db, rw, client):
    headers = bearer(rw["qb"]["vnpt_token"])
    response = client.post(report_url(rw), json=report_body(rw), headers=headers)
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/reports/{report['id']}")
    assert report["status"] == "draft" and report["spent_vnd"] == 1_500_000_000
    assert report["values"] == [
        {"indicator_id": rw["qb"]["indicator"].id, "value": 60.5, "note": None}
    ]
    assert report["milestones"][0]["status"] == "met"
    assert report["unit"]["code"] == "VNPT-qb"
    # Updating the draft: 200, and a stale version is refused.
    response = client.post(
        report_url(rw),
        json=report_body(rw, percent_complete=50, version=report["version"]),
        headers=headers,
    )
    assert response.status_code == 200 and response.get_json()["percent_complete"] == 50
    stale = client.post(
        report_url(rw), json=report_body(rw, version=report["version"]), headers=headers
    )
    assert_error(stale, 409, "stale")
    # Submitting, then nothing may change any more.
    response = client.post(f"/api/v1/reports/{report['id']}/submit", headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "submitted"
    assert response.get_json()["events"][0]["action"] == "submitted"
    assert_error(
        client.post(f"/api/v1/reports/{report['id']}/submit", headers=headers),
        409,
        "not_editable",
    )
    assert_error(
        client.post(report_url(rw), json=report_body(rw), headers=headers), 409, "not_editable"
    )
    stored = db.session.get(ProgressReport, report["id"])
    assert stored.status == ReportStatus.submitted
    assert stored.submitted_by_id == rw["qb"]["vnpt"].id
    listed = client.get(
        f"/api/v1/commitments/{rw['qb']['commitment'].id}/reports", headers=headers
    ).get_json()
    assert [r["id"] for r in listed["items"]] == [report["id"]]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"percent_complete": 101}, "percent_complete"),
        ({"percent_complete": "40"}, "percent_complete"),
        ({"completion": "done"}, "completion"),
        ({"spent_vnd": -1}, "spent_vnd"),
        ({"spent_vnd": 10.5}, "spent_vnd"),
        ({"values": {"abc": 1}}, "values"),
        ({"milestones": {"1": {"status": "met", "done_on": "2020-02-30"}}}, "milestones.1.done_on"),
        ({"extra": True}, "(document)"),
    ],
)
def test_invalid_bodies_are_400_with_the_path(rw, client, change, path):
    response = client.post(
        report_url(rw), json=report_body(rw, **change), headers=bearer(rw["qb"]["vnpt_token"])
    )
    error = assert_error(response, 400, "invalid_request")
    assert path in [e["path"] for e in error["details"]["errors"]]


def test_the_reasons_are_in_vietnamese_unless_english_is_asked_for(rw, client):
    headers = bearer(rw["qb"]["vnpt_token"])
    body = report_body(rw, percent_complete=120, spent_vnd=-1, completion="done", extra=True)
    error = assert_error(
        client.post(report_url(rw), json=body, headers=headers), 400, "invalid_request"
    )
    assert {e["path"]: e["message"] for e in error["details"]["errors"]} == {
        "(document)": "khóa không được phép: 'extra'",
        "completion": "giá trị 'done' không hợp lệ (cho phép: not_started, limited, substantial, "
        "complete, withdrawn)",
        "percent_complete": "không được lớn hơn 100 (giá trị nhận được: 120)",
        "spent_vnd": "không được âm (-1)",
    }
    response = client.post(f"{report_url(rw)}?lang=en", json=body, headers=headers)
    error = assert_error(response, 400, "invalid_request")
    assert {e["path"]: e["message"] for e in error["details"]["errors"]} == {
        "(document)": "unknown keys: 'extra'",
        "completion": "unknown value 'done' (allowed: not_started, limited, substantial, "
        "complete, withdrawn)",
        "percent_complete": "must be at most 100 (got 120)",
        "spent_vnd": "cannot be negative (-1)",
    }


def test_malformed_and_mistyped_bodies(rw, client):
    headers = bearer(rw["qb"]["vnpt_token"])
    response = client.post(
        report_url(rw), data="{oops", content_type="application/json", headers=headers
    )
    error = assert_error(response, 400, "invalid_request")
    assert error["details"]["errors"] == [
        {
            "path": "(body)",
            "message": "JSON sai cú pháp ở dòng 1, cột 2: cần tên khóa đặt trong dấu ngoặc kép",
        }
    ]
    response = client.post(
        f"{report_url(rw)}?lang=en", data="{oops", content_type="application/json", headers=headers
    )
    assert assert_error(response, 400, "invalid_request")["details"]["errors"][0]["message"] == (
        "malformed JSON at line 1, column 2: Expecting property name enclosed in double quotes"
    )
    response = client.post(report_url(rw), data="percent=1", headers=headers)
    assert_error(response, 415, "unsupported_media_type")
    error = assert_error(client.post(report_url(rw), headers=headers), 400, "invalid_request")
    assert error["details"]["errors"] == [{"path": "(body)", "message": "bắt buộc"}]


def test_bad_query_parameters_are_explained_in_vietnamese(rw, client):
    response = client.get("/api/v1/agreements?per_page=abc", headers=bearer(rw["admin_token"]))
    error = assert_error(response, 400, "invalid_request")
    assert error["details"]["errors"] == [
        {"path": "per_page", "message": "phải là số nguyên từ 1 đến 100, không phải 'abc'"}
    ]


def test_business_rules_are_422(rw, client):
    headers = bearer(rw["qb"]["vnpt_token"])
    response = client.post(
        report_url(rw), json=report_body(rw, completion="complete"), headers=headers
    )
    assert_error(response, 422, "unprocessable")
    response = client.post(
        report_url(rw),
        json=report_body(rw, values={str(rw["vl"]["indicator"].id): 1}),
        headers=headers,
    )
    assert_error(response, 422, "unprocessable")
    future = (local_today() + timedelta(days=5)).isoformat()
    response = client.post(
        report_url(rw),
        json=report_body(
            rw, milestones={str(rw["qb"]["milestone"].id): {"status": "met", "done_on": future}}
        ),
        headers=headers,
    )
    assert_error(response, 422, "unprocessable")


def test_who_may_report(rw, client):
    body = report_body(rw)
    for who in ("leader", "vnpt_other"):
        response = client.post(report_url(rw), json=body, headers=bearer(rw["qb"][f"{who}_token"]))
        assert_error(response, 403, "forbidden")
    response = client.post(report_url(rw), json=body, headers=bearer(rw["qb"]["dic_token"]))
    assert response.status_code == 201


def test_a_closed_period_is_409(rw, client):
    response = client.post(
        report_url(rw, period="old"), json=report_body(rw), headers=bearer(rw["qb"]["vnpt_token"])
    )
    error = assert_error(response, 409, "period_closed")
    assert error["details"]["deadline_on"] == rw["qb"]["old"].deadline_on.isoformat()


# -- evidence -------------------------------------------------------------------------------------


def test_evidence_upload(db, rw, client, app):
    headers = bearer(rw["qb"]["vnpt_token"])
    report = client.post(report_url(rw), json=report_body(rw), headers=headers).get_json()
    url = f"/api/v1/reports/{report['id']}/evidence"
    response = client.post(
        url,
        data={"file": (io.BytesIO(PNG), "anh.png"), "title": "Ảnh khánh thành", "kind": "photo"},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    evidence = response.get_json()
    assert evidence["content_type"] == "image/png" and evidence["file_name"] == "anh.png"
    stored = db.session.get(Evidence, evidence["id"])
    assert stored.thumbnail_sha256 is not None
    with app.app_context():
        assert storage.path_for(stored.sha256).exists()
    response = client.post(
        url,
        data={"file": (io.BytesIO(PDF), "bb.pdf"), "title": "Biên bản", "issued_on": "2024-05-01"},
        headers=headers,
    )
    assert response.status_code == 201 and response.get_json()["kind"] == "other"
    report_now = client.get(f"/api/v1/reports/{report['id']}", headers=headers).get_json()
    assert [e["title"] for e in report_now["evidence"]] == ["Ảnh khánh thành", "Biên bản"]


def test_evidence_refusals(db, rw, client):
    headers = bearer(rw["qb"]["vnpt_token"])
    report = client.post(report_url(rw), json=report_body(rw), headers=headers).get_json()
    url = f"/api/v1/reports/{report['id']}/evidence"
    response = client.post(
        url,
        data={"file": (io.BytesIO(b"#!/bin/sh\nrm -rf /"), "x.sh"), "title": "x"},
        headers=headers,
    )
    error = assert_error(response, 422, "unprocessable")
    assert error["details"] == {"field": "file"}
    response = client.post(url, data={"file": (io.BytesIO(PDF), "a.pdf")}, headers=headers)
    assert_error(response, 400, "invalid_request")
    response = client.post(
        url,
        data={"file": (io.BytesIO(PDF), "a.pdf"), "title": "x", "kind": "selfie"},
        headers=headers,
    )
    assert_error(response, 400, "invalid_request")
    assert_error(
        client.post(url, json={"title": "x"}, headers=headers), 415, "unsupported_media_type"
    )
    client.post(f"/api/v1/reports/{report['id']}/submit", headers=headers)
    response = client.post(
        url, data={"file": (io.BytesIO(PDF), "a.pdf"), "title": "muộn"}, headers=headers
    )
    error = assert_error(response, 409, "not_editable")
    assert error["details"] == {"status": "submitted"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def _files(app):
    return sorted(p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("who", "submitted", "data", "status", "code", "details"),
    [
        # A valid image refused by the service: neither it nor its thumbnail is kept.
        ("vnpt", True, {"title": "Ảnh"}, 409, "not_editable", {"status": "submitted"}),
        ("leader", False, {"title": "Ảnh"}, 403, "forbidden", {}),
        ("vnpt_other", False, {"title": "Ảnh"}, 403, "forbidden", {}),
        ("vnpt", False, {"title": " \x00\x07 "}, 422, "unprocessable", {"field": "title"}),
    ],
)
def test_a_refused_upload_leaves_no_file(
    db, rw, client, app, who, submitted, data, status, code, details
):
    headers = bearer(rw["qb"]["vnpt_token"])
    report = client.post(report_url(rw), json=report_body(rw), headers=headers).get_json()
    if submitted:
        client.post(f"/api/v1/reports/{report['id']}/submit", headers=headers)
    before = _files(app)
    response = client.post(
        f"/api/v1/reports/{report['id']}/evidence",
        data={"file": (io.BytesIO(PNG), f"anh-{who}.png"), **data},
        headers=bearer(rw["qb"][f"{who}_token"]),
    )
    error = assert_error(response, status, code)
    assert error["details"] == details
    assert _files(app) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_the_refusal_messages_say_why(db, rw, client):
    headers = bearer(rw["qb"]["leader_token"])
    error = assert_error(
        client.post(report_url(rw), json=report_body(rw), headers=headers), 403, "forbidden"
    )
    assert error["message"] == "Bạn được xem cam kết này nhưng không được báo cáo."
    headers = bearer(rw["qb"]["vnpt_token"])
    report = client.post(report_url(rw), json=report_body(rw), headers=headers).get_json()
    client.post(
        report_url(rw),
        json=report_body(rw, percent_complete=50, version=report["version"]),
        headers=headers,
    )
    error = assert_error(
        client.post(f"/api/v1/reports/{report['id']}/submit", json={"version": 1}, headers=headers),
        409,
        "stale",
    )
    assert error["details"] == {"version": 2}
    client.post(f"/api/v1/reports/{report['id']}/submit", headers=headers)
    error = assert_error(
        client.post(report_url(rw), json=report_body(rw), headers=headers), 409, "not_editable"
    )
    assert error["details"] == {"status": "submitted"}
    assert error["message"] == "Báo cáo đã gửi không thể thay đổi."


def test_an_over_size_request_is_answered_in_json(db, rw, client, app):
    headers = bearer(rw["qb"]["vnpt_token"])
    report = client.post(report_url(rw), json=report_body(rw), headers=headers).get_json()
    before = _files(app)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        upload = client.post(
            f"/api/v1/reports/{report['id']}/evidence",
            data={"file": (io.BytesIO(PDF + b"0" * 4096), "lon.pdf"), "title": "Lớn"},
            headers=headers,
        )
        body = client.post(
            report_url(rw),
            data=b'{"narrative": "' + b"x" * 4096 + b'"}',
            content_type="application/json",
            headers=headers,
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    for response in (upload, body):
        error = assert_error(response, 413, "too_large")
        assert "quá lớn" in error["message"]
    assert _files(app) == before


# -- the OpenAPI document -------------------------------------------------------------------------


def test_the_openapi_document_describes_every_endpoint(app):
    doc = document()
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    described = {
        (method.upper(), "/api/v1" + path) for path, item in doc["paths"].items() for method in item
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.fallback":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routed.add((method, path))
    assert routed == described
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


# -- figures as of a day ------------------------------------------------------------------------


def test_the_figures_are_the_dashboards_as_of_the_day_asked_for(db, rw, client):
    headers = bearer(rw["qb"]["leader_token"])
    agreement, c = rw["qb"]["agreement"], rw["qb"]["commitment"]
    c.budget_vnd = None  # an unknown budget stays unknown, never 0
    rw["qb"]["milestone"].due_on = local_today() - timedelta(days=30)  # late today
    db.session.commit()
    body = client.get("/api/v1/agreements/QB-2020/figures", headers=headers).get_json()
    assert body == figures.agreement_summary(agreement)
    assert body["as_of"] == local_today().isoformat()
    assert body["commitments"] == 1 and body["health"]["late"] == 1
    assert body["planned_vnd"] is None and body["areas"][0]["planned_vnd"] is None
    day = (local_today() - timedelta(days=60)).isoformat()  # before the milestone was due
    earlier = client.get(f"/api/v1/agreements/QB-2020/figures?as_of={day}", headers=headers)
    assert earlier.get_json()["as_of"] == day
    assert earlier.get_json()["health"]["late"] == 0
    assert earlier.get_json() == figures.agreement_summary(agreement, date.fromisoformat(day))

    listed = client.get(f"/api/v1/agreements?as_of={day}", headers=headers).get_json()["items"]
    tally = earlier.get_json()
    assert listed[0]["figures"] == {
        k: tally[k]
        for k in ("as_of", "commitments", "health", "percent", "planned_vnd", "spent_vnd")
    }

    one = client.get(f"/api/v1/commitments/{c.id}", headers=headers).get_json()["figures"]
    assert one["as_of"] == local_today().isoformat() and one["health"] == "late"
    assert one["milestones_late"] == 1 and one["percent"] == 0
    then = client.get(f"/api/v1/commitments/{c.id}?as_of={day}", headers=headers).get_json()
    assert then["figures"]["as_of"] == day and then["figures"]["health"] != "late"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/agreements", "/api/v1/agreements/QB-2020/figures", "/api/v1/commitments/{id}"],
)
@pytest.mark.parametrize(
    ("value", "status", "code", "message"),
    [
        ("30/06/2024", 400, "invalid_request", "phải là một ngày dạng YYYY-MM-DD"),
        ("2024-02-30", 400, "invalid_request", "phải là một ngày dạng YYYY-MM-DD"),
        (
            "2999-01-01",
            422,
            "unprocessable",
            "Không thể tính số liệu đến một ngày trong tương lai.",
        ),
    ],
)
def test_a_bad_as_of_is_refused_with_a_clear_message(rw, client, url, value, status, code, message):
    url = url.format(id=rw["qb"]["commitment"].id)
    response = client.get(url, query_string={"as_of": value}, headers=bearer(rw["admin_token"]))
    error = assert_error(response, status, code)
    if status == 400:
        assert error["details"]["errors"][0]["path"] == "as_of"
        assert message in error["details"]["errors"][0]["message"]
    else:
        assert error["details"]["field"] == "as_of" and error["message"] == message


def test_figures_of_another_province_are_not_found(rw, client):
    response = client.get(
        "/api/v1/agreements/VL-2020/figures", headers=bearer(rw["qb"]["dic_token"])
    )
    assert_error(response, 404, "not_found")
