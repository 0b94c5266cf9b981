"""The XML e-invoices: valid against their XSDs, EN 16931 arithmetic (BR-CO-10 … BR-CO-16),
and the tax category of each case. The official schematron runs outside the suite (see
../shared/tools/EINVOICE_CHECK.md and `manage.py export_einvoice_samples`)."""

import io
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from distribution.models import DistributionTransaction
from invoicing.billing import add_credit, finalize_invoice, generate_drafts
from invoicing.corrections import cancel_delivery, void_invoice
from invoicing.documents import store_xml
from invoicing.models import Invoice, InvoiceDocument
from partners.models import Partner

from ..factories import (
    deliver,
    make_assignment,
    make_draft,
    make_final,
    make_partner,
    make_profile,
)

CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
UBL = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
VIES_VALID = {"vies_status": Partner.VIES_VALID, "vies_request_identifier": "WAPI1"}
XRECHNUNG = {"buyer_reference": "991-01234-56", "email": "rechnung@stadt.example.com"}


def xml_of(invoice) -> etree._Element:
    return etree.fromstring(bytes(store_xml(invoice).content))


def money(values) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal("0"))


def cii_values(root, path) -> list[str]:
    return root.xpath(path + "/text()", namespaces=CII)


def cii_value(root, path) -> Decimal:
    [value] = cii_values(root, path)
    return Decimal(value)


SUMMATION = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
LINE_TOTALS = "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
HEADER_TAXES = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
MID_OCTOBER = datetime(2026, 10, 15, 12, tzinfo=ZoneInfo("Europe/Berlin"))


def assert_cii_arithmetic(root):
    lines = money(
        cii_values(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
    )
    assert cii_value(root, SUMMATION + "LineTotalAmount") == lines  # BR-CO-10
    tax_basis = cii_value(root, SUMMATION + "TaxBasisTotalAmount")
    assert tax_basis == lines  # BR-CO-13, no allowances or charges
    taxes = root.xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=CII
    )
    vat_total = money(t.findtext("ram:CalculatedAmount", namespaces=CII) for t in taxes)
    currency = root.xpath("//ram:InvoiceCurrencyCode/text()", namespaces=CII)[0]
    tax_total = f"TaxTotalAmount[@currencyID='{currency}']"  # BT-110, not BT-111
    assert cii_value(root, SUMMATION + tax_total) == vat_total  # BR-CO-14
    grand = cii_value(root, SUMMATION + "GrandTotalAmount")
    assert grand == tax_basis + vat_total  # BR-CO-15
    assert cii_value(root, SUMMATION + "DuePayableAmount") == grand  # BR-CO-16, nothing prepaid
    for tax in taxes:  # BR-S-09 / BR-AE-09: VAT of a category = basis × rate, rounded once
        rate = Decimal(tax.findtext("ram:RateApplicablePercent", "0", namespaces=CII))
        basis = Decimal(tax.findtext("ram:BasisAmount", namespaces=CII))
        expected = (basis * rate / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert Decimal(tax.findtext("ram:CalculatedAmount", namespaces=CII)) == expected
    return taxes


def test_a_factur_x_invoice_passes_the_factur_x_en16931_xsd(entity, partner):
    invoice = make_final(entity, partner)
    assert facturx.xml_check_xsd(bytes(store_xml(invoice).content), "factur-x", "en16931")


def test_the_pdf_embeds_the_same_xml(entity, partner):
    invoice = make_final(entity, partner)
    pdf = bytes(invoice.documents.get(kind=InvoiceDocument.PDF).content)
    filename, embedded = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert embedded == bytes(store_xml(invoice).content)


def test_the_pdf_is_a_factur_x_pdf_a_3(entity, partner):
    invoice = make_final(entity, partner)
    pdf = PdfReader(io.BytesIO(bytes(invoice.documents.get(kind=InvoiceDocument.PDF).content)))
    xmp = etree.fromstring(pdf.trailer["/Root"]["/Metadata"].get_object().get_data())
    pdfa = "{http://www.aiim.org/pdfa/ns/id/}"
    fx = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"
    claims = {key: value for d in xmp.iter() for key, value in d.attrib.items()}
    assert (claims[f"{pdfa}part"], claims[f"{pdfa}conformance"]) == ("3", "B")
    values = {e.tag: e.text for e in xmp.iter() if isinstance(e.tag, str)}
    assert values[f"{fx}DocumentFileName"] == "factur-x.xml"
    assert values[f"{fx}ConformanceLevel"] == "EN 16931"
    schema = "{http://www.aiim.org/pdfa/ns/schema#}namespaceURI"
    assert values[schema] == "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
    [associated] = pdf.trailer["/Root"]["/AF"]
    assert associated.get_object()["/F"] == "factur-x.xml"
    assert associated.get_object()["/AFRelationship"] == "/Data"


def test_a_domestic_invoice_is_category_s_with_correct_arithmetic(entity, partner):
    root = xml_of(make_final(entity, partner, leads=3, price="12.35"))
    [tax] = assert_cii_arithmetic(root)
    assert tax.findtext("ram:CategoryCode", namespaces=CII) == "S"
    assert tax.findtext("ram:RateApplicablePercent", namespaces=CII) == "19.00"
    assert cii_value(root, SUMMATION + "GrandTotalAmount") == Decimal("44.09")


def test_a_credit_line_has_a_negative_quantity_and_the_totals_still_add_up(entity, partner):
    draft = make_draft(entity, partner, leads=3, price="10.00")
    add_credit(draft, "Credit: disputed lead", 1, Decimal("10.00"))
    root = xml_of(finalize_invoice(draft))
    assert_cii_arithmetic(root)
    assert cii_values(root, "//ram:BilledQuantity") == ["3", "-1"]
    assert cii_values(root, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == [
        "10.0000",
        "10.0000",
    ]
    assert cii_value(root, SUMMATION + "LineTotalAmount") == Decimal("20.00")


def test_a_reverse_charge_invoice_is_category_ae_with_both_vat_ids(entity):
    partner = make_partner(entity, country="AT", vat_id="ATU13585627", **VIES_VALID)
    root = xml_of(make_final(entity, partner))
    [tax] = assert_cii_arithmetic(root)
    assert tax.findtext("ram:CategoryCode", namespaces=CII) == "AE"
    assert tax.findtext("ram:ExemptionReasonCode", namespaces=CII) == "VATEX-EU-AE"
    assert cii_value(root, SUMMATION + "TaxTotalAmount") == Decimal("0.00")
    vat_ids = cii_values(root, "//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']")
    assert vat_ids == ["DE136695976", "ATU13585627"]
    assert "Reverse charge, VAT to be accounted for by the recipient." in cii_values(
        root, "//ram:IncludedNote/ram:Content"
    )


def test_an_invoice_outside_the_eu_is_category_o_without_vat_ids(entity):
    partner = make_partner(entity, country="US", einvoice_format=Partner.EINVOICE_FACTURX)
    root = xml_of(make_final(entity, partner))
    [tax] = assert_cii_arithmetic(root)
    assert tax.findtext("ram:CategoryCode", namespaces=CII) == "O"
    assert tax.findtext("ram:ExemptionReasonCode", namespaces=CII) == "VATEX-EU-O"
    assert tax.find("ram:RateApplicablePercent", namespaces=CII) is None
    assert cii_values(root, "//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == []
    assert cii_values(root, "//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']") == [
        "27/123/45678"
    ]


def test_an_xrechnung_cii_names_the_specification_and_the_leitweg_id(entity):
    partner = make_partner(entity, einvoice_format=Partner.EINVOICE_XRECHNUNG_CII, **XRECHNUNG)
    invoice = make_final(entity, partner)
    xml = bytes(store_xml(invoice).content)
    assert facturx.xml_check_xsd(xml, "factur-x", "en16931")
    root = etree.fromstring(xml)
    assert cii_values(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
    ]
    assert cii_values(root, "//ram:BuyerReference") == ["991-01234-56"]
    assert cii_values(root, "//ram:SellerTradeParty/ram:DefinedTradeContact/ram:PersonName") == [
        "Anna Becker"
    ]
    assert_cii_arithmetic(root)


def ubl_value(root, path) -> Decimal:
    [value] = root.xpath(path + "/text()", namespaces=UBL)
    return Decimal(value)


def test_an_xrechnung_ubl_passes_the_ubl_xsd_and_adds_up(entity):
    partner = make_partner(entity, einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL, **XRECHNUNG)
    draft = make_draft(entity, partner, leads=3, price="9.99")
    add_credit(draft, "Credit: disputed lead", 1, Decimal("9.99"))
    xml = bytes(store_xml(finalize_invoice(draft)).content)
    assert facturx.xml_check_xsd(xml, "ubl-2.1-invoice")
    root = etree.fromstring(xml)
    lines = money(root.xpath("//cac:InvoiceLine/cbc:LineExtensionAmount/text()", namespaces=UBL))
    total = "//cac:LegalMonetaryTotal/cbc:"
    assert ubl_value(root, total + "LineExtensionAmount") == lines == Decimal("19.98")
    vat = ubl_value(root, "//cac:TaxTotal/cbc:TaxAmount")
    assert vat == Decimal("3.80")
    assert ubl_value(root, total + "TaxInclusiveAmount") == lines + vat
    assert ubl_value(root, total + "PayableAmount") == lines + vat
    assert root.xpath("//cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()", namespaces=UBL) == ["S"]


def test_a_pdf_only_partner_gets_no_xml(entity):
    partner = make_partner(entity, einvoice_format=Partner.EINVOICE_PDF)
    invoice = make_final(entity, partner)
    assert store_xml(invoice) is None
    assert list(invoice.documents.values_list("kind", flat=True)) == ["pdf"]


def test_xrechnung_needs_the_leitweg_id_before_finalizing(entity):
    partner = make_partner(entity, einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL)
    draft = make_draft(entity, partner)
    with pytest.raises(Exception, match="buyer reference"):
        finalize_invoice(draft)


def test_an_eu_partner_defaults_to_factur_x_and_others_to_pdf(entity):
    assert make_partner(entity, country="FR").effective_einvoice_format == "facturx"
    assert make_partner(entity, country="US").effective_einvoice_format == "pdf"


def test_each_assignment_and_price_is_its_own_line(entity, partner):
    for price in ["15.00", "12.50", "9.99"]:
        deliver(make_assignment(make_profile(entity, price), partner), 2, MID_OCTOBER)
    generate_drafts(entity, date(2026, 10, 1), date(2026, 10, 31))
    root = xml_of(finalize_invoice(Invoice.objects.get(partner=partner)))
    assert len(cii_values(root, LINE_TOTALS)) == 3
    assert_cii_arithmetic(root)


def test_a_credit_note_is_type_381_and_names_the_invoice_it_corrects(entity, partner):
    invoice = make_final(entity, partner, leads=2)
    txn = DistributionTransaction.objects.filter(invoice_id=invoice.pk).first()
    credit_note = finalize_invoice(cancel_delivery(txn, "rejected"))
    xml = bytes(store_xml(credit_note).content)
    assert facturx.xml_check_xsd(xml, "factur-x", "en16931")
    root = etree.fromstring(xml)
    assert cii_values(root, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert cii_values(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [
        invoice.number
    ]
    assert_cii_arithmetic(root)


def test_an_xrechnung_ubl_credit_note_passes_the_credit_note_xsd(entity):
    partner = make_partner(entity, einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL, **XRECHNUNG)
    invoice = make_final(entity, partner, leads=2)
    credit_note = void_invoice(invoice, "Wrong partner")
    xml = bytes(store_xml(credit_note).content)
    assert facturx.xml_check_xsd(xml, "ubl-2.1-creditnote")
    root = etree.fromstring(xml)
    assert root.tag.endswith("}CreditNote")
    assert root.xpath("//cbc:CreditNoteTypeCode/text()", namespaces=UBL) == ["381"]
    reference = "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()"
    assert root.xpath(reference, namespaces=UBL) == [invoice.number]


def test_an_xrechnung_outside_the_eu_states_a_rate_of_zero_in_the_breakdown(entity):
    partner = make_partner(
        entity, country="CH", einvoice_format=Partner.EINVOICE_XRECHNUNG_CII, **XRECHNUNG
    )
    root = etree.fromstring(bytes(store_xml(make_final(entity, partner)).content))
    header = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    assert cii_values(root, f"{header}/ram:CategoryCode") == ["O"]
    assert cii_values(root, f"{header}/ram:RateApplicablePercent") == ["0.00"]  # BR-DE-14
    line_rates = "//ram:SpecifiedLineTradeSettlement//ram:RateApplicablePercent"
    assert cii_values(root, line_rates) == []  # BR-O-05


def test_an_xrechnung_ubl_outside_the_eu_states_a_rate_of_zero_in_the_breakdown(entity):
    partner = make_partner(
        entity, country="NO", einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL, **XRECHNUNG
    )
    root = etree.fromstring(bytes(store_xml(make_final(entity, partner)).content))
    path = "//cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent/text()"
    assert root.xpath(path, namespaces=UBL) == ["0.00"]
    assert root.xpath("//cac:ClassifiedTaxCategory/cbc:Percent", namespaces=UBL) == []
