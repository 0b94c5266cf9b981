"""Billing runs: generating (and finalizing, and sending) a period's invoices in the
background, with progress.

Every step is idempotent, so a run that is started twice, or retried after a worker died
halfway, bills each delivery once and finalizes each invoice once:
- generate_drafts() only stamps deliveries that are on no invoice yet;
- each invoice is finalized by its own task, which skips an invoice already final (and
  then only makes sure its documents exist);
- progress is counted from the invoices' state, not from counters a retry could double.
"""

import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from distribution.returns import longest_window_days
from entities.languages import format_date
from entities.mail import MailNotConfigured
from entities.models import Entity
from entities.services import issuing_problem

from .billing import finalize_invoice, generate_drafts, local_today, period_bounds
from .channels import queue_sending
from .documents import store_documents
from .forms import previous_month
from .models import BillingRun, Dispatch, Invoice, InvoiceDocument, InvoicingError
from .payouts import generate_payout_drafts

logger = logging.getLogger(__name__)

SCHEDULER = "monthly schedule"


def start_run(
    entity: Entity, start: date, end: date, mode: str, by=None, scheduled: bool = False
) -> tuple[BillingRun, bool]:
    """Start (or, by hand, restart) the billing run of the period. Returns the run and whether
    it was queued now. A scheduled start never repeats a run that exists."""
    from .tasks import run_billing

    if problem := issuing_problem(entity):
        raise InvoicingError(problem)
    with transaction.atomic():
        run, created = BillingRun.objects.get_or_create(
            entity=entity,
            period_start=start,
            period_end=end,
            defaults={
                "mode": mode,
                "scheduled": scheduled,
                "started_by": None if by is None or isinstance(by, str) else by,
            },
        )
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        in_progress = (BillingRun.PENDING, BillingRun.RUNNING, BillingRun.WAITING_FOR_RETURNS)
        if not created and (scheduled or run.status in in_progress):
            return run, False
        if not created:  # by hand, after it finished: bill what came since, in this mode
            run.mode, run.status, run.finished_at = mode, BillingRun.PENDING, None
            run.errors = {}
            run.save(update_fields=["mode", "status", "finished_at", "errors"])
        transaction.on_commit(lambda: run_billing.delay(run.pk))
    return run, True


def execute(run_id: int) -> None:
    """Generate the period's drafts, then hand each invoice to its own finalize task. A
    run that fails for another reason than the database being away (which the task
    retries) is marked Failed, with the reason, and can be started again."""
    try:
        _execute(run_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        logger.exception("Billing run %s failed", run_id)
        reason = str(error) if isinstance(error, InvoicingError) else (
            "the run stopped on an unexpected error, which is logged; start it again, and if "
            "it stops again, contact support"
        )  # fmt: skip
        BillingRun.objects.filter(pk=run_id).update(
            status=BillingRun.FAILED, errors={"run": reason}, finished_at=timezone.now()
        )


def _execute(run_id: int) -> None:
    from .tasks import finalize_for_run

    run = BillingRun.objects.select_related("entity").get(pk=run_id)
    if run.status == BillingRun.DONE:
        return
    BillingRun.objects.filter(pk=run.pk).update(status=BillingRun.RUNNING)
    by = run.started_by or SCHEDULER
    result = generate_drafts(run.entity, run.period_start, run.period_end, by=by)
    payouts = generate_payout_drafts(run.entity, run.period_start, run.period_end, by=by)
    ids = list(
        Invoice.objects.filter(
            entity=run.entity,
            kind=Invoice.KIND_INVOICE,
            period_start=run.period_start,
            period_end=run.period_end,
            status__in=[Invoice.DRAFT, Invoice.FINAL],
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        # A draft can be gone since the run last looked (a return emptied it while the run
        # waited for the return window): keep only the invoices that are there.
        kept = Invoice.objects.filter(pk__in=run.invoice_ids).values_list("pk", flat=True)
        run.invoice_ids = sorted(set(kept) | set(ids))
        run.drafts_created += result.drafts_created + payouts.drafts_created
        run.deliveries_billed += result.transactions_billed
        run.save(update_fields=["invoice_ids", "drafts_created", "deliveries_billed"])
    if run.mode == Entity.BILL_DRAFTS or not run.invoice_ids:
        finish(run)
        return
    # Once set, the date stands: a resumed run finalizes whatever the policies say now.
    wait_until = run.finalize_after or returns_close_at(run)
    if wait_until and timezone.now() < wait_until:
        BillingRun.objects.filter(pk=run.pk).update(
            status=BillingRun.WAITING_FOR_RETURNS, finalize_after=wait_until
        )
        return
    for invoice_id in run.invoice_ids:
        finalize_for_run.delay(run.pk, invoice_id)


def returns_close_at(run: BillingRun):
    """When partners can no longer return the period's leads, if the Entity finalizes only
    then (Entity.finalize_after_returns), else None."""
    if not run.entity.finalize_after_returns:
        return None
    days = longest_window_days(run.entity)
    if not days:
        return None
    return period_bounds(run.entity, run.period_start, run.period_end)[1] + timedelta(days=days)


def resume_runs_after_returns() -> int:
    """Go on with the runs whose period's return window has closed: generate what came in
    meanwhile (returns have already left the drafts), then finalize."""
    from .tasks import run_billing

    due = BillingRun.objects.filter(
        status=BillingRun.WAITING_FOR_RETURNS, finalize_after__lte=timezone.now()
    )
    ids = list(due.values_list("pk", flat=True))
    due.update(status=BillingRun.PENDING)
    for run_id in ids:
        run_billing.delay(run_id)
    return len(ids)


def finalize_one(run_id: int, invoice_id: int) -> None:
    run = BillingRun.objects.get(pk=run_id)
    invoice = Invoice.objects.select_related("entity", "partner").filter(pk=invoice_id).first()
    if invoice is None:  # a draft deleted since the run listed it: nothing to finalize
        with transaction.atomic():
            locked = BillingRun.objects.select_for_update().get(pk=run.pk)
            locked.invoice_ids = [pk for pk in locked.invoice_ids if pk != invoice_id]
            locked.save(update_fields=["invoice_ids"])
        finish_if_complete(run)
        return
    by = run.started_by or SCHEDULER
    if invoice.is_draft:
        try:
            invoice = finalize_invoice(invoice, by)
        except InvoicingError as error:
            record_error(run, invoice_id, str(error))
    elif invoice.is_final:
        store_documents(invoice)  # the worker may have died between commit and rendering
    unsent = not invoice.dispatches.exclude(status=Dispatch.FAILED).exists()
    if run.mode == Entity.BILL_SEND and invoice.status == Invoice.FINAL and unsent:
        try:
            queue_sending(invoice, by)
        except (InvoicingError, MailNotConfigured) as error:
            record_error(run, invoice_id, f"not sent: {error}")
    finish_if_complete(run)


def record_error(run: BillingRun, invoice_id: int, message: str) -> None:
    with transaction.atomic():
        locked = BillingRun.objects.select_for_update().get(pk=run.pk)
        locked.errors[str(invoice_id)] = message
        locked.save(update_fields=["errors"])


def progress(run: BillingRun) -> dict:
    """How far the run is: invoices finalized with their PDF stored (or given up with an
    error), of all it works on."""
    total = len(run.invoice_ids)
    if run.mode == Entity.BILL_DRAFTS:
        done = total if run.status == BillingRun.DONE else 0
    else:
        final = set(
            InvoiceDocument.objects.filter(
                invoice_id__in=run.invoice_ids, kind=InvoiceDocument.PDF
            ).values_list("invoice_id", flat=True)
        )
        done = len(final | {int(pk) for pk in run.errors if pk.isdigit()})
    problems = len(run.errors)
    label = run.get_status_display()
    if run.status == BillingRun.WAITING_FOR_RETURNS and run.finalize_after:
        label = _("Drafts ready; finalizing once the return window closes, {when}").format(
            when=format_date(run.finalize_after.astimezone(ZoneInfo(run.entity.time_zone)))
        )
    if run.status == BillingRun.DONE and problems:
        label = ngettext(
            "Done with {count} problem", "Done with {count} problems", problems
        ).format(count=problems)
    return {
        "status": run.status,
        "status_label": label,
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 100,
        "errors": list(run.errors.values()),
        "drafts_created": run.drafts_created,
        "deliveries_billed": run.deliveries_billed,
    }


def finish_if_complete(run: BillingRun) -> bool:
    run.refresh_from_db()
    if drafts_left(run):  # asked after every invoice: the cheap question first
        return False
    state = progress(run)
    if state["done"] >= state["total"]:
        finish(run)
        return True
    return False


def drafts_left(run: BillingRun) -> bool:
    """Whether the run surely has an invoice still to finalize: the first of the period's
    drafts that no error gave up on is one of the run's. Asked through the period's drafts
    (an index), not through the run's list of ids, which is as long as the run. False when
    that draft is not the run's (made by hand since): then only progress() can tell."""
    given_up = [int(pk) for pk in run.errors if pk.isdigit()]
    first = (
        Invoice.objects.filter(
            entity_id=run.entity_id,
            kind=Invoice.KIND_INVOICE,
            period_start=run.period_start,
            status=Invoice.DRAFT,
        )
        .exclude(pk__in=given_up)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return first is not None and first in set(run.invoice_ids)


def finish_completed_runs() -> int:
    """Finish the runs whose last invoices got their documents from the sweep (their own
    tasks gave up on them): a run left Running would refuse to be started again."""
    running = BillingRun.objects.filter(status=BillingRun.RUNNING)
    return sum(finish_if_complete(run) for run in running)


def finish(run: BillingRun) -> None:
    BillingRun.objects.filter(pk=run.pk).exclude(status=BillingRun.DONE).update(
        status=BillingRun.DONE, finished_at=timezone.now()
    )


def start_scheduled_runs() -> int:
    """Start last month's run for every Entity whose billing day is today (its own today)."""
    started = 0
    for entity in Entity.objects.filter(
        billing_day__isnull=False, archived_at=None, account__verified_at__isnull=False
    ):
        today = local_today(entity)
        if today.day != entity.billing_day:
            continue
        start, end = previous_month(today)
        _, queued = start_run(entity, start, end, entity.billing_mode, scheduled=True)
        started += queued
    return started
