"""Payouts to lead suppliers, issued as self-billed invoices.

A supplier's payout for a period is the sum of the purchase prices of the leads it brought in
that period (distribution.Lead.supplier and purchase_price), plus manual payout lines. It
becomes a draft self-billed invoice: the supplier is the seller, the Entity the buyer, and
the Entity issues the document on the supplier's behalf under a self-billing agreement.
Finalizing, numbering, voiding and payments are those of every invoice (billing,
corrections, payments); the tax is decided by taxes.decide_self_billing_treatment.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from distribution.models import Lead
from entities.models import Entity
from entities.services import issuing_problem
from partners.models import Partner

from .amounts import line_net_amount
from .billing import (
    PartnerPreview,
    PreviewLine,
    _drafts_of_period,
    _lock_draft,
    period_bounds,
    refresh_totals,
    with_totals,
)
from .corrections import drop_empty_drafts, open_credit_note
from .document_text import RETURNED_LEADS, SUPPLIED_LEADS
from .events import record_each_event, record_event, record_events
from .models import Invoice, InvoiceEvent, InvoiceLine, InvoicingError
from .taxes import decide_self_billing_treatment

SUPPLIED_LINE = SUPPLIED_LEADS
RETURNED_SUPPLY_NOTE = gettext_noop(
    "Credit for leads of self-billed invoice {number} of {date} that buyers returned."
)


def unpaid_supplied_leads(entity: Entity, start: date, end: date):
    """Leads a supplier brought within the period that are on no payout yet."""
    lower, upper = period_bounds(entity, start, end)
    return Lead.objects.filter(
        entity=entity,
        supplier__isnull=False,
        payout_invoice_id__isnull=True,
        supply_returned_at__isnull=True,
        created_at__gte=lower,
        created_at__lt=upper,
    )


def preview_payouts(entity: Entity, start: date, end: date) -> list[PartnerPreview]:
    """What generating payouts for the period would pay, per supplier and currency."""
    rows = list(
        unpaid_supplied_leads(entity, start, end)
        .values("supplier_id", "purchase_currency", "purchase_price")
        .annotate(leads=Count("id"))
        .order_by("supplier_id", "purchase_currency", "-purchase_price")
    )
    suppliers = Partner.objects.in_bulk({row["supplier_id"] for row in rows})
    previews: dict[tuple[int, str], PartnerPreview] = {}
    for row in rows:
        key = (row["supplier_id"], row["purchase_currency"])
        if key not in previews:
            supplier = suppliers[row["supplier_id"]]
            treatment = decide_self_billing_treatment(entity, supplier, end)
            previews[key] = PartnerPreview(supplier, row["purchase_currency"], treatment)
        previews[key].lines.append(
            PreviewLine(
                SUPPLIED_LINE,
                row["leads"],
                row["purchase_price"],
                line_net_amount(row["leads"], row["purchase_price"], row["purchase_currency"]),
            )
        )
    return with_totals(previews.values())


@dataclass(frozen=True)
class PayoutResult:
    drafts_created: int
    drafts_updated: int
    leads_paid: int


def generate_payout_drafts(entity: Entity, start: date, end: date, by=None) -> PayoutResult:
    """Put every supplied lead of the period that is on no payout yet onto a draft
    self-billed invoice: one per supplier and currency. Idempotent and safe to run
    concurrently, like billing.generate_drafts: one draft per supplier, period and currency
    (a unique constraint), drafts locked before leads are stamped, only unstamped leads
    stamped."""
    if start > end:
        raise InvoicingError(_("The billing period must start before it ends."))
    if problem := issuing_problem(entity):
        raise InvoicingError(problem)
    with transaction.atomic():
        groups = list(
            unpaid_supplied_leads(entity, start, end)
            .values_list("supplier_id", "purchase_currency")
            .distinct()
            .order_by("supplier_id", "purchase_currency")
        )
        if not groups:
            return PayoutResult(0, 0, 0)
        supplier_ids = sorted({supplier_id for supplier_id, _ in groups})
        payouts = _drafts_of_period(entity, start, end, self_billed=True).filter(
            partner_id__in=supplier_ids
        )
        existing = set(payouts.values_list("partner_id", "currency"))
        Invoice.objects.bulk_create(
            [
                Invoice(
                    entity=entity,
                    partner_id=supplier_id,
                    self_billed=True,
                    currency=currency,
                    period_start=start,
                    period_end=end,
                )
                for supplier_id, currency in groups
                if (supplier_id, currency) not in existing
            ],
            ignore_conflicts=True,
        )
        drafts = list(payouts.select_for_update().order_by("pk"))
        draft_of_lead = Invoice.objects.filter(
            pk__in=[d.pk for d in drafts],
            partner_id=OuterRef("supplier_id"),
            currency=OuterRef("purchase_currency"),
        ).values("pk")[:1]
        paid = (
            unpaid_supplied_leads(entity, start, end)
            .filter(supplier_id__in=supplier_ids)
            .filter(Exists(draft_of_lead))  # a lead of a supplier that came in meanwhile waits
            .update(payout_invoice_id=Subquery(draft_of_lead))
        )
        rebuild_supplied_lines(drafts)
        new = [d for d in drafts if (d.partner_id, d.currency) not in existing]
        period = f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
        record_events(new, InvoiceEvent.GENERATED, by, f"Payout {period}")
        record_events(
            [d for d in drafts if (d.partner_id, d.currency) in existing],
            InvoiceEvent.GENERATED,
            by,
            f"Payout {period}: late leads added",
        )
    return PayoutResult(len(new), len(drafts) - len(new), paid)


def rebuild_supplied_lines(drafts: list[Invoice]) -> None:
    """Replace the payouts' supplied-lead lines by one line per purchase price of the leads
    on them, and recompute their totals. Manual payout lines and credits stay."""
    by_id = {draft.pk: draft for draft in drafts}
    InvoiceLine.objects.filter(invoice_id__in=by_id, kind=InvoiceLine.SUPPLIED).delete()
    rows = (
        Lead.objects.filter(payout_invoice_id__in=by_id)
        .values("payout_invoice_id", "purchase_price")
        .annotate(leads=Count("id"))
        .order_by("payout_invoice_id", "-purchase_price")
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice_id=row["payout_invoice_id"],
            kind=InvoiceLine.SUPPLIED,
            description=SUPPLIED_LINE,
            quantity=row["leads"],
            unit_price=row["purchase_price"],
            net_amount=line_net_amount(
                row["leads"], row["purchase_price"], by_id[row["payout_invoice_id"]].currency
            ),
        )
        for row in rows
    )
    refresh_totals(drafts)


def add_payout_line(
    invoice: Invoice, description: str, quantity: int, unit_price: Decimal, by=None
) -> InvoiceLine:
    """Add a manual line to a draft payout, e.g. a bonus or leads bought outside the API."""
    description = description.strip()
    if not invoice.self_billed:
        raise InvoicingError(_("Payout lines belong on self-billed invoices to suppliers."))
    if not description:
        raise InvoicingError(_("Say what the payout line is for."))
    if quantity < 1:
        raise InvoicingError(_("The quantity is at least 1."))
    if unit_price <= 0:
        raise InvoicingError(
            _("The price must be more than zero; use a credit to reduce a payout.")
        )
    with transaction.atomic():
        draft = _lock_draft(invoice)
        line = InvoiceLine.objects.create(
            invoice=draft,
            kind=InvoiceLine.PAYOUT,
            description=description,
            quantity=quantity,
            unit_price=unit_price,
            net_amount=line_net_amount(quantity, unit_price, draft.currency),
        )
        refresh_totals([draft])
        record_event(
            draft, InvoiceEvent.LINE_ADDED, by, f"{description}: {quantity} × {unit_price}"
        )
    return line


def return_supplied_leads(leads: list[Lead], by=None) -> set[int]:
    """Pass buyers' accepted returns back to the leads' suppliers: the supplier is not paid
    for a returned lead. A lead on no payout yet is left out of the next one; on a draft
    payout it leaves the draft, which is recomputed (deleted if nothing is left); on a
    finalized payout it goes onto that payout's self-billed credit-note draft (type 261),
    created if there is none. Leads without a supplier, or returned already, are skipped.
    Returns the ids of the leads it corrected."""
    ids = sorted(lead.pk for lead in leads)
    with transaction.atomic():
        on_payout = Lead.objects.filter(pk__in=ids, payout_invoice_id__isnull=False)
        payouts = Invoice.objects.select_for_update().in_bulk(
            sorted(set(on_payout.values_list("payout_invoice_id", flat=True)))
        )
        locked = list(
            Lead.objects.select_for_update()
            .filter(pk__in=ids, supplier__isnull=False, supply_returned_at__isnull=True)
            .order_by("pk")
        )
        if any(lead.payout_invoice_id and lead.payout_invoice_id not in payouts for lead in locked):
            raise InvoicingError(_("A lead was just paid out; please try again."))
        Lead.objects.filter(pk__in=[lead.pk for lead in locked]).update(
            supply_returned_at=timezone.now()
        )
        paid_out = [lead for lead in locked if lead.payout_invoice_id]
        on_draft = [lead for lead in paid_out if payouts[lead.payout_invoice_id].is_draft]
        on_final = [lead for lead in paid_out if not payouts[lead.payout_invoice_id].is_draft]
        changed, events = [], []
        if on_draft:
            Lead.objects.filter(pk__in=[lead.pk for lead in on_draft]).update(
                payout_invoice_id=None
            )
            drafts = [payouts[pk] for pk in sorted({lead.payout_invoice_id for lead in on_draft})]
            rebuild_supplied_lines(drafts)
            changed = drop_empty_drafts(drafts)
            kept = {draft.pk for draft in changed}
            events += [
                (payouts[lead.payout_invoice_id], f"lead {lead.external_id} returned")
                for lead in on_draft
                if lead.payout_invoice_id in kept
            ]
        credit_notes = {}
        for lead in on_final:
            payout = payouts[lead.payout_invoice_id]
            if payout.pk not in credit_notes:
                credit_notes[payout.pk] = open_credit_note(payout, RETURNED_SUPPLY_NOTE)
            events += [(payout, f"lead {lead.external_id} returned: {credit_notes[payout.pk]}"),
                       (credit_notes[payout.pk], f"lead {lead.external_id} returned")]  # fmt: skip
        for payout_id, credit_note in credit_notes.items():
            Lead.objects.filter(
                pk__in=[lead.pk for lead in on_final if lead.payout_invoice_id == payout_id]
            ).update(payout_credit_note_id=credit_note.pk)
            rebuild_returned_supply_lines(credit_note)
        record_each_event(events, InvoiceEvent.DELIVERY_CANCELLED, by)
    return {lead.pk for lead in locked}


def rebuild_returned_supply_lines(credit_note: Invoice) -> None:
    """One line per purchase price of the returned leads a payout's credit note carries."""
    InvoiceLine.objects.filter(invoice=credit_note, kind=InvoiceLine.SUPPLIED).delete()
    rows = (
        Lead.objects.filter(payout_credit_note_id=credit_note.pk)
        .values("purchase_price")
        .annotate(leads=Count("id"))
        .order_by("-purchase_price")
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=credit_note,
            kind=InvoiceLine.SUPPLIED,
            description=RETURNED_LEADS,
            quantity=row["leads"],
            unit_price=row["purchase_price"],
            net_amount=line_net_amount(row["leads"], row["purchase_price"], credit_note.currency),
        )
        for row in rows
    )
    refresh_totals([credit_note])
