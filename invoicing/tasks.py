import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django_scopes import scopes_disabled

from entities.mail import TemporaryMailError
from entities.models import Entity

from . import channels, exchange_rates, runs
from .documents import render_missing_documents
from .dunning import credit, reminders
from .models import Dispatch
from .payments import mark_overdue_invoices
from .returns import notify

logger = logging.getLogger(__name__)


@shared_task
def mark_overdue() -> int:
    """Daily: record which unpaid invoices passed their due date, per Entity's own today."""
    with scopes_disabled():
        return sum(mark_overdue_invoices(entity) for entity in Entity.objects.all())


@shared_task
def collect_payments() -> dict[str, int]:
    """Hourly: each Entity's payment reminders due today (in its daytime), and credit
    control's pauses and resumes of deliveries."""
    done = {"reminders": 0, "paused": 0, "resumed": 0}
    with scopes_disabled():
        for entity in Entity.objects.filter(archived_at__isnull=True):
            try:  # one Entity's trouble stops no other's
                if entity.reminders_enabled and reminders.in_sending_hours(entity):
                    done["reminders"] += reminders.send_reminders(entity)
                for outcome, count in credit.review_entity(entity).items():
                    done[outcome] += count
            except Exception:
                logger.exception("Collecting payments for %s failed", entity)
    return done


@shared_task(autoretry_for=(OSError,), retry_backoff=600, retry_backoff_max=3600, max_retries=6)
def fetch_exchange_rates() -> int:
    """Daily, after the ECB's publication: store its euro reference rates (the 90-day file,
    so a missed day fills in). A network failure is retried."""
    return exchange_rates.fetch_ecb_rates()


@shared_task
def render_missing_documents_task() -> int:
    """Every few minutes: render the documents an invoice was finalized without, and
    finish the billing runs that were waiting for them."""
    with scopes_disabled():
        rendered = render_missing_documents()
        if rendered:
            runs.finish_completed_runs()
        return rendered


@shared_task
def sweep_stuck_dispatches_task() -> tuple[int, int]:
    """Every few minutes: fail dispatches a dead worker left sending, queue lost ones."""
    with scopes_disabled():
        return channels.sweep_stuck_dispatches()


SEND_RETRIES = 5


@shared_task(bind=True, max_retries=SEND_RETRIES, acks_late=True)
def send_dispatch(self, dispatch_id: int) -> str:
    """Send one invoice through its channel; temporary trouble (an SMTP server or access
    point that is busy or does not answer) is retried with exponential backoff
    (SEND_RETRY_SECONDS × 1, 2, 4, 8, 16), then recorded as a failure with the last answer."""
    with scopes_disabled():
        try:
            return channels.deliver(dispatch_id).status
        except channels.TemporaryError as error:
            attempts = self.request.retries + 1
            if self.request.is_eager:  # in-process, no worker to try again later
                channels.fail(dispatch_id, f"not sent (no background worker to retry): {error}")
                return "failed"
            if self.request.retries >= self.max_retries:
                channels.fail(dispatch_id, f"gave up after {attempts} attempts: {error}")
                return "failed"
            countdown = settings.SEND_RETRY_SECONDS * 2**self.request.retries
            raise self.retry(exc=error, countdown=countdown) from error


@shared_task(autoretry_for=(channels.TemporaryError,), retry_backoff=60, max_retries=5)
def follow_dispatch(dispatch_id: int) -> str:
    """After a webhook: ask the access point what became of the dispatch's document."""
    with scopes_disabled():
        dispatch = Dispatch.objects.select_related("invoice__entity__account").get(pk=dispatch_id)
        channels.channel_of(dispatch).follow(dispatch)
        dispatch.refresh_from_db()
        return dispatch.status


@shared_task
def follow_peppol_dispatches() -> int:
    """Every few minutes: ask the access point about Peppol dispatches still on their way,
    for a webhook that never came."""
    with scopes_disabled():
        return channels.follow_sent_dispatches()


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def run_billing(self, run_id: int) -> None:
    """A billing run: generate the period's drafts, then fan out one task per invoice."""
    with scopes_disabled():
        runs.execute(run_id)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def finalize_for_run(self, run_id: int, invoice_id: int) -> None:
    """Finalize one invoice of a run and render its documents, on whichever worker is free."""
    with scopes_disabled():
        runs.finalize_one(run_id, invoice_id)


@shared_task(autoretry_for=(TemporaryMailError,), retry_backoff=60, max_retries=5)
def mail_return_decisions(return_ids: list[int]) -> int:
    """Tell the partners what became of their lead returns."""
    with scopes_disabled():
        return notify.mail_decisions(return_ids)


@shared_task
def resume_billing_runs() -> int:
    """Hourly: finalize the runs that waited for their period's return window to close."""
    with scopes_disabled():
        return runs.resume_runs_after_returns()


@shared_task
def start_scheduled_billing() -> int:
    """Hourly: start last month's billing for each Entity whose billing day has come."""
    with scopes_disabled():
        return runs.start_scheduled_runs()
