"""From delivered leads to finalized invoices: preview, drafts, adjustments, finalize.

Every function here works inside the caller's tenant scope (the request's, or the one a task
or command enters) and takes the Entity explicitly as well.
"""

import contextlib
import copy
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope

from distribution.models import Assignment, DistributionTransaction, Lead
from entities import national_mentions
from entities.addresses import region_problem
from entities.languages import in_sentence
from entities.models import Entity
from entities.numbers import amount as format_amount
from entities.services import issuing_problem
from partners.checks import invoicing_details_problems
from partners.models import Partner

from . import announcements
from .amounts import Totals, invoice_totals, line_net_amount, round_money
from .banking import payment_reference
from .document_text import in_language
from .documents import store_documents
from .events import actor_name, record_event, record_events
from .exchange_rates import Conversion, RateMissing, apply_conversion, decide_conversion
from .models import BilledLead, Invoice, InvoiceEvent, InvoiceLine, InvoicingError
from .numbering import take_next_number
from .taxes import (
    NOT_SUBJECT,
    REVERSE_CHARGE,
    TaxTreatment,
    decide_self_billing_treatment,
    decide_tax_treatment,
)
from .templating import template_version

logger = logging.getLogger(__name__)


def period_bounds(entity: Entity, start: date, end: date) -> tuple[datetime, datetime]:
    """The period from the first to the last day, inclusive, in the Entity's time zone."""
    tz = ZoneInfo(entity.time_zone)
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def local_today(entity: Entity) -> date:
    return timezone.now().astimezone(ZoneInfo(entity.time_zone)).date()


def unbilled_transactions(entity: Entity, start: date, end: date):
    """Delivered, not cancelled, not yet on an invoice, delivered within the period."""
    lower, upper = period_bounds(entity, start, end)
    return DistributionTransaction.objects.filter(
        entity=entity,
        status=DistributionTransaction.DELIVERED,
        invoice_id__isnull=True,
        delivered_at__gte=lower,
        delivered_at__lt=upper,
    )


def transactions_on(invoices: list[Invoice], field: str = "invoice_id"):
    """The deliveries on these invoices (or, with field="credit_note_id", credited by these
    credit notes). They lie within the invoices' partners and periods, which the index
    txn_by_partner_date finds; invoice_id has no index (see DistributionTransaction.Meta)."""
    if not invoices:
        return DistributionTransaction.objects.none()
    entity = invoices[0].entity
    lower = min(period_bounds(entity, i.period_start, i.period_end)[0] for i in invoices)
    upper = max(period_bounds(entity, i.period_start, i.period_end)[1] for i in invoices)
    return DistributionTransaction.objects.filter(
        partner_id__in={i.partner_id for i in invoices},
        delivered_at__gte=lower - timedelta(days=1),  # any time zone the Entity had
        delivered_at__lt=upper + timedelta(days=1),
        **{f"{field}__in": [i.pk for i in invoices]},
    )


def delivery_line_description(assignment: Assignment) -> str:
    return f"Leads · {assignment.profile.name} · {assignment.name}"


# Preview


@dataclass
class PreviewLine:
    description: str
    quantity: int
    unit_price: Decimal
    net_amount: Decimal


@dataclass
class PartnerPreview:
    partner: Partner
    currency: str
    treatment: TaxTreatment
    lines: list[PreviewLine] = field(default_factory=list)
    totals: Totals | None = None

    @property
    def leads(self) -> int:
        return sum(line.quantity for line in self.lines)


def preview_period(entity: Entity, start: date, end: date) -> list[PartnerPreview]:
    """What generating drafts for the period would bill, per partner and currency. Read only."""
    rows = (
        unbilled_transactions(entity, start, end)
        .values("partner_id", "currency", "assignment_id", "price")
        .annotate(leads=Count("id"))
        .order_by()
    )
    rows = list(rows)
    partners = Partner.objects.in_bulk({row["partner_id"] for row in rows})
    assignments = Assignment.objects.select_related("profile").in_bulk(
        {row["assignment_id"] for row in rows}
    )
    previews: dict[tuple[int, str], PartnerPreview] = {}
    for row in rows:
        key = (row["partner_id"], row["currency"])
        if key not in previews:
            partner = partners[row["partner_id"]]
            previews[key] = PartnerPreview(
                partner, row["currency"], decide_tax_treatment(entity, partner, end)
            )
        previews[key].lines.append(
            PreviewLine(
                delivery_line_description(assignments[row["assignment_id"]]),
                row["leads"],
                row["price"],
                line_net_amount(row["leads"], row["price"], row["currency"]),
            )
        )
    for preview in previews.values():
        preview.lines.sort(key=lambda line: (line.description, line.unit_price))
    return with_totals(previews.values())


@dataclass
class PreviewTotal:
    currency: str
    leads: int = 0
    subtotal: Decimal = Decimal(0)
    tax_amount: Decimal = Decimal(0)
    total: Decimal = Decimal(0)


def grand_totals(previews: list[PartnerPreview]) -> list[PreviewTotal]:
    """The previews added up per currency, for the table's last rows."""
    totals: dict[str, PreviewTotal] = {}
    for preview in previews:
        row = totals.setdefault(preview.currency, PreviewTotal(preview.currency))
        row.leads += preview.leads
        row.subtotal += preview.totals.subtotal
        row.tax_amount += preview.totals.tax_amount
        row.total += preview.totals.total
    return sorted(totals.values(), key=lambda row: row.currency)


def with_totals(previews) -> list[PartnerPreview]:
    """The previews with their totals, sorted by partner name and currency."""
    for preview in previews:
        preview.totals = invoice_totals(
            (line.net_amount for line in preview.lines), preview.treatment.rate, preview.currency
        )
    return sorted(previews, key=lambda p: (p.partner.name.lower(), p.currency))


# Drafts


@dataclass(frozen=True)
class GenerationResult:
    drafts_created: int
    drafts_updated: int
    transactions_billed: int


def generate_drafts(
    entity: Entity, start: date, end: date, by=None, workers: int | None = None
) -> GenerationResult:
    """Put every unbilled delivery of the period onto a draft: one per partner and currency.

    Idempotent and safe to run concurrently: a partial unique constraint allows one draft per
    partner, period and currency; the drafts are locked before transactions are stamped onto
    them, and only transactions without an invoice are stamped. A second run therefore finds
    nothing left to bill, and a run racing another waits for it and then bills only what is new.
    Set-based: one aggregate, one insert, one update, one line rebuild, whatever the volume.

    With `workers` (default: settings.GENERATION_WORKERS) above one, on PostgreSQL and outside
    a transaction, the partners are shared out among that many connections, each billing its
    share in its own transaction: stamping a million deliveries is CPU-bound in one backend,
    and PostgreSQL runs no UPDATE in parallel by itself. Each partner's drafts are still all
    or nothing; should one share fail, the others are kept and running again bills what is
    left. Inside the caller's transaction everything happens in it, as one.
    """
    if start > end:
        raise InvoicingError(_("The billing period must start before it ends."))
    if problem := issuing_problem(entity):
        raise InvoicingError(problem)
    groups = list(
        unbilled_transactions(entity, start, end)
        .values_list("partner_id", "currency")
        .distinct()
        .order_by("partner_id", "currency")
    )
    if not groups:
        return GenerationResult(0, 0, 0)
    workers = settings.GENERATION_WORKERS if workers is None else workers
    if workers < 2 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return _generate_share(entity, start, end, groups, by)
    # A partner's groups stay in one share: a share locks and stamps whole partners.
    partner_ids = sorted({partner_id for partner_id, _ in groups})
    share_of = {partner_id: n % workers for n, partner_id in enumerate(partner_ids)}
    shares = [[group for group in groups if share_of[group[0]] == n] for n in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        results = list(
            pool.map(
                lambda share: _in_own_connection(
                    entity, _generate_share, entity, start, end, share, by
                ),
                [share for share in shares if share],
            )
        )
    return GenerationResult(
        sum(r.drafts_created for r in results),
        sum(r.drafts_updated for r in results),
        sum(r.transactions_billed for r in results),
    )


def _in_own_connection(entity: Entity, function, *args):
    """Run `function` in this worker thread's own connection, in the Entity's scope."""
    try:
        with scope(entity=entity):
            return function(*args)
    finally:
        connection.close()


def _generate_share(
    entity: Entity, start: date, end: date, groups: list[tuple[int, str]], by
) -> GenerationResult:
    """Drafts for these (partner, currency) groups, in one transaction."""
    with transaction.atomic():
        partner_ids = sorted({partner_id for partner_id, _ in groups})
        existing = set(
            _drafts_of_period(entity, start, end)
            .filter(partner_id__in=partner_ids)
            .values_list("partner_id", "currency")
        )
        Invoice.objects.bulk_create(
            [
                Invoice(
                    entity=entity,
                    partner_id=partner_id,
                    currency=currency,
                    period_start=start,
                    period_end=end,
                )
                for partner_id, currency in groups
                if (partner_id, currency) not in existing
            ],
            ignore_conflicts=True,
        )
        drafts = list(
            _drafts_of_period(entity, start, end)
            .filter(partner_id__in=partner_ids)
            .select_for_update()
            .order_by("pk")
        )
        billed = _stamp(entity, start, end, drafts)
        rebuild_delivery_lines(drafts)
        new_drafts = [d for d in drafts if (d.partner_id, d.currency) not in existing]
        created = len(new_drafts)
        period = f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
        record_events(new_drafts, InvoiceEvent.GENERATED, by, period)
        record_events(
            [d for d in drafts if (d.partner_id, d.currency) in existing],
            InvoiceEvent.GENERATED,
            by,
            f"{period}: late deliveries added",
        )
    return GenerationResult(created, len(drafts) - created, billed)


# One UPDATE … FROM join puts every unbilled delivery of the period on its partner's draft.
# The drafts come as a VALUES list, so the planner knows how many there are and hashes them
# (just-inserted drafts have no statistics: a join on the table itself became a nested loop
# of 1,000 index scans). The WHERE repeats unbilled_transactions().
STAMP_SQL = """
UPDATE distribution_distributiontransaction SET invoice_id = d.invoice_id
FROM (SELECT column1 AS partner_id, column2 AS currency, column3 AS invoice_id
      FROM (VALUES {values}) AS v) AS d
WHERE d.partner_id = distribution_distributiontransaction.partner_id
  AND d.currency = distribution_distributiontransaction.currency
  AND distribution_distributiontransaction.entity_id = %s
  AND distribution_distributiontransaction.status = 'delivered'
  AND distribution_distributiontransaction.invoice_id IS NULL
  AND distribution_distributiontransaction.delivered_at >= %s
  AND distribution_distributiontransaction.delivered_at < %s
"""


def _stamp(entity: Entity, start: date, end: date, drafts: list[Invoice]) -> int:
    if not drafts:
        return 0
    lower, upper = period_bounds(entity, start, end)
    values = ", ".join(["(%s, %s, %s)"] * len(drafts))
    params = [v for d in drafts for v in (d.partner_id, d.currency, d.pk)]
    with connection.cursor() as cursor:
        cursor.execute(STAMP_SQL.format(values=values), [*params, entity.pk, lower, upper])
        return cursor.rowcount


def _drafts_of_period(entity: Entity, start: date, end: date, self_billed: bool = False):
    return Invoice.objects.filter(
        entity=entity,
        kind=Invoice.KIND_INVOICE,
        self_billed=self_billed,
        status=Invoice.DRAFT,
        period_start=start,
        period_end=end,
    )


def rebuild_delivery_lines(drafts: list[Invoice]) -> None:
    """Replace the drafts' delivery lines by one line per assignment and unit price of the
    transactions on them, and recompute their totals; for partners who want their leads
    listed, list them (BilledLead). Manual credit lines stay."""
    by_id = {draft.pk: draft for draft in drafts}
    BilledLead.objects.filter(invoice_id__in=by_id).delete()
    InvoiceLine.objects.filter(invoice_id__in=by_id, kind=InvoiceLine.DELIVERIES).delete()
    rows = list(
        transactions_on(drafts)
        .values("invoice_id", "assignment_id", "price")
        .annotate(leads=Count("id"))
        .order_by("invoice_id", "assignment_id", "price")
    )
    assignments = Assignment.objects.select_related("profile").in_bulk(
        {row["assignment_id"] for row in rows}
    )
    lines = InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice_id=row["invoice_id"],
            kind=InvoiceLine.DELIVERIES,
            assignment_id=row["assignment_id"],
            description=delivery_line_description(assignments[row["assignment_id"]]),
            quantity=row["leads"],
            unit_price=row["price"],
            net_amount=line_net_amount(
                row["leads"], row["price"], by_id[row["invoice_id"]].currency
            ),
        )
        for row in rows
    )
    listed = set(
        Invoice.objects.filter(pk__in=by_id, partner__line_items=Partner.PER_LEAD).values_list(
            "pk", flat=True
        )
    )
    if listed:
        _list_leads([d for d in drafts if d.pk in listed], lines)
    refresh_totals(drafts)


def _list_leads(invoices: list[Invoice], lines: list[InvoiceLine]) -> None:
    """A BilledLead per transaction on the invoices, under its line, inserted in batches."""
    line_of = {(line.invoice_id, line.assignment_id, line.unit_price): line.pk for line in lines}
    transactions = (
        transactions_on(invoices)
        .order_by("invoice_id", "delivered_at", "pk")
        .values_list("invoice_id", "assignment_id", "price", "lead__external_id", "delivered_at")
    )
    batch = []
    for invoice_id, assignment_id, price, lead_id, delivered_at in transactions.iterator(5000):
        batch.append(
            BilledLead(
                invoice_id=invoice_id,
                line_id=line_of[(invoice_id, assignment_id, price)],
                lead_external_id=lead_id,
                delivered_at=delivered_at,
                unit_price=price,
            )
        )
        if len(batch) == 5000:
            BilledLead.objects.bulk_create(batch)
            batch = []
    BilledLead.objects.bulk_create(batch)


def refresh_totals(drafts: list[Invoice]) -> None:
    """Recompute and store subtotal, VAT and total of drafts from their lines."""
    amounts = defaultdict(list)
    reductions = defaultdict(list)  # a price reduction is an amount of its own
    for invoice_id, kind, net_amount in InvoiceLine.objects.filter(
        invoice_id__in=[d.pk for d in drafts]
    ).values_list("invoice_id", "kind", "net_amount"):
        (reductions if kind == InvoiceLine.REDUCTION else amounts)[invoice_id].append(net_amount)
    partners = {d.partner_id: d.partner for d in drafts if Invoice.partner.is_cached(d)}
    if missing := {d.partner_id for d in drafts} - partners.keys():
        partners |= Partner.objects.select_related("entity").in_bulk(missing)
    originals = Invoice.objects.in_bulk({d.corrects_id for d in drafts if d.corrects_id})
    remainders = uncredited_totals(originals.values())
    for draft in drafts:
        original = originals.get(draft.corrects_id)
        line_total = round_money(sum(amounts[draft.pk], Decimal(0)), draft.currency)
        draft.allowance_amount = allowance(draft, line_total, original)
        # A credit note speaks the language of the invoice it corrects.
        draft.language = (
            original.language if original else partners[draft.partner_id].document_language
        )
        with translation.override(draft.language):  # the tax note is printed in it
            treatment = draft_tax_treatment(
                draft, partners[draft.partner_id], original, line_total - draft.allowance_amount
            )
        totals = invoice_totals(
            [line_total, -draft.allowance_amount, *reductions[draft.pk]],
            treatment.rate,
            draft.currency,
        )
        remainder = remainders.get(draft.corrects_id)
        if remainder is not None and totals.subtotal == remainder.subtotal:
            # A credit note for all that is left credits exactly that, VAT included: VAT
            # worked out again on the rest could differ by a cent from what was invoiced,
            # and the credit notes would not add up to the invoice.
            totals = remainder
        draft.tax_category, draft.tax_rate, draft.tax_note = (
            treatment.category,
            treatment.rate,
            treatment.note,
        )
        draft.tax_exemption_reason = treatment.exemption_reason
        draft.tax_exemption_code = treatment.exemption_code
        draft.tax_country = treatment.country
        draft.subtotal, draft.tax_amount, draft.total = (
            totals.subtotal,
            totals.tax_amount,
            totals.total,
        )
    _store_totals(drafts)


def allowance(draft: Invoice, line_total: Decimal, original: Invoice | None) -> Decimal:
    """The draft's allowance (BG-20) on its lines: its percentage of them, or its amount. A
    credit note takes the same share of the lines it credits as its invoice took, so that
    what is credited is what was charged."""
    currency = draft.currency
    if original is not None:
        if not original.allowance_amount:
            return Decimal(0)
        # What earlier credit notes left of the lines and of the allowance: a credit note
        # for all the lines left takes all the allowance left, so that rounding each
        # share on its own never leaves a cent uncredited or credits one too many.
        earlier = Invoice.objects.filter(corrects=original, status=Invoice.FINAL).exclude(
            pk=draft.pk
        )
        credited_allowance = earlier.aggregate(s=Sum("allowance_amount"))["s"] or Decimal(0)
        credited_lines = InvoiceLine.objects.filter(invoice__in=earlier).exclude(
            kind=InvoiceLine.REDUCTION
        ).aggregate(s=Sum("net_amount"))["s"] or Decimal(0)
        if line_total == round_money(original.line_total - credited_lines, currency):
            return round_money(original.allowance_amount - credited_allowance, currency)
        share = original.allowance_amount / original.line_total
        return round_money(line_total * share, currency)
    if draft.allowance_percent is not None:
        return round_money(line_total * draft.allowance_percent / 100, currency)
    return draft.allowance_amount


TOTAL_FIELDS = [
    "language",
    "allowance_amount",
    "tax_category",
    "tax_rate",
    "tax_note",
    "tax_exemption_reason",
    "tax_exemption_code",
    "tax_country",
    "subtotal",
    "tax_amount",
    "total",
]
# One UPDATE … FROM (VALUES …) for all drafts: bulk_update() builds a CASE per field and row,
# which took over a second for the 1,000 drafts of a billing run. Works on SQLite too.
TOTALS_SQL = """
UPDATE invoicing_invoice SET {assignments}
FROM (SELECT {columns} FROM (VALUES {values}) AS v) AS t
WHERE invoicing_invoice.id = t.id
"""


def uncredited_totals(invoices) -> dict[int, Totals]:
    """Per finalized invoice: what its finalized credit notes have not credited yet."""
    invoices = [invoice for invoice in invoices if not invoice.is_draft]
    credited = {
        row["corrects_id"]: row
        for row in Invoice.objects.filter(
            corrects__in=invoices, status=Invoice.FINAL, kind=Invoice.KIND_CREDIT_NOTE
        )
        .values("corrects_id")
        .annotate(subtotal=Sum("subtotal"), tax_amount=Sum("tax_amount"), total=Sum("total"))
    }
    zero = {"subtotal": Decimal(0), "tax_amount": Decimal(0), "total": Decimal(0)}

    def left(invoice, field):  # SQLite sums decimals as floats: back to cents
        value = getattr(invoice, field) - credited.get(invoice.pk, zero)[field]
        return round_money(value, invoice.currency)

    return {
        invoice.pk: Totals(
            left(invoice, "subtotal"), left(invoice, "tax_amount"), left(invoice, "total")
        )  # fmt: skip
        for invoice in invoices
    }


def _store_totals(drafts: list[Invoice]) -> None:
    for start in range(0, len(drafts), 1000):
        batch = drafts[start : start + 1000]
        columns = ", ".join(
            f"column{n} AS {name}" for n, name in enumerate(["id", *TOTAL_FIELDS], start=1)
        )
        assignments = ", ".join(f"{name} = t.{name}" for name in TOTAL_FIELDS)
        row = "(" + ", ".join(["%s"] * (len(TOTAL_FIELDS) + 1)) + ")"
        sql = TOTALS_SQL.format(
            assignments=assignments, columns=columns, values=", ".join([row] * len(batch))
        )
        params = [
            value
            for draft in batch
            for value in (draft.pk, *(getattr(draft, name) for name in TOTAL_FIELDS))
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def draft_tax_treatment(
    draft: Invoice, partner: Partner, original: Invoice | None, net: Decimal = Decimal(0)
) -> TaxTreatment:
    """The tax a draft gets at finalize: a credit note keeps the treatment of the invoice it
    corrects (`original`); a self-billed invoice follows the supplier's details. `net` is
    the draft's net amount (for the OSS threshold, in euro)."""
    if draft.corrects_id:
        return tax_treatment_of(original)
    if draft.self_billed:
        return decide_self_billing_treatment(partner.entity, partner, draft.period_end)
    net = net if draft.currency == "EUR" else Decimal(0)
    return decide_tax_treatment(partner.entity, partner, draft.period_end, net)


def einvoice_format_for(draft: Invoice) -> str:
    """The e-invoice format a draft is finalized in. XRechnung knows no self-billing
    (BR-DE-17), so a self-billed invoice is Factur-X unless the supplier wants PDF only."""
    partner = draft.partner
    if draft.self_billed:
        if partner.einvoice_format in (Partner.EINVOICE_PDF, Partner.EINVOICE_PEPPOL):
            return partner.einvoice_format  # Peppol has a Self-Billing BIS
        return Partner.EINVOICE_FACTURX
    return partner.effective_einvoice_format


def tax_treatment_of(invoice: Invoice) -> TaxTreatment:
    """The treatment stored on a finalized invoice."""
    return TaxTreatment(
        invoice.tax_category,
        invoice.tax_rate,
        note=invoice.tax_note,
        exemption_reason=invoice.tax_exemption_reason,
        exemption_code=invoice.tax_exemption_code,
        country=invoice.tax_country,
    )


def _lock_draft(invoice: Invoice) -> Invoice:
    # With its Entity and partner, which every change to a draft reads; only the draft's
    # row is locked.
    drafts = Invoice.objects.select_for_update(of=("self",))
    locked = drafts.select_related("entity", "partner__entity").get(pk=invoice.pk)
    if not locked.is_draft:
        raise InvoicingError(
            _("Invoice {number} is finalized and can no longer change.").format(
                number=locked.number
            )
        )
    return locked


def add_credit(
    invoice: Invoice, description: str, leads: int, unit_price: Decimal, by=None
) -> InvoiceLine:
    """Credit `leads` leads at `unit_price` on a draft (e.g. a disputed lead).

    EN 16931 keeps net prices positive (BR-27): a credit is a line with a negative quantity.
    Refused if it would make the invoice total negative.
    """
    description = description.strip()
    if not description:
        raise InvoicingError(_("Say what the credit is for."))
    if leads < 1:
        raise InvoicingError(_("A credit is for at least one lead."))
    if unit_price <= 0:
        raise InvoicingError(_("The price of a credited lead must be more than zero."))
    with transaction.atomic():
        draft = _lock_draft(invoice)
        line = InvoiceLine.objects.create(
            invoice=draft,
            kind=InvoiceLine.CREDIT,
            description=description,
            quantity=-leads,
            unit_price=unit_price,
            net_amount=line_net_amount(-leads, unit_price, draft.currency),
        )
        refresh_totals([draft])
        if draft.total < 0:
            raise InvoicingError(
                _(
                    "This credit ({amount}) is more than the invoice's total; an invoice "
                    "cannot be negative."
                ).format(amount=format_amount(-line.net_amount, draft.currency))
            )
        record_event(draft, InvoiceEvent.CREDIT_ADDED, by, f"{description}: {leads} × {unit_price}")
    return line


def remove_credit(line: InvoiceLine, by=None) -> None:
    """Remove a manual line: a credit, or a manual payout line of a self-billed draft."""
    if line.kind not in (InvoiceLine.CREDIT, InvoiceLine.PAYOUT):
        raise InvoicingError(
            _("Only manual lines can be removed; the other lines follow the leads.")
        )
    with transaction.atomic():
        draft = _lock_draft(line.invoice)
        line.delete()
        refresh_totals([draft])
        record_event(draft, InvoiceEvent.CREDIT_REMOVED, by, line.description)


def update_notes(invoice: Invoice, notes: str, by=None) -> None:
    with transaction.atomic():
        draft = _lock_draft(invoice)
        draft.notes = notes.strip()
        draft.save(update_fields=["notes"])
        record_event(draft, InvoiceEvent.NOTES_CHANGED, by)


def set_allowance(
    invoice: Invoice,
    reason: str,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
    by=None,
) -> None:
    """A discount on the whole draft (BG-20), by amount or by a percentage of its lines,
    with its reason (BT-97); neither amount nor percentage removes it. Its VAT category is
    the invoice's (BT-95, BT-96)."""
    if amount is not None and percent is not None:
        raise InvoicingError(_("Give the allowance as an amount or as a percentage, not both."))
    removing = not amount and not percent
    if not removing and not reason.strip():
        raise InvoicingError(_("Say why the allowance is given: it is printed on the invoice."))
    if percent is not None and not Decimal(0) < percent <= 100:
        raise InvoicingError(_("A percentage is more than 0 and at most 100."))
    with transaction.atomic():
        draft = _lock_draft(invoice)
        if draft.is_credit_note:
            raise InvoicingError(_("A credit note takes the allowance of its invoice."))
        line_total = draft.line_total
        if amount is not None and not Decimal(0) < amount <= line_total:
            raise InvoicingError(
                _("An allowance is more than zero and at most the lines' {amount}.").format(
                    amount=format_amount(line_total, draft.currency)
                )
            )
        draft.allowance_amount = Decimal(0) if removing else (amount or Decimal(0))
        draft.allowance_percent = None if removing else percent
        draft.allowance_reason = "" if removing else reason.strip()[:200]
        draft.save(update_fields=["allowance_amount", "allowance_percent", "allowance_reason"])
        refresh_totals([draft])
        if removing:
            label = "removed"
        elif percent is not None:
            label = f"{percent.normalize():f} %: {draft.allowance_reason}"
        else:
            label = f"{format_amount(amount, draft.currency)}: {draft.allowance_reason}"
        record_event(draft, InvoiceEvent.ALLOWANCE_CHANGED, by, label)


def enter_exchange_rate(invoice: Invoice, rate: Decimal | None, day: date | None, by) -> None:
    """The operator's rate for the VAT in the national currency (1 unit of the invoice's
    currency in it), instead of the Entity's rule; None goes back to the rule."""
    if rate is not None and (rate <= 0 or day is None):
        raise InvoicingError(_("Enter a rate above zero and the day it applies to."))
    with transaction.atomic():
        draft = _lock_draft(invoice)
        draft.exchange_rate, draft.exchange_rate_date = rate, day if rate else None
        draft.exchange_rate_entered_by = actor_name(by) if rate else ""
        draft.save(
            update_fields=["exchange_rate", "exchange_rate_date", "exchange_rate_entered_by"]
        )
        label = f"1 {draft.currency} = {rate} on {day:%Y-%m-%d}" if rate else "the rule again"
        record_event(draft, InvoiceEvent.EXCHANGE_RATE_ENTERED, by, label)


def delete_draft(invoice: Invoice) -> int:
    """Delete a draft and release its deliveries (or, for a payout, its supplied leads),
    which the next generation bills again. Returns how many were released."""
    with transaction.atomic():
        draft = _lock_draft(invoice)
        if draft.is_credit_note:
            raise InvoicingError(
                _(
                    "A credit note for cancelled leads cannot be deleted: the leads are cancelled. "
                    "Finalize it to credit them."
                )
            )
        released = transactions_on([draft]).update(invoice_id=None)
        released += Lead.objects.filter(payout_invoice_id=draft.pk).update(payout_invoice_id=None)
        draft.lines.all().delete()
        draft.delete()
    return released


# Finalize


def seller_details(entity: Entity) -> dict:
    return {
        "name": entity.legal_name,
        "street": entity.street,
        "postcode": entity.postcode,
        "city": entity.city,
        "region": entity.region,
        "country": entity.country,
        "country_name": entity.get_country_display(),
        "vat_id": entity.vat_id,
        "tax_number": entity.tax_number,
        "tax_office": entity.tax_office,
        "contact_name": entity.contact_name,
        "email": entity.email,
        "phone": entity.phone,
        "bank_name": entity.bank_name,
        "iban": entity.iban,
        "bic": entity.bic,
        **legal_details(entity),
        **peppol_details(entity),
    }


def peppol_details(party) -> dict:
    """Its Peppol participant ID (entered, or the one its VAT ID suggests), the endpoint ID
    of a Peppol e-invoice."""
    scheme, value = party.peppol_participant or ("", "")
    return {"peppol_scheme": scheme, "peppol_id": value}


def legal_details(entity: Entity) -> dict:
    """What the Entity's country asks its invoices to say about it (national_mentions)."""
    return {
        "legal_form": entity.legal_form,
        "register_court": entity.register_court,
        "register_number": entity.register_number,
        "managing_directors": entity.managing_directors,
        "share_capital": str(entity.share_capital) if entity.share_capital is not None else "",
        "share_capital_currency": entity.default_currency,
        "siret": entity.siret,
        "late_payment_penalty": entity.late_payment_penalty,
        "early_payment_discount": entity.early_payment_discount,
        "vat_on_debits": entity.vat_on_debits,
    }


def buyer_details(partner: Partner) -> dict:
    return {
        "name": partner.legal_name,
        "kind": partner.kind,
        "street": partner.street,
        "postcode": partner.postcode,
        "city": partner.city,
        "region": partner.region,
        "country": partner.country,
        "country_name": partner.get_country_display(),
        "vat_id": partner.vat_id,
        "register_number": partner.registration_number,
        "email": partner.email,
        "payment_terms_days": partner.payment_terms_days,
        "buyer_reference": partner.buyer_reference,
        # The VIES check a reverse-charge invoice relied on.
        "vies_status": partner.vies_status,
        "vies_checked_at": partner.vies_checked_at.isoformat() if partner.vies_checked_at else "",
        "vies_request_identifier": partner.vies_request_identifier,
        **peppol_details(partner),
    }


def supplier_details(partner: Partner) -> dict:
    """The seller of a self-billed invoice: the supplier, with the agreement it relies on."""
    agreement = partner.current_agreement()
    return {
        **{key: value for key, value in buyer_details(partner).items() if key != "buyer_reference"},
        "tax_number": partner.tax_number,
        # BT-29, for a supplier without a VAT ID: its tax number, or the number the Entity
        # knows it by (EN 16931 BR-CO-26 wants the seller identified).
        "identifier": partner.tax_number or f"SUPPLIER-{partner.pk}",
        "iban": partner.iban,
        "bic": partner.bic,
        "agreement": {
            "terms_version": agreement.terms_version,
            "accepted_at": agreement.accepted_at.isoformat(),
            "accepted_by": agreement.accepted_by,
        }
        if agreement
        else {},
    }


def entity_as_buyer(entity: Entity, partner: Partner) -> dict:
    """The buyer of a self-billed invoice: the Entity, paying within the supplier's terms."""
    return {
        "name": entity.legal_name,
        "kind": "company",
        "street": entity.street,
        "postcode": entity.postcode,
        "city": entity.city,
        "region": entity.region,
        "country": entity.country,
        "country_name": entity.get_country_display(),
        "vat_id": entity.vat_id,
        "tax_number": entity.tax_number,
        "email": entity.email,
        "phone": entity.phone,
        "payment_terms_days": partner.payment_terms_days,
        **legal_details(entity),
        **peppol_details(entity),
    }


def missing_invoicing_details(invoice: Invoice) -> list[str]:
    """What stops this invoice from being finalized, in words for the operator."""
    if invoice.is_credit_note:  # it copies the finalized invoice's details
        if not invoice.lines.exists():
            return [_("The draft has no lines.")]
        left = uncredited_totals([invoice.corrects])[invoice.corrects_id]
        if invoice.total > left.total:
            return [
                _("It credits {amount}, more than the {left} of {number} not credited yet.").format(
                    amount=format_amount(invoice.total, invoice.currency),
                    left=format_amount(left.total, invoice.currency),
                    number=invoice.corrects.number,
                )
            ]
        return []
    problems = []
    entity, partner = invoice.entity, invoice.partner
    for problem, value in [
        (_("Fill in your legal name."), entity.legal_name),
        (_("Fill in your street."), entity.street),
        (_("Fill in your city."), entity.city),
    ]:
        if not value.strip():
            problems.append(problem)
    if problem := region_problem(entity.region, entity.country):
        problems.append(_("Your address (Settings): {problem}").format(problem=problem))
    problems += national_mentions.missing_mentions(seller_details(entity))
    if einvoice_format_for(invoice) == Partner.EINVOICE_PEPPOL and not entity.peppol_participant:
        # A Peppol e-invoice names both participants (BT-34, BT-49); the partner's ID is
        # among its invoicing details (partners.checks).
        problems.append(_("Peppol needs your own Peppol ID (Settings → Peppol)."))
    if invoice.self_billed:
        return problems + _self_billing_problems(invoice) + _conversion_problems(invoice)
    problems += [
        f"{partner.name}: {problem}"
        for problem in invoicing_details_problems(partner, self_billing=False)
    ]
    if entity.is_in_eu and not (entity.vat_id or entity.tax_number):
        problems.append(_("Fill in your VAT ID or tax number (Settings)."))
    treatment = decide_tax_treatment(entity, partner, invoice.period_end)
    if treatment.category == REVERSE_CHARGE and not entity.vat_id:
        problems.append(_("Reverse charge needs your own VAT ID on the invoice (Settings)."))
    if treatment.blocker:
        problems.append(treatment.blocker)
    if (
        treatment.category == NOT_SUBJECT
        and partner.effective_einvoice_format != Partner.EINVOICE_PDF
        and not entity.tax_number
    ):
        # An e-invoice outside the scope of VAT may not name a VAT ID (BR-O-02), so it
        # identifies the seller by its tax number.
        problems.append(
            _("Fill in your tax number (Settings): this e-invoice cannot name a VAT ID.")
        )
    if partner.wants_xrechnung:
        for problem, value in [
            (_("XRechnung needs a billing contact name in your Settings."), entity.contact_name),
            (_("XRechnung needs a phone number in your Settings."), entity.phone),
            (_("XRechnung needs an email address in your Settings."), entity.email),
            (_("XRechnung needs an IBAN in your Settings."), entity.iban),
            (_("XRechnung needs a postcode in your Settings."), entity.postcode),
            (
                _("XRechnung needs a buyer reference (Leitweg-ID) on the partner."),
                partner.buyer_reference,
            ),
            (_("XRechnung needs an email address on the partner."), partner.email),
            (_("XRechnung needs a postcode on the partner."), partner.postcode),
        ]:
            if not value.strip():
                problems.append(problem)
    if not invoice.lines.exists():
        problems.append(_("The draft has no lines."))
    return problems + _conversion_problems(invoice)


def _conversion_problems(invoice: Invoice) -> list[str]:
    try:
        decide_conversion(invoice, invoice.entity.country)
    except RateMissing as missing:
        return [str(missing)]
    return []


def _self_billing_problems(invoice: Invoice) -> list[str]:
    entity, supplier = invoice.entity, invoice.partner
    problems = [
        f"{supplier.name}: {problem}"
        for problem in invoicing_details_problems(supplier, self_billing=True)
    ]
    treatment = decide_self_billing_treatment(entity, supplier, invoice.period_end)
    if treatment.blocker:
        problems.append(treatment.blocker)
    if treatment.category == REVERSE_CHARGE and not entity.vat_id:
        problems.append(_("Reverse charge needs your own VAT ID on the invoice (Settings)."))
    if not invoice.lines.exists():
        problems.append(_("The draft has no lines."))
    return problems


def finalize_invoice(invoice: Invoice, user=None, issued_on: date | None = None) -> Invoice:
    """Give a draft invoice or credit note its permanent number and freeze it; see
    `_finalize`. `user` is who finalizes it (a user, a description, or None). `issued_on`
    dates it earlier than today, for loading a history (the demo): never in the future, and
    never before a document of its number sequence, so numbers and dates stay in order.

    Raises InvoicingError, changing nothing, if the draft cannot be finalized, whatever the
    reason: an operator can act on the message, and no setting or input becomes a 500.
    Should rendering the documents fail after the commit, the invoice is final without
    them: `documents_pending(invoice)` says so, and they are rendered again later."""
    try:
        invoice = _finalize(invoice, user, issued_on)
    except InvoicingError:
        raise
    except Exception as error:
        logger.exception("Finalizing invoice %s failed", invoice.pk)
        raise InvoicingError(
            _(
                "{invoice} could not be finalized and nothing was changed (the error is"
                " logged). Try again; if it fails again, check the Entity's number "
                "formats and details."
            ).format(invoice=invoice)
        ) from error
    try:
        store_documents(invoice)
    except Exception:
        logger.exception("Invoice %s: rendering its documents failed", invoice.pk)
    return invoice


def finalize_drafts(drafts, user=None) -> tuple[list[Invoice], list[str]]:
    """Finalize each draft of the queryset, in the order of their ids; one that cannot be
    finalized is left a draft with the reason, and the rest go on. Returns the finalized
    invoices and the reasons."""
    finalized, problems = [], []
    for draft in drafts.filter(status=Invoice.DRAFT).select_related("partner").order_by("pk"):
        try:
            finalized.append(finalize_invoice(draft, user))
        except InvoicingError as error:
            problems.append(_("{draft}: {error}").format(draft=draft, error=error))
    return finalized, problems


def _finalize(invoice: Invoice, user=None, issued_on: date | None = None) -> Invoice:
    """Give a draft its permanent number and freeze it.

    In one transaction: lock the draft, decide the tax, recompute the totals, take the next
    number under the sequence's row lock, copy seller and buyer details. The PDF is rendered
    and locked right after the commit (by finalize_invoice), so the sequence is held only
    for milliseconds.
    """
    with transaction.atomic():
        draft = _lock_draft(invoice)
        if problem := issuing_problem(draft.entity):
            raise InvoicingError(problem)
        problems = missing_invoicing_details(draft)
        if problems:
            raise InvoicingError(
                _("Cannot finalize yet: {problems}").format(problems=" ".join(map(str, problems)))
            )
        refresh_totals([draft])
        if draft.total < 0:
            raise InvoicingError(_("The total is negative; remove a credit first."))
        _convert_tax(draft)
        entity = draft.entity
        issued_on = _issue_date(draft, issued_on)
        draft.number = take_next_number(entity, draft.document_kind, issued_on)
        draft.status = Invoice.FINAL
        _issue(draft, issued_on)
        draft.payment_reference = payment_reference(draft)
        draft.template_version = template_version(entity)
        draft.finalized_at = timezone.now()
        draft.finalized_by = None if user is None or isinstance(user, str) else user
        draft.save()
        record_event(draft, InvoiceEvent.FINALIZED, user, draft.number)
        announcements.finalized(draft)
    return draft


def _convert_tax(draft: Invoice) -> None:
    """The VAT in the national currency too, where the invoice is in another (Art. 230): a
    credit note at the rate of the invoice it corrects, which it partly undoes."""
    if draft.is_credit_note:
        original = draft.corrects
        conversion = None
        if original.tax_currency:
            conversion = Conversion(
                original.tax_currency,
                original.exchange_rate,
                original.exchange_rate_date,
                original.exchange_rate_source,
            )
        apply_conversion(draft, conversion)
        return
    try:
        conversion = decide_conversion(draft, draft.entity.country)
    except RateMissing as missing:
        raise InvoicingError(
            _("Cannot finalize yet: {missing}").format(missing=missing)
        ) from missing
    if conversion is not None:
        with in_language(draft):  # again, for the rate's source in the invoice's words
            conversion = decide_conversion(draft, draft.entity.country)
    apply_conversion(draft, conversion)


def _issue_date(draft: Invoice, issued_on: date | None) -> date:
    today = local_today(draft.entity)
    if issued_on is None:
        return today
    if issued_on > today:
        raise InvoicingError(_("An invoice cannot be issued in the future."))
    later = Invoice.objects.filter(
        entity=draft.entity,
        kind=draft.kind,
        self_billed=draft.self_billed,
        status__in=[Invoice.FINAL, Invoice.VOID],
        issue_date__gt=issued_on,
    )
    if later.exists():
        raise InvoicingError(
            _(
                "A {lower} was issued after {issued_on:%Y-%m-%d} already: numbers and "
                "dates must stay in order."
            ).format(lower=in_sentence(draft.title), issued_on=issued_on)
        )
    return issued_on


def _issue(draft: Invoice, issued_on: date) -> None:
    """Date the draft and copy the parties' details onto it, as finalizing does."""
    draft.issue_date = issued_on
    if draft.is_credit_note:
        # Same parties and format as the invoice it corrects; settled at once.
        original = draft.corrects
        draft.due_date = issued_on
        draft.seller, draft.buyer = original.seller, original.buyer
        draft.einvoice_format = original.einvoice_format
        return
    draft.due_date = issued_on + timedelta(days=draft.partner.payment_terms_days)
    if draft.self_billed:
        # The supplier is the seller; the Entity, which issues the invoice, the buyer.
        draft.seller = supplier_details(draft.partner)
        draft.buyer = entity_as_buyer(draft.entity, draft.partner)
    else:
        draft.seller = seller_details(draft.entity)
        draft.buyer = buyer_details(draft.partner)
    draft.einvoice_format = einvoice_format_for(draft)


def draft_as_issued(draft: Invoice) -> Invoice:
    """A copy of the draft, in memory only, as finalizing it today would issue it but
    without a number: what the draft's PDF preview shows. Nothing is written."""
    if draft.is_final:
        raise InvoicingError(_("Only a draft has a preview; a finalized invoice has its PDF."))
    preview = copy.copy(draft)
    _issue(preview, local_today(draft.entity))
    with contextlib.suppress(InvoicingError):  # no rate yet: the draft's page says so
        _convert_tax(preview)
    preview.number = "DRAFT"  # where the template prints the number: never a real one
    return preview


def period_summary(entity: Entity, start: date, end: date) -> dict:
    """Counts for the invoices page: deliveries in the period, cancelled, already billed."""
    lower, upper = period_bounds(entity, start, end)
    delivered = Q(status=DistributionTransaction.DELIVERED)
    return DistributionTransaction.objects.filter(
        entity=entity, delivered_at__gte=lower, delivered_at__lt=upper
    ).aggregate(
        delivered=Count("id", filter=delivered),
        cancelled=Count("id", filter=~delivered),
        billed=Count("id", filter=delivered & Q(invoice_id__isnull=False)),
    )
