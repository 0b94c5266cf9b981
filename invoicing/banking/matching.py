"""Matching bank entries to invoices, and what a person decides about the rest.

A credit is matched against the Entity's open invoices to buyers in its currency:
1. by the payment reference the invoice asks for (structured, or quoted in the text);
2. else by the invoice numbers the remittance text names;
3. else by the payer's IBAN (the partner's), and the amount.
When the invoices found are open for exactly the amount, their payments are recorded (in due
date order). A part payment, an overpayment or a choice between invoices waits for a person
(`to confirm`, with the invoices found as suggestions); a credit that names nothing known
is unmatched.

A debit is matched against the payouts in the Entity's SEPA transfer files: by the
end-to-end id of one payout, or by the id of a whole file booked as one amount.

Each payment recorded names the statement, the entry and how it was matched (in the audit
trail); the entry keeps who decided and when."""

import re
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from stdnum import iso11649
from stdnum.be import ogm_vcs

from entities.numbers import amount as format_amount

from ..events import actor_name
from ..models import (
    BankEntry,
    CreditTransfer,
    Invoice,
    InvoicingError,
    TransferredPayout,
    unpaid_invoices,
)
from ..payments import record_payment

TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-/_.]*[A-Za-z0-9])?")
BELGIAN = re.compile(r"(?<!\d)(\d{3})\D{0,3}(\d{4})\D{0,3}(\d{5})(?!\d)")
MAX_TOKENS = 60


def open_invoices(entity, currency: str):
    """What buyers still owe the Entity in this currency."""
    owed = unpaid_invoices(entity=entity, currency=currency)
    return owed.order_by("due_date", "issue_date", "pk")


def match_entry(entry: BankEntry) -> None:
    """Decide the new entry's status, and record the payments of an exact match."""
    if entry.is_reversal:
        _leave(entry, BankEntry.UNMATCHED, BankEntry.REVERSAL)
    elif entry.is_credit:
        _match_credit(entry)
    else:
        _match_debit(entry)


def _match_credit(entry: BankEntry) -> None:
    candidates = open_invoices(entity=entry.entity, currency=entry.currency)
    references = _payment_references(f"{entry.creditor_reference} {entry.remittance}")
    found = list(candidates.filter(payment_reference__in=references)) if references else []
    how = BankEntry.BY_REFERENCE
    tokens = _tokens(entry.remittance)
    if not found:
        found = list(candidates.annotate(upper=Upper("number")).filter(upper__in=tokens))
        how = BankEntry.BY_NUMBER
    if not found and (settled := _names_settled(entry, references, tokens)):
        # The text names an invoice already paid or void (a second payment, or the same
        # booking in another file): never guess another invoice of the payer for it.
        _leave(entry, BankEntry.TO_CONFIRM, BankEntry.NAMES_SETTLED, {"number": settled.number})
        return
    if not found and entry.counterparty_iban:
        of_payer = list(candidates.filter(partner__iban__iexact=entry.counterparty_iban))
        exact = [invoice for invoice in of_payer if invoice.open_balance == entry.amount]
        found = exact if len(exact) == 1 else of_payer
        how = BankEntry.BY_PAYER
    if not found:
        _leave(entry, BankEntry.UNMATCHED, BankEntry.UNKNOWN)
        return
    open_total = sum((invoice.open_balance for invoice in found), Decimal(0))
    if open_total == entry.amount:
        _record(entry, found, how, None)
        return
    reason = BankEntry.PART_PAYMENT if entry.amount < open_total else BankEntry.OVERPAYMENT
    facts = {"amount": str(entry.amount), "open": str(open_total)}
    _leave(entry, BankEntry.TO_CONFIRM, reason, facts, found)


def _names_settled(entry: BankEntry, references: set[str], tokens: list[str]) -> Invoice | None:
    """The Entity's paid or void invoice the entry's text names, if any."""
    named = Invoice.objects.filter(entity=entry.entity, self_billed=False).filter(
        Q(status=Invoice.VOID) | Q(status=Invoice.FINAL, paid_at__isnull=False)
    )
    by_reference = named.filter(payment_reference__in=references) if references else named.none()
    by_number = named.annotate(upper=Upper("number")).filter(upper__in=tokens)
    return (by_reference | by_number).order_by("pk").first() if tokens or references else None


def _match_debit(entry: BankEntry) -> None:
    files = CreditTransfer.objects.filter(
        entity=entry.entity, debtor_iban=entry.account_iban, withdrawn_at__isnull=True
    )
    payouts = TransferredPayout.objects.filter(transfer__in=files).select_related("invoice")
    if entry.end_to_end_id:
        payouts = payouts.filter(end_to_end_id=entry.end_to_end_id)
        how = BankEntry.BY_END_TO_END
    elif entry.batch_id:
        batch = Q(transfer__message_id=entry.batch_id) | Q(transfer__payment_info_id=entry.batch_id)
        payouts = payouts.filter(batch)
        how = BankEntry.BY_BATCH
    else:
        payouts = payouts.none()
    found = [payout.invoice for payout in payouts if payout.invoice.open_balance > 0]
    if not found:
        _leave(entry, BankEntry.UNMATCHED, BankEntry.NO_PAYOUT)
        return
    open_total = sum((invoice.open_balance for invoice in found), Decimal(0))
    if open_total == entry.amount and entry.currency == "EUR":
        _record(entry, found, how, None)
    else:
        facts = {"amount": str(entry.amount), "open": str(open_total)}
        _leave(entry, BankEntry.TO_CONFIRM, BankEntry.PAYOUTS_DIFFER, facts, found)


def assign(entry: BankEntry, invoices: list[Invoice], by, note: str = "") -> None:
    """A person's decision: the entry pays these invoices, in due date order, each up to
    what it has open. Refused when the entry is decided already, when an invoice does not
    fit the entry, or when the amount is more than the invoices have open."""
    with transaction.atomic():
        entry = BankEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status in (BankEntry.MATCHED, BankEntry.IGNORED):
            raise InvoicingError(_("This entry is decided already."))
        if not invoices:
            raise InvoicingError(_("Choose the invoices the entry pays."))
        for invoice in invoices:
            if (
                invoice.entity_id != entry.entity_id
                or invoice.currency != entry.currency
                or invoice.self_billed == entry.is_credit
                or invoice.is_credit_note
            ):
                raise InvoicingError(
                    _("{number} cannot be paid by this entry.").format(number=invoice.number)
                )
            if invoice.status != Invoice.FINAL or invoice.open_balance <= 0:
                raise InvoicingError(
                    _("{number} has nothing open to pay.").format(number=invoice.number)
                )
        open_total = sum((invoice.open_balance for invoice in invoices), Decimal(0))
        if entry.amount > open_total:
            raise InvoicingError(
                _(
                    "{amount} is more than the {open} these invoices have open: add the "
                    "invoice the rest is for, or ignore the entry with a note."
                ).format(
                    amount=format_amount(entry.amount, entry.currency),
                    open=format_amount(open_total, entry.currency),
                )
            )
        entry.note = note
        _record(entry, invoices, BankEntry.CONFIRMED, by)


def ignore(entry: BankEntry, note: str, by) -> None:
    """Nothing to match, e.g. bank fees or a refund: set aside, with why."""
    if not note.strip():
        raise InvoicingError(_("Say why the entry is ignored."))
    with transaction.atomic():
        entry = BankEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status in (BankEntry.MATCHED, BankEntry.IGNORED):
            raise InvoicingError(_("This entry is decided already."))
        entry.status = BankEntry.IGNORED
        entry.note = note.strip()[:500]
        entry.decided_by, entry.decided_at = actor_name(by), timezone.now()
        entry.save(update_fields=["status", "note", "decided_by", "decided_at"])


def _record(entry: BankEntry, invoices: list[Invoice], reason: str, by) -> None:
    """Pay the invoices from the entry, oldest due first; a failure (e.g. a payment date
    before the invoice's issue date) leaves the entry to confirm, with why."""
    invoices = in_paying_order(invoices)
    facts = {"user": actor_name(by)} if by is not None else {}
    entry.reason, entry.reason_facts = reason, facts
    with translation.override("en"):  # the audit trail's details are in English
        how = entry.describe()
    try:
        with transaction.atomic():
            left = entry.amount
            for invoice in invoices:
                part = min(left, invoice.open_balance)
                if part > 0:
                    record_payment(invoice, part, entry.booked_on, by, bank_entry=entry, how=how)
                    left -= part
            if left:
                raise InvoicingError(
                    _("{amount} of it is left over: the invoices have less open.").format(
                        amount=format_amount(left, entry.currency)
                    )
                )
    except InvoicingError as error:
        if by is not None:
            raise
        _leave(entry, BankEntry.TO_CONFIRM, BankEntry.NOT_RECORDED, {"error": str(error)}, invoices)
        return
    entry.status = BankEntry.MATCHED
    entry.decided_by = actor_name(by) if by is not None else ""
    entry.decided_at = timezone.now()
    entry.save()
    entry.suggestions.set(invoices)


def in_paying_order(invoices: list[Invoice]) -> list[Invoice]:
    """The order an entry pays several invoices in: the one due first, first."""
    return sorted(invoices, key=lambda i: (i.due_date or i.issue_date, i.issue_date, i.pk))


def _leave(entry: BankEntry, status: str, reason: str, facts=None, suggestions=()) -> None:
    entry.status, entry.reason, entry.reason_facts = status, reason, facts or {}
    entry.save()
    entry.suggestions.set(suggestions)


def _payment_references(text: str) -> set[str]:
    """The payment references the text may hold: ISO 11649 ones ("RF18 RE20 2600 01"; as the
    spaces are dropped, every valid prefix), and Belgian structured communications."""
    found = set()
    compact = re.sub(r"[^A-Z0-9+]", "", text.upper())
    for start in (m.start() for m in re.finditer(r"RF\d\d", compact)):
        for end in range(start + 5, min(start + 25, len(compact)) + 1):
            if iso11649.is_valid(compact[start:end]):
                found.add(compact[start:end])
    for groups in BELGIAN.findall(text):
        digits = "".join(groups)
        if ogm_vcs.is_valid(digits):
            found.add(digits)
    return found


def _tokens(text: str) -> list[str]:
    """Words of the remittance text that may be invoice numbers: with a digit, uppercased,
    with and without trailing punctuation."""
    tokens = set()
    for token in TOKEN.findall(text):
        # "RE-2026-0001/RE-2026-0002" names two, "2026/0001" one: both ways are looked up.
        tokens.update(part.upper() for part in [token, *token.split("/")] if part)
    return sorted(token for token in tokens if any(c.isdigit() for c in token))[:MAX_TOKENS]
