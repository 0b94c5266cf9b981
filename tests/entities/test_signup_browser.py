"""A newcomer signs up in a real browser (Debian's chromium), confirms the address from the
email, and reaches the onboarding checklist, also on a phone's width."""

import re

from django.core import mail
from playwright.sync_api import sync_playwright

from entities.models import Account

from ..browser import PHONE, launch, page_width


def test_a_newcomer_signs_up_and_reaches_the_onboarding_checklist(live_server, db):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{live_server.url}/login/")
        page.click("text=New here? Sign up")
        page.fill("input[name=email]", "founder@newleads.test")
        page.fill("input[name=password1]", "long-enough-pw-42")
        page.fill("input[name=password2]", "long-enough-pw-42")
        page.fill("input[name=company]", "New Leads GmbH")
        page.select_option("select[name=country]", "DE")
        page.click("button[type=submit]")
        page.wait_for_selector("#onboarding")
        before = page.text_content("main")
        width = page_width(page)
        link = re.search(r"https?://\S+/signup/confirm/\S+/", mail.outbox[0].body).group(0)
        page.goto(live_server.url + "/" + link.split("://", 1)[1].split("/", 1)[1])
        after = page.text_content("main")
        browser.close()

    assert "Before your first invoice" in before
    assert "Confirm your email address" in before
    assert width <= PHONE["width"]
    assert "your email address is confirmed" in after
    assert "Confirm your email address: we sent" not in after
    assert Account.objects.get().verified_at is not None
