"""Security controls (docs/security.md maps each to OWASP ASVS 4.0.3): sessions that end for
real, throttled sign-in, password rules, CSRF on every state-changing request, headers, the
security log and generic error pages."""

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import IsolatedClient
from tracker import create_app
from tracker.auth.models import Role, User, UserSession
from tracker.config import TestingConfig
from tracker.security import local_path


def _user(db, **kw):
    user = factories.user(Role.dic, factories.unit(factories.province()), **kw)
    db.session.commit()
    return user


def _cookie(client):
    return client.get_cookie("session").value


def test_a_session_cookie_copied_before_sign_out_no_longer_works(app, client, auth, db):
    user = _user(db)
    auth.login(user.email)
    stolen = _cookie(client)
    assert client.get("/").status_code == 200
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_signing_out_ends_this_browser_only(app, client, auth, db):
    """Sign out on the phone: the desktop stays signed in; the phone's cookie, replayed, does
    not open a session; and each sign-in has a session row of its own, none left behind."""
    user = _user(db)
    desktop = app.test_client()
    desktop.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    auth.login(user.email)  # the phone
    phone_cookie = _cookie(client)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 2
    auth.logout()
    assert desktop.get("/").status_code == 200
    replay = app.test_client()
    replay.set_cookie("session", phone_cookie)
    assert replay.get("/").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 1


def test_a_disabled_account_loses_every_session_row(app, client, auth, db):
    user = _user(db)
    auth.login(user.email)
    db.session.expire_all()
    account = db.session.get(User, user.id)
    account.renew_session_token()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
    assert client.get("/").status_code == 302


def test_password_change_ends_other_sessions_but_not_this_one(app, client, auth, db):
    user = _user(db)
    auth.login(user.email)
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert other.get("/").status_code == 200
    new = "một câu mật khẩu mới rất dài"
    client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "new_password": new, "confirm": new},
    )
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_disabling_an_account_ends_its_sessions(app, client, auth, db):
    user = _user(db)
    auth.login(user.email)
    db.session.expire_all()
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_idle_and_absolute_session_limits(app, client, auth, db):
    user = _user(db)
    auth.login(user.email)
    with client.session_transaction() as s:
        s["seen_at"] = (
            datetime.now(UTC) - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        ).isoformat()
    assert client.get("/").status_code == 302
    auth.login(user.email)
    with client.session_transaction() as s:
        s["signed_in_at"] = (
            datetime.now(UTC) - timedelta(hours=app.config["SESSION_LIFETIME_HOURS"], minutes=1)
        ).isoformat()
    assert client.get("/").status_code == 302


def test_session_is_renewed_at_sign_in(app, client, auth, db):
    user = _user(db)
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    auth.login(user.email)
    with client.session_transaction() as s:
        assert "planted" not in s


def test_cookie_flags(app, client, auth, db):
    user = _user(db)
    response = auth.login(user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("exists", [True, False])
def test_sign_in_is_throttled_per_account_whether_or_not_it_exists(app, client, auth, db, exists):
    user = _user(db)
    email = user.email if exists else "nobody@example.vn"
    for _ in range(5):
        response = auth.login(email, "a wrong password!")
        assert "Địa chỉ thư điện tử hoặc mật khẩu không đúng" in response.get_data(as_text=True)
    locked = auth.login(email, factories.PASSWORD)
    assert locked.status_code == 429
    assert "tạm dừng 15 phút" in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_is_throttled_per_address(app, client, auth, db):
    user = _user(db)
    for n in range(20):
        auth.login(f"someone{n}@example.vn", "a wrong password!")
    assert auth.login(user.email).status_code == 429


@pytest.mark.parametrize(
    "password", ["matkhau12345", "Password1234", "qwertyuiop12", "11111111111"]
)
def test_weak_passwords_are_refused(app, client, auth, db, password):
    admin = factories.user(Role.admin)
    db.session.commit()
    auth.login(admin.email)
    response = client.post(
        "/admin/users/new",
        data={
            "email": "moi@example.vn",
            "full_name": "Mới",
            "role": "admin",
            "unit_id": "0",
            "active": "y",
            "password": password,
        },
    )
    assert response.status_code == 200
    assert db.session.scalar(sa.select(User).where(User.email == "moi@example.vn")) is None


def test_long_passphrase_is_accepted(app, client, auth, db):
    admin = factories.user(Role.admin)
    db.session.commit()
    auth.login(admin.email)
    phrase = "hôm nay trời Quảng Trị nắng đẹp và gió nhẹ " * 4
    client.post(
        "/admin/users/new",
        data={
            "email": "moi@example.vn",
            "full_name": "Mới",
            "role": "admin",
            "unit_id": "0",
            "active": "y",
            "password": phrase.strip(),
        },
    )
    assert db.session.scalar(sa.select(User).where(User.email == "moi@example.vn")).check_password(
        phrase.strip()
    )


@pytest.fixture
def csrf_client(app):
    """A second app on the same database with CSRF on, as in production."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        UPLOAD_FOLDER = app.config["UPLOAD_FOLDER"]
        WTF_CSRF_ENABLED = True

    secured = create_app(Config)
    secured.test_client_class = IsolatedClient
    return secured, secured.test_client()


def _token(client, path):
    html = client.get(path).get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_csrf_is_required_on_sign_out_and_everywhere_outside_forms(csrf_client, db):
    secured, client = csrf_client
    user = _user(db)
    token = _token(client, "/login")
    client.post(
        "/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert client.post("/logout").status_code == 400
    assert client.post("/language", data={"lang": "en"}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    for rule in secured.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "static":
            continue
        view = secured.view_functions[rule.endpoint]
        blueprint = rule.endpoint.split(".")[0]
        if (
            getattr(view, "_csrf_in_form", False)
            or blueprint in secured.config["CSRF_FORM_BLUEPRINTS"]
        ):
            continue
        if blueprint in secured.config["CSRF_EXEMPT_BLUEPRINTS"]:
            continue
        path = rule.rule.replace("<", "").replace(">", "")
        for arg in rule.arguments:
            path = path.replace(f"int:{arg}", "1").replace(arg, "1")
        assert client.post(path).status_code == 400, rule.rule


def test_an_expired_form_keeps_the_input(csrf_client, db):
    secured, client = csrf_client
    w = factories.world()
    token = _token(client, "/login")
    client.post(
        "/login",
        data={"email": w["qb"]["dic"].email, "password": factories.PASSWORD, "csrf_token": token},
    )
    long_text = "Báo cáo rất dài " * 200
    response = client.post(
        f"/agreements/{w['qb']['agreement'].code}/areas/new",
        data={
            "code": "IX",
            "title": "Lĩnh vực mới",
            "description": long_text,
            "csrf_token": "expired-or-forged",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Biểu mẫu đã hết hạn" in page or "hết hạn" in page
    assert long_text.strip() in page
    db.session.expire_all()
    assert len(db.session.get(type(w["qb"]["agreement"]), w["qb"]["agreement"].id).areas) == 1


def test_security_headers(app, client, auth, db):
    user = _user(db)
    anonymous = client.get("/login")
    csp = anonymous.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "frame-ancestors 'none'" in csp
        and "unsafe-inline" not in csp
    )
    assert anonymous.headers["X-Content-Type-Options"] == "nosniff"
    assert anonymous.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in anonymous.headers
    assert client.get("/login", base_url="https://tracker.example.vn").headers[
        "Strict-Transport-Security"
    ]
    auth.login(user.email)
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_security_log_escapes_control_characters(app, client, auth, db, caplog):
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        auth.login("evil\n\x1b[31m@example.vn", "a wrong password!")
    lines = [r.getMessage() for r in caplog.records if r.name == "tracker.security"]
    assert lines, "nothing logged"
    entry = json.loads(lines[-1])
    assert entry["event"] == "sign_in_failed"
    assert "\n" not in lines[-1] and "\x1b" not in lines[-1]
    assert "a wrong password" not in lines[-1]


def test_server_errors_show_a_generic_page_with_an_incident_number(app, db, caplog):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        TESTING = False
        PROPAGATE_EXCEPTIONS = False

    broken = create_app(Config)

    @broken.route("/boom")
    def boom():
        raise RuntimeError("database password is hunter2")

    with caplog.at_level(logging.ERROR):
        response = broken.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "hunter2" not in page and "Traceback" not in page
    incident = page.split("Mã sự cố: ")[1][:12] if "Mã sự cố: " in page else None
    assert incident and any(incident in r.getMessage() for r in caplog.records)


def test_remember_me_outlives_the_session_cookie_but_not_sign_out(app, client, db):
    user = _user(db)
    client.post(
        "/login", data={"email": user.email, "password": factories.PASSWORD, "remember": "y"}
    )
    remembered = client.get_cookie("remember_token")
    assert remembered is not None and remembered.http_only
    client.delete_cookie("session")  # the browser was closed
    assert client.get("/").status_code == 200  # signed in again from the remember-me cookie
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("remember_token", remembered.value)
    assert replay.get("/").status_code == 302


# -- redirect targets taken from the request -----------------------------------------------------

HOSTILE_TARGETS = [
    "//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "/ /evil.example",
    "\x00//evil.example",
    "/\x00/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "agreements",
    "",
    None,
]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_only_local_paths_are_redirect_targets(target):
    assert local_path(target) is None


@pytest.mark.parametrize("target", ["/agreements", "/agreements/QB-2020#areas", "/todo?open=1"])
def test_local_paths_are_kept(target):
    assert local_path(target) == target


@pytest.mark.parametrize("target", [t for t in HOSTILE_TARGETS if t])
def test_a_delete_never_redirects_off_site(client, auth, db, target):
    w = factories.world()
    auth.login(w["qb"]["dic"].email)
    milestone_id = w["qb"]["milestone"].id
    response = client.post(f"/delete/milestone/{milestone_id}", data={"back": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/agreements/QB-2020"


@pytest.mark.parametrize("target", [t for t in HOSTILE_TARGETS if t])
def test_sign_in_never_redirects_off_site(client, db, target):
    user = _user(db)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
