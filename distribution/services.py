"""Recording and cancelling deliveries."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import Assignment, DistributionTransaction, Lead


class DeliveryError(Exception):
    """A delivery cannot be recorded or cancelled; the message says why."""


def record_delivery(
    assignment: Assignment, external_lead_id: str, delivered_at: datetime | None = None
) -> tuple[DistributionTransaction, bool]:
    """Record that a lead was delivered through an assignment.

    The price is resolved now (the assignment's override, else the profile's base price) and
    stored on the transaction, so later price changes never alter it. Idempotent: delivering the
    same lead through the same assignment again returns the existing transaction and False.
    """
    if not assignment.is_active:
        raise DeliveryError("This assignment is paused and takes no deliveries.")
    external_lead_id = external_lead_id.strip()
    if not external_lead_id:
        raise DeliveryError("A lead id is required.")
    entity = assignment.profile.entity
    with transaction.atomic():
        lead, _ = Lead.objects.get_or_create(entity=entity, external_id=external_lead_id)
        return DistributionTransaction.objects.get_or_create(
            lead=lead,
            assignment=assignment,
            defaults={
                "entity": entity,
                "partner_id": assignment.partner_id,
                "price": assignment.price,
                "currency": assignment.profile.currency,
                "delivered_at": delivered_at or timezone.now(),
            },
        )


def mark_delivery_cancelled(txn: DistributionTransaction, reason: str) -> None:
    """Record the cancellation on the transaction itself.

    What a cancellation means for an invoice is decided by the invoicing app, which calls this.
    """
    if txn.is_cancelled:
        raise DeliveryError("This delivery is already cancelled.")
    if reason not in dict(DistributionTransaction.CANCEL_REASON_CHOICES):
        raise DeliveryError("Choose a reason for the cancellation.")
    txn.status = DistributionTransaction.CANCELLED
    txn.cancelled_at = timezone.now()
    txn.cancel_reason = reason
    txn.save(update_fields=["status", "cancelled_at", "cancel_reason"])
