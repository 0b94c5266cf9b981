"""The structured payment reference of an invoice, which the buyer quotes with its transfer
so that the payment can be matched to the invoice (BT-83 in the e-invoice).

- Belgian sellers: the Belgian structured communication (gestructureerde mededeling /
  communication structurée, "+++123/4567/89002+++"), which Belgian banks and accounting
  tools expect: ten digits and a mod-97 check (Febelfin; python-stdnum `be.ogm_vcs`).
- Everyone else: the ISO 11649 structured creditor reference ("RF18 RE20 2600 01"), which
  SEPA credit transfers carry as structured remittance information (EPC069-12): "RF", two
  mod-97 check digits (ISO 7064) and up to 21 letters and digits (python-stdnum `iso11649`).

The reference is taken from the invoice number where that fits and is the Entity's only one,
so that a reader of a bank statement recognises it; from the invoice's id ("LF" and the id)
otherwise. It is set when the invoice is
finalized and frozen with it. Credit notes and self-billed invoices (which the Entity pays
itself) carry none: the invoice number is their reference."""

from stdnum import iso11649
from stdnum.be import ogm_vcs
from stdnum.iso7064 import mod_97_10

from ..models import Invoice

MAX_CREDITOR_REFERENCE = 21  # ISO 11649: up to 25 characters with "RF" and the check digits


def payment_reference(invoice: Invoice, ident: int | None = None) -> str:
    """The reference to store on a finalized invoice (compact), or "" for none. `ident`
    stands in for the id of an invoice that has none (a template sample)."""
    if invoice.is_credit_note or invoice.self_billed:
        return ""
    ident = ident or invoice.pk
    if invoice.entity.country == "BE":
        return belgian_structured_communication(ident)
    reference = creditor_reference(invoice.number)
    # Two numbers can share their letters and digits (RE-2026-0001 and RE2026-0001 after a
    # change of format): the second takes one from its id. Finalizing holds the invoice
    # sequence's lock, so two invoices cannot take the same one at once.
    taken = Invoice.objects.filter(entity=invoice.entity, payment_reference=reference)
    if not reference or taken.exclude(pk=invoice.pk).exists():
        reference = creditor_reference(f"LF{ident}")
    return reference


def creditor_reference(base: str) -> str:
    """ "RF" + check digits + `base` (its letters and digits), or "" if `base` has none or
    more than 21 of them."""
    base = "".join(c for c in base.upper() if c.isascii() and c.isalnum())
    if not 0 < len(base) <= MAX_CREDITOR_REFERENCE:
        return ""
    check = mod_97_10.calc_check_digits(base + "RF")
    return iso11649.validate(f"RF{check}{base}")


def belgian_structured_communication(number: int) -> str:
    """Ten digits from the invoice's id and the two check digits: "123456789002"."""
    digits = f"{number % 10**10:010d}"
    return ogm_vcs.validate(digits + ogm_vcs.calc_check_digits(digits))


def printed_reference(reference: str) -> str:
    """The reference as it is printed and typed: "+++012/3456/78920+++" or "RF18 RE20 2600 01"."""
    if not reference:
        return ""
    if reference.startswith("RF"):
        return iso11649.format(reference)
    return f"+++{ogm_vcs.format(reference)}+++"
