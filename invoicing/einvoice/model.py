"""The EN 16931 semantic model of a finalized invoice, built from what the invoice stores.

The business terms (BT-n, BG-n) are those of EN 16931-1. The serializers in `cii` and `ubl`
write this model and nothing else, so both syntaxes say the same thing. Amounts are the ones
stored on the invoice and its lines at finalize; nothing is recomputed here.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from entities.national_mentions import SIRET_SCHEME, registration_id, registration_scheme

from ..banking import printed_reference
from ..document_text import REVERSE_CHARGE as REVERSE_CHARGE_MENTION
from ..document_text import (
    SELF_BILLING,
    in_language,
    legal_mentions,
    line_description,
    national_invoice_mentions,
    payment_terms,
)
from ..lead_list import lead_list_csv, lead_list_filename
from ..models import Invoice
from ..taxes import NOT_SUBJECT, REVERSE_CHARGE

# UNTDID 1001 document type codes (BT-3).
INVOICE = "380"
CREDIT_NOTE = "381"
SELF_BILLED_INVOICE = "389"
SELF_BILLED_CREDIT_NOTE = "261"
CREDIT_NOTE_TYPES = {CREDIT_NOTE, SELF_BILLED_CREDIT_NOTE}

# Specification identifiers (BT-24) and the business process (BT-23).
EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_BIS_BILLING = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_BIS_SELF_BILLING = (
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:selfbilling:3.0"
)
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
PEPPOL_SELF_BILLING = "urn:fdc:peppol.eu:2017:poacc:selfbilling:01:1.0"
EMAIL_SCHEME = "EM"  # an email address as the electronic address (not a Peppol scheme)

# UNCL 4461 payment means (BT-81): SEPA credit transfer, or any other credit transfer.
SEPA_CREDIT_TRANSFER = "58"
CREDIT_TRANSFER = "30"


UNIT_ONE = "C62"  # UN/ECE Rec 20: "one", each lead


@dataclass(frozen=True)
class Address:
    street: str
    postcode: str
    city: str
    country: str  # ISO 3166-1 alpha-2 (GR for Greece, even though its VAT IDs start EL)
    region: str = ""  # BT-39 / BT-54: the state or province (IL, ON)


@dataclass(frozen=True)
class Party:
    name: str  # BT-27 / BT-44
    address: Address
    vat_id: str = ""  # BT-31 / BT-48
    tax_number: str = ""  # BT-32 (seller only)
    identifier: str = ""  # BT-29 / BT-46
    identifier_scheme: str = ""  # its ISO 6523 scheme (0009 SIRET), if any
    legal_id: str = ""  # BT-30 / BT-47, the legal registration identifier
    legal_id_scheme: str = ""  # its ISO 6523 scheme (0002 SIREN, 0208, 0106), if any
    legal_info: str = ""  # BT-33 (seller only): register, legal form, capital
    electronic_address: str = ""  # BT-34 / BT-49: an email address, or a Peppol ID
    electronic_address_scheme: str = EMAIL_SCHEME  # its scheme: EM, or a Peppol EAS code
    contact_name: str = ""  # BT-41
    contact_phone: str = ""  # BT-42
    contact_email: str = ""  # BT-43


@dataclass(frozen=True)
class Line:
    id: str  # BT-126
    name: str  # BT-153
    quantity: Decimal  # BT-129, negative on a credit line
    net_price: Decimal  # BT-146, never negative (BR-27)
    net_amount: Decimal  # BT-131
    tax_category: str  # BT-151
    tax_rate: Decimal | None  # BT-152, absent for category O
    unit_code: str = UNIT_ONE  # BT-130


@dataclass(frozen=True)
class TaxBreakdown:  # BG-23
    category: str  # BT-118
    rate: Decimal | None  # BT-119: absent for category O, but 0 in XRechnung (BR-DE-14)
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    exemption_reason: str = ""  # BT-120
    exemption_code: str = ""  # BT-121


@dataclass(frozen=True)
class Payment:  # BG-16
    means_code: str  # BT-81
    iban: str  # BT-84
    account_name: str = ""  # BT-85
    bic: str = ""  # BT-86


@dataclass(frozen=True)
class Allowance:  # BG-20
    amount: Decimal  # BT-92
    reason: str  # BT-97
    category: str  # BT-95
    rate: Decimal | None  # BT-96, absent for category O
    base_amount: Decimal | None = None  # BT-93, with a percentage
    percent: Decimal | None = None  # BT-94


@dataclass(frozen=True)
class SupportingDocument:  # BG-24
    reference: str  # BT-122
    description: str  # BT-123
    filename: str  # BT-125, its filename
    mime_code: str  # BT-125, its mime code: text/csv is one of those BR-CL-24 allows
    content: bytes  # BT-125


@dataclass(frozen=True)
class Document:
    specification: str  # BT-24
    type_code: str  # BT-3
    number: str  # BT-1
    issue_date: date  # BT-2
    currency: str  # BT-5
    seller: Party  # BG-4
    buyer: Party  # BG-7
    lines: list[Line]
    taxes: list[TaxBreakdown]
    line_total: Decimal  # BT-106
    tax_basis_total: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    grand_total: Decimal  # BT-112
    due_payable: Decimal  # BT-115
    due_date: date | None = None  # BT-9
    period_start: date | None = None  # BT-73
    period_end: date | None = None  # BT-74
    buyer_reference: str = ""  # BT-10
    business_process: str = ""  # BT-23
    notes: list[str] = field(default_factory=list)  # BT-22
    payment: Payment | None = None
    remittance: str = ""  # BT-83, the payment reference
    payment_terms: str = ""  # BT-20
    preceding_invoice: tuple[str, date] | None = None  # BG-3: BT-25, BT-26
    supporting_documents: list[SupportingDocument] = field(default_factory=list)  # BG-24
    allowances: list[Allowance] = field(default_factory=list)  # BG-20
    allowance_total: Decimal = Decimal(0)  # BT-107
    tax_currency: str = ""  # BT-6, the VAT accounting currency
    tax_total_in_tax_currency: Decimal | None = None  # BT-111

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in CREDIT_NOTE_TYPES

    @property
    def is_xrechnung(self) -> bool:
        return self.specification == XRECHNUNG

    @property
    def is_peppol(self) -> bool:
        return self.specification in (PEPPOL_BIS_BILLING, PEPPOL_BIS_SELF_BILLING)


def type_code(invoice: Invoice) -> str:
    if invoice.self_billed:
        return SELF_BILLED_CREDIT_NOTE if invoice.is_credit_note else SELF_BILLED_INVOICE
    return CREDIT_NOTE if invoice.is_credit_note else INVOICE


def build_document(invoice: Invoice, xrechnung: bool = False, peppol: bool = False) -> Document:
    """The EN 16931 model of a finalized invoice, as a Factur-X (EN 16931 profile), an
    XRechnung 3.0 or a Peppol BIS Billing 3.0 (Self-Billing 3.0) document."""
    if not invoice.is_final:
        raise ValueError("Only a finalized invoice is an e-invoice.")
    with in_language(invoice):  # its notes and payment terms
        return _build_document(invoice, xrechnung, peppol)


def _specification(invoice: Invoice, xrechnung: bool, peppol: bool) -> tuple[str, str]:
    """BT-24 and BT-23."""
    if peppol:
        if invoice.self_billed:
            return PEPPOL_BIS_SELF_BILLING, PEPPOL_SELF_BILLING
        return PEPPOL_BIS_BILLING, PEPPOL_BILLING
    return (XRECHNUNG, PEPPOL_BILLING) if xrechnung else (EN16931, "")


def _endpoint(details: dict, peppol: bool) -> dict:
    """BT-34 / BT-49: on Peppol the participant ID, elsewhere the email address."""
    if peppol:
        return {
            "electronic_address": details.get("peppol_id", ""),
            "electronic_address_scheme": details.get("peppol_scheme", ""),
        }
    return {"electronic_address": details.get("email", "")}


def _build_document(invoice: Invoice, xrechnung: bool, peppol: bool) -> Document:
    seller, buyer = invoice.seller, invoice.buyer
    category = invoice.tax_category
    rate = None if category == NOT_SUBJECT else invoice.tax_rate
    # BR-O-02: an invoice outside the scope of VAT names no VAT IDs; the seller is then
    # identified by its tax number (BT-32 and, for BR-CO-26, BT-29).
    vat_ids_allowed = category != NOT_SUBJECT
    seller_party = Party(
        name=seller["name"],
        address=_address(seller),
        vat_id=seller["vat_id"] if vat_ids_allowed else "",
        tax_number=seller.get("tax_number", ""),
        **_seller_identifier(seller, vat_ids_allowed),
        **_legal_id(seller),
        legal_info="" if invoice.self_billed else " · ".join(legal_mentions(seller)),
        **_endpoint(seller, peppol),
        contact_name=seller.get("contact_name", ""),
        contact_phone=seller.get("phone", ""),
        contact_email=seller.get("email", ""),
    )
    buyer_party = Party(
        name=buyer["name"],
        address=_address(buyer),
        vat_id=buyer["vat_id"] if vat_ids_allowed else "",
        **_endpoint(buyer, peppol),
        **_legal_id(buyer),
    )
    lines = [
        Line(
            id=str(number),
            name=line_description(line.description),
            quantity=Decimal(line.quantity),
            net_price=line.unit_price,
            net_amount=line.net_amount,
            tax_category=category,
            tax_rate=rate,
        )
        for number, line in enumerate(invoice.lines.all(), start=1)
    ]
    # XRechnung wants a rate in every VAT breakdown (BR-DE-14), also for category O, where
    # KoSIT's own test suite writes 0; EN 16931 leaves it out there and never allows one on
    # an O line (BR-O-05).
    breakdown_rate = Decimal(0) if category == NOT_SUBJECT and xrechnung else rate
    taxes = [
        TaxBreakdown(
            category=category,
            rate=breakdown_rate,
            taxable_amount=invoice.subtotal,
            tax_amount=invoice.tax_amount,
            exemption_reason=invoice.tax_exemption_reason,
            exemption_code=invoice.tax_exemption_code,
        )
    ]
    notes = [n for n in (invoice.tax_note, invoice.notes.strip()) if n]
    if category == REVERSE_CHARGE and not invoice.tax_note:
        notes.insert(0, _(REVERSE_CHARGE_MENTION))
    if invoice.self_billed:
        notes.insert(0, _(SELF_BILLING))
    notes += national_invoice_mentions(invoice)
    if peppol and len(notes) > 1:
        # PEPPOL-EN16931-R002: one note at the most (but between two German businesses).
        notes = ["\n".join(notes)]
    payment = None
    if seller.get("iban"):
        payment = Payment(
            means_code=SEPA_CREDIT_TRANSFER if invoice.currency == "EUR" else CREDIT_TRANSFER,
            iban=seller["iban"],
            account_name=seller["name"],
            bic=seller.get("bic", ""),
        )
    specification, business_process = _specification(invoice, xrechnung, peppol)
    # PEPPOL-EN16931-R003 wants a buyer reference (or an order reference, which we have
    # not): without the partner's own, the invoice number stands for it.
    buyer_reference = buyer.get("buyer_reference", "") or (invoice.number if peppol else "")
    return Document(
        specification=specification,
        business_process=business_process,
        type_code=type_code(invoice),
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        buyer_reference=buyer_reference,
        seller=seller_party,
        buyer=buyer_party,
        lines=lines,
        taxes=taxes,
        line_total=invoice.line_total,
        tax_basis_total=invoice.subtotal,
        allowances=_allowances(invoice, rate),
        allowance_total=invoice.allowance_amount,
        tax_total=invoice.tax_amount,
        grand_total=invoice.total,
        due_payable=invoice.total,
        notes=notes,
        payment=payment,
        remittance=remittance_information(invoice),
        payment_terms=payment_terms(invoice),
        preceding_invoice=(invoice.corrects.number, invoice.corrects.issue_date)
        if invoice.is_credit_note
        else None,
        supporting_documents=_lead_list(invoice),
        tax_currency=invoice.tax_currency,
        tax_total_in_tax_currency=invoice.tax_amount_in_tax_currency
        if invoice.tax_currency
        else None,
    )


def remittance_information(invoice: Invoice) -> str:
    """BT-83: an ISO 11649 reference as its electronic form ("RF18539007547034"), a
    Belgian structured communication as Belgian tools read it ("+++012/3456/78939+++")."""
    reference = invoice.payment_reference
    return reference if reference.startswith("RF") else printed_reference(reference)


def _seller_identifier(seller: dict, vat_ids_allowed: bool) -> dict:
    """BT-29: the SIRET of a French seller; without a VAT ID to name (BR-CO-26), its tax
    number or the number the Entity knows a supplier by."""
    if seller.get("siret"):
        return {"identifier": re.sub(r"\D", "", seller["siret"]), "identifier_scheme": SIRET_SCHEME}
    if vat_ids_allowed and seller["vat_id"]:
        return {}
    return {"identifier": seller.get("tax_number") or seller.get("identifier", "")}


def _legal_id(party: dict) -> dict:
    """BT-30 / BT-47: the register number, with its scheme where the country has one."""
    number, country = party.get("register_number", ""), party["country"]
    if not number:
        return {}
    return {
        "legal_id": registration_id(country, number),
        "legal_id_scheme": registration_scheme(country),
    }


def _allowances(invoice: Invoice, rate: Decimal | None) -> list[Allowance]:
    if not invoice.allowance_amount:
        return []
    percent = invoice.allowance_percent
    return [
        Allowance(
            amount=invoice.allowance_amount,
            reason=invoice.allowance_reason or _("Allowance"),
            category=invoice.tax_category,
            rate=rate,
            base_amount=invoice.line_total if percent is not None else None,
            percent=percent,
        )
    ]


def _lead_list(invoice: Invoice) -> list[SupportingDocument]:
    """The leads one by one, for partners who want them listed, as a CSV (BG-24)."""
    if not invoice.billed_leads.exists():
        return []
    filename = lead_list_filename(invoice)
    return [
        SupportingDocument(
            reference=filename,
            description=_("Delivered leads, one per row"),
            filename=filename,
            mime_code="text/csv",
            content=lead_list_csv(invoice),
        )
    ]


def _address(details: dict) -> Address:
    return Address(
        street=details.get("street", ""),
        postcode=details.get("postcode", ""),
        city=details.get("city", ""),
        country=details["country"],
        region=details.get("region", ""),
    )
