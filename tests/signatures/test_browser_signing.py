"""The leader signs the demo review in headless Chromium with the demo's test key and downloads
the signed PDF, which poppler reports valid and whole."""

import os
from pathlib import Path

from tests.conftest import sign_in
from tests.signatures.helpers import LEADER, pdfsig, pdftotext
from tracker.demo.loader import load_demo
from tracker.demo.signing import KEY_PASSWORD

DEMO_PASSWORD = "Demo-2026-tracker"
#: Where the journey leaves its screenshots when asked (SHOTS=/some/folder).
SHOTS = os.environ.get("SHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_a_leader_signs_the_demo_review_in_the_browser(app, db, server_url, browser, tmp_path):
    load_demo()
    db.session.commit()
    keys = Path(app.config["DEMO_SIGNING_FOLDER"])
    base = server_url
    leader = browser.new_context(accept_downloads=True).new_page()
    sign_in(leader, base, LEADER, DEMO_PASSWORD)
    leader.goto(f"{base}/agreements/QB-VNPT-2020")
    leader.click("a:has-text('Xuất báo cáo')")
    leader.fill("#signer_name", "Nguyễn Quốc Hưng")
    leader.click("button:has-text('Tạo tệp PDF')")
    leader.wait_for_selector("#history .draft-tag")
    leader.click("#history a:has-text('Ký số')")
    leader.wait_for_selector("h1:has-text('Ký số báo cáo')")
    assert "1/BC-UBND" in leader.inner_text("main")

    # A wrong password first: refused in Vietnamese, nothing signed.
    leader.set_input_files("#key_file", str(keys / "leader-quangtri.p12"))
    leader.fill("#key_password", "không-đúng")
    leader.click("button:has-text('Ký số')")
    leader.wait_for_selector("text=Mật khẩu của tệp khóa không đúng.")
    _shot(leader, "sign-refused")

    leader.set_input_files("#key_file", str(keys / "leader-quangtri.p12"))
    leader.fill("#key_password", KEY_PASSWORD)
    leader.set_input_files("#seal_key_file", str(keys / "ubnd-quangtri.p12"))
    leader.fill("#seal_password", KEY_PASSWORD)
    _shot(leader, "sign-form")
    leader.click("button:has-text('Ký số')")
    leader.wait_for_selector("text=Đã ký số báo cáo: số 1/BC-UBND.")
    _shot(leader, "signed-list")
    with leader.expect_download() as download_info:
        leader.click("#history a:has-text('Số 1/BC-UBND')")
    download = download_info.value
    assert download.suggested_filename.endswith("1-BC-UBND - đã ký số.pdf")
    signed = tmp_path / "signed.pdf"
    download.save_as(signed)
    report = pdfsig(signed)
    assert report.count("Signature is Valid.") == 3
    assert "Total document signed" in report.rsplit("Signature #", 1)[-1]
    text = pdftotext(signed)
    assert "Số: 1/BC-UBND" in text and "DỰ THẢO" not in text
