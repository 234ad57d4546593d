"""Whatever a user types into the address bar answers a page or a 404, never a server error:
pagers keep the page's own path, and ids or page numbers beyond the database's integer range
match nothing."""

import pytest

from tests import factories
from tests.conftest import text_of
from tracker.audit import AuditEntry

HUGE = 99999999999


def _many_history_entries(db, agreement, n=120):
    for i in range(n):
        db.session.add(
            AuditEntry(
                action="update",
                entity_type="agreement",
                entity_id=agreement.id,
                agreement_id=agreement.id,
                changes={"title": [f"Tên {i}", f"Tên {i + 1}"]},
            )
        )
    db.session.commit()


@pytest.mark.parametrize("who", ["admin", "dic", "vnpt", "leader"])
def test_the_agreement_history_pages_through_long_histories(client, auth, db, who):
    w = factories.world()
    _many_history_entries(db, w["qb"]["agreement"])
    user = w["admin"] if who == "admin" else w["qb"][who]
    auth.login(user.email)
    first = client.get("/agreements/QB-2020/history")
    assert first.status_code == 200
    assert "/agreements/QB-2020/history?page=2" in first.get_data(as_text=True)
    second = client.get("/agreements/QB-2020/history?page=2")
    assert second.status_code == 200
    assert "Trang 2/3" in text_of(second)
    body = second.get_data(as_text=True)
    assert "/agreements/QB-2020/history?page=1" in body
    assert "/agreements/QB-2020/history?page=3" in body


def test_the_admin_history_pager_keeps_its_filters(client, auth, db):
    w = factories.world()
    _many_history_entries(db, w["qb"]["agreement"])
    auth.login(w["admin"].email)
    response = client.get("/admin/history?entity=agreement")
    assert response.status_code == 200
    assert "entity=agreement" in response.get_data(as_text=True).split('class="pager"')[1]


#: A few pages of each blueprint that take an id in their path.
ID_ROUTES = [
    "/commitments/{n}",
    "/commitments/{n}/edit",
    "/areas/{n}/edit",
    "/documents/{n}",
    "/directives/{n}",
    "/directives/{n}/edit",
    "/indicators/{n}/measurements/new",
    "/reports/{n}",
    "/periods/{n}",
    "/evidence/{n}",
    "/evidence/{n}/thumbnail",
    "/extensions/{n}",
    "/commitments/1/reports/{n}",
    "/commitments/{n}/reports/1",
    "/generated/{n}.pdf",
    "/admin/units/{n}/edit",
    "/admin/provinces/{n}/edit",
    "/admin/users/{n}/edit",
]


@pytest.mark.parametrize("n", [HUGE, 2**31, 10**30])
@pytest.mark.parametrize("route", ID_ROUTES)
def test_ids_beyond_the_integer_range_are_not_found(client, auth, db, route, n):
    w = factories.world()
    auth.login(w["admin"].email)
    response = client.get(route.format(n=n))
    assert response.status_code == 404


@pytest.mark.parametrize("n", [HUGE, 2**31, 10**30])
@pytest.mark.parametrize(
    "route", ["/delete/milestone/{n}", "/reports/{n}/submit", "/account/tokens/{n}/revoke"]
)
def test_actions_on_ids_beyond_the_range_are_not_found(client, auth, db, route, n):
    w = factories.world()
    auth.login(w["admin"].email)
    assert client.post(route.format(n=n)).status_code == 404


def test_the_largest_id_is_still_a_plain_not_found(client, auth, db):
    w = factories.world()
    auth.login(w["admin"].email)
    assert client.get(f"/commitments/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize(
    "route",
    ["/agreements", "/directives", "/agreements/QB-2020/history", "/admin/history"],
)
@pytest.mark.parametrize("page", [str(HUGE), str(10**30), "0", "-1", "abc"])
def test_page_numbers_beyond_the_range_are_not_found(client, auth, db, route, page):
    w = factories.world()
    auth.login(w["admin"].email)
    assert client.get(route, query_string={"page": page}).status_code == 404


@pytest.mark.parametrize("route", ["/agreements", "/directives", "/admin/history"])
def test_a_page_after_the_last_one_is_empty_not_an_error(client, auth, db, route):
    w = factories.world()
    auth.login(w["admin"].email)
    assert client.get(route, query_string={"page": "5000"}).status_code == 200


@pytest.mark.parametrize("arg", ["province", "actor", "area"])
@pytest.mark.parametrize("value", [str(HUGE), str(10**30), "x"])
def test_filter_ids_beyond_the_range_filter_nothing_out(client, auth, db, arg, value):
    w = factories.world()
    auth.login(w["admin"].email)
    for route in ("/agreements", "/admin/history", "/agreements/QB-2020/commitments/new"):
        assert client.get(route, query_string={arg: value}).status_code == 200


@pytest.mark.parametrize(
    "route",
    [
        "/dashboard?province={v}",
        "/agreements/QB-2020/dashboard?area={v}&unit={v}",
        "/agreements/QB-2020/commitments?area={v}&unit={v}",
    ],
)
@pytest.mark.parametrize("value", [str(HUGE), str(10**30), "x"])
def test_dashboard_filters_beyond_the_range_filter_nothing_out(client, auth, db, route, value):
    """Fails (SQLite: OverflowError; PostgreSQL: integer out of range) until
    tracker/progress/dashboard.py reads its filter ids with
    tracker.forms.int_arg (it uses request.args.get(..., type=int): OverflowError, a 500).
    The commitments list refuses an area or unit it does not offer with a 400 that says so
    (tracker.listing)."""
    w = factories.world()
    auth.login(w["admin"].email)
    # 404: no such province; 400: a list's filter value it does not offer
    assert client.get(route.format(v=value)).status_code in (200, 400, 404)
