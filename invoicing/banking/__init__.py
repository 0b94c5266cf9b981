"""Money in and out: the payment reference a finalized invoice carries (references), the
EPC QR code its PDF prints for a transfer (qr), and SEPA credit transfer files that pay the
suppliers' self-billed invoices (sepa).

Finalizing asks this package for the reference, so the entry points here are those that
build on the models alone; `banking.sepa`, which builds on payments (and so on billing), is
imported by its callers as a module of its own."""

from .qr import epc_qr
from .references import payment_reference, printed_reference

__all__ = ["epc_qr", "payment_reference", "printed_reference"]
