"""The whole reporting loop in headless Chromium: VNPT submits with evidence, the DIC returns it,
VNPT revises and resubmits, the DIC verifies, and the dashboard changes."""

from tests.conftest import sign_in
from tests.progress.test_workflow import PDF


def test_report_return_resubmit_verify_in_the_browser(app, db, rw, server_url, browser, tmp_path):
    qb = rw["qb"]
    evidence = tmp_path / "Biên bản nghiệm thu.pdf"
    evidence.write_bytes(PDF)
    base = server_url

    vnpt = browser.new_context().new_page()
    sign_in(vnpt, base, qb["vnpt"].email)
    vnpt.goto(f"{base}/commitments/{qb['commitment'].id}")
    vnpt.click("#reports a.btn-primary")  # "Báo cáo" for the current period
    vnpt.fill("#percent_complete", "40")
    vnpt.select_option("#completion", "limited")
    vnpt.fill(f"#v_{qb['indicator'].id}", "75")
    vnpt.fill("#narrative", "Đã lắp đặt 2/5 trạm BTS.")
    vnpt.click("button[value=save]")
    vnpt.wait_for_selector("#evidence")
    vnpt.fill("#title", "Biên bản nghiệm thu")
    vnpt.set_input_files("#file", str(evidence))
    vnpt.click("#evidence button:has-text('Đính kèm')")
    vnpt.wait_for_selector("#evidence a:has-text('Biên bản nghiệm thu')")
    vnpt.click("header button:has-text('Gửi Sở xác minh')")
    vnpt.wait_for_selector(".badge:has-text('Chờ xác minh')")
    report_url = vnpt.url

    dic = browser.new_context().new_page()
    sign_in(dic, base, qb["dic"].email)
    dic.click("nav.mainnav a[href='/review']")
    dic.click(f"text={qb['commitment'].title}")
    dic.fill("#reason", "Bổ sung biên bản có chữ ký của hai bên")
    dic.click("button:has-text('Trả lại để bổ sung')")
    dic.wait_for_url(f"{base}/review")

    vnpt.goto(report_url)
    assert "Yêu cầu bổ sung" in vnpt.inner_text(".eyebrow")
    vnpt.click("header a:has-text('Sửa')")
    assert "Bổ sung biên bản có chữ ký của hai bên" in vnpt.inner_text(".alert-warning")
    vnpt.fill("#percent_complete", "45")
    vnpt.click("button[value=submit]")
    vnpt.wait_for_selector(".badge:has-text('Chờ xác minh')")

    dic.goto(report_url)
    dic.click("#review button:has-text('Xác minh')")
    dic.wait_for_url(f"{base}/review")
    dic.goto(report_url)
    assert "Đã xác minh" in dic.inner_text(".eyebrow")
    history = dic.inner_text("#history")
    assert history.count("Đã gửi xác minh") == 2 and "Bổ sung biên bản có chữ ký" in history

    dic.goto(f"{base}/agreements/{qb['agreement'].code}/dashboard")
    assert "45%" in dic.inner_text(".stats")
    assert dic.locator(".chart-box svg circle").count() >= 1
    assert "75" in dic.inner_text(".charts")
