"""Peppol BIS Billing 3.0 and Self-Billing 3.0 from the one EN 16931 model: endpoint IDs
with their Peppol schemes, and the participant IDs, checked and suggested from VAT IDs.
The OpenPeppol rules themselves run on `export_einvoice_samples` (EINVOICE_CHECK.md)."""

import facturx
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from lxml import etree

from entities.peppol_ids import clean_peppol_id, suggested_peppol_id
from invoicing.billing import finalize_invoice
from invoicing.corrections import void_invoice
from invoicing.documents import store_xml
from invoicing.einvoice.model import PEPPOL_BIS_BILLING, PEPPOL_BIS_SELF_BILLING
from invoicing.payouts import generate_payout_drafts
from partners.checks import invoicing_details_problems
from partners.models import Partner

from ..factories import OCTOBER, make_draft, make_entity, make_partner, make_supplier, supply
from ..partners.test_partner_views import FORM
from .test_einvoice import UBL

PEPPOL = {"einvoice_format": Partner.EINVOICE_PEPPOL}


def xml(invoice) -> etree._Element:
    return etree.fromstring(bytes(store_xml(invoice).content))


def values(root, path) -> list[str]:
    return root.xpath(path, namespaces=UBL)


@pytest.fixture
def belgian_entity(account):
    return make_entity(account, country="BE", vat_id="BE0403019261", time_zone="Europe/Brussels")


@pytest.mark.parametrize(
    "scheme, value, written",
    [
        ("0208", "0403.019.261", "0403019261"),
        ("9925", "be 0403 019 261", "BE0403019261"),
        ("9930", "DE136695976", "DE136695976"),
        ("9914", "ATU13585627", "ATU13585627"),
        ("0204", "991-01234-56", "991-01234-56"),
        ("0009", "303 265 045 00011", "30326504500011"),
    ],
)
def test_a_peppol_id_is_checked_and_written_as_its_scheme_writes_it(scheme, value, written):
    assert clean_peppol_id(scheme, value) == written


@pytest.mark.parametrize("scheme, value", [("0208", "0403019262"), ("0204", "991 x"), ("", "1")])
def test_a_wrong_peppol_id_is_refused(scheme, value):
    with pytest.raises(ValidationError):
        clean_peppol_id(scheme, value)


def test_the_vat_id_suggests_the_peppol_id():
    assert suggested_peppol_id("BE", "BE0403019261") == ("0208", "0403019261")
    assert suggested_peppol_id("DE", "DE136695976") == ("9930", "DE136695976")
    assert suggested_peppol_id("US", "") is None


def test_a_belgian_invoice_names_both_participants_with_scheme_0208(belgian_entity):
    partner = make_partner(belgian_entity, country="BE", vat_id="BE0202239951", **PEPPOL)
    root = xml(finalize_invoice(make_draft(belgian_entity, partner)))
    assert facturx.xml_check_xsd(etree.tostring(root), "ubl-2.1-invoice")
    assert values(root, "/*/cbc:CustomizationID/text()") == [PEPPOL_BIS_BILLING]
    endpoints = values(root, "//cbc:EndpointID")
    assert [(e.get("schemeID"), e.text) for e in endpoints] == [
        ("0208", "0403019261"),
        ("0208", "0202239951"),
    ]


def test_an_entered_peppol_id_wins_over_the_suggestion(entity):
    partner = make_partner(
        entity, peppol_scheme="0204", peppol_id="991-01234-56", buyer_reference="991-01234-56",
        **PEPPOL,
    )  # fmt: skip
    root = xml(finalize_invoice(make_draft(entity, partner)))
    buyer_endpoint = values(root, "//cac:AccountingCustomerParty//cbc:EndpointID")[0]
    assert (buyer_endpoint.get("schemeID"), buyer_endpoint.text) == ("0204", "991-01234-56")


def test_a_peppol_invoice_has_one_note_and_a_buyer_reference(entity):
    partner = make_partner(entity, vat_id="DE129273398", **PEPPOL)
    draft = make_draft(entity, partner)
    draft.notes = "Thank you."
    draft.save(update_fields=["notes"])
    invoice = finalize_invoice(draft)
    root = xml(invoice)
    assert len(values(root, "/*/cbc:Note")) == 1  # PEPPOL-EN16931-R002
    assert values(root, "/*/cbc:BuyerReference/text()") == [invoice.number]  # R003


def test_a_peppol_credit_note_is_a_ubl_credit_note(belgian_entity):
    partner = make_partner(belgian_entity, country="BE", vat_id="BE0202239951", **PEPPOL)
    invoice = finalize_invoice(make_draft(belgian_entity, partner))
    credit_note = void_invoice(invoice, "Billed twice")
    content = bytes(store_xml(credit_note).content)
    assert facturx.xml_check_xsd(content, "ubl-2.1-creditnote")
    root = etree.fromstring(content)
    assert values(root, "/*/cbc:CreditNoteTypeCode/text()") == ["381"]


def test_a_self_billed_peppol_invoice_follows_the_self_billing_bis(entity):
    supplier = make_supplier(entity, vat_id="DE129273398", **PEPPOL)
    supply(entity, supplier, 1, "4.00")
    generate_payout_drafts(entity, *OCTOBER)
    draft = supplier.invoices.get(self_billed=True)
    root = xml(finalize_invoice(draft))
    assert values(root, "/*/cbc:CustomizationID/text()") == [PEPPOL_BIS_SELF_BILLING]
    assert values(root, "/*/cbc:InvoiceTypeCode/text()") == ["389"]
    seller = values(root, "//cac:AccountingSupplierParty//cbc:EndpointID")[0]
    assert (seller.get("schemeID"), seller.text) == ("9930", "DE129273398")


def test_a_partner_without_a_peppol_id_holds_its_peppol_invoice(entity):
    partner = make_partner(entity, country="US", vat_id="", region="NY", **PEPPOL)
    with pytest.raises(Exception, match="Fill in its Peppol ID"):
        finalize_invoice(make_draft(entity, partner))


def test_a_missing_peppol_id_is_among_the_partners_details_to_fix(entity):
    partner = make_partner(entity, country="US", vat_id="", region="NY", **PEPPOL)
    assert "Fill in its Peppol ID: its e-invoices go over Peppol." in (
        invoicing_details_problems(partner)
    )
    partner.peppol_scheme, partner.peppol_id = "0088", "4000001123452"
    assert invoicing_details_problems(partner) == []


def test_the_partner_form_checks_the_peppol_id(finance_client, entity):
    data = {**FORM, "peppol_scheme": "0208", "peppol_id": "0403019262"}
    response = finance_client.post(reverse("partners:create"), data)
    assert response.status_code == 400
    assert "not a valid Belgian enterprise number" in response.content.decode()


def test_the_partner_form_writes_the_peppol_id_as_its_scheme_does(finance_client, entity):
    data = {**FORM, "peppol_scheme": "9914", "peppol_id": "atu 13585627"}
    finance_client.post(reverse("partners:create"), data)
    partner = Partner.objects.get(name=FORM["name"])
    assert (partner.peppol_scheme, partner.peppol_id) == ("9914", "ATU13585627")


def test_belgian_businesses_invoice_each_other_over_peppol_by_default(belgian_entity):
    belgian = make_partner(belgian_entity, country="BE", vat_id="BE0202239951")
    dutch = make_partner(belgian_entity, country="NL", vat_id="NL004495445B01")
    assert belgian.effective_einvoice_format == Partner.EINVOICE_PEPPOL
    assert dutch.effective_einvoice_format == Partner.EINVOICE_FACTURX


def test_the_partner_form_sets_how_invoices_reach_the_partner(finance_client, entity):
    finance_client.post(reverse("partners:create"), {**FORM, "delivery": "portal"})
    assert Partner.objects.get(name=FORM["name"]).delivery == Partner.DELIVERY_PORTAL


def test_a_partner_added_without_a_delivery_setting_is_automatic(finance_client, entity):
    finance_client.post(reverse("partners:create"), FORM)
    assert Partner.objects.get(name=FORM["name"]).delivery == Partner.DELIVERY_AUTOMATIC


def test_peppol_delivery_refuses_another_e_invoice_format(finance_client, entity):
    data = {**FORM, "delivery": "peppol", "einvoice_format": "facturx"}
    response = finance_client.post(reverse("partners:create"), data)
    assert response.status_code == 400
    assert "Peppol carries Peppol BIS e-invoices" in response.content.decode()


def test_peppol_delivery_needs_a_peppol_id(finance_client, entity):
    data = {**FORM, "delivery": "peppol", "country": "US", "vat_id": "", "postcode": "10001"}
    response = finance_client.post(reverse("partners:create"), data)
    assert response.status_code == 400
    assert "Delivery over Peppol needs the partner" in response.content.decode()


def test_peppol_delivery_takes_the_peppol_id_the_vat_id_suggests(finance_client, entity):
    response = finance_client.post(reverse("partners:create"), {**FORM, "delivery": "peppol"})
    assert response.status_code == 302
    partner = Partner.objects.get(name=FORM["name"])
    assert partner.peppol_participant == ("9914", "ATU13585627")
    assert partner.effective_einvoice_format == Partner.EINVOICE_PEPPOL
