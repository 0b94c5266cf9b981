"""A partner logs into the portal in a real browser (Debian's chromium) and downloads its
invoice."""

from playwright.sync_api import sync_playwright

from partners.models import PartnerUser

from ..browser import launch
from ..factories import make_final


def test_a_partner_logs_in_and_downloads_its_invoice(live_server, entity, partner):
    invoice = make_final(entity, partner, leads=4, price="12.50")
    expected_pdf = bytes(invoice.documents.get(kind="pdf").content)
    user = PartnerUser(partner=partner, email="buyer@partner.test")
    user.set_password("portal-pass-2026!")
    user.save()

    # Playwright's sync API runs an event loop in this thread: no database access in here.
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(f"{live_server.url}/partner/invoices/")
        assert "/partner/login/" in page.url
        page.fill("input[name=email]", "buyer@partner.test")
        page.fill("input[name=password]", "portal-pass-2026!")
        page.click("button[type=submit]")
        page.wait_for_url("**/partner/invoices/")
        table = page.text_content("table")
        with page.expect_download() as download:
            page.click(f"tr:has-text('{invoice.number}') >> text=PDF")
        filename = download.value.suggested_filename
        pdf = download.value.path().read_bytes()
        browser.close()

    assert invoice.number in table
    assert filename == f"{invoice.number}.pdf"
    assert pdf == expected_pdf
