"""Self-billing: payouts to lead suppliers as self-billed invoices (seed 003), their three
types, the agreement they need, and their e-invoices."""

from decimal import Decimal
from io import BytesIO

import facturx
import pytest
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from distribution.models import Lead
from distribution.services import DeliveryError, record_lead_source
from invoicing.billing import delete_draft, finalize_invoice, generate_drafts
from invoicing.corrections import void_invoice
from invoicing.documents import store_xml
from invoicing.models import Invoice, InvoiceDocument, InvoiceLine, InvoicingError
from invoicing.payouts import add_payout_line, generate_payout_drafts, preview_payouts
from partners.checks import invoicing_details_problems
from partners.models import Partner

from ..factories import OCTOBER, make_partner, make_payout, make_supplier, supply
from .test_einvoice import CII, MID_OCTOBER, assert_cii_arithmetic, cii_values

VIES_VALID = {"vies_status": Partner.VIES_VALID, "vies_request_identifier": "WAPI1"}


def pdf_text(invoice) -> str:
    pdf = bytes(invoice.documents.get(kind=InvoiceDocument.PDF).content)
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def xml_of(invoice) -> etree._Element:
    return etree.fromstring(bytes(store_xml(invoice).content))


# Payouts


def test_a_payout_is_the_sum_of_the_purchase_prices_of_the_periods_supplied_leads(entity):
    supplier = make_supplier(entity)
    supply(entity, supplier, 3, "4.00")
    supply(entity, supplier, 2, "5.50")
    generate_payout_drafts(entity, *OCTOBER)
    payout = Invoice.objects.get(partner=supplier, self_billed=True)
    lines = {(line.quantity, line.unit_price) for line in payout.lines.all()}
    assert lines == {(3, Decimal("4.0000")), (2, Decimal("5.5000"))}
    assert payout.subtotal == Decimal("23.00")


def test_the_preview_shows_what_each_supplier_would_be_paid(entity):
    supplier = make_supplier(entity)
    supply(entity, supplier, 4, "2.50")
    [preview] = preview_payouts(entity, *OCTOBER)
    assert (preview.partner, preview.leads, preview.totals.subtotal) == (
        supplier,
        4,
        Decimal("10.00"),
    )


def test_generating_payouts_twice_pays_each_lead_once(entity):
    supplier = make_supplier(entity)
    supply(entity, supplier, 3)
    generate_payout_drafts(entity, *OCTOBER)
    second = generate_payout_drafts(entity, *OCTOBER)
    assert second.leads_paid == 0
    assert Invoice.objects.filter(partner=supplier, self_billed=True).count() == 1


def test_leads_outside_the_period_are_not_paid(entity):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    supplier = make_supplier(entity)
    supply(entity, supplier, 1, at=datetime(2026, 11, 1, 0, 30, tzinfo=ZoneInfo("Europe/Berlin")))
    assert generate_payout_drafts(entity, *OCTOBER).leads_paid == 0


def test_a_partner_both_buying_and_supplying_gets_an_invoice_and_a_payout(entity):
    from ..factories import deliver, make_assignment, make_profile

    both = make_supplier(entity, is_buyer=True)
    deliver(make_assignment(make_profile(entity, "10.00"), both), 2, MID_OCTOBER)
    supply(entity, both, 2, "3.00")
    generate_drafts(entity, *OCTOBER)
    generate_payout_drafts(entity, *OCTOBER)
    totals = dict(Invoice.objects.filter(partner=both).values_list("self_billed", "subtotal"))
    assert totals == {False: Decimal("20.00"), True: Decimal("6.00")}


def test_a_manual_payout_line_adds_to_the_payout(entity):
    payout = make_payout(entity, leads=2, price="4.00")
    add_payout_line(payout, "Bonus for October", 1, Decimal("50.00"))
    payout.refresh_from_db()
    assert payout.subtotal == Decimal("58.00")
    assert payout.lines.filter(kind=InvoiceLine.PAYOUT).count() == 1


def test_a_manual_payout_line_needs_a_positive_price(entity):
    payout = make_payout(entity)
    with pytest.raises(InvoicingError, match="more than zero"):
        add_payout_line(payout, "Bonus", 1, Decimal("0"))


def test_deleting_a_draft_payout_releases_its_leads(entity):
    payout = make_payout(entity, leads=3)
    assert delete_draft(payout) == 3
    assert generate_payout_drafts(entity, *OCTOBER).leads_paid == 3


def test_a_lead_on_a_payout_keeps_its_purchase_price(entity):
    payout = make_payout(entity, leads=1)
    lead = Lead.objects.get(payout_invoice_id=payout.pk)
    with pytest.raises(DeliveryError, match="already on a payout"):
        record_lead_source(entity, lead.external_id, payout.partner, Decimal("9.00"))


def test_only_a_supplier_can_be_recorded_as_a_leads_source(entity, partner):
    with pytest.raises(DeliveryError, match="not marked as a lead supplier"):
        record_lead_source(entity, "L-1", partner, Decimal("1.00"))


# The agreement


def test_finalize_is_refused_without_a_self_billing_agreement(entity):
    payout = make_payout(entity, make_supplier(entity, agreement=False))
    with pytest.raises(InvoicingError, match="No self-billing agreement is recorded"):
        finalize_invoice(payout)
    payout.refresh_from_db()
    assert payout.is_draft and payout.number == ""


def test_finalize_is_refused_when_the_terms_changed_since_the_acceptance(entity):
    supplier = make_supplier(entity)  # accepted version "1"
    entity.self_billing_terms_version = "2026-11"
    entity.save()
    payout = make_payout(entity, supplier)
    with pytest.raises(InvoicingError, match="current version is 2026-11"):
        finalize_invoice(payout)


def test_the_finalized_payout_keeps_the_agreement_it_relied_on(entity):
    invoice = finalize_invoice(make_payout(entity))
    assert invoice.seller["agreement"]["accepted_by"] == "owner@supplier.test"


def test_an_invoice_to_a_supplier_that_also_buys_needs_no_agreement(entity):
    from ..factories import make_draft

    both = make_supplier(entity, agreement=False, is_buyer=True)
    assert finalize_invoice(make_draft(entity, both)).is_final


# The supplier's VAT status decides the type


def test_type_a_a_private_individual_gets_an_invoice_that_mentions_no_vat(entity):
    supplier = make_supplier(entity, vat_status=Partner.PRIVATE_PERSON, legal_name="Alex Sample")
    invoice = finalize_invoice(make_payout(entity, supplier, leads=2, price="5.00"))
    assert (invoice.tax_category, invoice.tax_amount, invoice.total) == (
        "O",
        Decimal("0.00"),
        Decimal("10.00"),
    )
    assert "VAT" not in pdf_text(invoice)


def test_a_private_individuals_invoice_cites_its_declaration(entity):
    supplier = make_supplier(entity, vat_status=Partner.PRIVATE_PERSON)
    invoice = finalize_invoice(make_payout(entity, supplier))
    assert "declared on 2026-01-05 that it does not supply these leads as a business" in (
        " ".join(pdf_text(invoice).split())
    )


def test_a_private_individual_without_declaration_is_not_paid_by_invoice_yet(entity):
    supplier = make_supplier(
        entity, vat_status=Partner.PRIVATE_PERSON, not_a_business_declared_on=None
    )
    with pytest.raises(InvoicingError, match="declaration"):
        finalize_invoice(make_payout(entity, supplier))


def test_a_private_individual_has_no_vat_id(entity):
    supplier = make_supplier(entity, vat_status=Partner.PRIVATE_PERSON, vat_id="DE811907980")
    assert "A private individual has no VAT ID" in " ".join(invoicing_details_problems(supplier))


def test_type_c_a_registered_business_with_only_a_tax_number_gets_vat(entity):
    supplier = make_supplier(entity, vat_id="", tax_number="21/815/08150")
    invoice = finalize_invoice(make_payout(entity, supplier, leads=10, price="4.00"))
    assert (invoice.tax_category, invoice.tax_rate, invoice.tax_amount, invoice.total) == (
        "S",
        Decimal("19.00"),
        Decimal("7.60"),
        Decimal("47.60"),
    )
    assert "21/815/08150" in pdf_text(invoice)


def test_type_c_a_registered_business_with_a_vat_id_gets_that_countrys_vat(entity):
    supplier = make_supplier(entity, vat_id="DE811907980", tax_number="", **VIES_VALID)
    invoice = finalize_invoice(make_payout(entity, supplier, leads=10, price="4.00"))
    assert (invoice.tax_category, invoice.tax_amount) == ("S", Decimal("7.60"))


def test_a_business_without_vat_id_or_tax_number_is_not_paid_by_invoice_yet(entity):
    supplier = make_supplier(entity, vat_id="", tax_number="")
    with pytest.raises(InvoicingError, match="VAT ID or tax number"):
        finalize_invoice(make_payout(entity, supplier))


def test_a_small_business_gets_no_vat_and_its_legal_note(entity):
    supplier = make_supplier(entity, vat_status=Partner.SMALL_BUSINESS)
    invoice = finalize_invoice(make_payout(entity, supplier, leads=10, price="4.00"))
    assert (invoice.tax_category, invoice.tax_rate, invoice.tax_amount, invoice.total) == (
        "E",
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("40.00"),
    )
    text = " ".join(pdf_text(invoice).split())
    assert "Kein Ausweis von Umsatzsteuer, da Kleinunternehmer gemäß § 19 UStG." in text
    assert "VAT 0" not in text and "VAT 19" not in text


def test_a_small_business_in_france_cites_article_293_b(entity):
    from invoicing.taxes import decide_self_billing_treatment

    entity.country = "FR"
    supplier = make_supplier(
        entity, vat_status=Partner.SMALL_BUSINESS, country="FR", postcode="69002", city="Lyon"
    )
    treatment = decide_self_billing_treatment(entity, supplier, OCTOBER[1])
    assert (treatment.category, treatment.note) == ("E", "TVA non applicable, art. 293 B du CGI.")


def test_type_b_a_business_in_another_member_state_gets_reverse_charge(entity):
    supplier = make_supplier(entity, country="AT", vat_id="ATU13585627", **VIES_VALID)
    invoice = finalize_invoice(make_payout(entity, supplier, leads=10, price="4.00"))
    assert (invoice.tax_category, invoice.tax_rate, invoice.tax_amount) == (
        "AE",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    text = pdf_text(invoice)
    assert "Reverse charge applicable" in text
    assert "ATU13585627" in text and "DE136695976" in text


def test_type_b_an_eu_business_with_only_its_tax_number_gets_reverse_charge(entity):
    supplier = make_supplier(
        entity, country="AT", postcode="1010", vat_id="", tax_number="123/4567"
    )
    assert finalize_invoice(make_payout(entity, supplier)).tax_category == "AE"


def test_type_b_a_business_outside_the_eu_gets_reverse_charge(entity):
    supplier = make_supplier(
        entity,
        country="US",
        postcode="10001",
        city="New York",
        region="NY",
        tax_number="12-3456789",
    )
    invoice = finalize_invoice(make_payout(entity, supplier))
    assert (invoice.tax_category, invoice.tax_note) == ("AE", "Reverse charge applicable")


def test_a_small_business_in_another_member_state_gets_reverse_charge(entity):
    supplier = make_supplier(
        entity, vat_status=Partner.SMALL_BUSINESS, country="AT", postcode="1010", tax_number="1"
    )
    assert finalize_invoice(make_payout(entity, supplier)).tax_category == "AE"


def test_the_type_does_not_wait_for_a_vies_answer(entity):
    supplier = make_supplier(entity, country="AT", vat_id="ATU13585627")
    assert finalize_invoice(make_payout(entity, supplier)).tax_category == "AE"


def test_a_vat_id_vies_rejected_holds_the_payout(entity):
    supplier = make_supplier(
        entity, country="AT", vat_id="ATU13585627", vies_status=Partner.VIES_INVALID
    )
    with pytest.raises(InvoicingError, match="not valid"):
        finalize_invoice(make_payout(entity, supplier))


def test_an_entity_outside_the_eu_pays_every_supplier_without_vat(entity):
    from invoicing.taxes import decide_self_billing_treatment

    entity.country = "US"
    supplier = make_supplier(entity, vat_id="DE811907980", **VIES_VALID)
    treatment = decide_self_billing_treatment(entity, supplier, OCTOBER[1])
    assert (treatment.category, treatment.note) == ("O", "")


# The documents


def test_the_supplier_is_the_seller_and_the_entity_the_buyer(entity):
    invoice = finalize_invoice(make_payout(entity))
    assert invoice.seller["name"] == invoice.partner.legal_name
    assert invoice.buyer["name"] == entity.legal_name
    assert invoice.seller["iban"] == "DE02120300000000202051"


def test_every_self_billed_pdf_says_self_billing(entity):
    assert "Self-billing" in pdf_text(finalize_invoice(make_payout(entity)))


def test_a_self_billed_invoice_is_type_389_and_says_self_billing(entity):
    supplier = make_supplier(entity, country="AT", vat_id="ATU13585627", **VIES_VALID)
    invoice = finalize_invoice(make_payout(entity, supplier))
    xml = bytes(store_xml(invoice).content)
    assert facturx.xml_check_xsd(xml, "factur-x", "en16931")
    root = etree.fromstring(xml)
    assert cii_values(root, "//rsm:ExchangedDocument/ram:TypeCode") == ["389"]
    assert "Self-billing" in cii_values(
        root, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content"
    )
    assert_cii_arithmetic(root)
    seller = "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"
    assert cii_values(root, seller) == ["ATU13585627"]


def test_a_type_a_e_invoice_names_no_vat_id_but_identifies_the_seller(entity):
    supplier = make_supplier(entity, vat_status=Partner.PRIVATE_PERSON, tax_number="12/345/67890")
    root = xml_of(finalize_invoice(make_payout(entity, supplier)))
    assert root.xpath("//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", namespaces=CII) == []
    assert cii_values(root, "//ram:SellerTradeParty/ram:ID") == ["12/345/67890"]


def test_voiding_a_self_billed_invoice_issues_a_261_credit_note_and_releases_the_leads(entity):
    invoice = finalize_invoice(make_payout(entity, leads=2))
    credit_note = void_invoice(invoice, "Wrong supplier address")
    assert credit_note.self_billed and credit_note.number.startswith("AFF-CN-")
    assert cii_values(xml_of(credit_note), "//rsm:ExchangedDocument/ram:TypeCode") == ["261"]
    assert generate_payout_drafts(entity, *OCTOBER).leads_paid == 2


def test_a_self_billed_invoice_is_numbered_in_its_own_sequence(entity, partner):
    from ..factories import make_final

    make_final(entity, partner)
    invoice = finalize_invoice(make_payout(entity))
    assert invoice.number == "AFF-000001"


def test_a_supplier_paid_in_another_currency_gets_a_payout_in_that_currency(entity):
    supplier = make_supplier(entity, currency="USD")
    payout = make_payout(entity, supplier)
    assert payout.currency == "USD"


def test_a_buyer_only_partner_is_not_asked_for_an_agreement(entity):
    partner = make_partner(entity)
    assert invoicing_details_problems(partner) == []


# Pages


def test_the_preview_page_lists_the_payouts(owner_client, entity):
    supply(entity, make_supplier(entity, name="Affiliate One"), 2, "4.00")
    page = owner_client.get(
        reverse("invoicing:preview"), {"start": "2026-10-01", "end": "2026-10-31"}
    )
    content = page.content.decode()
    assert "Payouts to lead suppliers" in content and "Affiliate One" in content


def test_generate_creates_the_payouts_too(finance_client, entity):
    supplier = make_supplier(entity)
    supply(entity, supplier, 2)
    finance_client.post(reverse("invoicing:generate"), {"start": "2026-10-01", "end": "2026-10-31"})
    assert Invoice.objects.filter(partner=supplier, self_billed=True).exists()


def test_a_payout_line_is_added_on_the_draft_page(finance_client, entity):
    payout = make_payout(entity)
    response = finance_client.post(
        reverse("invoicing:add_payout_line", args=[payout.pk]),
        {"description": "Bonus", "quantity": 1, "unit_price": "25.00"},
    )
    assert response.status_code == 302
    assert payout.lines.filter(kind=InvoiceLine.PAYOUT, description="Bonus").exists()


def test_the_draft_page_explains_a_missing_agreement(owner_client, entity):
    payout = make_payout(entity, make_supplier(entity, agreement=False))
    page = owner_client.get(reverse("invoicing:detail", args=[payout.pk])).content.decode()
    assert "Draft self-billed invoice" in page
    assert "No self-billing agreement is recorded" in page
