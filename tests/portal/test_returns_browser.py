"""A partner returns leads in the partner portal, in a real browser (Debian's chromium)."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import sync_playwright

from distribution.models import LeadReturn
from partners.models import PartnerUser

from ..browser import launch
from ..factories import deliver, make_assignment, make_profile, make_return_policy


def test_a_partner_ticks_leads_and_returns_them(live_server, entity, partner):
    assignment = make_assignment(make_profile(entity, "10.00"), partner)
    make_return_policy(assignment.profile, window_days=7, cap_count=10)
    txns = deliver(assignment, 3, at=timezone.now() - timedelta(hours=1))
    returned = [t.lead.external_id for t in txns[:2]]
    user = PartnerUser(partner=partner, email="buyer@partner.test")
    user.set_password("portal-pass-2026!")
    user.save()

    # Playwright's sync API runs an event loop in this thread: no database access in here.
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(f"{live_server.url}/partner/leads/")
        page.fill("input[name=email]", "buyer@partner.test")
        page.fill("input[name=password]", "portal-pass-2026!")
        page.click("button[type=submit]")
        page.wait_for_url("**/partner/leads/")
        for lead in returned:
            page.check(f"input[name=leads][value='{lead}']")
        page.click("text=Return ticked leads")
        page.wait_for_url("**/partner/returns/**")
        filled = page.input_value("textarea[name=leads]")
        page.select_option("select[name=reason]", "Wrong contact details")
        page.fill("textarea[name=evidence]", "The numbers are disconnected.")
        page.click("#return-leads button[type=submit]")
        page.wait_for_selector(".msg")
        message = page.text_content(".msg")
        left = page.text_content("table")
        listed = page.locator("table").nth(1).text_content()
        browser.close()

    assert sorted(filled.split()) == sorted(returned)
    assert "2 leads returned" in message
    assert "8 of 10" in left
    assert all(lead in listed for lead in returned)
    assert set(LeadReturn.objects.values_list("delivery__lead__external_id", flat=True)) == set(
        returned
    )
