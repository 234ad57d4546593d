"""Whole journeys in headless Chromium against a live server, an accessibility check of the main
pages with axe-core, and the pages on a 390 px phone screen."""

from datetime import timedelta
from pathlib import Path

from tests import factories
from tests.conftest import sign_in
from tracker.clock import local_today
from tracker.progress import services

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_from_a_new_agreement_to_the_leaders_pdf(app, db, server_url, browser, tmp_path):
    w = factories.world()
    qb = w["qb"]
    base = server_url
    today = local_today()
    code = "QB-VNPT-2026"

    dic = browser.new_context(accept_downloads=True).new_page()
    sign_in(dic, base, qb["dic"].email)
    dic.goto(f"{base}/agreements/new")
    dic.fill("#code", code)
    dic.fill("#title", "Thỏa thuận hợp tác về chuyển đổi số giai đoạn 2026 - 2030")
    dic.select_option("#province_id", str(qb["province"].id))
    dic.fill("#period_start", (today - timedelta(days=120)).isoformat())
    dic.fill("#period_end", (today + timedelta(days=4 * 365)).isoformat())
    dic.click("button.btn-primary")
    dic.wait_for_url(f"{base}/agreements/{code}")
    dic.click("#areas .card-head a.btn")
    dic.fill("#code", "I")
    dic.fill("#title", "Hạ tầng số")
    dic.click("button.btn-primary")
    dic.click("#areas .card-head a.btn:nth-child(2)")  # add a commitment
    dic.fill("#code", "1.1")
    dic.fill("#title", "Phủ sóng 4G các thôn vùng lõm sóng")
    dic.select_option("#committed_by", "vnpt")
    dic.select_option("#lead_unit_id", str(qb["branch"].id))
    dic.fill("#budget_vnd", "7.000.000.000")
    dic.click("button.btn-primary")
    dic.wait_for_selector("#indicators")
    commitment_url = dic.url
    dic.click("#indicators .card-head a.btn")
    dic.fill("#name", "Số thôn được phủ sóng 4G")
    dic.fill("#unit", "thôn")
    dic.fill("#baseline", "0")
    dic.fill("#target", "12")
    dic.click("button.btn-primary")
    dic.goto(f"{base}/agreements/{code}/periods")
    dic.click("button:has-text('Tạo các kỳ báo cáo')")
    dic.wait_for_selector("td a")

    evidence = tmp_path / "Biên bản đo kiểm.pdf"
    evidence.write_bytes(PDF)
    vnpt = browser.new_context().new_page()
    sign_in(vnpt, base, qb["vnpt"].email)
    vnpt.goto(commitment_url)
    vnpt.click("#reports a.btn-primary")
    vnpt.fill("#percent_complete", "40")
    vnpt.fill("input[id^=v_]", "5")
    vnpt.fill("#narrative", "Đã phủ sóng 5/12 thôn.")
    vnpt.click("button[value=save]")
    vnpt.fill("#title", "Biên bản đo kiểm")
    vnpt.set_input_files("#file", str(evidence))
    vnpt.click("#evidence button:has-text('Đính kèm')")
    vnpt.click("header button:has-text('Gửi Sở xác minh')")
    vnpt.wait_for_selector(".badge:has-text('Chờ xác minh')")
    report_url = vnpt.url

    dic.goto(f"{base}/review")
    dic.click("text=Phủ sóng 4G các thôn vùng lõm sóng")
    dic.fill("#reason", "Bổ sung danh sách thôn đã phủ sóng")
    dic.click("button:has-text('Trả lại để bổ sung')")
    vnpt.goto(report_url)
    vnpt.click("header a:has-text('Sửa')")
    vnpt.fill(
        "#narrative", "Đã phủ sóng 5/12 thôn: Bản Khe, Bản Ruộng, Tăng Ký, Cà Roòng, Hóa Sơn."
    )
    vnpt.click("button[value=submit]")
    vnpt.wait_for_selector(".badge:has-text('Chờ xác minh')")
    dic.goto(report_url)
    dic.click("#review button:has-text('Xác minh')")
    dic.goto(report_url)
    assert "Đã xác minh" in dic.inner_text(".eyebrow")

    leader = browser.new_context(accept_downloads=True).new_page()
    sign_in(leader, base, qb["leader"].email)
    leader.goto(f"{base}/agreements/{code}")
    leader.click("a:has-text('Xuất báo cáo')")
    leader.fill("#signer_name", "Nguyễn Quốc Hưng")
    leader.click("button:has-text('Tạo tệp PDF')")
    leader.wait_for_selector("#history td a")
    with leader.expect_download() as download_info:
        leader.click("#history td a")
    path = download_info.value.path()
    assert Path(path).read_bytes().startswith(b"%PDF")
    assert download_info.value.suggested_filename.endswith(".pdf")


def _axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_main_pages_have_no_serious_accessibility_violations(app, db, server_url, browser):

    w = factories.world()
    qb = w["qb"]
    today = local_today()
    qb["agreement"].period_start, qb["agreement"].period_end = (
        today - timedelta(days=200),
        today + timedelta(days=900),
    )
    db.session.flush()
    period = next(
        p
        for p in services.generate_periods(qb["agreement"])
        if p.starts_on <= today <= p.deadline_on
    )
    db.session.commit()
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    page.goto(f"{server_url}/login")
    assert _axe(page) == []
    sign_in(page, server_url, qb["dic"].email)
    pages = [
        "/",
        "/agreements",
        f"/agreements/{qb['agreement'].code}",
        f"/agreements/{qb['agreement'].code}/edit",
        f"/commitments/{qb['commitment'].id}",
        f"/commitments/{qb['commitment'].id}/reports/{period.id}",
        f"/agreements/{qb['agreement'].code}/dashboard",
        f"/agreements/{qb['agreement'].code}/periods",
        f"/agreements/{qb['agreement'].code}/commitments",
        f"/agreements/{qb['agreement'].code}/evidence",
        "/directives",
        "/todo",
        "/review",
        f"/agreements/{qb['agreement'].code}/reports",
    ]
    problems = {}
    for path in pages:
        page.goto(server_url + path)
        if found := _axe(page):
            problems[path] = [(v["id"], v["impact"], len(v["nodes"])) for v in found]
    assert problems == {}


_SQUEEZED_HEADERS = """() => {
  const ctx = document.createElement("canvas").getContext("2d"), squeezed = [];
  for (const th of document.querySelectorAll("table th")) {
    const hidden = th.querySelector(".sr-only");
    if (hidden && hidden.textContent.trim() === th.textContent.trim()) continue;
    const s = getComputedStyle(th);
    ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const room = th.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    for (const word of th.textContent.trim().split(/\\s+/))
      if (ctx.measureText(word).width > room + 1) squeezed.push(word);
  }
  return squeezed;
}"""


def test_field_staff_pages_fit_a_phone(app, db, server_url, browser):

    w = factories.world()
    qb = w["qb"]
    today = local_today()
    qb["agreement"].period_start, qb["agreement"].period_end = (
        today - timedelta(days=200),
        today + timedelta(days=900),
    )
    db.session.flush()
    period = next(
        p
        for p in services.generate_periods(qb["agreement"])
        if p.starts_on <= today <= p.deadline_on
    )
    db.session.commit()
    page = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    sign_in(page, server_url, qb["vnpt"].email)
    for path in (
        "/todo",
        f"/commitments/{qb['commitment'].id}",
        f"/commitments/{qb['commitment'].id}/reports/{period.id}",
        f"/agreements/{qb['agreement'].code}",
        f"/agreements/{qb['agreement'].code}/dashboard",
        "/directives",
    ):
        page.goto(server_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide"
        # Wide tables scroll sideways; their columns are never squeezed below a header's longest
        # word (which would stack its letters one per line).
        assert page.evaluate(_SQUEEZED_HEADERS) == [], path
    # The report form can be filled and saved on the phone.
    page.goto(f"{server_url}/commitments/{qb['commitment'].id}/reports/{period.id}")
    page.fill("#percent_complete", "25")
    page.tap("button[value=save]")
    page.wait_for_selector(".badge")
    assert "Dự thảo" in page.inner_text(".eyebrow")
