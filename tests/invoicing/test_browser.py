"""The operator's invoice list in a real browser (Debian's chromium): ticking drafts and
finalizing them together, and the pages on a phone's width."""

from playwright.sync_api import sync_playwright

from invoicing.models import Invoice
from partners.models import PartnerUser

from ..browser import PHONE, launch, operator_page, page_width, right_edge
from ..factories import make_draft, make_final, make_partner


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
        browser = launch(playwright)
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


# What the month-end defects looked like on screen


def test_voiding_asks_first_and_works_without_javascript(live_server, owner, entity, partner):
    invoice = make_final(entity, partner)
    with operator_page(live_server, javascript=False) as page:
        page.goto(f"{live_server.url}/distribution/invoices/{invoice.pk}/")
        page.fill("input[name=reason]", "Billed to the wrong company")
        page.click("button:has-text('Void and issue credit note…')")
        question = page.text_content("h1")
        page.click("button:has-text('Void and issue the credit note')")
        page.wait_for_selector(".msg")
        message = page.text_content(".msg")
    assert question == f"Void invoice {invoice.number}?"
    invoice.refresh_from_db()
    assert invoice.is_void and f"Invoice {invoice.number} is void" in message


def test_a_failed_sending_shows_on_the_invoice_with_send_again(
    live_server, owner, smtp, entity, partner, send
):
    smtp.inbox.refuse = True
    invoice = make_final(entity, partner)
    send(invoice)
    with operator_page(live_server) as page:
        page.goto(f"{live_server.url}/distribution/invoices/{invoice.pk}/")
        failure = page.locator(".msg.error").first
        text = failure.text_content()
        send_again = failure.locator("button:has-text('Send again')").is_visible()
    assert f"Sending to {partner.email} failed" in text and "550" in text
    assert send_again


def test_a_credit_note_speaks_of_refunds(live_server, owner, entity, partner):
    from invoicing.corrections import void_invoice

    credit_note = void_invoice(make_final(entity, partner), "Wrong partner")
    with operator_page(live_server) as page:
        page.goto(f"{live_server.url}/distribution/invoices/{credit_note.pk}/")
        text = page.text_content("main")
    assert "Refund" in text and "settled against" in text
    assert "Mark paid" not in text and "Due" not in text


def test_a_billing_run_with_a_problem_says_so_and_lists_it(
    live_server, owner, entity, django_capture_on_commit_callbacks
):
    from datetime import date

    from entities.models import Entity
    from invoicing.runs import start_run

    good, broken = make_partner(entity), make_partner(entity, street="")
    for partner in (good, broken):
        make_draft(entity, partner)
    with django_capture_on_commit_callbacks(execute=True):
        start_run(entity, date(2026, 10, 1), date(2026, 10, 31), Entity.BILL_FINALIZE)
    with operator_page(live_server) as page:
        page.goto(f"{live_server.url}/distribution/invoices/")
        page.wait_for_timeout(1500)  # the progress is polled once a second
        label = page.text_content(".run-label")
        errors = page.text_content(".run-errors")
    assert label == "Done with 1 problem"
    assert "Fill in the street" in errors


def test_the_operator_gives_an_allowance_on_a_draft_phone_wide(live_server, owner, entity):
    draft = make_draft(entity, leads=10, price="10.00")
    with operator_page(live_server, PHONE) as page:
        page.goto(f"{live_server.url}/distribution/invoices/{draft.pk}/")
        page.fill("#allowance_reason", "Volume discount")
        page.fill("#allowance_percent", "5")
        page.click("button:has-text('Save allowance')")
        page.wait_for_selector(".msg")
        totals = page.text_content("table.data")
        width = page_width(page)
    draft.refresh_from_db()
    assert draft.subtotal == 95
    assert "Allowance: Volume discount (5 %)" in totals and "−5.00" in totals
    assert width <= PHONE["width"]


def test_the_oss_return_fits_a_phone(live_server, owner, entity):
    with operator_page(live_server, PHONE) as page:
        page.goto(f"{live_server.url}/distribution/invoices/oss/?year=2026&quarter=4")
        empty = page.text_content(".empty")
        width = page_width(page)
    assert "No supplies taxed in another member state" in empty
    assert width <= PHONE["width"]
