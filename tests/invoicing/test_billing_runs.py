"""Billing runs: monthly by schedule or started by hand, idempotent, with progress."""

import json
from contextlib import ExitStack
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from distribution.models import DistributionTransaction
from entities.models import Entity
from invoicing.billing import generate_drafts
from invoicing.forms import previous_month
from invoicing.models import BillingRun, Invoice
from invoicing.runs import finish_if_complete, progress, start_run, start_scheduled_runs

from ..celery_worker import Worker, wait_until
from ..factories import deliver, make_assignment, make_partner, make_profile
from ..web_process import Browser, WebProcess

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
MID_OCTOBER = datetime(2026, 10, 15, 12, tzinfo=ZoneInfo("Europe/Berlin"))


def partners_with_deliveries(entity, count: int, leads: int = 2) -> list:
    profile = make_profile(entity, "10.00")
    partners = [make_partner(entity) for _ in range(count)]
    for partner in partners:
        deliver(make_assignment(profile, partner), leads, MID_OCTOBER)
    return partners


@pytest.fixture
def run_now(django_capture_on_commit_callbacks):
    """Start a run and let it execute in-process (no broker), as after the commit."""

    def run(entity, mode, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            billing_run, _ = start_run(entity, *OCTOBER, mode, **kwargs)
        billing_run.refresh_from_db()
        return billing_run

    return run


def test_a_drafts_run_generates_the_periods_drafts(entity, run_now):
    partners_with_deliveries(entity, 3)
    run = run_now(entity, Entity.BILL_DRAFTS)
    assert (run.status, run.drafts_created, run.deliveries_billed) == ("done", 3, 6)
    assert Invoice.objects.filter(status="draft").count() == 3


def test_a_finalize_run_finalizes_every_invoice(entity, run_now):
    partners_with_deliveries(entity, 3)
    run = run_now(entity, Entity.BILL_FINALIZE)
    assert progress(run)["done"] == progress(run)["total"] == 3
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == ["RE-2026-00001", "RE-2026-00002", "RE-2026-00003"]


def test_an_invoice_that_cannot_be_finalized_is_reported(entity, run_now):
    [broken, _] = partners_with_deliveries(entity, 2)
    broken.street = ""
    broken.save()
    run = run_now(entity, Entity.BILL_FINALIZE)
    assert run.status == "done"
    [error] = progress(run)["errors"]
    assert "street" in error


def test_a_send_run_emails_each_invoice(smtp, entity, run_now):
    partners_with_deliveries(entity, 2)
    run_now(entity, Entity.BILL_SEND)
    assert len(smtp.inbox.messages) == 2


def test_starting_a_period_twice_bills_nothing_twice(entity, run_now):
    partners_with_deliveries(entity, 2)
    first = run_now(entity, Entity.BILL_FINALIZE)
    again = run_now(entity, Entity.BILL_FINALIZE)
    assert again.pk == first.pk and again.deliveries_billed == 4
    assert Invoice.objects.count() == 2
    assert BillingRun.objects.count() == 1


def test_a_run_started_again_by_hand_bills_late_deliveries(entity, run_now):
    [partner] = partners_with_deliveries(entity, 1)
    run_now(entity, Entity.BILL_FINALIZE)
    deliver(make_assignment(make_profile(entity), partner), 1, MID_OCTOBER)
    run = run_now(entity, Entity.BILL_FINALIZE)
    assert run.deliveries_billed == 3
    assert Invoice.objects.filter(status="final").count() == 2


def test_the_schedule_starts_last_months_run_on_the_billing_day(
    entity, django_capture_on_commit_callbacks
):
    from invoicing.billing import local_today

    today = local_today(entity)
    entity.billing_day, entity.billing_mode = today.day, Entity.BILL_DRAFTS
    entity.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert start_scheduled_runs() == 1
        assert start_scheduled_runs() == 0  # the same hour's next tick: nothing new
    run = BillingRun.objects.get()
    assert run.scheduled
    assert (run.period_start, run.period_end) == previous_month(today)


def test_the_schedule_waits_for_the_billing_day(entity):
    from invoicing.billing import local_today

    entity.billing_day = local_today(entity).day % 28 + 1
    entity.save()
    assert start_scheduled_runs() == 0


def test_beat_runs_monthly_billing_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-billing"]
    assert entry["task"] == "invoicing.tasks.start_scheduled_billing"
    assert len(entry["schedule"].hour) == 24


def test_the_invoices_page_shows_a_runs_progress(owner_client, entity, run_now):
    partners_with_deliveries(entity, 2)
    run = run_now(entity, Entity.BILL_FINALIZE)
    page = owner_client.get(reverse("invoicing:index")).content.decode()
    assert "Billing run 2026-10-01 – 2026-10-31" in page and "<progress" in page
    state = owner_client.get(reverse("invoicing:run_status", args=[run.pk])).json()
    assert (state["done"], state["total"], state["percent"]) == (2, 2, 100)


def test_starting_a_run_by_hand_from_the_invoices_page(owner_client, entity):
    partners_with_deliveries(entity, 1)
    response = owner_client.post(
        reverse("invoicing:start_run"),
        {"start": "2026-10-01", "end": "2026-10-31", "mode": "drafts"},
    )
    assert response.status_code == 302
    assert BillingRun.objects.get().started_by.email == "owner@acme.test"


# On a real Celery worker and Redis.


def test_a_run_on_the_worker_finalizes_every_invoice_once(celery_worker, entity):
    partners_with_deliveries(entity, 6)
    run, _ = start_run(entity, *OCTOBER, Entity.BILL_FINALIZE)
    wait_until(lambda: BillingRun.objects.get(pk=run.pk).status == "done")
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"RE-2026-{n:05}" for n in range(1, 7)]
    assert all(invoice.documents.filter(kind="pdf").exists() for invoice in Invoice.objects.all())


def test_a_worker_dying_halfway_bills_and_numbers_everything_once(
    transactional_db, tmp_path, entity, settings
):
    from leadflip.celery import app

    from ..celery_worker import REDIS_URL
    from ..conftest import _reset_connections

    count = 16
    partners_with_deliveries(entity, count)
    # Tasks of a dead worker go to the other one after 3 s; it looks every second.
    environment = {
        "CELERY_VISIBILITY_TIMEOUT": 3,
        "CELERY_RESTORE_INTERVAL": 1,
        "CELERY_RESTORE_THROTTLE": 1,
        "VIES_URL": settings.VIES_URL,
    }
    first = Worker(tmp_path / "first.log", concurrency=1, **environment)
    app.conf.task_always_eager, app.conf.broker_url = False, REDIS_URL
    _reset_connections(app)
    second = None
    try:
        run, _ = start_run(entity, *OCTOBER, Entity.BILL_FINALIZE)
        wait_until(lambda: Invoice.objects.filter(status="final").count() >= 3, interval=0.02)
        first.kill()
        finalized_when_killed = Invoice.objects.filter(status="final").count()
        assert finalized_when_killed < count
        second = Worker(tmp_path / "second.log", flush=False, **environment)
        wait_until(lambda: BillingRun.objects.get(pk=run.pk).status == "done", timeout=90)
    finally:
        app.conf.task_always_eager, app.conf.broker_url = True, "memory://"
        _reset_connections(app)
        first.stop()
        if second:
            second.stop()
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"RE-2026-{n:05}" for n in range(1, count + 1)]
    billed = DistributionTransaction.objects.values_list("invoice_id", flat=True)
    assert None not in billed and len(billed) == 2 * count
    for invoice in Invoice.objects.all():
        assert invoice.documents.filter(kind="pdf").count() == 1


def test_two_workers_share_a_run_started_and_watched_through_two_web_processes(
    transactional_db, tmp_path, owner, entity
):
    """As on two worker machines behind two web servers: the run is started on one web
    process and followed on the other; both workers take its invoices, each is finalized
    and rendered once, and the numbers have no gap."""
    from leadflip.celery import app

    count = 24
    partners_with_deliveries(entity, count)
    with ExitStack() as running:  # each process stops itself if it fails to start
        first = Worker(tmp_path / "first.log", concurrency=1)
        running.callback(first.stop)
        second = Worker(tmp_path / "second.log", flush=False, concurrency=1)
        running.callback(second.stop)
        webs = [WebProcess(tmp_path / "web-a.log")]
        running.callback(webs[0].stop)
        webs.append(WebProcess(tmp_path / "web-b.log"))
        running.callback(webs[1].stop)
        user = Browser()
        user.log_in(webs[0], "owner@acme.test", "correct-horse-42")
        invoices_page = webs[0].url + reverse("invoicing:index")
        user.post(webs[0].url + reverse("invoicing:start_run"), invoices_page,
                  {"start": "2026-10-01", "end": "2026-10-31", "mode": "finalize"})  # fmt: skip
        run = BillingRun.objects.get()
        status_url = webs[1].url + reverse("invoicing:run_status", args=[run.pk])
        wait_until(lambda: json.loads(user.get(status_url))["status"] == "done", timeout=120)
        state = json.loads(user.get(status_url))
    assert (state["done"], state["total"]) == (count, count)
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"RE-2026-{n:05}" for n in range(1, count + 1)]
    for invoice in Invoice.objects.all():
        assert invoice.documents.filter(kind="pdf").count() == 1
    task = app.tasks["invoicing.tasks.finalize_for_run"].name
    shares = [first.succeeded(task), second.succeeded(task)]
    assert sum(shares) == count and min(shares) > 0, shares


def test_a_draft_made_since_by_hand_does_not_keep_a_run_from_finishing(entity, run_now):
    partners_with_deliveries(entity, 1)
    run = run_now(entity, Entity.BILL_FINALIZE)
    partners_with_deliveries(entity, 1)
    generate_drafts(entity, *OCTOBER)  # a draft of the period the run does not list
    BillingRun.objects.filter(pk=run.pk).update(status=BillingRun.RUNNING)
    assert finish_if_complete(run)
    assert BillingRun.objects.get(pk=run.pk).status == BillingRun.DONE


def test_a_run_done_with_a_problem_says_so(entity, run_now):
    [broken, _] = partners_with_deliveries(entity, 2)
    broken.street = ""
    broken.save()
    run = run_now(entity, Entity.BILL_FINALIZE)
    assert progress(run)["status_label"] == "Done with 1 problem"


def test_the_background_run_takes_any_period(owner_client, entity):
    page = owner_client.get(reverse("invoicing:index")).content.decode()
    assert 'name="start"' in page and 'id="run_start"' in page and 'id="run_end"' in page
    response = owner_client.post(
        reverse("invoicing:start_run"),
        {"start": "2026-07-01", "end": "2026-09-30", "mode": "drafts"},
    )
    assert response.status_code == 302
    run = BillingRun.objects.get()
    assert (run.period_start, run.period_end) == (date(2026, 7, 1), date(2026, 9, 30))


# Waiting for the return window (issue 20)


@pytest.fixture
def waits_for_returns(entity):
    from ..factories import make_return_policy

    entity.finalize_after_returns = True
    entity.save()
    [partner] = partners_with_deliveries(entity, 1)
    # A window long enough to be open still, whatever the day the test runs.
    make_return_policy(partner.assignments.get().profile, window_days=365)
    return partner


def test_a_run_waits_for_the_return_window_before_finalizing(entity, run_now, waits_for_returns):
    run = run_now(entity, Entity.BILL_FINALIZE)
    assert run.status == BillingRun.WAITING_FOR_RETURNS
    assert run.finalize_after == datetime(2026, 11, 1, tzinfo=ZoneInfo("Europe/Berlin")) + (
        datetime(2027, 11, 1) - datetime(2026, 11, 1)
    )
    assert Invoice.objects.get(entity=entity).status == Invoice.DRAFT


def test_a_waiting_run_finalizes_once_the_window_has_closed(
    entity, run_now, waits_for_returns, django_capture_on_commit_callbacks
):
    from invoicing.runs import resume_runs_after_returns

    run = run_now(entity, Entity.BILL_FINALIZE)
    BillingRun.objects.filter(pk=run.pk).update(
        finalize_after=datetime(2026, 11, 8, tzinfo=ZoneInfo("UTC"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert resume_runs_after_returns() == 1
    run.refresh_from_db()
    assert run.status == BillingRun.DONE
    assert Invoice.objects.get(entity=entity).status == Invoice.FINAL


def test_a_waiting_run_is_not_started_twice(entity, run_now, waits_for_returns):
    run = run_now(entity, Entity.BILL_FINALIZE)
    again, queued = start_run(entity, *OCTOBER, Entity.BILL_FINALIZE)
    assert (again, queued) == (run, False)


def test_without_the_setting_a_run_finalizes_at_once(entity, run_now, waits_for_returns):
    entity.finalize_after_returns = False
    entity.save()
    assert run_now(entity, Entity.BILL_FINALIZE).status == BillingRun.DONE


def test_beat_resumes_waiting_runs_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["resume-billing-runs-after-returns"]
    assert entry["task"] == "invoicing.tasks.resume_billing_runs"
    assert entry["schedule"].hour == set(range(24))


def test_a_waiting_run_finishes_when_returns_emptied_a_draft(
    entity, run_now, waits_for_returns, django_capture_on_commit_callbacks
):
    from invoicing.returns import decide_returns, submit_returns
    from invoicing.runs import resume_runs_after_returns

    run = run_now(entity, Entity.BILL_FINALIZE)
    leads = list(
        DistributionTransaction.objects.filter(partner=waits_for_returns).values_list(
            "lead__external_id", flat=True
        )
    )
    returns = submit_returns(waits_for_returns, leads, "Duplicate", "", "portal").returns
    decide_returns(returns, True, "", "finance")
    assert not Invoice.objects.filter(entity=entity).exists()
    BillingRun.objects.filter(pk=run.pk).update(
        finalize_after=datetime(2026, 11, 8, tzinfo=ZoneInfo("UTC"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        resume_runs_after_returns()
    run.refresh_from_db()
    assert (run.status, run.invoice_ids) == (BillingRun.DONE, [])
