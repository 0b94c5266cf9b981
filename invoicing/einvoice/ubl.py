"""OASIS UBL 2.1 from the EN 16931 model: XRechnung UBL (and Peppol BIS Billing 3.0).
An invoice is an `Invoice`, a credit note a `CreditNote`. Element order follows the XSD."""

import base64
from decimal import Decimal

from lxml import etree

from ..amounts import format_amount
from .model import Allowance, Document, Line, Party, TaxBreakdown

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"


def _el(parent, tag: str, text=None, **attrib):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{CAC if prefix == 'cac' else CBC}}}{name}", attrib)
    if text is not None:
        element.text = str(text)
    return element


def _amount(parent, tag: str, value: Decimal, currency: str):
    return _el(parent, tag, format_amount(value, currency), currencyID=currency)


def serialize(doc: Document) -> bytes:
    credit = doc.is_credit_note
    namespace = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(
        f"{{{namespace}}}{'CreditNote' if credit else 'Invoice'}",
        nsmap={None: namespace, "cac": CAC, "cbc": CBC},
    )
    _el(root, "cbc:CustomizationID", doc.specification)
    if doc.business_process:
        _el(root, "cbc:ProfileID", doc.business_process)
    _el(root, "cbc:ID", doc.number)
    _el(root, "cbc:IssueDate", doc.issue_date.isoformat())
    if doc.due_date and not credit:
        _el(root, "cbc:DueDate", doc.due_date.isoformat())
    _el(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", doc.type_code)
    for note in doc.notes:
        _el(root, "cbc:Note", note)
    _el(root, "cbc:DocumentCurrencyCode", doc.currency)
    if doc.tax_currency:
        _el(root, "cbc:TaxCurrencyCode", doc.tax_currency)
    if doc.buyer_reference:
        _el(root, "cbc:BuyerReference", doc.buyer_reference)
    if doc.period_start and doc.period_end:
        period = _el(root, "cac:InvoicePeriod")
        _el(period, "cbc:StartDate", doc.period_start.isoformat())
        _el(period, "cbc:EndDate", doc.period_end.isoformat())
    if doc.preceding_invoice:
        number, issued = doc.preceding_invoice
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", number)
        _el(reference, "cbc:IssueDate", issued.isoformat())

    for attached in doc.supporting_documents:
        reference = _el(root, "cac:AdditionalDocumentReference")
        _el(reference, "cbc:ID", attached.reference)
        _el(reference, "cbc:DocumentDescription", attached.description)
        _el(
            _el(reference, "cac:Attachment"),
            "cbc:EmbeddedDocumentBinaryObject",
            base64.b64encode(attached.content).decode(),
            mimeCode=attached.mime_code,
            filename=attached.filename,
        )

    _party(_el(root, "cac:AccountingSupplierParty"), doc.seller, is_seller=True)
    _party(_el(root, "cac:AccountingCustomerParty"), doc.buyer, is_seller=False)

    if doc.payment:
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", doc.payment.means_code)
        if credit and doc.due_date:
            _el(means, "cbc:PaymentDueDate", doc.due_date.isoformat())
        if doc.remittance:
            _el(means, "cbc:PaymentID", doc.remittance)
        account = _el(means, "cac:PayeeFinancialAccount")
        _el(account, "cbc:ID", doc.payment.iban)
        if doc.payment.account_name:
            _el(account, "cbc:Name", doc.payment.account_name)
        if doc.payment.bic:
            _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", doc.payment.bic)
    if doc.payment_terms:
        _el(_el(root, "cac:PaymentTerms"), "cbc:Note", doc.payment_terms)

    for allowance in doc.allowances:
        _allowance(root, allowance, doc.currency)

    tax_total = _el(root, "cac:TaxTotal")
    _amount(tax_total, "cbc:TaxAmount", doc.tax_total, doc.currency)
    for tax in doc.taxes:
        _tax_subtotal(tax_total, tax, doc.currency)
    if doc.tax_currency:  # BR-53: the VAT total in the accounting currency, alone
        _amount(
            _el(root, "cac:TaxTotal"),
            "cbc:TaxAmount",
            doc.tax_total_in_tax_currency,
            doc.tax_currency,
        )

    totals = _el(root, "cac:LegalMonetaryTotal")
    _amount(totals, "cbc:LineExtensionAmount", doc.line_total, doc.currency)
    _amount(totals, "cbc:TaxExclusiveAmount", doc.tax_basis_total, doc.currency)
    _amount(totals, "cbc:TaxInclusiveAmount", doc.grand_total, doc.currency)
    if doc.allowances:
        _amount(totals, "cbc:AllowanceTotalAmount", doc.allowance_total, doc.currency)
    _amount(totals, "cbc:PayableAmount", doc.due_payable, doc.currency)

    for line in doc.lines:
        _line(root, line, doc.currency, credit)

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _party(parent, party: Party, is_seller: bool) -> None:
    element = _el(parent, "cac:Party")
    if party.electronic_address:
        _el(
            element,
            "cbc:EndpointID",
            party.electronic_address,
            schemeID=party.electronic_address_scheme,
        )
    if party.identifier:
        scheme = {"schemeID": party.identifier_scheme} if party.identifier_scheme else {}
        _el(_el(element, "cac:PartyIdentification"), "cbc:ID", party.identifier, **scheme)
    address = _el(element, "cac:PostalAddress")
    if party.address.street:
        _el(address, "cbc:StreetName", party.address.street)
    if party.address.city:
        _el(address, "cbc:CityName", party.address.city)
    if party.address.postcode:
        _el(address, "cbc:PostalZone", party.address.postcode)
    if party.address.region:
        _el(address, "cbc:CountrySubentity", party.address.region)
    _el(_el(address, "cac:Country"), "cbc:IdentificationCode", party.address.country)
    if party.vat_id:
        scheme = _el(element, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.vat_id)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    if is_seller and party.tax_number:
        scheme = _el(element, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.tax_number)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "FC")
    legal_entity = _el(element, "cac:PartyLegalEntity")
    _el(legal_entity, "cbc:RegistrationName", party.name)
    if party.legal_id:
        scheme = {"schemeID": party.legal_id_scheme} if party.legal_id_scheme else {}
        _el(legal_entity, "cbc:CompanyID", party.legal_id, **scheme)
    if is_seller and party.legal_info:
        _el(legal_entity, "cbc:CompanyLegalForm", party.legal_info)
    if party.contact_name or party.contact_phone or party.contact_email:
        contact = _el(element, "cac:Contact")
        if party.contact_name:
            _el(contact, "cbc:Name", party.contact_name)
        if party.contact_phone:
            _el(contact, "cbc:Telephone", party.contact_phone)
        if party.contact_email:
            _el(contact, "cbc:ElectronicMail", party.contact_email)


def _allowance(parent, allowance: Allowance, currency: str) -> None:
    element = _el(parent, "cac:AllowanceCharge")
    _el(element, "cbc:ChargeIndicator", "false")
    _el(element, "cbc:AllowanceChargeReason", allowance.reason)
    if allowance.percent is not None:
        _el(element, "cbc:MultiplierFactorNumeric", f"{allowance.percent:.2f}")
    _amount(element, "cbc:Amount", allowance.amount, currency)
    if allowance.base_amount is not None:
        _amount(element, "cbc:BaseAmount", allowance.base_amount, currency)
    _tax_category(element, "cac:TaxCategory", allowance.category, allowance.rate)


def _tax_category(parent, tag: str, category: str, rate, reason="", code=""):
    element = _el(parent, tag)
    _el(element, "cbc:ID", category)
    if rate is not None:
        _el(element, "cbc:Percent", f"{rate:.2f}")
    if code:
        _el(element, "cbc:TaxExemptionReasonCode", code)
    if reason:
        _el(element, "cbc:TaxExemptionReason", reason)
    _el(_el(element, "cac:TaxScheme"), "cbc:ID", "VAT")
    return element


def _tax_subtotal(parent, tax: TaxBreakdown, currency: str) -> None:
    subtotal = _el(parent, "cac:TaxSubtotal")
    _amount(subtotal, "cbc:TaxableAmount", tax.taxable_amount, currency)
    _amount(subtotal, "cbc:TaxAmount", tax.tax_amount, currency)
    _tax_category(
        subtotal,
        "cac:TaxCategory",
        tax.category,
        tax.rate,
        tax.exemption_reason,
        tax.exemption_code,
    )


def _line(parent, line: Line, currency: str, credit: bool) -> None:
    element = _el(parent, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
    _el(element, "cbc:ID", line.id)
    _el(
        element,
        "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity",
        line.quantity,
        unitCode=line.unit_code,
    )
    _amount(element, "cbc:LineExtensionAmount", line.net_amount, currency)
    item = _el(element, "cac:Item")
    _el(item, "cbc:Name", line.name)
    _tax_category(item, "cac:ClassifiedTaxCategory", line.tax_category, line.tax_rate)
    _el(_el(element, "cac:Price"), "cbc:PriceAmount", f"{line.net_price}", currencyID=currency)
