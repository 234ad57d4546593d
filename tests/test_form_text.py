"""Every form stores text clean, as the API and the importers do (tracker/text.py): control
characters never reach the database, one-line values (names, codes, e-mail addresses) never keep
a line break, text areas keep their line breaks. So an exported file always imports back and a
name never breaks an e-mail header."""

import pytest
import sqlalchemy as sa
from wtforms import PasswordField, StringField, TextAreaField

from tests import factories
from tests.interop import reporting_world
from tests.progress.test_workflow import report_data, report_url, the_report
from tracker.agreements.models import Agreement
from tracker.auth.models import Role, User
from tracker.forms import BaseForm, multi_line_text, one_line_text, strip_nfc
from tracker.org.models import Unit

#: What a user (or a pasted text) may slip into a field, and what is stored of a one-line value.
DIRTY = {
    "nul": ("Quảng\x00Trị", "Quảng Trị"),
    "bell": ("Quảng\x07 Trị", "Quảng Trị"),
    "escape": ("\x1b[31mQuảng Trị", "[31mQuảng Trị"),
    "u0001": ("\x01Quảng Trị", "Quảng Trị"),
    "crlf": ("Quảng\r\nTrị", "Quảng Trị"),
    "lf": ("Quảng\nBcc: x@evil.example", "Quảng Bcc: x@evil.example"),
    "tab": ("Quảng\tTrị", "Quảng Trị"),
    "del": ("Quảng\x7fTrị", "Quảng Trị"),
}


@pytest.mark.parametrize(("dirty", "clean"), DIRTY.values(), ids=DIRTY.keys())
def test_one_line_text_loses_control_characters(dirty, clean):
    assert one_line_text(dirty) == clean


def test_text_areas_keep_their_line_breaks_only():
    assert multi_line_text("Dòng 1\r\nDòng\x00 2\x1b\rDòng 3\x07") == "Dòng 1\nDòng 2\nDòng 3"


def test_every_text_field_of_every_form_is_filtered(app):
    """No form escapes the filter: every text field of every BaseForm gets one, by its kind."""
    forms, todo = set(), [BaseForm]
    while todo:
        cls = todo.pop()
        forms.add(cls)
        todo.extend(cls.__subclasses__())
    fields = 0
    with app.test_request_context():
        for cls in forms - {BaseForm}:
            for field in cls(meta={"csrf": False}):
                if isinstance(field, PasswordField):
                    expected = strip_nfc
                elif isinstance(field, TextAreaField):
                    expected = multi_line_text
                elif isinstance(field, StringField):
                    expected = one_line_text
                else:
                    continue
                fields += 1
                assert field.filters[0] is expected, f"{cls.__name__}.{field.name}"
    assert fields > 50


@pytest.mark.parametrize(("dirty", "clean"), DIRTY.values(), ids=DIRTY.keys())
def test_an_agreement_keeps_no_control_character(client, auth, db, dirty, clean):
    w = factories.world()
    auth.login(w["qb"]["dic"].email)
    response = client.post(
        "/agreements/new",
        data={
            "code": "QB-VNPT-2026\x00",
            "title": f"Thỏa thuận {dirty}",
            "province_id": w["qb"]["province"].id,
            "partner": f"VNPT {dirty}",
            "period_start": "2026-01-01",
            "period_end": "2030-12-31",
            "legal_bases": f"Nghị quyết 36a\r\n{dirty}\x1b",
            "description": f"Mục tiêu\x00 {dirty}\r\nDòng 2",
        },
    )
    assert response.status_code == 302
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == "QB-VNPT-2026"))
    assert agreement.partner == f"VNPT {clean}"
    for text in (agreement.title, agreement.description, *agreement.legal_bases):
        assert not any(ord(c) < 32 and c not in "\n\t" for c in text), repr(text)
    assert agreement.description.endswith("\nDòng 2")


@pytest.mark.parametrize(("dirty", "clean"), DIRTY.values(), ids=DIRTY.keys())
def test_a_unit_name_keeps_no_control_character(client, auth, db, dirty, clean):
    w = factories.world()
    auth.login(w["admin"].email)
    response = client.post(
        "/admin/units/new",
        data={
            "code": "SKHCN-qb",
            "name": f"Sở {dirty}",
            "short_name": dirty,
            "kind": "department",
            "side": "province",
            "province_id": str(w["qb"]["province"].id),
            "successor_id": "0",
        },
    )
    assert response.status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "SKHCN-qb"))
    assert (unit.name, unit.short_name) == (f"Sở {clean}", clean)


@pytest.mark.parametrize(("dirty", "clean"), DIRTY.values(), ids=DIRTY.keys())
def test_an_account_name_keeps_no_control_character(client, auth, db, dirty, clean):
    w = factories.world()
    auth.login(w["admin"].email)
    response = client.post(
        "/admin/users/new",
        data={
            "email": "nguyen.van.a@example.vn\r\n",
            "full_name": f"Nguyễn {dirty}",
            "role": "dic",
            "unit_id": str(w["qb"]["dic_unit"].id),
            "active": "y",
            "password": "mật khẩu đủ dài 2024",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "nguyen.van.a@example.vn"))
    assert user.full_name == f"Nguyễn {clean}" and user.role == Role.dic


@pytest.mark.parametrize(("dirty", "clean"), DIRTY.values(), ids=DIRTY.keys())
def test_a_report_narrative_keeps_its_lines_and_no_control_character(
    client, auth, db, dirty, clean
):
    w = reporting_world()
    auth.login(w["qb"]["vnpt"].email)
    narrative = f"Đã lắp đặt\x00 2/5 trạm BTS.\r\n{dirty}\x1b"
    response = client.post(report_url(w), data=report_data(w, action="save", narrative=narrative))
    assert response.status_code == 302
    stored = the_report(db, w).narrative
    assert stored.startswith("Đã lắp đặt 2/5 trạm BTS.\n")
    assert not any(ord(c) < 32 and c not in "\n\t" for c in stored), repr(stored)
