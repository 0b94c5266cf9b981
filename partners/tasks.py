from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from .models import Partner
from .portal_access import send_password_reset
from .vies import ViesUnavailable, can_check, record_vies_check

MAX_RETRIES = 8
RECHECK_AFTER = timedelta(days=7)


def queue_vies_check(partner: Partner) -> None:
    """Check the partner's VAT ID with VIES in the background, once the change is saved."""
    if partner.vat_id and can_check(partner.vat_id):
        transaction.on_commit(lambda: check_vat_id.delay(partner.pk))


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def check_vat_id(self, partner_id: int) -> str:
    """Check one partner's VAT ID with VIES; retry outages with exponential backoff."""
    with scopes_disabled():
        partner = Partner.objects.select_related("entity").filter(pk=partner_id).first()
        if partner is None:
            return "gone"
        try:
            partner = record_vies_check(partner)
        except ViesUnavailable as error:
            if self.request.is_eager:  # in-process (no broker): report, don't block the request
                return f"unavailable: {error}"
            backoff = min(60 * 2**self.request.retries, 6 * 3600)
            raise self.retry(exc=error, countdown=backoff) from error
        return partner.vies_status


@shared_task
def recheck_vat_ids() -> int:
    """Weekly: queue a VIES check for every EU VAT ID not confirmed in the last week."""
    stale = timezone.now() - RECHECK_AFTER
    with scopes_disabled():
        partners = Partner.objects.filter(is_active=True).exclude(vat_id="")
        partners = partners.filter(Q(vies_checked_at__isnull=True) | Q(vies_checked_at__lt=stale))
        ids = [pk for pk, vat_id in partners.values_list("pk", "vat_id") if can_check(vat_id)]
    for partner_id in ids:
        check_vat_id.delay(partner_id)
    return len(ids)


@shared_task
def send_password_reset_task(email: str) -> None:
    """Mail a portal password-reset link to this login, if there is one (a task, so that
    the request answers in the same time whether the address is known)."""
    with scopes_disabled():
        send_password_reset(email)
