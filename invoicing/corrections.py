"""Corrections after the fact (EU VAT Directive Art. 219, GoBD): cancelling deliveries,
credit notes, voiding. A finalized invoice is never changed or deleted; it is corrected by a
credit note that refers to it, numbered in the Entity's own credit-note sequence.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from distribution.models import Assignment, DistributionTransaction, Lead, LeadReturn
from distribution.services import mark_deliveries_cancelled
from entities.languages import format_date, format_number
from entities.numbers import amount as format_amount

from . import announcements
from .amounts import line_net_amount, round_money
from .billing import (
    finalize_invoice,
    rebuild_delivery_lines,
    refresh_totals,
    transactions_on,
    uncredited_totals,
)
from .document_text import CANCELLED_LEADS, PRICE_REDUCTION, in_language
from .events import record_each_event, record_event
from .models import Invoice, InvoiceEvent, InvoiceLine, InvoicingError
from .payments import record_payment


def cancel_delivery(txn: DistributionTransaction, reason: str, by=None) -> Invoice | None:
    """Cancel a delivery and correct whatever it was billed on. Returns the invoice or credit
    note that changed, if any.

    - not yet invoiced: it is simply excluded from billing;
    - on a draft: it leaves the draft, which is recomputed (deleted if nothing is left);
    - on a finalized invoice: it goes onto that invoice's open credit-note draft (created if
      there is none), which collects late cancellations until it is finalized.
    """
    changed = cancel_deliveries([txn], reason, by)
    return changed[0] if changed else None


def cancel_deliveries(txns, reason: str, by=None) -> list[Invoice]:
    """cancel_delivery for many deliveries in one transaction, each invoice recomputed once.
    Returns the drafts and credit-note drafts that changed. Raises DeliveryError (and
    cancels none) when one of them is cancelled already."""
    ids = sorted(txn.pk for txn in txns)
    waiting = LeadReturn.objects.filter(delivery_id__in=ids, status=LeadReturn.PENDING)
    if reason != DistributionTransaction.REASON_RETURNED and waiting.exists():
        raise InvoicingError(
            _("The partner asked to return this lead: accept or reject the return in Returns.")
        )
    with transaction.atomic():
        billed = DistributionTransaction.objects.filter(pk__in=ids, invoice_id__isnull=False)
        # Lock the invoices before the transactions: the order generate_drafts uses.
        invoices = Invoice.objects.select_for_update().in_bulk(
            sorted(set(billed.values_list("invoice_id", flat=True)))
        )
        locked = list(
            DistributionTransaction.objects.select_for_update()
            .filter(pk__in=ids)
            .select_related("lead")
            .order_by("pk")
        )
        if any(txn.invoice_id is not None and txn.invoice_id not in invoices for txn in locked):
            raise InvoicingError(_("This delivery was just billed or released; please try again."))
        mark_deliveries_cancelled(locked, reason)
        billed = [txn for txn in locked if txn.invoice_id]
        on_draft = [txn for txn in billed if invoices[txn.invoice_id].is_draft]
        on_final = [txn for txn in billed if not invoices[txn.invoice_id].is_draft]
        events = []
        changed = []
        if on_draft:
            DistributionTransaction.objects.filter(pk__in=[t.pk for t in on_draft]).update(
                invoice_id=None
            )
            drafts = [invoices[pk] for pk in sorted({t.invoice_id for t in on_draft})]
            rebuild_delivery_lines(drafts)
            changed = drop_empty_drafts(drafts)
            kept = {draft.pk for draft in changed}
            events += [
                (invoices[t.invoice_id], _cancelled_label(t))
                for t in on_draft
                if t.invoice_id in kept
            ]
        credit_notes = {}
        for txn in on_final:
            invoice = invoices[txn.invoice_id]
            if invoice.pk not in credit_notes:
                credit_notes[invoice.pk] = open_credit_note(invoice)
            credit_note = credit_notes[invoice.pk]
            events += [
                (invoice, f"{_cancelled_label(txn)}: {credit_note}"),
                (credit_note, _cancelled_label(txn)),
            ]
        for invoice_id, credit_note in credit_notes.items():
            DistributionTransaction.objects.filter(
                pk__in=[t.pk for t in on_final if t.invoice_id == invoice_id]
            ).update(credit_note_id=credit_note.pk)
            rebuild_credit_note_lines(credit_note)
        record_each_event(events, InvoiceEvent.DELIVERY_CANCELLED, by)
        return changed + list(credit_notes.values())


def drop_empty_drafts(drafts: list[Invoice]) -> list[Invoice]:
    """The drafts that still have lines after a correction; the others are deleted."""
    kept = []
    for draft in drafts:
        if draft.lines.exists():
            kept.append(draft)
        else:
            draft.delete()
    return kept


def _cancelled_label(txn: DistributionTransaction) -> str:
    return f"lead {txn.lead.external_id} ({txn.get_cancel_reason_display().lower()})"


CANCELLED_NOTE = gettext_noop("Credit for cancelled leads of invoice {number} of {date}.")


def open_credit_note(invoice: Invoice, notes: str = CANCELLED_NOTE) -> Invoice:
    """The invoice's credit-note draft, created (with `notes`, a message to translate) if
    there is none. The caller holds the invoice's row lock, so two cancellations cannot
    both create one."""
    existing = Invoice.objects.filter(corrects=invoice, status=Invoice.DRAFT).first()
    if existing:
        return existing
    credit_note = _new_credit_note(invoice, notes)
    record_event(invoice, InvoiceEvent.CREDIT_NOTE_ISSUED, None, f"draft #{credit_note.pk}")
    return credit_note


def _new_credit_note(invoice: Invoice, notes: str, **values) -> Invoice:
    """A credit-note draft for the invoice: same partner, side, period and currency. Its
    `notes` (a message to translate, with `values`) are written in the invoice's language,
    which the credit note keeps."""
    with in_language(invoice):
        notes = _(notes).format(
            number=invoice.number, date=format_date(invoice.issue_date), **values
        )
    return Invoice.objects.create(
        entity=invoice.entity,
        partner=invoice.partner,
        kind=Invoice.KIND_CREDIT_NOTE,
        self_billed=invoice.self_billed,
        corrects=invoice,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        currency=invoice.currency,
        allowance_reason=invoice.allowance_reason,  # its share of the allowance: billing
        notes=notes,
    )


def rebuild_credit_note_lines(credit_note: Invoice) -> None:
    """One line per assignment and unit price of the cancelled leads the credit note carries."""
    InvoiceLine.objects.filter(invoice=credit_note, kind=InvoiceLine.DELIVERIES).delete()
    rows = (
        DistributionTransaction.objects.filter(credit_note_id=credit_note.pk)
        .values("assignment_id", "price")
        .annotate(leads=Count("id"))
        .order_by("assignment_id", "price")
    )
    assignments = Assignment.objects.select_related("profile").in_bulk(
        {row["assignment_id"] for row in rows}
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=credit_note,
            kind=InvoiceLine.DELIVERIES,
            assignment_id=row["assignment_id"],
            description=f"{CANCELLED_LEADS} · "
            f"{assignments[row['assignment_id']].profile.name} · "
            f"{assignments[row['assignment_id']].name}",
            quantity=row["leads"],
            unit_price=row["price"],
            net_amount=line_net_amount(row["leads"], row["price"], credit_note.currency),
        )
        for row in rows
    )
    refresh_totals([credit_note])


def void_invoice(invoice: Invoice, reason: str, by=None, issued_on: date | None = None) -> Invoice:
    """Void a finalized invoice: issue a full credit note for what is not yet credited, mark
    the invoice Void, and release its deliveries so that a new invoice can bill them. The
    part of the credit note the partner never paid is settled at once; what it had paid
    stays open on the credit note, to refund. Returns the finalized credit note. Nothing is
    deleted and no number is skipped."""
    reason = reason.strip()
    if not reason:
        raise InvoicingError(_("Say why the invoice is voided; it is printed on the credit note."))
    with transaction.atomic():
        original = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if original.is_draft:
            raise InvoicingError(_("A draft is not voided but deleted."))
        if original.is_void:
            raise InvoicingError(
                _("Invoice {number} is already void.").format(number=original.number)
            )
        if original.is_credit_note:
            raise InvoicingError(_("A credit note cannot be voided."))
        original.refuse_while_in_transfer()
        open_draft = original.credit_notes.filter(status=Invoice.DRAFT).first()
        if open_draft:
            raise InvoicingError(
                _("Finalize the open credit note (draft #{pk}) for this invoice first.").format(
                    pk=open_draft.pk
                )
            )
        credit_note = _new_credit_note(
            original,
            gettext_noop("Voids invoice {number} of {date}. Reason: {reason}"),
            reason=reason,
        )
        lines = [_copy(line, credit_note) for line in original.lines.all()]
        # What earlier credit notes already credited is taken off again.
        for earlier in original.credit_notes.filter(status=Invoice.FINAL).exclude(
            pk=credit_note.pk
        ):
            for line in earlier.lines.all():
                lines.append(
                    _copy(line, credit_note, -1, f"Already credited by {earlier.number}: ")
                )
        InvoiceLine.objects.bulk_create(lines)
        refresh_totals([credit_note])
        # In this order, which the database checks (migration 0015): an invoice becomes void
        # only once a finalized credit note credits all of it, and its deliveries leave it
        # only once it is void.
        credit_note = finalize_invoice(credit_note, by, issued_on)
        Invoice.objects.filter(pk=original.pk).update(
            status=Invoice.VOID, voided_at=timezone.now(), void_reason=reason[:200]
        )
        transactions_on([original]).filter(status=DistributionTransaction.DELIVERED).update(
            invoice_id=None
        )
        Lead.objects.filter(payout_invoice_id=original.pk).update(payout_invoice_id=None)
        _settle_after_void(original, credit_note, by)
        record_event(original, InvoiceEvent.VOIDED, by, f"{reason} · {credit_note.number}")
        original.refresh_from_db()
        announcements.voided(original, credit_note)
    return credit_note


def reduce_price(
    invoice: Invoice,
    reason: str,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
    by=None,
) -> Invoice:
    """Issue a credit note that reduces the price of a finalized invoice after the fact
    (Art. 90 VAT Directive: a discount, a settled complaint), by a net amount or a
    percentage of what is not credited yet, with the same tax treatment; VAT follows the
    amount. Returns the finalized credit note. Raises InvoicingError for a void invoice, a
    credit note, an open credit-note draft, or more than is left to credit."""
    reason = reason.strip()
    if not reason:
        raise InvoicingError(_("Say why the price is reduced; it is printed on the credit note."))
    if (amount is None) == (percent is None):
        raise InvoicingError(_("Give the reduction as an amount or as a percentage."))
    with transaction.atomic():
        original = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not original.is_final or original.is_credit_note:
            raise InvoicingError(_("Only a finalized invoice can have its price reduced."))
        original.refuse_while_in_transfer()
        if original.credit_notes.filter(status=Invoice.DRAFT).exists():
            raise InvoicingError(_("Finalize the open credit note for this invoice first."))
        left = uncredited_totals([original])[original.pk]
        if percent is not None:
            if not Decimal(0) < percent <= Decimal(100):
                raise InvoicingError(_("A percentage is more than 0 and at most 100."))
            amount = round_money(left.subtotal * percent / 100, original.currency)
            label = f"{format_number(percent, 0, 2)} %"
        else:
            label = format_amount(amount, original.currency)
        if amount <= 0:
            raise InvoicingError(_("A reduction is more than zero."))
        if amount > left.subtotal:
            raise InvoicingError(
                _("{amount} is more than the {amount2} (net) of {number} not credited yet.").format(
                    amount=format_amount(amount, original.currency),
                    amount2=format_amount(left.subtotal, original.currency),
                    number=original.number,
                )
            )
        credit_note = _new_credit_note(
            original,
            gettext_noop(
                "Reduces the price of invoice {number} of {date} by {by}. Reason: {reason}"
            ),
            by=label,
            reason=reason,
        )
        InvoiceLine.objects.create(
            invoice=credit_note,
            kind=InvoiceLine.REDUCTION,
            description=f"{PRICE_REDUCTION}: {reason}"[:200],
            quantity=1,
            unit_price=amount,
            net_amount=amount,
        )
        refresh_totals([credit_note])
        credit_note = finalize_invoice(credit_note, by)
        record_event(
            original, InvoiceEvent.CREDIT_NOTE_ISSUED, by, f"{credit_note.number}: {reason}"
        )
    return credit_note


def _settle_after_void(original: Invoice, credit_note: Invoice, by=None) -> None:
    """After a void only the money the partner paid on the invoice, less what earlier credit
    notes already gave back (refunded or set off elsewhere), is owed to it: that much stays
    open to refund, on the void's credit note first; the rest of every credit note of the
    invoice is settled against it, so that no credit note offers a refund nobody is owed."""
    earlier = list(
        original.credit_notes.filter(status=Invoice.FINAL)
        .exclude(pk=credit_note.pk)
        .order_by("-pk")
    )
    owed = original.amount_paid - sum((note.amount_paid for note in earlier), Decimal(0))
    for note in [credit_note, *earlier]:
        keep = max(min(note.open_balance, owed), Decimal(0))
        owed -= keep
        if note.open_balance - keep > 0:
            record_payment(note, note.open_balance - keep, credit_note.issue_date, by, set_off=True)


def _copy(line: InvoiceLine, invoice: Invoice, sign: int = 1, prefix: str = "") -> InvoiceLine:
    return InvoiceLine(
        invoice=invoice,
        kind=line.kind,
        assignment_id=line.assignment_id,
        description=(prefix + line.description)[:200],
        quantity=sign * line.quantity,
        unit_price=line.unit_price,
        net_amount=sign * line.net_amount,
    )
