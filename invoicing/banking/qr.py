"""The EPC QR code ("GiroCode", EPC069-12) on a EUR invoice's PDF: a banking app scans it
and fills in the credit transfer: beneficiary, IBAN, BIC, amount and reference. Drawn with
segno, as SVG (vector paths in the PDF, nothing to download)."""

import base64
import io
from decimal import Decimal

import segno
from segno import helpers

from ..models import Invoice

# EPC069-12: at most EUR 999,999,999.99, and at least 0.01.
MAX_AMOUNT = Decimal("999999999.99")


def epc_qr(invoice: Invoice, amount: Decimal | None = None) -> str:
    """The QR code as a data: URI of SVG, or "" where there is nothing to transfer: not in
    EUR, no IBAN, a credit note or a self-billed invoice, or an amount out of range."""
    seller = invoice.seller or {}
    amount = invoice.total if amount is None else amount
    if invoice.currency != "EUR" or not seller.get("iban"):
        return ""
    if not Decimal("0.01") <= amount <= MAX_AMOUNT:
        return ""
    if invoice.is_credit_note or invoice.self_billed or not invoice.is_final:
        return ""  # nothing to pay by transfer, or a draft's preview (nothing to pay yet)
    code = epc_code(invoice, amount)
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", scale=3, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def epc_code(invoice: Invoice, amount: Decimal) -> segno.QRCode:
    seller = invoice.seller
    reference = invoice.payment_reference
    structured = reference if reference.startswith("RF") else None
    return helpers.make_epc_qr(
        name=seller["name"][:70],
        iban="".join(seller["iban"].split()),
        amount=amount,
        bic=seller.get("bic") or None,
        reference=structured,
        # The Belgian structured communication is no ISO 11649 reference: sent as text.
        text=None if structured else (reference or invoice.number)[:140],
    )
