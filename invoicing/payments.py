"""Payments of finalized invoices: Open, partially paid, Paid, Overdue.

Overdue is derived from the due date; `is_overdue` stores it so lists and filters are fast.
It is recorded on every payment change and by a daily task (`mark_overdue_invoices`).
"""

from datetime import date
from decimal import Decimal

from django.db import transaction

from entities.models import Entity
from entities.numbers import amount as format_amount

from .billing import local_today
from .events import record_event
from .models import Invoice, InvoiceEvent, InvoicingError, Payment


def _lock_final(invoice: Invoice) -> Invoice:
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.is_draft:
        raise InvoicingError("A draft has no payments: finalize it first.")
    if locked.is_void:
        raise InvoicingError(f"{locked} is void: its credit note settles it.")
    return locked


def record_payment(
    invoice: Invoice, amount: Decimal, paid_on: date, by=None, set_off: bool = False
) -> Payment:
    """Record money received (for a credit note: refunded), or with `set_off` an amount
    settled against the invoice a credit note corrects. Paid in full when nothing is left
    open."""
    with transaction.atomic():
        locked = _lock_final(invoice)
        if amount <= 0:
            raise InvoicingError("A payment is more than zero.")
        if amount > locked.open_balance:
            raise InvoicingError(
                f"{format_amount(amount, locked.currency)} is more than the open balance of "
                f"{format_amount(locked.open_balance, locked.currency)}."
            )
        if paid_on < locked.issue_date:
            raise InvoicingError("The payment date cannot be before the invoice's issue date.")
        payment = Payment.objects.create(
            invoice=locked, amount=amount, paid_on=paid_on, recorded_by=_user(by), set_off=set_off
        )
        locked.amount_paid += amount
        if locked.open_balance == 0:
            locked.paid_at = paid_on
            locked.is_overdue = False
        Invoice.objects.filter(pk=locked.pk).update(
            amount_paid=locked.amount_paid, paid_at=locked.paid_at, is_overdue=locked.is_overdue
        )
        kind = InvoiceEvent.MARKED_PAID if locked.paid_at else InvoiceEvent.PAYMENT_RECORDED
        record_event(
            locked, kind, by, f"{format_amount(amount, locked.currency)} on {paid_on:%Y-%m-%d}"
        )
    invoice.amount_paid, invoice.paid_at = locked.amount_paid, locked.paid_at
    invoice.is_overdue = locked.is_overdue
    return payment


def mark_paid(invoice: Invoice, paid_on: date, by=None) -> Payment:
    """Record the whole open balance as paid on `paid_on`."""
    invoice.refresh_from_db()
    if invoice.paid_at:
        raise InvoicingError(f"{invoice} is already paid.")
    return record_payment(invoice, invoice.open_balance, paid_on, by)


def mark_unpaid(invoice: Invoice, by=None) -> None:
    """Take back every payment recorded for the invoice (e.g. a bounced transfer): each
    gets a reversal dated today; the payments themselves stay on record."""
    with transaction.atomic():
        locked = _lock_final(invoice)
        if not locked.amount_paid:
            raise InvoicingError(f"{locked} has no payment to take back.")
        removed = locked.amount_paid
        today = local_today(locked.entity)
        standing = standing_payments(locked)
        Payment.objects.bulk_create(
            Payment(
                invoice=locked,
                amount=-payment.amount,
                paid_on=max(today, payment.paid_on),
                reverses=payment,
                recorded_by=_user(by),
            )
            for payment in standing
        )
        overdue = bool(locked.due_date and locked.due_date < today)
        Invoice.objects.filter(pk=locked.pk).update(amount_paid=0, paid_at=None, is_overdue=overdue)
        record_event(
            locked, InvoiceEvent.MARKED_UNPAID, by, format_amount(removed, locked.currency)
        )
    invoice.amount_paid, invoice.paid_at, invoice.is_overdue = Decimal(0), None, overdue


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
    standing = list(standing_payments(credit_note))
    set_off = sum((p.amount for p in standing if p.set_off), Decimal(0))
    refunded = sum((p.amount for p in standing if not p.set_off), Decimal(0))
    corrects = credit_note.corrects.number if credit_note.corrects_id else ""
    parts = []
    currency = credit_note.currency
    if set_off:
        parts.append(f"{format_amount(set_off, currency)} settled against {corrects}")
    if refunded:
        parts.append(f"{format_amount(refunded, currency)} refunded")
    if credit_note.open_balance > 0:
        parts.append(f"{format_amount(credit_note.open_balance, currency)} open to refund")
    return "; ".join(parts) or "Nothing to refund"
