"""Reverse-charge invoices are issued by the 15th of the month after the supply (Art. 222
VAT Directive): late drafts are flagged, and a billing day after the 15th is warned of."""

from datetime import date

from django.urls import reverse

from invoicing.deadlines import billing_day_warning, late_reverse_charge_drafts, reverse_charge_due
from partners.models import Partner

from ..factories import make_draft, make_partner

VIES_VALID = {"vies_status": Partner.VIES_VALID, "vies_request_identifier": "WAPI1"}


def austrian_business(entity):
    return make_partner(entity, country="AT", vat_id="ATU13585627", **VIES_VALID)


def test_an_octobers_reverse_charge_invoice_is_due_on_15_november():
    assert reverse_charge_due(date(2026, 10, 31)) == date(2026, 11, 15)


def test_a_decembers_is_due_in_january():
    assert reverse_charge_due(date(2026, 12, 31)) == date(2027, 1, 15)


def test_a_reverse_charge_draft_is_flagged_from_the_10th(entity):
    draft = make_draft(entity, austrian_business(entity))  # October 2026
    assert late_reverse_charge_drafts(entity, date(2026, 11, 9)) == []
    assert late_reverse_charge_drafts(entity, date(2026, 11, 10)) == [draft]


def test_a_domestic_draft_is_never_flagged(entity, partner):
    make_draft(entity, partner)
    assert late_reverse_charge_drafts(entity, date(2026, 11, 20)) == []


def test_the_invoices_page_flags_late_reverse_charge_drafts(owner_client, entity):
    draft = make_draft(entity, austrian_business(entity))  # due 2026-11-15, long past now
    page = owner_client.get(reverse("invoicing:index")).content.decode()
    assert "Reverse charge: 1 draft to issue by the 15th." in page
    assert reverse("invoicing:detail", args=[draft.pk]) in page


def test_a_billing_day_after_the_15th_is_warned_of_with_eu_business_partners(entity):
    austrian_business(entity)
    entity.billing_day = 20
    assert "Billing on day 20 is too late" in billing_day_warning(entity)


def test_a_billing_day_after_the_15th_is_fine_without_eu_business_partners(entity, partner):
    entity.billing_day = 20
    assert billing_day_warning(entity) == ""


def test_the_settings_page_shows_the_billing_day_warning(owner_client, entity):
    austrian_business(entity)
    entity.billing_day = 20
    entity.save()
    page = owner_client.get(reverse("entities:settings")).content.decode()
    assert "Billing on day 20 is too late for your 1 business partner" in page
