"""Paying suppliers: a SEPA credit transfer file (pain.001.001.03, the version every SEPA
bank takes) for the finalized self-billed invoices due by an execution date, made with the
sepaxml package and validated against the XSD it ships before it is stored.

One file per Entity bank account and execution date; the payouts in it count as "payment
sent" (TransferredPayout) until the bank statement shows them paid, and a file the bank has
not run can be withdrawn, which frees its payouts for the next one."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from sepaxml import SepaTransfer

from entities.models import Entity

from ..events import record_events
from ..models import CreditTransfer, Invoice, InvoiceEvent, InvoicingError, TransferredPayout

MAX_PER_FILE = 5000


def payouts_due(entity: Entity, by: date):
    """The Entity's finalized self-billed EUR invoices with money still to pay, due by the
    date, that are in no transfer file yet. A supplier without an IBAN is left out."""
    return (
        Invoice.objects.filter(
            entity=entity,
            self_billed=True,
            kind=Invoice.KIND_INVOICE,
            status=Invoice.FINAL,
            currency="EUR",
            paid_at__isnull=True,
            due_date__lte=by,
            transfer__isnull=True,
        )
        .filter(total__gt=F("amount_paid"))
        .exclude(seller__iban="")
        .select_related("partner")
        .order_by("due_date", "pk")
    )


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
        sepa = SepaTransfer(
            {
                "name": entity.legal_name,
                "IBAN": compact(entity.iban),
                "BIC": compact(entity.bic),
                "batch": True,
                "currency": "EUR",
            },
            clean=True,
        )
        for invoice in payable:
            payment = {
                "name": invoice.seller.get("name", "") or invoice.partner.legal_name,
                "IBAN": compact(invoice.seller["iban"]),
                "amount": cents(invoice.open_balance),
                "execution_date": execution_date,
                "description": _("Payout {number}").format(number=invoice.number),
                "endtoend_id": invoice.number[:35],
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
            content=content,
            total=sum((invoice.open_balance for invoice in payable), Decimal(0)),
            count=len(payable),
            created_by=getattr(by, "email", str(by or "")),
        )
        TransferredPayout.objects.bulk_create(
            TransferredPayout(transfer=transfer, invoice=invoice, amount=invoice.open_balance)
            for invoice in payable
        )
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
        if any(payout.invoice.amount_paid for payout in payouts):
            raise InvoicingError(_("A payout in this file is already paid: the bank has run it."))
        invoices = [payout.invoice for payout in payouts]
        transfer.payouts.all().delete()
        transfer.withdrawn_at = timezone.now()
        transfer.save(update_fields=["withdrawn_at"])
        record_events(invoices, InvoiceEvent.TRANSFER_WITHDRAWN, by, transfer.message_id)
    return len(invoices)


def compact(value: str) -> str:
    return "".join(value.split()).upper()


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())
