"""The EPC QR code ("GiroCode") on a EUR invoice's PDF: a banking app scans it and fills in
the credit transfer: beneficiary, IBAN, BIC, amount and reference.

The payload follows the EPC's "Quick Response Code: Guidelines to Enable Data Capture for
the Initiation of a SEPA Credit Transfer" (EPC069-12, version 002): twelve lines, UTF-8,
error correction level M, at most 331 bytes. segno draws it. The mask is fixed rather than
searched for: every mask is valid (ISO/IEC 18004), and searching the eight made the code
the costliest part of rendering a PDF; the tests read the code back from the PDF page.
A PNG in black and white, without transparency (PDF/A), costs WeasyPrint less than SVG."""

import base64
import io
from decimal import Decimal

import segno

from ..models import Invoice
from .references import printed_reference

# EPC069-12: at least EUR 0.01, at most 999,999,999.99.
MIN_AMOUNT, MAX_AMOUNT = Decimal("0.01"), Decimal("999999999.99")
MASK = 2


def epc_qr(invoice: Invoice, amount: Decimal | None = None) -> str:
    """The QR code as a data: URI of a PNG, or "" where there is nothing to transfer: not in
    EUR, no IBAN, a credit note or a self-billed invoice, a draft's preview, or an amount
    out of range."""
    seller = invoice.seller or {}
    amount = invoice.total if amount is None else amount
    if invoice.currency != "EUR" or not seller.get("iban"):
        return ""
    if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        return ""
    if invoice.is_credit_note or invoice.self_billed or not invoice.is_final:
        return ""  # nothing to pay by transfer, or a draft's preview (nothing to pay yet)
    code = segno.make(epc_payload(invoice, amount), error="m", boost_error=False, mask=MASK,
                      micro=False)  # fmt: skip
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=4, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def epc_payload(invoice: Invoice, amount: Decimal) -> bytes:
    """The twelve lines of EPC069-12. An ISO 11649 reference goes in the structured
    remittance line; anything else (a Belgian structured communication) in the text line."""
    seller = invoice.seller
    reference = invoice.payment_reference
    structured = reference if reference.startswith("RF") else ""
    # A Belgian structured communication as Belgian banks print and read it: +++…+++.
    text = "" if structured else (printed_reference(reference) or invoice.number)
    lines = [
        "BCD",  # service tag
        "002",  # version: the BIC may be left out within the EEA
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        "".join((seller.get("bic") or "").split()).upper(),
        seller["name"][:70],
        "".join(seller["iban"].split()).upper(),
        f"EUR{amount:.2f}",
        "",  # purpose
        structured,  # at most 35 characters
        text[:140],
        "",  # information to the payer
    ]
    return "\n".join(lines).rstrip("\n").encode()
