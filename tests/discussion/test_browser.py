"""Real headless Chromium: a user types @ in a comment box, picks a suggestion, posts, and the
comment appears with the mention highlighted; the thread fits a phone screen."""

from tests.conftest import sign_in


def test_mention_autocomplete_and_posting_in_the_browser(app, db, rw, server_url, browser):
    qb = rw["qb"]
    qb["vnpt"].full_name = "Lê Văn Minh"
    db.session.commit()
    page = browser.new_context(locale="vi-VN").new_page()
    sign_in(page, server_url, qb["dic"].email)
    page.goto(f"{server_url}/commitments/{qb['commitment'].id}")
    box = page.locator("#comment-body")
    box.click()
    page.keyboard.type("Nhờ @le v")
    suggestion = page.locator(".mention-list [role=option]", has_text="Lê Văn Minh")
    suggestion.wait_for()
    # The suggestions are the list the box controls (a textarea takes no aria-expanded).
    assert page.locator(f"#{box.get_attribute('aria-controls')}").is_visible()
    assert qb["branch"].name in suggestion.inner_text()
    suggestion.click()
    assert box.input_value() == f"Nhờ @[Lê Văn Minh](user:{qb['vnpt'].id}) "
    assert page.locator(".mention-list").is_hidden()
    page.keyboard.type("cập nhật số trạm BTS giúp.")
    page.click("#discussion button.btn-primary")
    page.wait_for_url(f"**/commitments/{qb['commitment'].id}#comment-*")
    comment = page.locator("#discussion .comment").first
    assert comment.locator(".mention").inner_text() == "@Lê Văn Minh"
    assert comment.locator(".comment-body").inner_text() == (
        "Nhờ @Lê Văn Minh cập nhật số trạm BTS giúp."
    )
    assert "Đã gửi ý kiến." in page.inner_text(".flashes")

    # The keyboard works too: @, the arrow keys and Enter pick a unit.
    box = page.locator("#comment-body")
    box.click()
    page.keyboard.type("Gửi @vnpt")
    page.locator(".mention-list [role=option]").first.wait_for()
    options = page.locator(".mention-list [role=option]").all_inner_texts()
    assert any(qb["branch"].name in o for o in options)
    for _ in options:  # down to the unit itself (its people come first)
        if page.locator(".mention-list .mention-unit[aria-selected=true]").count():
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert box.input_value() == f"Gửi @[{qb['branch'].name}](unit:{qb['branch'].id}) "

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(phone, server_url, qb["vnpt"].email)
    phone.goto(f"{server_url}/commitments/{qb['commitment'].id}#discussion")
    assert phone.locator("#discussion .mention").inner_text() == "@Lê Văn Minh"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
