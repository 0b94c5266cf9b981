"""Addresses as each country writes them: American and Canadian ones name the state or
province, and the city line follows the country's order ("Chicago, IL 60606")."""

from django.urls import reverse
from lxml import etree

from entities.addresses import city_lines
from invoicing.documents import store_xml
from partners.checks import invoicing_details_problems
from partners.models import Partner

from ..factories import make_final, make_partner
from ..invoicing.test_einvoice import CII, UBL, XRECHNUNG
from ..invoicing.test_invoice_template import pdf_text
from .test_partner_views import FORM

CHICAGO = {"street": "233 S Wacker Dr", "postcode": "60606", "city": "Chicago", "country": "US",
           "vat_id": ""}  # fmt: skip


def test_an_american_city_line_is_city_state_zip():
    assert city_lines("US", "60606", "Chicago", "IL") == ["Chicago, IL 60606"]


def test_a_canadian_city_line_is_city_province_postcode():
    assert city_lines("CA", "M5X 1A9", "Toronto", "ON") == ["Toronto ON M5X 1A9"]


def test_a_british_postcode_has_a_line_of_its_own():
    assert city_lines("GB", "SW1A 1AA", "London") == ["London", "SW1A 1AA"]


def test_a_german_city_line_is_postcode_city():
    assert city_lines("DE", "10117", "Berlin") == ["10117 Berlin"]


def test_an_american_partner_needs_its_state(finance_client, entity):
    response = finance_client.post(reverse("partners:create"), {**FORM, **CHICAGO, "region": ""})
    assert response.status_code == 400
    assert "state or province" in response.context["form"].errors["region"][0]


def test_a_state_that_does_not_exist_is_refused(finance_client, entity):
    response = finance_client.post(reverse("partners:create"), {**FORM, **CHICAGO, "region": "XX"})
    assert response.status_code == 400
    assert "XX is not a state" in response.context["form"].errors["region"][0]


def test_a_state_written_out_is_stored_as_its_code(finance_client, entity):
    data = {**FORM, **CHICAGO, "region": "illinois"}
    assert finance_client.post(reverse("partners:create"), data).status_code == 302
    assert Partner.objects.get(name=FORM["name"]).region == "IL"


def test_a_canadian_partner_without_province_cannot_be_invoiced(entity):
    partner = make_partner(entity, country="CA", region="", postcode="M5X 1A9", city="Toronto")
    assert any("state or province" in problem for problem in invoicing_details_problems(partner))


def test_an_american_entity_needs_its_state_in_settings(owner_client, entity):
    page = owner_client.get(reverse("entities:settings"))
    data = {
        name: (value if value is not None else "")
        for name, value in page.context["form"].initial.items()
    }
    data.update(country="US", region="", vat_id="", postcode="10118", city="New York")
    response = owner_client.post(reverse("entities:settings"), data)
    assert response.status_code == 400
    assert "region" in response.context["form"].errors


def test_the_pdf_prints_the_american_address_in_its_order(entity):
    partner = make_partner(entity, **CHICAGO, region="IL")
    assert "Chicago, IL 60606" in pdf_text(make_final(entity, partner))


def test_the_invoice_page_prints_the_american_address_in_its_order(owner_client, entity):
    invoice = make_final(entity, make_partner(entity, **CHICAGO, region="IL"))
    page = owner_client.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()
    assert "Chicago, IL 60606" in page


def test_the_cii_names_the_buyers_state(entity):
    partner = make_partner(entity, **CHICAGO, region="IL", einvoice_format=Partner.EINVOICE_FACTURX)
    root = etree.fromstring(bytes(store_xml(make_final(entity, partner)).content))
    path = "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountrySubDivisionName/text()"
    assert root.xpath(path, namespaces=CII) == ["IL"]


def test_the_ubl_names_the_buyers_state(entity):
    partner = make_partner(
        entity, **CHICAGO, region="IL", einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL, **XRECHNUNG
    )
    root = etree.fromstring(bytes(store_xml(make_final(entity, partner)).content))
    path = "//cac:AccountingCustomerParty//cac:PostalAddress/cbc:CountrySubentity/text()"
    assert root.xpath(path, namespaces=UBL) == ["IL"]
