"""A period's documents for the accountant: one balanced journal entry per finalized invoice,
credit note and self-billed invoice, and the entries as a plain journal CSV. The FEC (fec.py)
writes these entries as they are; DATEV (datev.py) books each document's gross amount
against one account that splits off the VAT itself.

Entries are in the Entity's national currency: a document in another currency is booked at
the rate it was finalized with (Art. 230) or else the ECB reference rate of its issue date,
with the amount in its own currency beside it. The accounts are those of the French chart
(plan comptable général), which the FEC requires: 411 customers and 401 suppliers (one
auxiliary account per partner), 706 services sold, 604 services bought, 44571 VAT
collected, 44566 VAT deductible, 4452 VAT self-assessed on a reverse-charged purchase. A
credit note is booked the other way round."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from entities.models import Entity

from ..amounts import round_money
from ..exchange_rates import RateMissing, latest_ecb_rate
from ..models import Invoice, InvoicingError
from ..national_currencies import national_currency
from ..taxes import REVERSE_CHARGE, domestic_rate

CUSTOMERS = ("411", "Clients")
SUPPLIERS = ("401", "Fournisseurs")
SERVICES_SOLD = ("706", "Prestations de services")
SERVICES_BOUGHT = ("604", "Achats d'études et prestations de services")
VAT_COLLECTED = ("44571", "TVA collectée")
VAT_DEDUCTIBLE = ("44566", "TVA déductible sur autres biens et services")
VAT_SELF_ASSESSED = ("4452", "TVA due intracommunautaire")
JOURNALS = {"sales": ("VE", "Ventes"), "purchases": ("AC", "Achats")}


@dataclass
class Line:
    account: str
    account_name: str
    debit: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    aux: str = ""
    aux_name: str = ""


@dataclass
class Entry:
    journal: str
    journal_name: str
    number: str
    day: date
    document: Invoice
    label: str
    validated_on: date
    lines: list[Line] = field(default_factory=list)
    foreign_amount: Decimal | None = None  # the document's total, in its own currency
    foreign_currency: str = ""


def journal(entity: Entity, start: date, end: date) -> list[Entry]:
    """The entries of the documents issued from `start` to `end`, in issue order, each
    balanced. Raises InvoicingError when a foreign-currency document has no rate."""
    documents = (
        Invoice.objects.filter(
            entity=entity,
            status__in=[Invoice.FINAL, Invoice.VOID],
            issue_date__gte=start,
            issue_date__lte=end,
        )
        .select_related("partner")
        .order_by("issue_date", "finalized_at", "pk")
    )
    counters = {"sales": 0, "purchases": 0}
    entries = []
    zone = ZoneInfo(entity.time_zone)
    for document in documents:
        side = "purchases" if document.self_billed else "sales"
        counters[side] += 1
        code, name = JOURNALS[side]
        entry = Entry(
            journal=code,
            journal_name=name,
            number=f"{code}{counters[side]:06d}",
            day=document.issue_date,
            document=document,
            label=f"{document.title} {document.number} {document.partner.legal_name}"[:200],
            validated_on=(
                document.finalized_at.astimezone(zone).date()
                if document.finalized_at
                else document.issue_date
            ),  # fmt: skip
        )
        entry.lines = _lines(entity, document, entry)
        entries.append(entry)
    return entries


def _lines(entity: Entity, document: Invoice, entry: Entry) -> list[Line]:
    national, rate = _rate(entity, document)
    if rate == 1:
        net, tax = document.subtotal, document.tax_amount
    else:
        entry.foreign_amount, entry.foreign_currency = document.total, document.currency
        net = round_money(document.subtotal * rate, national)
        tax = document.tax_amount_in_tax_currency  # the VAT as the invoice states it (BT-111)
        if tax is None or document.tax_currency != national:
            tax = round_money(document.tax_amount * rate, national)
    total = net + tax  # so the entry balances after conversion
    partner = document.partner
    if document.self_billed:
        party, counter, vat = SUPPLIERS, SERVICES_BOUGHT, VAT_DEDUCTIBLE
        aux = f"F{partner.pk:06d}"
    else:
        party, counter, vat = CUSTOMERS, SERVICES_SOLD, VAT_COLLECTED
        aux = f"C{partner.pk:06d}"
    # The partner's side is debited for a sale (it owes) and credited for a purchase.
    partner_debits = document.self_billed == document.is_credit_note
    lines = [Line(*party, aux=aux, aux_name=partner.legal_name[:100])]
    lines.append(Line(*counter))
    if tax:
        lines.append(Line(*vat))
    amounts = [total, net, tax]
    for line, amount, partner_side in zip(lines, amounts, [True, False, False], strict=False):
        debit = partner_debits if partner_side else not partner_debits
        if debit:
            line.debit = amount
        else:
            line.credit = amount
    if document.self_billed and document.tax_category == REVERSE_CHARGE:
        lines += _self_assessed(entity, document, net, national, partner_debits)
    return lines


def _self_assessed(
    entity: Entity, document: Invoice, net: Decimal, currency: str, reversed_: bool
) -> list[Line]:
    """A service bought under reverse charge: the Entity owes the VAT the supplier did not
    charge and deducts it again (Art. 196, 168 VAT Directive; art. 283-2 CGI), at its own
    rate on the supply date. Both lines, so the entry stays balanced."""
    vat = round_money(net * domestic_rate(entity, document.period_end) / 100, currency)
    if not vat:
        return []
    deductible, due = Line(*VAT_DEDUCTIBLE), Line(*VAT_SELF_ASSESSED)
    if reversed_:  # a credit note takes both back
        deductible.credit = due.debit = vat
    else:
        deductible.debit = due.credit = vat
    return [deductible, due]


def _rate(entity: Entity, document: Invoice) -> tuple[str, Decimal]:
    """The currency the books are kept in, and the document's rate into it."""
    national = national_currency(entity.country, document.issue_date) or document.currency
    if document.currency == national:
        return national, Decimal(1)
    if document.exchange_rate and document.tax_currency == national:
        return national, document.exchange_rate
    try:
        return national, latest_ecb_rate(document.currency, national, document.issue_date).rate
    except RateMissing as missing:
        raise InvoicingError(
            _("{number} is in {currency}: {problem}").format(
                number=document.number, currency=document.currency, problem=missing
            )
        ) from None


def is_balanced(entry: Entry) -> bool:
    return sum(line.debit for line in entry.lines) == sum(line.credit for line in entry.lines)


JOURNAL_COLUMNS = [
    "journal", "entry", "date", "document", "partner", "account", "account_name", "debit",
    "credit", "currency", "foreign_amount", "foreign_currency", "label",
]  # fmt: skip


def journal_csv(entity: Entity, start: date, end: date) -> str:
    """The entries as a plain CSV, one row per line, for any accounting tool."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(JOURNAL_COLUMNS)
    currency = national_currency(entity.country, end) or entity.default_currency
    for entry in journal(entity, start, end):
        for line in entry.lines:
            writer.writerow(
                [entry.journal, entry.number, entry.day.isoformat(), entry.document.number,
                 line.aux_name or "", line.account, line.account_name, f"{line.debit:.2f}",
                 f"{line.credit:.2f}", currency,
                 f"{entry.foreign_amount:.2f}" if entry.foreign_amount else "",
                 entry.foreign_currency, entry.label]
            )  # fmt: skip
    return out.getvalue()
