"""A partner's changes to what decides its invoices' tax wait for the operator's approval;
drafts use the approved details meanwhile (a partner moving itself from DE to US turned
the operator's 19 % draft into "No VAT")."""

from decimal import Decimal

from django.urls import reverse

from invoicing.billing import draft_tax_treatment, finalize_invoice
from partners.models import ChangeRequest, Partner

from ..factories import make_draft
from .test_portal import make_portal_user, portal_client

ABROAD = {"country": "US", "region": "IL"}
PROFILE = {"legal_name": "Solar Leads München GmbH", "street": "Hauptstraße 1",
           "postcode": "80331", "city": "München", "country": "DE", "vat_id": "",
           "email": "billing@solar.test"}  # fmt: skip


def test_a_partner_moving_abroad_waits_for_review(entity, partner):
    draft = make_draft(entity, partner)
    client = portal_client(make_portal_user(partner))
    response = client.post(reverse("portal:profile"), {**PROFILE, **ABROAD}, follow=True)
    assert "wait for our review" in response.content.decode()
    partner.refresh_from_db()
    assert partner.country == "DE"
    assert draft_tax_treatment(draft, partner, None).rate == Decimal("19")
    assert finalize_invoice(draft).tax_rate == Decimal("19.00")


def test_the_portal_shows_the_pending_change(entity, partner):
    client = portal_client(make_portal_user(partner))
    client.post(reverse("portal:profile"), {**PROFILE, "legal_name": "Solar Leads SE"})
    page = client.get(reverse("portal:profile")).content.decode()
    assert "Pending review" in page and "Solar Leads SE" in page


def test_other_details_are_saved_at_once(entity, partner):
    client = portal_client(make_portal_user(partner))
    client.post(reverse("portal:profile"), {**PROFILE, "street": "Neue Straße 2"})
    partner.refresh_from_db()
    assert partner.street == "Neue Straße 2"
    assert not ChangeRequest.objects.exists()


def test_a_partner_gives_its_peppol_id_in_the_portal(entity, partner):
    client = portal_client(make_portal_user(partner))
    data = {**PROFILE, "peppol_scheme": "0088", "peppol_id": "4000001123452"}
    client.post(reverse("portal:profile"), data)
    partner.refresh_from_db()
    assert partner.peppol_participant == ("0088", "4000001123452")
    assert not ChangeRequest.objects.exists()


def test_the_operator_approves_the_change(entity, partner, finance_client):
    client = portal_client(make_portal_user(partner))
    client.post(reverse("portal:profile"), {**PROFILE, **ABROAD})
    change = ChangeRequest.objects.get()
    page = finance_client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    assert "asks to change details that decide the tax" in page
    finance_client.post(reverse("partners:approve_change", args=[change.pk]))
    partner.refresh_from_db()
    change.refresh_from_db()
    assert partner.country == "US"
    assert (change.status, change.decided_by) == ("approved", "finance@acme.test")


def test_the_operator_rejects_the_change_with_a_note(entity, partner, finance_client):
    client = portal_client(make_portal_user(partner))
    client.post(reverse("portal:profile"), {**PROFILE, **ABROAD})
    change = ChangeRequest.objects.get()
    finance_client.post(
        reverse("partners:reject_change", args=[change.pk]), {"note": "Please send proof."}
    )
    assert Partner.objects.get(pk=partner.pk).country == "DE"
    page = client.get(reverse("portal:profile")).content.decode()
    assert "was not accepted: Please send proof." in page


def test_a_new_request_replaces_the_pending_one(entity, partner):
    client = portal_client(make_portal_user(partner))
    client.post(reverse("portal:profile"), {**PROFILE, **ABROAD})
    client.post(reverse("portal:profile"), {**PROFILE, "country": "AT"})
    statuses = sorted(ChangeRequest.objects.values_list("status", flat=True))
    assert statuses == ["pending", "replaced"]
    assert ChangeRequest.objects.get(status="pending").changes == {"country": "AT"}


def test_a_viewer_cannot_decide(entity, partner, viewer_client):
    client = portal_client(make_portal_user(partner))
    client.post(reverse("portal:profile"), {**PROFILE, **ABROAD})
    change = ChangeRequest.objects.get()
    response = viewer_client.post(reverse("partners:approve_change", args=[change.pk]))
    assert response.status_code == 403
    assert Partner.objects.get(pk=partner.pk).country == "DE"


def test_another_account_cannot_decide(entity, partner, outsider_client):
    client = portal_client(make_portal_user(partner))
    client.post(reverse("portal:profile"), {**PROFILE, **ABROAD})
    change = ChangeRequest.objects.get()
    response = outsider_client.post(reverse("partners:approve_change", args=[change.pk]))
    assert response.status_code == 404
