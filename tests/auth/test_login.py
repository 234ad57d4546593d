"""Signing in and out, language choice, safe redirects."""

import pytest

from tests import factories
from tracker.auth.models import Role


def test_sign_in_and_out(client, auth, db):
    user = factories.user(Role.dic, factories.unit(factories.province()))
    db.session.commit()
    response = auth.login(user.email.upper())
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    # Sign-out is a POST; a GET does nothing.
    assert client.get("/logout").status_code == 405
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("password", ["wrong password!", ""])
def test_wrong_password_gets_the_same_message_as_unknown_account(client, auth, db, password):
    user = factories.user(Role.dic, factories.unit(factories.province()))
    db.session.commit()
    wrong = auth.login(user.email, password).get_data(as_text=True)
    unknown = auth.login("nobody@example.vn", "whatever password").get_data(as_text=True)
    if password:
        assert "Địa chỉ thư điện tử hoặc mật khẩu không đúng" in wrong
        assert "Địa chỉ thư điện tử hoặc mật khẩu không đúng" in unknown
    else:
        assert "Trường này là bắt buộc" in wrong
    assert client.get("/").status_code == 302


def test_disabled_account_cannot_sign_in(client, auth, db):
    user = factories.user(Role.dic, factories.unit(factories.province()), active=False)
    db.session.commit()
    auth.login(user.email)
    assert client.get("/").status_code == 302


def test_next_redirect_only_to_a_local_path(client, auth, db):
    user = factories.user(Role.admin)
    db.session.commit()
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post(
        "/login?next=/directives", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/directives"


def test_language_switch_to_english_and_back(client, auth, db):
    user = factories.user(Role.admin)
    db.session.commit()
    auth.login(user.email)
    client.post("/language", data={"lang": "en", "next": "/agreements"})
    page = client.get("/agreements").get_data(as_text=True)
    assert 'lang="en"' in page and "Agreements" in page
    client.post("/language", data={"lang": "vi"})
    page = client.get("/agreements").get_data(as_text=True)
    assert 'lang="vi"' in page and "Thỏa thuận" in page


def test_user_changes_own_password(client, auth, db):
    user = factories.user(Role.admin)
    db.session.commit()
    auth.login(user.email)
    short = client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "new_password": "short", "confirm": "short"},
    )
    assert "ít nhất 12 ký tự" in short.get_data(as_text=True)
    new = "một câu mật khẩu dài và dễ nhớ"
    ok = client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "new_password": new, "confirm": new},
    )
    assert ok.status_code == 302
    auth.logout()
    assert auth.login(user.email, new).status_code == 302
