"""Money in and out: the payment reference a finalized invoice carries (references), the
EPC QR code its PDF prints for a transfer (qr), and SEPA credit transfer files that pay the
suppliers' self-billed invoices (sepa).

Other modules call these from here."""

from .qr import epc_qr
from .references import payment_reference, printed_reference
from .sepa import create_transfer, payouts_due, withdraw_transfer

__all__ = [
    "create_transfer",
    "epc_qr",
    "payment_reference",
    "payouts_due",
    "printed_reference",
    "withdraw_transfer",
]
