"""UN/CEFACT Cross Industry Invoice (CII D16B) from the EN 16931 model: the XML of ZUGFeRD /
Factur-X (profile EN 16931) and of XRechnung CII. Element order follows the XSD."""

import base64
from datetime import date
from decimal import Decimal

from lxml import etree

from ..amounts import format_amount
from .model import Allowance, Document, Line, Party, TaxBreakdown

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}


def _el(parent, tag: str, text=None, **attrib):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrib)
    if text is not None:
        element.text = str(text)
    return element


def _date(parent, tag: str, value: date, qualified: bool = False):
    wrapper = _el(parent, tag)
    _el(
        wrapper,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        f"{value:%Y%m%d}",
        format="102",
    )
    return wrapper


def _amount(value: Decimal, currency: str) -> str:
    return format_amount(value, currency)


def _rate(value: Decimal) -> str:
    return f"{value:.2f}"


def serialize(doc: Document) -> bytes:
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)

    context = _el(root, "rsm:ExchangedDocumentContext")
    if doc.business_process:
        _el(
            _el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"),
            "ram:ID",
            doc.business_process,
        )
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", doc.specification)

    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", doc.number)
    _el(header, "ram:TypeCode", doc.type_code)
    _date(header, "ram:IssueDateTime", doc.issue_date)
    for note in doc.notes:
        _el(_el(header, "ram:IncludedNote"), "ram:Content", note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in doc.lines:
        _line(transaction, line, doc.currency)

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    if doc.buyer_reference:
        _el(agreement, "ram:BuyerReference", doc.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", doc.seller, is_seller=True)
    _party(agreement, "ram:BuyerTradeParty", doc.buyer, is_seller=False)
    for attached in doc.supporting_documents:
        reference = _el(agreement, "ram:AdditionalReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", attached.reference)
        _el(reference, "ram:TypeCode", "916")  # UNTDID 1001: a related document
        _el(reference, "ram:Name", attached.description)
        _el(
            reference,
            "ram:AttachmentBinaryObject",
            base64.b64encode(attached.content).decode(),
            mimeCode=attached.mime_code,
            filename=attached.filename,
        )

    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    if doc.remittance:
        _el(settlement, "ram:PaymentReference", doc.remittance)
    if doc.tax_currency:
        _el(settlement, "ram:TaxCurrencyCode", doc.tax_currency)
    _el(settlement, "ram:InvoiceCurrencyCode", doc.currency)
    if doc.payment:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", doc.payment.means_code)
        account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
        _el(account, "ram:IBANID", doc.payment.iban)
        if doc.payment.account_name:
            _el(account, "ram:AccountName", doc.payment.account_name)
        if doc.payment.bic:
            _el(
                _el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"),
                "ram:BICID",
                doc.payment.bic,
            )
    for tax in doc.taxes:
        _header_tax(settlement, tax, doc.currency)
    if doc.period_start and doc.period_end:
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", doc.period_start)
        _date(period, "ram:EndDateTime", doc.period_end)
    for allowance in doc.allowances:
        _allowance(settlement, allowance, doc.currency)
    if doc.payment_terms or doc.due_date:
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        if doc.payment_terms:
            _el(terms, "ram:Description", doc.payment_terms)
        if doc.due_date:
            _date(terms, "ram:DueDateDateTime", doc.due_date)
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", _amount(doc.line_total, doc.currency))
    if doc.allowances:
        _el(totals, "ram:AllowanceTotalAmount", _amount(doc.allowance_total, doc.currency))
    _el(totals, "ram:TaxBasisTotalAmount", _amount(doc.tax_basis_total, doc.currency))
    _el(totals, "ram:TaxTotalAmount", _amount(doc.tax_total, doc.currency), currencyID=doc.currency)
    if doc.tax_currency:  # BR-53: the VAT total in the accounting currency too
        _el(
            totals,
            "ram:TaxTotalAmount",
            _amount(doc.tax_total_in_tax_currency, doc.tax_currency),
            currencyID=doc.tax_currency,
        )
    _el(totals, "ram:GrandTotalAmount", _amount(doc.grand_total, doc.currency))
    _el(totals, "ram:DuePayableAmount", _amount(doc.due_payable, doc.currency))
    if doc.preceding_invoice:
        number, issued = doc.preceding_invoice
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", number)
        _date(reference, "ram:FormattedIssueDateTime", issued, qualified=True)

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _line(parent, line: Line, currency: str) -> None:
    item = _el(parent, "ram:IncludedSupplyChainTradeLineItem")
    _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.id)
    _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)
    agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
    _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", line.net_price)
    _el(
        _el(item, "ram:SpecifiedLineTradeDelivery"),
        "ram:BilledQuantity",
        line.quantity,
        unitCode=line.unit_code,
    )
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", line.tax_category)
    if line.tax_rate is not None:
        _el(tax, "ram:RateApplicablePercent", _rate(line.tax_rate))
    _el(
        _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
        "ram:LineTotalAmount",
        _amount(line.net_amount, currency),
    )


def _party(parent, tag: str, party: Party, is_seller: bool) -> None:
    element = _el(parent, tag)
    if party.identifier and party.identifier_scheme:
        _el(element, "ram:GlobalID", party.identifier, schemeID=party.identifier_scheme)
    elif party.identifier:
        _el(element, "ram:ID", party.identifier)
    _el(element, "ram:Name", party.name)
    if is_seller and party.legal_info:
        _el(element, "ram:Description", party.legal_info)
    if party.legal_id:
        organization = _el(element, "ram:SpecifiedLegalOrganization")
        scheme = {"schemeID": party.legal_id_scheme} if party.legal_id_scheme else {}
        _el(organization, "ram:ID", party.legal_id, **scheme)
    if party.contact_name or party.contact_phone or party.contact_email:
        contact = _el(element, "ram:DefinedTradeContact")
        if party.contact_name:
            _el(contact, "ram:PersonName", party.contact_name)
        if party.contact_phone:
            _el(
                _el(contact, "ram:TelephoneUniversalCommunication"),
                "ram:CompleteNumber",
                party.contact_phone,
            )
        if party.contact_email:
            _el(
                _el(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.contact_email
            )
    address = _el(element, "ram:PostalTradeAddress")
    if party.address.postcode:
        _el(address, "ram:PostcodeCode", party.address.postcode)
    if party.address.street:
        _el(address, "ram:LineOne", party.address.street)
    if party.address.city:
        _el(address, "ram:CityName", party.address.city)
    _el(address, "ram:CountryID", party.address.country)
    if party.address.region:
        _el(address, "ram:CountrySubDivisionName", party.address.region)
    if party.electronic_address:
        _el(
            _el(element, "ram:URIUniversalCommunication"),
            "ram:URIID",
            party.electronic_address,
            schemeID=party.electronic_address_scheme,
        )
    if party.vat_id:
        _el(_el(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")
    if is_seller and party.tax_number:
        _el(_el(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_number, schemeID="FC")


def _allowance(parent, allowance: Allowance, currency: str) -> None:
    element = _el(parent, "ram:SpecifiedTradeAllowanceCharge")
    _el(_el(element, "ram:ChargeIndicator"), "udt:Indicator", "false")
    if allowance.percent is not None:
        _el(element, "ram:CalculationPercent", _rate(allowance.percent))
        _el(element, "ram:BasisAmount", _amount(allowance.base_amount, currency))
    _el(element, "ram:ActualAmount", _amount(allowance.amount, currency))
    _el(element, "ram:Reason", allowance.reason)
    tax = _el(element, "ram:CategoryTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", allowance.category)
    if allowance.rate is not None:
        _el(tax, "ram:RateApplicablePercent", _rate(allowance.rate))


def _header_tax(parent, tax: TaxBreakdown, currency: str) -> None:
    element = _el(parent, "ram:ApplicableTradeTax")
    _el(element, "ram:CalculatedAmount", _amount(tax.tax_amount, currency))
    _el(element, "ram:TypeCode", "VAT")
    if tax.exemption_reason:
        _el(element, "ram:ExemptionReason", tax.exemption_reason)
    _el(element, "ram:BasisAmount", _amount(tax.taxable_amount, currency))
    _el(element, "ram:CategoryCode", tax.category)
    if tax.exemption_code:
        _el(element, "ram:ExemptionReasonCode", tax.exemption_code)
    if tax.rate is not None:
        _el(element, "ram:RateApplicablePercent", _rate(tax.rate))
