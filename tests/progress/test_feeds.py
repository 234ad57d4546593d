"""The personal calendar feed (RFC 5545) and the page that creates its secret address."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.progress import app_with_todo, period, quiet, sign
from tracker.auth.models import User
from tracker.clock import local_today
from tracker.progress.feeds import fold_line, ical_escape

LONG_TITLE = (
    "Hoàn thành lắp đặt, nghiệm thu; bàn giao hệ thống camera giám sát giao thông "
    "tại 151/151 xã, phường, thị trấn \\ đưa vào vận hành"
)


@pytest.fixture(scope="module")
def app(app):
    return app_with_todo(app)


def _token(db, user_id):
    db.session.expire_all()
    return db.session.get(User, user_id).calendar_token


def _subscribe(client, auth, db, user):
    auth.login(user.email)
    assert client.post("/account/calendar", data={"action": "renew"}).status_code == 302
    auth.logout()
    return _token(db, user.id)


def _unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def _world_with_deadlines():
    today = local_today()
    w = quiet(factories.world())
    qb = w["qb"]
    a = sign(qb["agreement"])
    m = factories.milestone(qb["commitment"], title=LONG_TITLE, due_on=today + timedelta(days=90))
    d = factories.directive(
        a, qb["branch"], text="Báo cáo UBND tỉnh\ntrước cuộc họp", due_on=today + timedelta(days=3)
    )
    factories.directive(a, qb["branch"], text="Không có hạn")
    p = period(a, starts_on=today - timedelta(days=20), deadline_on=today + timedelta(days=10))
    factories.db.session.commit()
    return w, m, d, p


def test_feed_is_valid_icalendar_with_the_users_deadlines(client, auth, db):
    w, m, d, p = _world_with_deadlines()
    qb = w["qb"]
    token = _subscribe(client, auth, db, qb["vnpt"])
    assert token and len(token) >= 32

    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.get_data()
    body = raw.decode("utf-8")
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and body.endswith(
        "END:VCALENDAR\r\n"
    )
    assert "\n" not in body.replace("\r\n", "")  # CRLF only
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"
    assert "\r\n " in body  # the long Vietnamese title was folded

    lines = _unfold(body)
    assert lines.count("BEGIN:VEVENT") == 3 == lines.count("END:VEVENT")  # no event without a date
    assert f"UID:milestone-{m.id}@tracker" in lines
    assert f"UID:directive-{d.id}@tracker" in lines
    assert f"UID:report-due-{qb['commitment'].id}-{p.id}@tracker" in lines
    assert f"DTSTART;VALUE=DATE:{m.due_on:%Y%m%d}" in lines
    assert f"DTEND;VALUE=DATE:{m.due_on + timedelta(days=1):%Y%m%d}" in lines
    assert sum(line.startswith("DTSTAMP:") for line in lines) == 3
    summary = next(line for line in lines if line.startswith("SUMMARY:") and "151" in line)
    assert ical_escape(LONG_TITLE) in summary
    assert "lắp đặt\\, nghiệm thu\\; bàn giao" in summary and "thị trấn \\\\ đưa" in summary
    assert any("Báo cáo UBND tỉnh\\ntrước cuộc họp" in line for line in lines)
    assert f"URL:http://localhost/commitments/{qb['commitment'].id}#milestones" in lines
    assert f"URL:http://localhost/commitments/{qb['commitment'].id}/reports/{p.id}" in lines

    # UIDs are stable from one fetch to the next.
    again = _unfold(client.get(f"/calendar/{token}.ics").get_data(as_text=True))
    assert [x for x in lines if x.startswith("UID:")] == [x for x in again if x.startswith("UID:")]


def test_feed_lists_only_the_users_own_items(client, auth, db):
    w, *_ = _world_with_deadlines()
    token = _subscribe(client, auth, db, w["vl"]["vnpt"])
    body = client.get(f"/calendar/{token}.ics").get_data(as_text=True)
    assert "BEGIN:VCALENDAR" in body and "BEGIN:VEVENT" not in body


@pytest.mark.parametrize("token", ["x" * 43, "short", "%00" * 12])
def test_unknown_token_is_404(client, db, token):
    quiet(factories.world())
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_disabled_user_feed_is_404(client, auth, db):
    w, *_ = _world_with_deadlines()
    user = w["qb"]["vnpt"]
    token = _subscribe(client, auth, db, user)
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    db.session.execute(sa.update(User).where(User.id == user.id).values(active=False))
    db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_regenerating_invalidates_the_old_address(client, auth, db):
    w, *_ = _world_with_deadlines()
    user = w["qb"]["vnpt"]
    auth.login(user.email)
    page = client.get("/account/calendar")
    assert page.status_code == 200
    assert "/calendar/" not in page.get_data(as_text=True)  # no address yet

    client.post("/account/calendar", data={"action": "renew"})
    old = _token(db, user.id)
    page = client.get("/account/calendar").get_data(as_text=True)
    assert f"http://localhost/calendar/{old}.ics" in page

    client.post("/account/calendar", data={"action": "renew"})
    new = _token(db, user.id)
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200

    client.post("/account/calendar", data={"action": "disable"})
    assert _token(db, user.id) is None
    assert client.get(f"/calendar/{new}.ics").status_code == 404


def test_a_post_without_an_action_changes_nothing(client, auth, db):
    w = quiet(factories.world())
    user = w["qb"]["vnpt"]
    auth.login(user.email)
    assert client.post("/account/calendar", data={}).status_code == 200
    assert _token(db, user.id) is None


def test_calendar_page_needs_sign_in(client):
    assert client.get("/account/calendar").status_code == 302
    assert client.post("/account/calendar").status_code == 302


def test_fold_line_never_splits_a_character():
    line = "SUMMARY:" + "ệ" * 60  # 3 octets each
    folded = fold_line(line)
    parts = folded.encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in parts)
    assert all(p.startswith(b" ") for p in parts[1:])
    for p in parts:
        p.decode("utf-8")  # every physical line is whole UTF-8
    assert folded.replace("\r\n ", "") == line
    assert fold_line("A" * 75) == "A" * 75
    assert fold_line("A" * 76) == "A" * 75 + "\r\n A"


def test_ical_escape():
    assert ical_escape("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert re.fullmatch(r"[^\r\n]*", ical_escape("x\ny\rz"))
