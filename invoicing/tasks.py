from celery import shared_task
from django.conf import settings
from django_scopes import scopes_disabled

from entities import mail
from entities.models import Entity

from . import sending
from .payments import mark_overdue_invoices


@shared_task
def mark_overdue() -> int:
    """Daily: record which unpaid invoices passed their due date, per Entity's own today."""
    with scopes_disabled():
        return sum(mark_overdue_invoices(entity) for entity in Entity.objects.all())


SEND_RETRIES = 5


@shared_task(bind=True, max_retries=SEND_RETRIES, acks_late=True)
def send_dispatch(self, dispatch_id: int) -> str:
    """Send one invoice email; temporary SMTP trouble is retried with exponential backoff
    (SEND_RETRY_SECONDS × 1, 2, 4, 8, 16), then recorded as a failure with the server's
    last answer."""
    with scopes_disabled():
        try:
            return sending.deliver(dispatch_id).status
        except mail.TemporaryMailError as error:
            attempts = self.request.retries + 1
            if self.request.is_eager:  # in-process, no worker to try again later
                sending.fail(dispatch_id, f"not sent (no background worker to retry): {error}")
                return "failed"
            if self.request.retries >= self.max_retries:
                sending.fail(dispatch_id, f"gave up after {attempts} attempts: {error}")
                return "failed"
            countdown = settings.SEND_RETRY_SECONDS * 2**self.request.retries
            raise self.retry(exc=error, countdown=countdown) from error
