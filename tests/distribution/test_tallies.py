"""The monthly tally of deliveries the dashboard draws (issue 22): counted per partner,
assignment and currency, in the background, and again when a month changes."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from distribution import batch, tallies
from distribution.models import DeliveryMonth, DeliveryTally, DistributionTransaction
from distribution.services import mark_deliveries_cancelled
from distribution.tasks import count_deliveries

from ..factories import deliver, make_assignment, make_entity, make_partner, make_profile

BERLIN = ZoneInfo("Europe/Berlin")
OCTOBER = datetime(2026, 10, 1).date()


def october_deliveries(entity, count=3, price="10.00", partner=None):
    assignment = make_assignment(make_profile(entity, price), partner or make_partner(entity))
    return deliver(assignment, count, datetime(2026, 10, 15, 12, tzinfo=BERLIN))


def test_a_month_is_counted_per_partner_assignment_and_currency(entity):
    october_deliveries(entity, 3, "10.00")
    october_deliveries(entity, 2, "5.50")
    tallies.count_month(entity, OCTOBER)
    rows = sorted(DeliveryTally.objects.filter(month=OCTOBER), key=lambda row: row.value)
    assert [(row.deliveries, row.value, row.currency) for row in rows] == [
        (2, Decimal("11.00"), "EUR"),
        (3, Decimal("30.00"), "EUR"),
    ]


def test_a_delivery_falls_in_the_month_of_the_entitys_time_zone(entity):
    # 23:30 UTC on 31 October is already 1 November in Berlin.
    assignment = make_assignment(make_profile(entity), make_partner(entity))
    deliver(assignment, 1, datetime(2026, 10, 31, 23, 30, tzinfo=ZoneInfo("UTC")))
    tallies.count_month(entity, OCTOBER)
    tallies.count_month(entity, datetime(2026, 11, 1).date())
    assert list(DeliveryTally.objects.values_list("month", "deliveries")) == [
        (datetime(2026, 11, 1).date(), 1)
    ]


def test_cancelled_and_returned_deliveries_are_counted_apart(entity):
    first, second, _third = october_deliveries(entity, 3)
    mark_deliveries_cancelled([first], DistributionTransaction.REASON_REJECTED)
    mark_deliveries_cancelled([second], DistributionTransaction.REASON_RETURNED)
    tallies.count_month(entity, OCTOBER)
    [row] = DeliveryTally.objects.all()
    assert (row.deliveries, row.cancelled, row.returned) == (3, 2, 1)
    assert row.delivered_value == Decimal("10.00")


def test_counting_again_replaces_the_tally(entity):
    october_deliveries(entity, 2)
    tallies.count_month(entity, OCTOBER)
    october_deliveries(entity, 1)
    tallies.count_month(entity, OCTOBER)
    assert sum(DeliveryTally.objects.values_list("deliveries", flat=True)) == 3


def test_a_cancellation_makes_its_month_due_again(entity):
    [delivery] = october_deliveries(entity, 1)
    tallies.count_month(entity, OCTOBER)
    assert OCTOBER not in tallies.months_due(entity)
    mark_deliveries_cancelled([delivery], DistributionTransaction.REASON_REFUNDED)
    assert OCTOBER in tallies.months_due(entity)


def test_a_delivery_recorded_with_a_past_months_time_makes_that_month_due_again(
    entity, django_capture_on_commit_callbacks
):
    october_deliveries(entity, 1)
    tallies.count_month(entity, OCTOBER)
    with django_capture_on_commit_callbacks(execute=True):
        october_deliveries(entity, 1)  # recorded today, delivered in October
    assert OCTOBER in tallies.months_due(entity)


def test_a_batch_of_last_months_deliveries_makes_their_month_due_again(
    entity, django_capture_on_commit_callbacks
):
    assignment = make_assignment(make_profile(entity), make_partner(entity))
    tallies.count_month(entity, OCTOBER)
    october = datetime(2026, 10, 20, 9, tzinfo=BERLIN)
    with django_capture_on_commit_callbacks(execute=True):
        batch.record_deliveries(
            entity, [batch.Item(assignment.pk, f"L-{n}", october) for n in range(3)]
        )
    assert OCTOBER in tallies.months_due(entity)


def test_past_months_are_marked_only_once_the_deliveries_are_committed(
    entity, django_capture_on_commit_callbacks
):
    october_deliveries(entity, 1)
    tallies.count_month(entity, OCTOBER)
    with django_capture_on_commit_callbacks() as waiting:
        october_deliveries(entity, 1)
        assert OCTOBER not in tallies.months_due(entity)
    assert waiting


def test_the_current_month_is_due_again_after_a_quarter_of_an_hour(entity):
    this_month = tallies.month_start(timezone.now().astimezone(BERLIN).date())
    tallies.count_month(entity, this_month)
    counted = DeliveryMonth.objects.get(month=this_month).counted_at
    assert this_month not in tallies.months_due(entity, counted + timedelta(minutes=14))
    assert this_month in tallies.months_due(entity, counted + timedelta(minutes=15))


def test_a_past_month_is_counted_again_the_next_day(entity):
    tallies.count_month(entity, OCTOBER)
    now = DeliveryMonth.objects.get(month=OCTOBER).counted_at
    assert OCTOBER not in tallies.months_due(entity, now)
    assert OCTOBER in tallies.months_due(entity, now + timedelta(days=1))


def test_months_never_counted_are_due(entity):
    due = tallies.months_due(entity)
    assert len(due) == tallies.MONTHS_SHOWN
    assert due == tallies.months_shown(timezone.now().astimezone(BERLIN).date())


def test_the_task_counts_every_entitys_due_months(account, entity):
    other = make_entity(account, name="Second")
    october_deliveries(entity, 2)
    october_deliveries(other, 1)
    assert count_deliveries() == 2 * tallies.MONTHS_SHOWN
    assert DeliveryMonth.objects.filter(counted_at__isnull=False).count() == 24
    assert count_deliveries() == 0  # nothing due any more
    assert DeliveryTally.objects.get(entity=other).deliveries == 1
