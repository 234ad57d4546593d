"""The issue's journey on a phone: a VNPT reporter at 390 px hears through the bell that the DIC
returned their report, reads the verifier's comment next to the indicator it concerns, corrects
and resubmits; the DIC is told of the resubmission. Real headless Chromium."""

from tests.conftest import sign_in

PHONE = {"width": 390, "height": 844}


def test_a_vnpt_reporter_on_a_phone_is_told_of_a_return_and_corrects_by_the_field_comment(
    app, db, rw, server_url, browser
):
    qb = rw["qb"]
    base, indicator = server_url, qb["indicator"]

    # The reporter submits from a phone.
    vnpt = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
    sign_in(vnpt, base, qb["vnpt"].email)
    vnpt.goto(f"{base}/commitments/{qb['commitment'].id}")
    vnpt.click("#reports a.btn-primary")
    vnpt.fill("#percent_complete", "40")
    vnpt.select_option("#completion", "limited")
    vnpt.fill(f"#v_{indicator.id}", "75")
    vnpt.fill("#narrative", "Đã lắp đặt 2/5 trạm BTS.")
    vnpt.click("button[value=submit]")
    vnpt.wait_for_selector(".badge:has-text('Chờ xác minh')")
    report_url = vnpt.url

    # The DIC, at a desk, returns it with a reason and a comment on the indicator.
    dic = browser.new_context(locale="vi-VN").new_page()
    sign_in(dic, base, qb["dic"].email)
    assert dic.locator("a.bell .bell-count").inner_text().startswith("1")
    dic.goto(report_url)
    dic.fill("#reason", "Số liệu chưa khớp biên bản nghiệm thu")
    dic.fill(f"#note_indicator_{indicator.id}", "Biên bản ghi 60, không phải 75")
    dic.click("button:has-text('Trả lại để bổ sung')")
    dic.wait_for_url(f"{base}/review")

    # On the phone: the bell in the folded header shows the unread notice.
    vnpt.goto(f"{base}/")
    bell = vnpt.locator("a.bell")
    assert bell.is_visible()
    assert vnpt.locator("header.topbar").bounding_box()["height"] <= 120
    assert bell.locator(".bell-count").inner_text().startswith("1")
    bell.click()
    vnpt.wait_for_url(f"{base}/notifications")
    notice = vnpt.locator(".notification").first
    assert "trả lại" in notice.inner_text().lower()
    assert "Số liệu chưa khớp biên bản nghiệm thu" in notice.inner_text()
    notice.locator("a").first.click()
    vnpt.wait_for_url(report_url)
    assert vnpt.evaluate("document.documentElement.scrollWidth <= innerWidth")
    # The reason sits at the top of the report page.
    assert "Số liệu chưa khớp biên bản nghiệm thu" in vnpt.inner_text("main .alert")

    # The form shows the verifier's comment next to the indicator's field.
    vnpt.click("header a:has-text('Sửa')")
    field = vnpt.locator(f".field:has(#v_{indicator.id})")
    assert "Biên bản ghi 60, không phải 75" in field.locator(".field-note").inner_text()
    assert vnpt.evaluate("document.documentElement.scrollWidth <= innerWidth")
    vnpt.fill(f"#v_{indicator.id}", "60")
    vnpt.click("button[value=submit]")
    vnpt.wait_for_selector(".badge:has-text('Chờ xác minh')")
    assert vnpt.locator("a.bell .bell-count").count() == 0  # the notice was read on opening

    # The DIC hears of the resubmission.
    dic.goto(f"{base}/notifications")
    assert dic.locator(".notification.unread").count() >= 1
    assert qb["commitment"].code in dic.inner_text(".notifications") or qb[
        "commitment"
    ].title in dic.inner_text(".notifications")
