"""Real headless Chromium (Debian's package, driven by Playwright) against a live server."""

from tests import factories
from tests.conftest import sign_in


def test_dic_creates_an_agreement_with_an_area_in_the_browser(app, db, server_url, browser):
    w = factories.world()
    page = browser.new_context(locale="vi-VN").new_page()
    sign_in(page, server_url, w["qb"]["dic"].email)
    page.click('nav.mainnav a[href="/agreements"]')
    page.click('a.btn-primary[href="/agreements/new"]')
    page.fill("#code", "QB-VNPT-2030")
    page.fill("#title", "Thỏa thuận hợp tác chiến lược về chuyển đổi số giai đoạn 2026 - 2030")
    page.select_option("#province_id", str(w["qb"]["province"].id))
    page.fill("#period_start", "2026-01-01")
    page.fill("#period_end", "2025-12-31")  # before the start: refused
    page.click("button.btn-primary")
    assert (
        page.locator(".field.has-error .error").first.inner_text()
        == "Ngày kết thúc phải sau ngày bắt đầu."
    )
    # The input is kept; correct the end and save.
    assert page.input_value("#code") == "QB-VNPT-2030"
    page.fill("#period_end", "2030-12-31")
    page.click("button.btn-primary")
    page.wait_for_url(f"{server_url}/agreements/QB-VNPT-2030")
    assert "Dự thảo" in page.inner_text(".eyebrow")
    page.click("#areas .card-head a.btn")
    page.fill("#code", "I")
    page.fill("#title", "Hạ tầng số")
    page.click("button.btn-primary")
    page.wait_for_url(f"{server_url}/agreements/QB-VNPT-2030")
    assert page.locator("#areas h3").first.inner_text() == "I. Hạ tầng số"
    assert "01/01/2026 – 31/12/2030" in page.inner_text(".facts")


def test_pages_fit_a_phone_screen(app, db, server_url, browser):
    w = factories.world()
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(page, server_url, w["qb"]["dic"].email)
    for path in (
        "/",
        "/agreements",
        f"/agreements/{w['qb']['agreement'].code}",
        f"/commitments/{w['qb']['commitment'].id}",
        f"/commitments/{w['qb']['commitment'].id}/edit",
    ):
        page.goto(server_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide"
