"""`tracker user create`."""

import sqlalchemy as sa

from tests import factories
from tracker.auth.models import Role, User
from tracker.org.models import Side, UnitKind


def _user(db, email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_create_admin_without_unit(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "user",
            "create",
            "Admin@Example.vn",
            "--role",
            "admin",
            "--password",
            "mật khẩu đủ dài 2026",
        ]
    )
    assert result.exit_code == 0, result.output
    user = _user(db, "admin@example.vn")
    assert user.role == Role.admin and user.unit is None
    assert user.check_password("mật khẩu đủ dài 2026")
    assert "mật khẩu" not in user.password_hash


def test_create_user_with_unit_and_prompted_password(app, db):
    factories.unit(factories.province(), kind=UnitKind.dic, code="STTTT-QB")
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["user", "create", "dic@example.vn", "--role", "dic", "--unit", "STTTT-QB"],
        input="correct horse battery\ncorrect horse battery\n",
    )
    assert result.exit_code == 0, result.output
    assert _user(db, "dic@example.vn").unit.code == "STTTT-QB"


def test_national_vnpt_user_defaults_to_headquarters(app, db):
    factories.unit(None, side=Side.vnpt, kind=UnitKind.vnpt_hq, code="VNPT")
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=[
            "user",
            "create",
            "hq@example.vn",
            "--role",
            "vnpt",
            "--password",
            "correct horse battery",
        ]
    )
    assert result.exit_code == 0, result.output
    assert _user(db, "hq@example.vn").is_national


def test_refusals_leave_nothing(app, db):
    factories.unit(factories.province(), kind=UnitKind.dic, code="STTTT-QB")
    db.session.commit()
    runner = app.test_cli_runner()
    cases = [
        (
            [
                "user",
                "create",
                "x@example.vn",
                "--role",
                "dic",
                "--password",
                "correct horse battery",
            ],
            "đơn vị",
        ),
        (
            [
                "user",
                "create",
                "x@example.vn",
                "--role",
                "dic",
                "--unit",
                "NOPE",
                "--password",
                "correct horse battery",
            ],
            "NOPE",
        ),
        (
            [
                "user",
                "create",
                "x@example.vn",
                "--role",
                "dic",
                "--unit",
                "STTTT-QB",
                "--password",
                "short",
            ],
            "12 ký tự",
        ),
        (
            [
                "user",
                "create",
                "not-an-email",
                "--role",
                "admin",
                "--password",
                "correct horse battery",
            ],
            "thư điện tử hợp lệ",
        ),
        (
            [
                "user",
                "create",
                "x@example.vn",
                "--role",
                "boss",
                "--password",
                "correct horse battery",
            ],
            "boss",
        ),
    ]
    for args, hint in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert hint in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_duplicate_email_is_refused(app, db):
    factories.user(Role.admin, email="a@example.vn")
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=[
            "user",
            "create",
            "A@example.vn",
            "--role",
            "admin",
            "--password",
            "correct horse battery",
        ]
    )
    assert result.exit_code != 0
