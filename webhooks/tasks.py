from celery import shared_task
from django.conf import settings
from django_scopes import scopes_disabled

from . import events

RETRIES = 8  # SEND_RETRY_SECONDS × 1, 2, 4 … 128: with the default minute, about four hours


@shared_task(bind=True, max_retries=RETRIES, acks_late=True)
def deliver_webhook(self, delivery_id: int) -> str:
    """Post one event; an endpoint that is down or busy is tried again with exponential
    backoff, then the delivery is marked failed with its last answer."""
    with scopes_disabled():
        try:
            return events.attempt(delivery_id).status
        except events.TemporaryError as error:
            if self.request.is_eager:  # in-process: no worker to try again later
                events.give_up(delivery_id, f"not delivered (no background worker): {error}")
                return "failed"
            if self.request.retries >= self.max_retries:
                events.give_up(
                    delivery_id, f"gave up after {self.request.retries + 1} attempts: {error}"
                )
                return "failed"
            countdown = settings.SEND_RETRY_SECONDS * 2**self.request.retries
            raise self.retry(countdown=countdown) from error
