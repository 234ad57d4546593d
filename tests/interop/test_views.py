"""The pages: export downloads, the import page (preview, then confirm), the Excel template, and
the personal API token pages."""

import io
import re
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests import factories
from tests.conftest import text_of
from tests.interop import client_for, documented_only, with_interop
from tracker.agreements.models import Agreement, Commitment
from tracker.auth.tokens import ApiToken, hash_token
from tracker.extensions import db
from tracker.interop import json as jf
from tracker.interop import xlsx
from tracker.interop.api.tokens import create_token


@pytest.fixture(scope="module")
def app(app):
    return with_interop(app)


@pytest.fixture
def client(app):
    return client_for(app)


@pytest.fixture
def w(db):
    return factories.world()


def upload(client, data: bytes, name: str, agreement: str = ""):
    return client.post(
        "/import",
        data={"file": (io.BytesIO(data), name), "agreement": agreement},
        content_type="multipart/form-data",
    )


def confirm_key(response) -> str:
    match = re.search(r'name="key"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no confirm form"
    return match.group(1)


# -- export ---------------------------------------------------------------------------------------


def test_the_excel_download_states_the_day_the_page_asked_for(w, client, auth):
    """The agreement page at ?as_of= offers the workbook judged as of that day; a day that is
    not a date goes back to the agreement page with the reason, and nothing is downloaded."""
    auth.login(w["qb"]["leader"].email)
    page = client.get("/agreements/QB-2020?as_of=2021-07-01").get_data(as_text=True)
    assert "/agreements/QB-2020/export.xlsx?as_of=2021-07-01" in page
    response = client.get("/agreements/QB-2020/export.xlsx?as_of=2021-07-01")
    assert response.status_code == 200
    summary = load_workbook(io.BytesIO(response.data))["Tổng hợp"]
    assert summary["A1"].value == "Số liệu tính đến ngày 01/07/2021"
    response = client.get("/agreements/QB-2020/export.xlsx?as_of=31-02-2021")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/agreements/QB-2020")
    assert "“31-02-2021” không phải là một ngày" in text_of(client.get("/agreements/QB-2020"))


@pytest.mark.parametrize("who", ["dic", "vnpt", "leader"])
def test_anyone_who_sees_the_agreement_downloads_it(w, client, auth, who):
    auth.login(w["qb"][who].email)
    response = client.get("/agreements/QB-2020/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_json() == jf.export_agreement(w["qb"]["agreement"])
    response = client.get("/agreements/QB-2020/export.xlsx")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.data)).sheetnames[:2] == [
        "Tổng hợp",
        "Lĩnh vực - Cam kết",
    ]


def test_no_download_outside_ones_scope(w, client, auth):
    assert client.get("/agreements/QB-2020/export.json").status_code == 302  # to sign in
    auth.login(w["vl"]["dic"].email)
    assert client.get("/agreements/QB-2020/export.json").status_code == 404
    assert client.get("/agreements/QB-2020/export.xlsx").status_code == 404
    assert client.get("/import/template.xlsx?agreement=QB-2020").status_code == 404


# -- import ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("dic", 200), ("vnpt", 403), ("leader", 403)])
def test_the_import_page_is_for_dic_and_admins(w, client, auth, who, status):
    auth.login(w["qb"][who].email)
    assert client.get("/import").status_code == status
    assert client.get("/import/template.xlsx").status_code == status


def test_json_import_previews_then_confirms(db, w, client, auth):
    auth.login(w["qb"]["dic"].email)
    document = jf.export_agreement(w["qb"]["agreement"])
    document["agreement"]["title"] = "Tên sửa qua tệp JSON"
    document["agreement"]["areas"].append({"code": "II", "title": "Lĩnh vực mới"})
    response = upload(client, jf.document_bytes(document), "qb.json")
    assert response.status_code == 200
    page = text_of(response)
    assert "QB-2020" in page and "Tên sửa qua tệp JSON" in page
    assert db.session.scalar(sa.select(Agreement.title).where(Agreement.code == "QB-2020")) != (
        "Tên sửa qua tệp JSON"
    )
    response = client.post("/import/confirm", data={"key": confirm_key(response)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/agreements/QB-2020")
    db.session.expire_all()
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-2020"))
    assert agreement.title == "Tên sửa qua tệp JSON"
    assert [a.code for a in agreement.areas] == ["I", "II"]


def test_a_bad_file_lists_its_problems_and_writes_nothing(db, w, client, auth):
    auth.login(w["qb"]["dic"].email)
    document = jf.export_agreement(w["qb"]["agreement"])
    document["agreement"]["title"] = "Không được ghi"
    document["agreement"]["signed_on"] = "2020-02-30"
    document["agreement"]["areas"][0]["commitments"][0]["budget_vnd"] = -1
    response = upload(client, jf.document_bytes(document), "qb.json")
    assert response.status_code == 422
    page = text_of(response)
    assert "agreement.signed_on: '2020-02-30' không phải ngày hợp lệ" in page
    assert "agreement.areas[0].commitments[0].budget_vnd: không được âm (-1)" in page
    assert 'name="key"' not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Agreement, w["qb"]["agreement"].id).title != "Không được ghi"


def _file_with_two_mistakes(w) -> bytes:
    document = jf.export_agreement(w["qb"]["agreement"])
    commitment = document["agreement"]["areas"][0]["commitments"][0]
    commitment["budget_vnd"] = -5
    del commitment["title"]
    return jf.document_bytes(document)


def test_the_reasons_are_in_vietnamese_by_default(w, client, auth):
    auth.login(w["qb"]["dic"].email)
    response = upload(client, _file_with_two_mistakes(w), "qb.json")
    assert response.status_code == 422
    page = text_of(response)
    assert "Tệp không được chấp nhận và không có dữ liệu nào được ghi. Số lỗi phát hiện: 2." in page
    assert "agreement.areas[0].commitments[0].budget_vnd: không được âm (-5)" in page
    assert "agreement.areas[0].commitments[0].title: bắt buộc" in page
    assert "cannot be negative" not in page and "required" not in page


def test_the_reasons_follow_the_users_language(w, client, auth):
    auth.login(w["qb"]["dic"].email)
    client.post("/language", data={"lang": "en"})
    response = upload(client, _file_with_two_mistakes(w), "qb.json")
    assert response.status_code == 422
    page = text_of(response)
    assert "The file was refused and nothing was written. Problems found: 2." in page
    assert "agreement.areas[0].commitments[0].budget_vnd: cannot be negative (-5)" in page
    assert "agreement.areas[0].commitments[0].title: required" in page
    assert "không được âm" not in page and "bắt buộc" not in page
    # Back in Vietnamese, the same file is explained in Vietnamese again.
    client.post("/language", data={"lang": "vi"})
    page = text_of(upload(client, _file_with_two_mistakes(w), "qb.json"))
    assert "agreement.areas[0].commitments[0].budget_vnd: không được âm (-5)" in page


def test_a_file_that_is_not_json_is_explained_in_the_users_language(w, client, auth):
    auth.login(w["qb"]["dic"].email)
    page = text_of(upload(client, b'{"format": "tracker.agreement/v1",', "qb.json"))
    assert "tệp: JSON sai cú pháp ở dòng 1, cột 35: cần tên khóa đặt trong dấu ngoặc kép" in page
    client.post("/language", data={"lang": "en"})
    page = text_of(upload(client, b'{"format": "tracker.agreement/v1",', "qb.json"))
    assert (
        "file: malformed JSON at line 1, column 35: "
        "Expecting property name enclosed in double quotes" in page
    )


def test_a_dic_cannot_import_into_another_province(w, client, auth):
    auth.login(w["vl"]["dic"].email)
    document = jf.export_agreement(w["qb"]["agreement"])
    response = upload(client, jf.document_bytes(document), "qb.json")
    assert response.status_code == 422
    assert "QB-2020" in text_of(response)


def _with_row(template: bytes, row: list) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    wb["Lĩnh vực - Cam kết"].append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_xlsx_import_previews_then_confirms(db, w, client, auth):
    auth.login(w["qb"]["dic"].email)
    row = ["II", "Ứng dụng CNTT", "2.1", "Hệ thống một cửa điện tử", None, "Tỉnh", "DIC-qb"]
    generic = client.get("/import/template.xlsx")
    assert generic.status_code == 200
    data = _with_row(generic.data, row)
    response = upload(client, data, "mau.xlsx")
    assert response.status_code == 422  # which agreement?
    response = upload(client, data, "mau.xlsx", agreement="QB-2020")
    assert response.status_code == 200, text_of(response)
    assert db.session.scalar(sa.select(Commitment).where(Commitment.code == "2.1")) is None
    response = client.post("/import/confirm", data={"key": confirm_key(response)})
    assert response.status_code == 302
    created = db.session.scalar(sa.select(Commitment).where(Commitment.code == "2.1"))
    assert created.title == "Hệ thống một cửa điện tử" and created.area.code == "II"


def test_a_template_for_an_agreement_names_it(db, w, client, auth):
    auth.login(w["qb"]["dic"].email)
    template = client.get("/import/template.xlsx?agreement=QB-2020")
    row = ["I", None, "1.9", "Cam kết thêm", None, "VNPT", "VNPT-qb"]
    response = upload(client, _with_row(template.data, row), "mau.xlsx")
    assert response.status_code == 200, text_of(response)
    client.post("/import/confirm", data={"key": confirm_key(response)})
    created = db.session.scalar(sa.select(Commitment).where(Commitment.code == "1.9"))
    assert created.agreement.code == "QB-2020"


def test_a_bad_workbook_lists_every_bad_row(db, w, client, auth):
    auth.login(w["qb"]["dic"].email)
    wb = load_workbook(io.BytesIO(xlsx.template_workbook(w["qb"]["agreement"])))
    ws = wb["Lĩnh vực - Cam kết"]
    ws.append(["I", None, "9.1", None, None, "VNPT", "VNPT-qb"])
    ws.append(["I", None, "9.2", "Tên", None, "VNPT", "VNPT-qb", None, -1])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = upload(client, buffer.getvalue(), "mau.xlsx", agreement="QB-2020")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    items = re.findall(r"<li>([^<]*Lĩnh vực - Cam kết[^<]*)</li>", html)
    assert len(items) == 2
    assert db.session.scalar(sa.select(Commitment).where(Commitment.code == "9.2")) is None


def test_a_zip_that_is_not_a_workbook_is_refused(w, client, auth):

    auth.login(w["qb"]["dic"].email)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "x")
    response = upload(client, buffer.getvalue(), "fake.xlsx", agreement="QB-2020")
    assert response.status_code == 422
    assert "(.xlsx)" in text_of(response)


def test_an_upload_over_the_limit_is_refused(w, client, auth, app):
    auth.login(w["qb"]["dic"].email)
    response = upload(client, b"{" + b" " * (10 * 1024 * 1024 + 10) + b"}", "big.json")
    assert response.status_code == 422
    assert "10 MB" in text_of(response)
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)  # 50 MB and the like: stopped by Flask
    assert upload(client, big, "huge.json").status_code == 413


def test_a_confirmation_belongs_to_its_uploader(db, w, client, auth, app):
    auth.login(w["qb"]["dic"].email)
    document = jf.export_agreement(w["qb"]["agreement"])
    document["agreement"]["title"] = "Sửa"
    key = confirm_key(upload(client, jf.document_bytes(document), "qb.json"))
    auth.logout()
    auth.login(w["admin"].email)
    response = client.post("/import/confirm", data={"key": key})
    assert response.status_code == 302 and response.headers["Location"].endswith("/import")
    assert client.post("/import/confirm", data={"key": "../../etc/passwd"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Agreement, w["qb"]["agreement"].id).title != "Sửa"


def test_admin_creates_an_agreement_from_a_file(db, w, client, auth):
    auth.login(w["admin"].email)
    response = upload(client, jf.document_bytes(documented_only()), "qt.json")
    assert response.status_code == 200
    client.post("/import/confirm", data={"key": confirm_key(response)})
    assert db.session.scalar(sa.select(Agreement).where(Agreement.code == "QT-VNPT-2025"))


# -- API tokens ---------------------------------------------------------------------------------


def test_tokens_are_shown_once_and_stored_hashed(db, w, client, auth):
    auth.login(w["qb"]["vnpt"].email)
    assert client.get("/account/tokens").status_code == 200
    response = client.post("/account/tokens", data={"name": "Hệ thống VNPT", "expires": "90"})
    assert response.status_code == 200
    secret = re.search(r"trk_[A-Za-z0-9_-]{43}", response.get_data(as_text=True)).group(0)
    token = db.session.scalar(sa.select(ApiToken))
    assert token.token_hash == hash_token(secret) and token.hint == secret[:12]
    assert token.user_id == w["qb"]["vnpt"].id and token.expires_on is not None
    assert response.headers["Cache-Control"] == "no-store"
    page = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in page and secret[:12] in page and "Hệ thống VNPT" in page


def test_revoking_a_token(db, w, client, auth):

    token, _secret = create_token(w["qb"]["dic"], name="a", days=None)
    other, _other_secret = create_token(w["vl"]["dic"], name="b", days=None)
    db.session.commit()
    auth.login(w["qb"]["dic"].email)
    assert client.get(f"/account/tokens/{token.id}/revoke").status_code == 405
    assert client.post(f"/account/tokens/{other.id}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert db.session.get(ApiToken, other.id).revoked_at is None


def test_token_forms_need_their_csrf_token(w, client, auth, app):

    token, _secret = create_token(w["qb"]["dic"], name="a", days=None)

    db.session.commit()
    auth.login(w["qb"]["dic"].email)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 400
        assert client.post("/account/tokens", data={"name": "x"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_a_name_is_required(w, client, auth):
    auth.login(w["qb"]["dic"].email)
    response = client.post("/account/tokens", data={"name": "  ", "expires": "30"})
    assert response.status_code == 400
    assert "trk_" not in re.sub(r"<code>trk_[^<]*…</code>", "", response.get_data(as_text=True))
