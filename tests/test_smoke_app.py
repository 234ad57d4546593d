"""The app starts with its configuration rules."""

import pytest

from tracker import create_app
from tracker.config import ProductionConfig


def test_production_refuses_default_secret_key(monkeypatch):
    class Prod(ProductionConfig):
        SECRET_KEY = "dev-only-secret-key-change-me"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod)


def test_production_refuses_short_secret_key():
    class Prod(ProductionConfig):
        SECRET_KEY = "short"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod)


def test_production_starts_with_a_real_key():
    class Prod(ProductionConfig):
        SECRET_KEY = "x" * 48
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEMO_ALLOWED"] is False


def test_sign_in_page_is_vietnamese_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'lang="vi"' in html
    assert "Đăng nhập" in html


def test_home_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
