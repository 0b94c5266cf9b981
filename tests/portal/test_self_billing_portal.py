"""What a lead supplier sees in the partner portal: its invoicing problems, the self-billing
terms to accept, and its payouts."""

from django.urls import reverse

from invoicing.billing import finalize_invoice
from partners.models import SelfBillingAgreement

from ..factories import make_partner, make_payout, make_supplier
from .test_portal import make_portal_user, portal_client


def terms(entity, version="2026-1"):
    entity.self_billing_terms = "We issue the invoices for your leads on your behalf."
    entity.self_billing_terms_version = version
    entity.save()


def test_a_partner_sees_what_is_wrong_with_its_invoicing_details(entity):
    partner = make_partner(entity, street="")
    page = portal_client(make_portal_user(partner)).get(reverse("portal:dashboard"))
    assert "Fill in the street." in page.content.decode()


def test_a_supplier_is_asked_to_accept_the_self_billing_terms(entity):
    terms(entity)
    supplier = make_supplier(entity, agreement=False)
    page = portal_client(make_portal_user(supplier)).get(reverse("portal:dashboard"))
    assert "We issue the invoices for your leads on your behalf." in page.content.decode()


def test_accepting_the_terms_records_who_accepted_which_version(entity):
    terms(entity)
    supplier = make_supplier(entity, agreement=False)
    user = make_portal_user(supplier)
    portal_client(user).post(reverse("portal:accept_terms"), {"accept": "yes"})
    agreement = SelfBillingAgreement.objects.get(partner=supplier)
    assert (agreement.terms_version, agreement.accepted_by, agreement.recorded_by) == (
        "2026-1",
        user.email,
        "partner portal",
    )
    supplier.refresh_from_db()
    assert supplier.invoicing_problems == []


def test_accepting_needs_the_box_ticked(entity):
    terms(entity)
    supplier = make_supplier(entity, agreement=False)
    portal_client(make_portal_user(supplier)).post(reverse("portal:accept_terms"), {})
    assert not SelfBillingAgreement.objects.filter(partner=supplier).exists()


def test_new_terms_are_asked_for_again(entity):
    terms(entity, "1")
    supplier = make_supplier(entity)  # accepted "1"
    terms(entity, "2")
    page = portal_client(make_portal_user(supplier)).get(reverse("portal:dashboard"))
    assert page.context["terms_to_accept"]


def test_a_buyer_is_not_asked_for_self_billing_terms(entity, partner):
    terms(entity)
    page = portal_client(make_portal_user(partner)).get(reverse("portal:dashboard"))
    assert not page.context["terms_to_accept"]


def test_a_supplier_sees_its_payout_as_money_owed_to_it(entity):
    payout = finalize_invoice(make_payout(entity, leads=2, price="5.00"))
    page = portal_client(make_portal_user(payout.partner)).get(reverse("portal:dashboard"))
    content = page.content.decode()
    assert "to be paid to you" in content and payout.number in content
