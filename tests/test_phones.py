"""The product on a 390 px phone, in headless Chromium on the demo data: no page scrolls sideways
(neither the page nor a table inside it), the header keeps to 120 px with its sections behind a
menu button, and tables read as blocks whose cells say what they are. At 1280 px the same tables
are still tables."""

import pytest

from tests.conftest import sign_in

pytestmark = pytest.mark.demo_data

#: The demo accounts' password (tracker/demo/data/reference.json).
PASSWORD = "Demo-2026-tracker"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

#: The demo agreements of Quảng Bình (now Quảng Trị): the current one and the closed one.
CURRENT, CLOSED = "QB-VNPT-2020", "QB-VNPT-2015"

#: What scrolls sideways: the page itself, or any box inside it that scrolls (a table's wrapper).
SIDEWAYS = """() => {
  const root = document.documentElement, found = [];
  if (root.scrollWidth > root.clientWidth) found.push(["page", root.scrollWidth]);
  for (const el of document.querySelectorAll("body *")) {
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth + 1) {
      const caption = el.querySelector("caption");
      found.push([caption ? caption.textContent.trim() : el.className, el.scrollWidth]);
    }
  }
  return found;
}"""

#: The column label a cell shows before its value (the ::before content of its data-label).
LABEL_SHOWN = """(cell) => {
  const before = getComputedStyle(cell, "::before").content;
  return before === "none" ? "" : before.replace(/^"|"$/g, "");
}"""


def _first_href(page, selector):
    return page.locator(selector).first.get_attribute("href")


def _pages(page, base, role):
    """The pages each role uses, found by following the links a user would follow."""
    if role == "dic":
        page.goto(f"{base}/agreements/{CURRENT}/periods")
        period = _first_href(page, "table a[href^='/periods/']")
        page.goto(f"{base}/review")
        report = _first_href(page, "table a[href^='/reports/']")
        page.goto(f"{base}/agreements/{CURRENT}")
        commitment = _first_href(page, "#areas table a[href^='/commitments/']")
        return [
            "/",
            "/todo",
            "/dashboard",
            f"/agreements/{CLOSED}/dashboard",
            f"/agreements/{CURRENT}/dashboard",
            f"/agreements/{CURRENT}",
            f"/agreements/{CURRENT}/periods",
            period,
            "/review",
            report,
            "/directives",
            f"/agreements/{CURRENT}/reports",
            commitment,
            f"/agreements/{CURRENT}/commitments",
            f"/agreements/{CURRENT}/history",
            "/account/tokens",
        ]
    if role == "vnpt":
        page.goto(f"{base}/agreements/{CURRENT}")
        commitment = _first_href(page, "#areas table a[href^='/commitments/']")
        page.goto(base + commitment)
        report = _first_href(page, "table a[href^='/reports/']")
        return ["/", "/todo", "/directives", commitment, report, f"/agreements/{CURRENT}"]
    if role == "leader":
        return ["/", "/dashboard", f"/agreements/{CLOSED}/dashboard", "/directives"]
    if role == "admin":
        return [
            "/admin/units",
            "/admin/users",
            "/admin/provinces",
            "/admin/history",
            "/review",
            "/dashboard",
            "/directives",
        ]
    return ["/", "/dashboard", "/directives", "/todo"]  # national VNPT: the table by province


ROLES = {
    "dic": "dic.quangtri@demo.vn",
    "vnpt": "vnpt.quangtri@demo.vn",
    "leader": "leader.quangtri@demo.vn",
    "admin": "admin@demo.vn",
    "national_vnpt": "vnpt.hq@demo.vn",
}


@pytest.fixture(scope="module")
def generated_review(demo, server_url, browser):
    """A review generated through its page, so that the list of generated reviews has a row."""
    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, server_url, ROLES["dic"], PASSWORD)
    page.goto(f"{server_url}/agreements/{CURRENT}/reports")
    page.click("form.form-grid button.btn-primary")
    page.wait_for_url(f"{server_url}/agreements/{CURRENT}/reports#history")
    assert page.locator("#history tbody a[href^='/generated/'][href$='.pdf']").count() == 1
    page.context.close()


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_on_a_phone(
    app, demo, generated_review, server_url, browser, role
):
    page = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
    sign_in(page, server_url, ROLES[role], PASSWORD)
    problems = {}
    paths = _pages(page, server_url, role)
    assert all(paths), paths
    for path in paths:
        page.goto(server_url + path)
        found = []
        if sideways := page.evaluate(SIDEWAYS):
            found.append(f"scrolls sideways: {sideways}")
        header = page.locator("header.topbar").bounding_box()["height"]
        if header > 120:
            found.append(f"header is {header:.0f}px high")
        if found:
            problems[path] = found
    page.context.close()
    assert problems == {}


def test_a_table_reads_as_labelled_blocks_on_a_phone_and_stays_a_table_on_a_desktop(
    app, demo, generated_review, server_url, browser
):
    seen = {}
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = browser.new_context(viewport=viewport, locale="vi-VN").new_page()
        sign_in(page, server_url, ROLES["dic"], PASSWORD)
        page.goto(f"{server_url}/agreements/{CLOSED}/dashboard")
        table = page.locator("table:has(caption:text-is('Mức độ hoàn thành theo lĩnh vực'))")
        row = table.locator("tbody tr").first
        count, title = row.locator("td[data-figure=count]"), row.locator("td").first
        seen[name] = {
            "cell": count.evaluate("c => getComputedStyle(c).display"),
            "label": count.evaluate(LABEL_SHOWN),
            # on the phone the column headers are left to screen readers (a 1 px clipped box)
            "header shown": table.locator("thead").bounding_box()["width"] > 2,
            # on the phone the figure sits under the area's title, not beside it
            "under the title": count.bounding_box()["y"]
            >= title.bounding_box()["y"] + title.bounding_box()["height"] - 1,
            "sideways": page.evaluate(SIDEWAYS),
        }
        page.goto(f"{server_url}/agreements/{CURRENT}/reports")
        pages = page.locator("#history tbody tr").first.locator("td.num")
        seen[name]["review label"] = pages.evaluate(LABEL_SHOWN)
        page.context.close()
    assert seen["phone"] == {
        "cell": "block",
        "label": "Cam kết: ",
        "header shown": False,
        "under the title": True,
        "sideways": [],
        "review label": "Số trang: ",
    }
    assert seen["desktop"] == {
        "cell": "table-cell",
        "label": "",
        "header shown": True,
        "under the title": False,
        "sideways": [],
        "review label": "",
    }


def test_the_header_folds_its_menu_on_a_phone(app, demo, server_url, browser):
    page = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
    sign_in(page, server_url, ROLES["dic"], PASSWORD)
    toggle = page.locator(".topbar .menu-toggle")
    review = page.locator("nav.mainnav a[href='/review']")
    sign_out = page.locator(".userbox button:has-text('Đăng xuất')")
    assert toggle.inner_text() == "Danh mục"
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not review.is_visible() and not sign_out.is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert review.is_visible() and sign_out.is_visible()
    page.keyboard.press("Escape")  # closes it again, focus back on the button
    assert not review.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
    toggle.click()
    review.click()
    page.wait_for_url(f"{server_url}/review")
    assert page.locator("h1").inner_text() == "Cần xác minh"
    page.context.close()


@pytest.mark.parametrize(
    "viewport, scripts", [(DESKTOP, True), (PHONE, False)], ids=["desktop", "phone-no-script"]
)
def test_the_header_shows_everything_on_a_desktop_or_without_scripts(
    app, demo, server_url, browser, viewport, scripts
):
    page = browser.new_context(viewport=viewport, java_script_enabled=scripts).new_page()
    sign_in(page, server_url, ROLES["dic"], PASSWORD)
    assert not page.locator(".topbar .menu-toggle").is_visible()
    assert page.locator("nav.mainnav a[href='/review']").is_visible()
    assert page.locator(".userbox button:has-text('Đăng xuất')").is_visible()
    page.context.close()
