"""Money in and out: the payment reference a finalized invoice carries (references), the
EPC QR code its PDF prints for a transfer (qr).

Other modules call `payment_reference(invoice)` and `epc_qr(invoice)` from here."""

from .qr import epc_qr
from .references import payment_reference, printed_reference

__all__ = ["epc_qr", "payment_reference", "printed_reference"]
