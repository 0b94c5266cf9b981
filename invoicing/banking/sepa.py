"""Paying suppliers: a SEPA credit transfer file (pain.001.001.03, the version every SEPA
bank takes) for the finalized self-billed invoices due by an execution date, made with the
sepaxml package and validated against the XSD it ships before it is stored.

One file per Entity bank account and execution date; the payouts in it count as "payment
sent" (TransferredPayout) until the bank statement shows them paid, and a file the bank has
not run can be withdrawn, which frees its payouts for the next one."""

import re
from collections import Counter
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree
from sepaxml import SepaTransfer

from entities.models import Entity

from ..events import record_events
from ..models import CreditTransfer, Invoice, InvoiceEvent, InvoicingError, TransferredPayout
from ..payments import set_off

MAX_PER_FILE = 5000
PAIN = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"


def payouts_due(entity: Entity, by: date | None = None):
    """The Entity's finalized self-billed EUR invoices with money still to pay, due by the
    date (any date without one), that are in no transfer file yet. Left out: a supplier
    without an IBAN, and a payout with a credit-note draft (finalize that first: it changes
    what is owed)."""
    payouts = (
        Invoice.objects.filter(
            entity=entity,
            self_billed=True,
            kind=Invoice.KIND_INVOICE,
            status=Invoice.FINAL,
            currency="EUR",
            paid_at__isnull=True,
            transfer__isnull=True,
        )
        .filter(total__gt=F("amount_paid"))
        .exclude(seller__iban="")
        .exclude(credit_notes__status=Invoice.DRAFT)
        .select_related("partner")
        .order_by("due_date", "pk")
    )
    return payouts if by is None else payouts.filter(due_date__lte=by)


def create_transfer(entity: Entity, invoices, execution_date: date, by) -> CreditTransfer:
    """A credit transfer file paying the open balance of each of these payouts on the
    execution date, from the Entity's bank account. Raises InvoicingError when the Entity
    has no IBAN, none of the invoices is payable, or the file fails its schema."""
    if not entity.iban:
        raise InvoicingError(_("Enter the Entity's IBAN in Settings first: it pays from there."))
    with transaction.atomic():
        payable = list(
            payouts_due(entity, execution_date)
            .filter(pk__in=[invoice.pk for invoice in invoices])
            .select_for_update(of=("self",))
        )
        if not payable:
            raise InvoicingError(_("None of these payouts is due and unpaid by that date."))
        if len(payable) > MAX_PER_FILE:
            raise InvoicingError(
                _("At most {count} payouts in one file.").format(count=MAX_PER_FILE)
            )
        payable = _net_of_credit_notes(payable, execution_date, by)
        if not payable:
            raise InvoicingError(_("Their credit notes settle these payouts: nothing to pay."))
        config = {"name": entity.legal_name, "IBAN": compact(entity.iban), "batch": True,
                  "currency": "EUR"}  # fmt: skip
        if entity.bic:  # sepaxml writes an empty BIC element otherwise, which the XSD refuses
            config["BIC"] = compact(entity.bic)
        sepa = SepaTransfer(config, clean=True)
        end_to_end = _end_to_end_ids(payable)
        for invoice in payable:
            payment = {
                "name": invoice.seller.get("name", "") or invoice.partner.legal_name,
                "IBAN": compact(invoice.seller["iban"]),
                "amount": cents(invoice.open_balance),
                "execution_date": execution_date,
                "description": epc_text(_("Payout {number}").format(number=invoice.number)),
                "endtoend_id": end_to_end[invoice.pk],
            }
            if invoice.seller.get("bic"):
                payment["BIC"] = compact(invoice.seller["bic"])
            sepa.add_payment(payment)
        try:
            content = sepa.export(validate=True)
        except Exception as error:  # sepaxml raises its ValidationError, or a bare Exception
            raise InvoicingError(
                _("The transfer file did not pass the SEPA schema: {error}").format(error=error)
            ) from error
        transfer = CreditTransfer.objects.create(
            entity=entity,
            execution_date=execution_date,
            debtor_iban=compact(entity.iban),
            message_id=sepa.msg_id[:35],
            payment_info_id=_payment_info_id(content),
            content=content,
            total=sum((invoice.open_balance for invoice in payable), Decimal(0)),
            count=len(payable),
            created_by=getattr(by, "email", str(by or "")),
        )
        try:
            with transaction.atomic():
                TransferredPayout.objects.bulk_create(
                    TransferredPayout(
                        transfer=transfer,
                        invoice=invoice,
                        amount=invoice.open_balance,
                        end_to_end_id=end_to_end[invoice.pk],
                    )
                    for invoice in payable
                )
        except IntegrityError:  # a concurrent request put one of them in its file first
            raise InvoicingError(
                _("One of these payouts was just put in another transfer file.")
            ) from None
        record_events(payable, InvoiceEvent.PAYMENT_SENT, by, f"SEPA {execution_date:%Y-%m-%d}")
    return transfer


def withdraw_transfer(transfer: CreditTransfer, by) -> int:
    """Withdraw a transfer file the bank has not run: its payouts are due again; the file
    stays listed as withdrawn. Refused once one of them is paid."""
    with transaction.atomic():
        transfer = CreditTransfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.withdrawn_at:
            raise InvoicingError(_("This transfer file is withdrawn already."))
        payouts = list(transfer.payouts.select_related("invoice"))
        # Paid since the file was made (by this file, as the bank ran it): it stays.
        if any(payout.invoice.paid_at or payout.invoice.open_balance < payout.amount
               for payout in payouts):  # fmt: skip
            raise InvoicingError(_("A payout in this file is already paid: the bank has run it."))
        invoices = [payout.invoice for payout in payouts]
        transfer.payouts.all().delete()
        transfer.withdrawn_at = timezone.now()
        transfer.save(update_fields=["withdrawn_at"])
        record_events(invoices, InvoiceEvent.TRANSFER_WITHDRAWN, by, transfer.message_id)
    return len(invoices)


def _payment_info_id(content: bytes) -> str:
    """sepaxml makes the id up; with `batch` the file has one payment information block."""
    return etree.fromstring(content).findtext(f".//{{{PAIN}}}PmtInfId") or ""


def _net_of_credit_notes(payouts: list[Invoice], on: date, by) -> list[Invoice]:
    """Set each payout's open finalized credit notes (returned leads, price reductions)
    off against it, so that the file pays what is owed; the payouts still to pay."""
    for payout in payouts:
        for credit_note in payout.credit_notes.filter(status=Invoice.FINAL, paid_at__isnull=True):
            amount = min(credit_note.open_balance, payout.open_balance)
            if amount > 0:
                set_off(credit_note, payout, amount, on, by)
                payout.refresh_from_db()
    return [payout for payout in payouts if payout.open_balance > 0]


def _end_to_end_ids(payouts: list[Invoice]) -> dict[int, str]:
    """The payout's number as its end-to-end id where that is a valid, unique one (at most
    35 characters of the EPC set), else one made from its id."""
    ids = {payout.pk: epc_text(payout.number) for payout in payouts}
    counts = Counter(ids.values())
    return {
        pk: value if value and len(value) <= 35 and counts[value] == 1 else f"PAYOUT-{pk}"
        for pk, value in ids.items()
    }


# The characters every SEPA bank takes (EPC217-08, the basic Latin set).
NOT_EPC = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


def epc_text(value: str) -> str:
    """Text for a SEPA file: characters out of the basic Latin set become '-', and no '/'
    starts or ends it or comes twice in a row."""
    value = NOT_EPC.sub("-", value)
    while "//" in value:
        value = value.replace("//", "/")
    return value.strip("/").strip()


def compact(value: str) -> str:
    return "".join(value.split()).upper()


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())
