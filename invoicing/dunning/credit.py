"""Credit control: a buyer's deliveries are paused (through `distribution.services`) while
an invoice is overdue by more than the Entity's days, or its open balance is over its credit
limit, and resume by themselves once neither holds. The pauses stay as its history, shown
on the partner page and in its portal."""

from datetime import date
from decimal import Decimal

from distribution.models import DeliveryHold
from distribution.services import hold_deliveries, hold_of, resume_deliveries
from entities.models import Entity
from partners.models import Partner

from ..billing import local_today
from ..models import Invoice, unpaid_invoices


def owed_by(partner: Partner):
    """The partner's open invoices, oldest due first."""
    return unpaid_invoices(partner=partner).order_by("due_date", "pk")


def open_balance(partner: Partner) -> Decimal:
    """What the partner owes in its currency: open invoices less open credit notes."""
    currency = partner.billing_currency
    invoices = owed_by(partner).filter(currency=currency)
    credits = unpaid_invoices(Invoice.KIND_CREDIT_NOTE, partner=partner, currency=currency)
    owed = sum((i.open_balance for i in invoices), Decimal(0))
    return owed - sum((c.open_balance for c in credits), Decimal(0))


def hold_cause(partner: Partner, today: date) -> tuple[str, dict] | None:
    """Why the partner's deliveries are to be paused today (a DeliveryHold cause and its
    facts), or None."""
    entity = partner.entity
    if entity.hold_deliveries_overdue_days is not None:
        oldest = owed_by(partner).filter(due_date__isnull=False).first()
        if oldest and (today - oldest.due_date).days > entity.hold_deliveries_overdue_days:
            days = (today - oldest.due_date).days
            return DeliveryHold.OVERDUE, {"number": oldest.number, "days": days}
    if entity.hold_deliveries_over_limit and partner.credit_limit is not None:
        balance = open_balance(partner)
        if balance > partner.credit_limit:
            return DeliveryHold.OVER_LIMIT, {
                "balance": str(balance),
                "limit": str(partner.credit_limit),
                "currency": partner.billing_currency,
            }
    return None


def review_credit(partner: Partner, today: date | None = None) -> str:
    """Pause or resume the partner's deliveries as its invoices stand today. Returns
    "paused", "resumed" or ""."""
    today = today or local_today(partner.entity)
    cause = hold_cause(partner, today)
    if cause:
        return "paused" if hold_deliveries(partner, *cause) else ""
    return "resumed" if resume_deliveries(partner) else ""


def review_entity(entity: Entity, today: date | None = None) -> dict[str, int]:
    """Credit control for every buyer that owes the Entity or is paused."""
    today = today or local_today(entity)
    rules = entity.hold_deliveries_overdue_days is not None or entity.hold_deliveries_over_limit
    if not rules and not DeliveryHold.objects.filter(entity=entity, ended_at=None).exists():
        return {"paused": 0, "resumed": 0}
    owing = unpaid_invoices(entity=entity).values("partner_id")
    partners = Partner.objects.filter(entity=entity).filter(
        pk__in=owing
    ) | Partner.objects.filter(entity=entity, delivery_holds__ended_at__isnull=True,
                               delivery_holds__isnull=False)  # fmt: skip
    done = {"paused": 0, "resumed": 0}
    for partner in partners.distinct().select_related("entity"):
        if outcome := review_credit(partner, today):
            done[outcome] += 1
    return done


def after_payment(invoice: Invoice) -> None:
    """A payment (or its reversal) may end a pause, or start one: look again at once."""
    entity = invoice.entity
    if invoice.self_billed:
        return
    rules = entity.hold_deliveries_overdue_days is not None or entity.hold_deliveries_over_limit
    if not rules and hold_of(invoice.partner_id) is None:
        return
    review_credit(invoice.partner)
