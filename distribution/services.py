"""Recording and cancelling deliveries, and pausing every delivery to a buyer (credit
control decides when: invoicing.dunning.credit)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from entities.dates import EARLIEST
from entities.models import Entity
from partners.models import Partner
from webhooks.events import publish

from . import tallies
from .models import (
    Assignment,
    DeliveryHold,
    DistributionProfile,
    DistributionTransaction,
    Lead,
    PriceTier,
    TierCounter,
)


class DeliveryError(Exception):
    """A delivery cannot be recorded or cancelled; the message says why."""


# A delivery time this far ahead of our clock is a mistake, not clock skew.
MAX_FUTURE = timedelta(minutes=5)


def delivery_time_problem(value: datetime) -> str:
    """Why a delivery (or a lead) cannot have happened at `value`, or "": it lies in the
    future, or before the first date the product bills (entities.dates.EARLIEST)."""
    try:
        if value > timezone.now() + MAX_FUTURE:
            return _("This time cannot lie in the future.")
        if value.astimezone(UTC).date() < EARLIEST:
            return _too_early()
    except (OverflowError, ValueError):  # an offset that leaves the calendar
        return _too_early()
    return ""


def _too_early() -> str:
    return _("This time lies before {date}, the earliest accepted.").format(
        date=f"{EARLIEST:%Y-%m-%d}"
    )


def parse_delivery_time(text: str) -> tuple[datetime | None, str]:
    """A delivery's (or a lead's) time given as ISO 8601 text with its UTC offset, and ""; or
    None and why it cannot be one. The API and the import of a file both read times so."""
    try:
        value = parse_datetime(text.strip())
    except ValueError:
        value = None
    if value is None:
        return None, _("Use ISO 8601, e.g. 2026-10-15T14:30:00+02:00.")
    if timezone.is_naive(value):
        return None, _("Include the UTC offset, e.g. 2026-10-15T14:30:00+02:00.")
    if problem := delivery_time_problem(value):
        return None, problem
    return value, ""


LEAD_ID_LENGTH = 100  # Lead.external_id


def lead_id_problem(lead: str) -> str:
    """Why `lead` (stripped) cannot be a lead's id, or ""."""
    if not lead:
        return _("A lead id is required.")
    if len(lead) > LEAD_ID_LENGTH:
        return _("A lead id has at most 100 characters.")
    if "\x00" in lead:
        return _("Text cannot contain the NUL character.")
    return ""


def refusal(assignment: Assignment, hold: DeliveryHold | None) -> str:
    """Why the assignment takes no delivery now: it is paused, or its partner's deliveries
    are (`hold`, the partner's open one); "" when it takes them."""
    if not assignment.is_active:
        return _("This assignment is paused and takes no deliveries.")
    if hold is not None:
        return _("Deliveries to this partner are paused by credit control: {reason}").format(
            reason=hold.describe()
        )
    return ""


def record_delivery(
    assignment: Assignment, external_lead_id: str, delivered_at: datetime | None = None
) -> tuple[DistributionTransaction, bool]:
    """Record that a lead was delivered through an assignment.

    The price is resolved now (the assignment's override, else the profile's base price) and
    stored on the transaction, so later price changes never alter it. Idempotent: delivering the
    same lead through the same assignment again returns the existing transaction and False.
    """
    hold = hold_of(assignment.partner_id) if assignment.is_active else None
    if problem := refusal(assignment, hold):
        raise DeliveryError(problem)
    external_lead_id = external_lead_id.strip()
    if problem := lead_id_problem(external_lead_id):
        raise DeliveryError(problem)
    delivered_at = delivered_at or timezone.now()
    if problem := delivery_time_problem(delivered_at):
        raise DeliveryError(problem)
    entity = assignment.profile.entity
    if recorded := record_plain_delivery(entity, assignment.pk, external_lead_id, delivered_at):
        return recorded
    try:
        return _record(assignment, external_lead_id, delivered_at)
    except IntegrityError:
        # The same lead reached the same assignment in a concurrent request, which won:
        # return its transaction.
        return _record(assignment, external_lead_id, delivered_at)


# A delivery without volume tiers, by the assignment's id: the assignment's checks (the
# Entity's, active, no tiers), its price (as Assignment.price), the lead upsert and the
# delivery insert in one statement. The API records one delivery per request and must
# sustain 500 per second on two cores; a lookup before the insert took a sixth of that.
RECORD_BY_ID_SQL = """
WITH assignment AS (
    SELECT a.id, a.partner_id, COALESCE(a.price_override, p.base_price) AS price, p.currency
    FROM distribution_assignment a
    JOIN distribution_distributionprofile p ON p.id = a.profile_id
    WHERE a.id = %(assignment)s AND p.entity_id = %(entity)s AND a.is_active
        AND NOT EXISTS (SELECT 1 FROM distribution_pricetier t
                        WHERE t.assignment_id = a.id OR t.profile_id = a.profile_id)
        AND NOT EXISTS (SELECT 1 FROM distribution_deliveryhold h
                        WHERE h.partner_id = a.partner_id AND h.ended_at IS NULL)
), lead AS (
    INSERT INTO distribution_lead (entity_id, external_id, created_at)
    SELECT %(entity)s, %(lead)s, %(now)s FROM assignment
    ON CONFLICT (entity_id, external_id) DO UPDATE SET external_id = EXCLUDED.external_id
    RETURNING id
), delivery AS (
    INSERT INTO distribution_distributiontransaction (entity_id, partner_id, assignment_id,
        lead_id, price, currency, delivered_at, status, cancel_reason)
    SELECT %(entity)s, assignment.partner_id, assignment.id, lead.id, assignment.price,
        assignment.currency, %(delivered_at)s, 'delivered', '' FROM assignment, lead
    ON CONFLICT (lead_id, assignment_id) DO NOTHING
    RETURNING id
)
SELECT partner_id, price, currency, (SELECT id FROM lead), (SELECT id FROM delivery)
FROM assignment
"""


def record_plain_delivery(
    entity, assignment_id: int, external_lead_id: str, delivered_at: datetime | None = None
) -> tuple[DistributionTransaction, bool] | None:
    """record_delivery by the assignment's id, in one statement on PostgreSQL. None, having
    written nothing, when the assignment is not the Entity's, is paused (or its partner's
    deliveries are), or is priced by
    volume tiers (or on SQLite): then record_delivery says why, or counts the tier."""
    external_lead_id = external_lead_id.strip()
    if connection.vendor != "postgresql" or not external_lead_id:
        return None
    delivered_at = delivered_at or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            RECORD_BY_ID_SQL,
            {
                "entity": entity.pk,
                "assignment": assignment_id,
                "lead": external_lead_id,
                "now": timezone.now(),
                "delivered_at": delivered_at,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    partner_id, price, currency, lead_id, txn_id = row
    lead = Lead(pk=lead_id, entity=entity, external_id=external_lead_id)
    if txn_id is None:  # delivered before: the stored delivery stands
        existing = DistributionTransaction.objects.get(lead_id=lead_id, assignment_id=assignment_id)
        existing.lead = lead
        return existing, False
    txn = DistributionTransaction(
        pk=txn_id,
        entity=entity,
        partner_id=partner_id,
        assignment_id=assignment_id,
        lead=lead,
        price=price,
        currency=currency,
        delivered_at=delivered_at,
    )
    tallies.note_backdated(entity, [delivered_at])
    return txn, True


def _record(assignment: Assignment, external_lead_id: str, delivered_at: datetime):
    # The API records one delivery per request (≥ 500 per second is a target), so this
    # keeps to one statement per step: the lead is an upsert, the transaction a plain insert
    # that only a concurrent duplicate can make fail.
    entity = assignment.profile.entity
    with transaction.atomic():
        [lead] = Lead.objects.bulk_create(
            [Lead(entity=entity, external_id=external_lead_id)],
            update_conflicts=True,
            unique_fields=["entity", "external_id"],
            update_fields=["external_id"],
        )
        existing = DistributionTransaction.objects.filter(lead=lead, assignment=assignment)[:1]
        if existing:
            return existing[0], False
        tiers, counter = _tiers_and_counter(assignment, delivered_at)
        price = assignment.price
        if counter is not None:
            counter.count += 1
            price = tier_price(tiers, counter.count)
            counter.save(update_fields=["count"])
        txn = DistributionTransaction(
            lead=lead,
            assignment=assignment,
            entity=entity,
            partner_id=assignment.partner_id,
            price=price,
            currency=assignment.profile.currency,
            delivered_at=delivered_at,
        )
        txn.save(force_insert=True)
    tallies.note_backdated(entity, [delivered_at])
    return txn, True


def tier_price(tiers: list[PriceTier], position: int) -> Decimal:
    """The price of the `position`-th lead of the month (1 is the first)."""
    price = tiers[0].price
    for tier in tiers:
        if tier.starts_after < position:
            price = tier.price
    return price


def _tiers_and_counter(assignment: Assignment, delivered_at: datetime):
    """The volume tiers that price this delivery, and the partner's month counter for them,
    locked until the transaction ends; (None, None) without tiers."""
    candidates = list(
        PriceTier.objects.filter(
            Q(assignment=assignment) | Q(profile_id=assignment.profile_id)
        ).order_by("starts_after")
    )
    tiers = [tier for tier in candidates if tier.assignment_id]
    owner = f"assignment:{assignment.pk}"
    if not tiers:
        tiers = candidates
        owner = f"profile:{assignment.profile_id}"
    if not tiers:
        return None, None
    local = delivered_at.astimezone(ZoneInfo(assignment.profile.entity.time_zone))
    month = local.date().replace(day=1)
    TierCounter.objects.get_or_create(partner_id=assignment.partner_id, tiers_of=owner, month=month)
    counter = TierCounter.objects.select_for_update().get(
        partner_id=assignment.partner_id, tiers_of=owner, month=month
    )
    return tiers, counter


def record_lead_source(
    entity,
    external_lead_id: str,
    supplier: Partner,
    purchase_price: Decimal,
    received_at: datetime | None = None,
) -> tuple[Lead, bool]:
    """Record which supplier brought a lead and the price agreed for it, in the supplier's
    billing currency. Creates the lead if it is new (True) and may be called before or after
    its deliveries. A lead already on a payout keeps its supplier and price: changing what
    was paid out is a correction of that payout, not of the lead.
    """
    external_lead_id = external_lead_id.strip()
    if not external_lead_id:
        raise DeliveryError(_("A lead id is required."))
    if not supplier.is_supplier:
        raise DeliveryError(
            _("{name} is not marked as a lead supplier.").format(name=supplier.name)
        )
    if purchase_price < 0:
        raise DeliveryError(_("A purchase price cannot be negative."))
    if received_at is not None and (problem := delivery_time_problem(received_at)):
        raise DeliveryError(problem)
    with transaction.atomic():
        lead, created = Lead.objects.select_for_update().get_or_create(
            entity=entity,
            external_id=external_lead_id,
            defaults={"created_at": received_at or timezone.now()},
        )
        if lead.payout_invoice_id is not None:
            raise DeliveryError(
                _("This lead is already on a payout to its supplier and cannot change.")
            )
        lead.supplier = supplier
        lead.purchase_price = purchase_price
        lead.purchase_currency = supplier.billing_currency
        if received_at is not None:
            lead.created_at = received_at
        lead.save()
    return lead, created


def mark_deliveries_cancelled(txns: list[DistributionTransaction], reason: str) -> None:
    """Record the cancellations on the transactions themselves, in one statement; none if
    one is cancelled already. What a cancellation means for an invoice is decided by the
    invoicing app, which calls this."""
    if any(txn.is_cancelled for txn in txns):
        raise DeliveryError(_("This delivery is already cancelled."))
    if reason not in dict(DistributionTransaction.CANCEL_REASON_CHOICES):
        raise DeliveryError(_("Choose a reason for the cancellation."))
    now = timezone.now()
    DistributionTransaction.objects.filter(pk__in=[txn.pk for txn in txns]).update(
        status=DistributionTransaction.CANCELLED, cancelled_at=now, cancel_reason=reason
    )
    by_entity = {}
    for txn in txns:
        by_entity.setdefault(txn.entity_id, []).append(txn)
    for entity_id, cancelled in by_entity.items():
        tallies.mark_changed(entity_id, [t.delivered_at for t in cancelled])
        publish(
            Entity(pk=entity_id),
            "delivery.cancelled",
            {
                "reason": reason,
                "deliveries": [
                    {"id": t.pk, "lead": t.lead.external_id, "partner": t.partner_id,
                     "assignment": t.assignment_id, "price": str(t.price), "currency": t.currency}
                    for t in cancelled
                ],
            },
        )  # fmt: skip
    for txn in txns:
        txn.status, txn.cancelled_at, txn.cancel_reason = (
            DistributionTransaction.CANCELLED,
            now,
            reason,
        )


def set_tiers(owner: DistributionProfile | Assignment, tiers: list[tuple[int, Decimal]]) -> None:
    """Replace the volume tiers of a profile or an assignment. Recorded deliveries keep
    their prices; the new tiers price deliveries from now on."""
    field = "assignment" if isinstance(owner, Assignment) else "profile"
    with transaction.atomic():
        PriceTier.objects.filter(**{field: owner}).delete()
        PriceTier.objects.bulk_create(
            PriceTier(**{field: owner}, starts_after=start, price=price) for start, price in tiers
        )


def describe_tiers(tiers) -> str:
    """'0: 15.00\n100: 12.00' — the form's text for a list of tiers."""
    return "\n".join(f"{tier.starts_after}: {tier.price.normalize():f}" for tier in tiers)


def hold_of(partner_id: int) -> DeliveryHold | None:
    """The pause of the partner's deliveries, if they are paused."""
    return DeliveryHold.objects.filter(partner_id=partner_id, ended_at=None).first()


def hold_deliveries(partner: Partner, cause: str, facts: dict) -> DeliveryHold | None:
    """Pause every delivery to the partner, through all its assignments, for the cause (see
    DeliveryHold); None when they are paused already."""
    with transaction.atomic():
        Partner.objects.select_for_update().filter(pk=partner.pk).first()
        if hold_of(partner.pk):
            return None
        return DeliveryHold.objects.create(
            entity_id=partner.entity_id, partner=partner, cause=cause, facts=facts
        )


def resume_deliveries(partner: Partner) -> DeliveryHold | None:
    """End the pause of the partner's deliveries; None when there was none."""
    with transaction.atomic():
        Partner.objects.select_for_update().filter(pk=partner.pk).first()
        hold = hold_of(partner.pk)
        if hold is None:
            return None
        hold.ended_at = timezone.now()
        hold.save(update_fields=["ended_at"])
        return hold
