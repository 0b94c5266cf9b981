"""Settings in a real browser: after a failed save the errors are where the eye is."""

from ..browser import operator_page


def test_a_failed_save_shows_its_errors_in_view(live_server, owner, entity):
    with operator_page(live_server) as page:
        page.goto(f"{live_server.url}/settings/")
        page.fill("#id_iban", "DE00 not an IBAN")
        page.locator("#payment button[type=submit]").click()
        page.wait_for_selector("#errors")
        box = page.locator("#errors").bounding_box()
        viewport = page.viewport_size
        text = page.text_content("#errors")
    assert 0 <= box["y"] < viewport["height"]
    assert "Bank and payment terms · IBAN" in text
