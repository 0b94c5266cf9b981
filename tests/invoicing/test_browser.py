"""The operator's invoice list in a real browser (Debian's chromium): ticking drafts and
finalizing them together, and the pages on a phone's width."""

from contextlib import contextmanager

from playwright.sync_api import sync_playwright

from invoicing.models import Invoice
from partners.models import PartnerUser

from ..factories import make_draft, make_final, make_partner
from ..portal.test_browser import CHROMIUM_ARGS

PHONE = {"width": 390, "height": 844}


def launch(playwright):
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)


@contextmanager
def operator_page(live_server, viewport=None):
    """A browser page logged in as owner@acme.test. Playwright's sync API runs an event loop
    in this thread: no database access inside the block."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport=viewport or {"width": 1280, "height": 900})
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "owner@acme.test")
        page.fill("input[name=password]", "correct-horse-42")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/**")
        yield page
        browser.close()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def right_edge(page, selector: str) -> float:
    """Where the first element ends on the screen: beyond the viewport is scrolled away."""
    box = page.locator(selector).first.bounding_box()
    return box["x"] + box["width"]


def test_the_operator_ticks_two_drafts_and_finalizes_them(live_server, owner, entity):
    drafts = [make_draft(entity, make_partner(entity)) for _ in range(2)]
    make_draft(entity, make_partner(entity))  # not ticked
    with operator_page(live_server) as page:
        page.goto(f"{live_server.url}/distribution/invoices/")
        for draft in drafts:
            page.check(f"input[name=invoices][value='{draft.pk}']")
        page.click("#selection button[value=finalize]")
        question = page.text_content("h1")
        page.click("button:has-text('Finalize 2 drafts')")
        page.wait_for_selector(".msg")
        message = page.text_content(".msg")
    assert question == "Finalize 2 drafts?"
    assert "2 invoices finalized." in message
    assert Invoice.objects.filter(status=Invoice.FINAL).count() == 2


def test_the_invoice_list_fits_a_phone(live_server, owner, entity):
    for _ in range(3):
        make_final(entity, make_partner(entity, name="Versicherungsbüro Köln-Ehrenfeld GmbH"))
    with operator_page(live_server, PHONE) as page:
        page.goto(f"{live_server.url}/distribution/invoices/")
        width = page_width(page)
        number_height = page.locator("td[data-label=Number]").first.bounding_box()["height"]
        total_edge = right_edge(page, "td[data-label=Total]")
    assert width <= PHONE["width"] and total_edge <= PHONE["width"]
    assert number_height < 40  # one line, not broken over three


def test_an_invoice_page_fits_a_phone(live_server, owner, entity, partner):
    invoice = make_final(entity, partner)
    with operator_page(live_server, PHONE) as page:
        page.goto(f"{live_server.url}/distribution/invoices/{invoice.pk}/")
        width = page_width(page)
    assert width <= PHONE["width"]


def test_the_portals_invoices_fit_a_phone(live_server, entity, partner):
    make_final(entity, partner)
    user = PartnerUser(partner=partner, email="buyer@partner.test")
    user.set_password("portal-pass-2026!")
    user.save()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{live_server.url}/partner/login/")
        page.fill("input[name=email]", "buyer@partner.test")
        page.fill("input[name=password]", "portal-pass-2026!")
        page.click("button[type=submit]")
        page.goto(f"{live_server.url}/partner/invoices/")
        width = page_width(page)
        header_height = page.locator(".portal-top").bounding_box()["height"]
        total_edge = right_edge(page, "td[data-label=Total]")
        browser.close()
    assert width <= PHONE["width"] and total_edge <= PHONE["width"]
    assert header_height < 130
