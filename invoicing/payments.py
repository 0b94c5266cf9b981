"""Payments of finalized invoices: Open, partially paid, Paid, Overdue.

Overdue is derived from the due date; `is_overdue` stores it so lists and filters are fast.
It is recorded on every payment change and by a daily task (`mark_overdue_invoices`).
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from entities.models import Entity
from entities.numbers import amount as format_amount

from . import announcements
from .billing import local_today
from .dunning import credit
from .events import record_event
from .models import Invoice, InvoiceEvent, InvoicingError, Payment


def _lock_final(invoice: Invoice) -> Invoice:
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.is_draft:
        raise InvoicingError(_("A draft has no payments: finalize it first."))
    if locked.is_void:
        raise InvoicingError(
            _("{locked} is void: its credit note settles it.").format(locked=locked)
        )
    return locked


def record_payment(
    invoice: Invoice,
    amount: Decimal,
    paid_on: date,
    by=None,
    set_off: bool = False,
    against: Invoice | None = None,
    bank_entry=None,
    how: str = "",
) -> Payment:
    """Record money received (for a credit note: refunded), or with `set_off` an amount
    settled against the invoice a credit note corrects. Paid in full when nothing is left
    open. A payment from a bank statement names its entry, and `how` it was matched, in
    the audit trail."""
    with transaction.atomic():
        locked = _lock_final(invoice)
        if amount <= 0:
            raise InvoicingError(_("A payment is more than zero."))
        if amount > locked.open_balance:
            raise InvoicingError(
                _("{amount} is more than the open balance of {amount2}.").format(
                    amount=format_amount(amount, locked.currency),
                    amount2=format_amount(locked.open_balance, locked.currency),
                )
            )
        if paid_on < locked.issue_date:
            raise InvoicingError(_("The payment date cannot be before the invoice's issue date."))
        payment = Payment.objects.create(
            invoice=locked,
            amount=amount,
            paid_on=paid_on,
            recorded_by=_user(by),
            set_off=set_off,
            settled_against=against,
            bank_entry=bank_entry,
        )
        locked.amount_paid += amount
        if locked.open_balance == 0:
            locked.paid_at = paid_on
            locked.is_overdue = False
        Invoice.objects.filter(pk=locked.pk).update(
            amount_paid=locked.amount_paid, paid_at=locked.paid_at, is_overdue=locked.is_overdue
        )
        kind = InvoiceEvent.MARKED_PAID if locked.paid_at else InvoiceEvent.PAYMENT_RECORDED
        detail = f"{format_amount(amount, locked.currency)} on {paid_on:%Y-%m-%d}"
        if against is not None:
            detail += f", set off against {against.number}"
        if bank_entry is not None:
            detail += f", bank statement {bank_entry.statement}, entry {bank_entry.reference}"
        if how:
            detail += f" ({how})"
        record_event(locked, kind, by, detail[:500])
        if locked.paid_at:
            announcements.paid(locked)
        credit.after_payment(locked)
    invoice.amount_paid, invoice.paid_at = locked.amount_paid, locked.paid_at
    invoice.is_overdue = locked.is_overdue
    return payment


def mark_paid(invoice: Invoice, paid_on: date, by=None) -> Payment:
    """Record the whole open balance as paid on `paid_on`."""
    invoice.refresh_from_db()
    if invoice.paid_at:
        raise InvoicingError(_("{invoice} is already paid.").format(invoice=invoice))
    return record_payment(invoice, invoice.open_balance, paid_on, by)


def mark_unpaid(invoice: Invoice, by=None) -> None:
    """Take back every payment recorded for the invoice (e.g. a bounced transfer): each
    gets a reversal dated today; the payments themselves stay on record. A set-off against
    another document is taken back on both."""
    with transaction.atomic():
        locked = _lock_final(invoice)
        if not locked.amount_paid:
            raise InvoicingError(_("{locked} has no payment to take back.").format(locked=locked))
        removed = locked.amount_paid
        standing = list(standing_payments(locked))
        _reverse(locked, standing, by)
        for payment in standing:
            if payment.settled_against_id:
                other = Invoice.objects.select_for_update().get(pk=payment.settled_against_id)
                _reverse(other, [counterpart(payment)], by)
        record_event(
            locked, InvoiceEvent.MARKED_UNPAID, by, format_amount(removed, locked.currency)
        )
        locked.refresh_from_db()
        credit.after_payment(locked)
    invoice.refresh_from_db()


def _reverse(invoice: Invoice, payments: list[Payment], by=None) -> None:
    """Record a reversal of each payment, dated today, and the invoice's new balance."""
    today = local_today(invoice.entity)
    Payment.objects.bulk_create(
        Payment(
            invoice=invoice,
            amount=-payment.amount,
            paid_on=max(today, payment.paid_on),
            reverses=payment,
            recorded_by=_user(by),
        )
        for payment in payments
    )
    paid = invoice.amount_paid - sum((payment.amount for payment in payments), Decimal(0))
    overdue = bool(
        not invoice.is_credit_note
        and invoice.due_date
        and invoice.due_date < today
        and paid < invoice.total
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        amount_paid=paid, paid_at=invoice.paid_at if paid == invoice.total else None,
        is_overdue=overdue,
    )  # fmt: skip


def counterpart(payment: Payment) -> Payment:
    """The other half of a set-off between a credit note and an invoice."""
    return Payment.objects.get(
        invoice_id=payment.settled_against_id,
        settled_against_id=payment.invoice_id,
        amount=payment.amount,
        set_off=True,
        reverses__isnull=True,
        reversal__isnull=True,
    )


def open_invoices_to_set_off(credit_note: Invoice):
    """The partner's finalized, unpaid invoices an open credit note can be set off against:
    same currency, same side (self-billed or not)."""
    return Invoice.objects.filter(
        entity=credit_note.entity,
        partner=credit_note.partner,
        kind=Invoice.KIND_INVOICE,
        status=Invoice.FINAL,
        self_billed=credit_note.self_billed,
        currency=credit_note.currency,
        paid_at__isnull=True,
    ).order_by("issue_date", "pk")


def set_off(credit_note: Invoice, invoice: Invoice, amount: Decimal, on: date, by=None):
    """Settle `amount` of an open credit note against another open invoice of its partner:
    no money moves, and each document records the amount, naming the other. Raises
    InvoicingError if the two do not fit or the amount is more than either has open."""
    if not credit_note.is_credit_note or invoice.is_credit_note:
        raise InvoicingError(_("A credit note is set off against an invoice."))
    invoice.refuse_while_in_transfer()
    if not open_invoices_to_set_off(credit_note).filter(pk=invoice.pk).exists():
        raise InvoicingError(
            _("{invoice} is not an open invoice of {partner} in {currency}.").format(
                invoice=invoice, partner=credit_note.partner, currency=credit_note.currency
            )
        )
    with transaction.atomic():
        # Both rows locked, in id order, like any two payments at once.
        for pk in sorted([credit_note.pk, invoice.pk]):
            _lock_final(Invoice(pk=pk))
        credit_note.refresh_from_db()
        if amount > credit_note.open_balance:
            raise InvoicingError(
                _("{amount} is more than the {amount2} open on {credit_note}.").format(
                    amount=format_amount(amount, credit_note.currency),
                    amount2=format_amount(credit_note.open_balance, credit_note.currency),
                    credit_note=credit_note,
                )
            )
        on_note = record_payment(credit_note, amount, on, by, set_off=True, against=invoice)
        on_invoice = record_payment(invoice, amount, on, by, set_off=True, against=credit_note)
    return on_note, on_invoice


def standing_payments(invoice: Invoice):
    """The invoice's payments that count: neither reversals nor reversed."""
    return Payment.objects.filter(invoice=invoice, reverses__isnull=True, reversal__isnull=True)


def mark_overdue_invoices(entity: Entity) -> int:
    """Record which unpaid invoices of the Entity are past their due date today (in the
    Entity's time zone). Returns how many became overdue."""
    today = local_today(entity)
    unpaid = Invoice.objects.filter(
        entity=entity, status=Invoice.FINAL, paid_at__isnull=True, kind=Invoice.KIND_INVOICE
    )
    with transaction.atomic():
        newly = list(unpaid.filter(is_overdue=False, due_date__lt=today).select_for_update())
        Invoice.objects.filter(pk__in=[i.pk for i in newly]).update(is_overdue=True)
        unpaid.filter(is_overdue=True, due_date__gte=today).update(is_overdue=False)
        for invoice in newly:
            record_event(invoice, InvoiceEvent.BECAME_OVERDUE, None, f"due {invoice.due_date}")
    return len(newly)


def _user(by):
    return None if by is None or isinstance(by, str) else by


def credit_note_settlement(credit_note: Invoice) -> str:
    """How a credit note stands, in its own words: what is still to refund, what was
    refunded, what was settled against the invoice it corrects."""
    standing = list(standing_payments(credit_note).select_related("settled_against"))
    corrects = credit_note.corrects.number if credit_note.corrects_id else ""
    settled: dict[str, Decimal] = {}
    for p in standing:
        if p.set_off:
            number = p.settled_against.number if p.settled_against_id else corrects
            settled[number] = settled.get(number, Decimal(0)) + p.amount
    refunded = sum((p.amount for p in standing if not p.set_off), Decimal(0))
    parts = []
    currency = credit_note.currency
    for number, amount in settled.items():
        parts.append(
            _("{amount} settled against {number}").format(
                amount=format_amount(amount, currency), number=number
            )
        )
    if refunded:
        parts.append(_("{amount} refunded").format(amount=format_amount(refunded, currency)))
    if credit_note.open_balance > 0:
        parts.append(
            _("{amount} open to refund").format(
                amount=format_amount(credit_note.open_balance, currency)
            )
        )
    return "; ".join(parts) or _("Nothing to refund")
