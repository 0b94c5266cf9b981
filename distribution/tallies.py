"""The month's deliveries counted per partner, assignment and currency (DeliveryTally), for
the dashboard. Counting a month is one grouped query over its deliveries, run in the
background (tasks.count_deliveries): the current month every quarter of an hour, a past
month once a day (a delivery can be recorded with an earlier time) and again as soon as one
of its deliveries is cancelled (mark_changed)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from entities.models import Entity

from .models import DeliveryMonth, DeliveryTally, DistributionTransaction

# How many months the dashboard looks back, this one included.
MONTHS_SHOWN = 12
# How stale the current month's tally may get.
CURRENT_MONTH_EVERY = timedelta(minutes=15)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_shown(today: date) -> list[date]:
    """The first days of the months the dashboard shows, oldest first."""
    this = month_start(today)
    return [add_months(this, -back) for back in range(MONTHS_SHOWN - 1, -1, -1)]


def months_due(entity: Entity, now: datetime | None = None) -> list[date]:
    """The months shown whose tally is missing, marked changed, or older than allowed."""
    now = now or timezone.now()
    today = now.astimezone(ZoneInfo(entity.time_zone)).date()
    counted = dict(
        DeliveryMonth.objects.filter(entity=entity, month__in=months_shown(today)).values_list(
            "month", "counted_at"
        )
    )
    due = []
    for month in months_shown(today):
        at = counted.get(month)
        if at is None:
            due.append(month)
        elif month == month_start(today):
            if now - at >= CURRENT_MONTH_EVERY:
                due.append(month)
        elif at.astimezone(ZoneInfo(entity.time_zone)).date() < today:
            due.append(month)
    return due


def count_month(entity: Entity, month: date) -> None:
    """Count the Entity's deliveries of `month` afresh, replacing its tally."""
    tz = ZoneInfo(entity.time_zone)
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    following = add_months(month, 1)
    end = datetime(following.year, following.month, 1, tzinfo=tz)
    cancelled = Q(status=DistributionTransaction.CANCELLED)
    returned = cancelled & Q(cancel_reason=DistributionTransaction.REASON_RETURNED)
    counted_at = timezone.now()
    groups = (
        DistributionTransaction.objects.filter(
            entity=entity, delivered_at__gte=start, delivered_at__lt=end
        )
        .values("partner_id", "assignment_id", "currency")
        .annotate(
            deliveries=Count("*"),
            value=Sum("price"),
            cancelled=Count("pk", filter=cancelled),
            cancelled_value=Sum("price", filter=cancelled, default=0),
            returned=Count("pk", filter=returned),
        )
        .order_by()
    )
    with transaction.atomic():
        # Taking the month's row first makes two counts of one month wait for each other.
        row, _ = DeliveryMonth.objects.select_for_update().get_or_create(entity=entity, month=month)
        DeliveryTally.objects.filter(entity=entity, month=month).delete()
        DeliveryTally.objects.bulk_create(
            DeliveryTally(entity=entity, month=month, **group) for group in groups
        )
        # A change while this count ran cleared counted_at; it is counted again next time.
        DeliveryMonth.objects.filter(pk=row.pk).update(counted_at=counted_at)


def count_due_months(entity: Entity) -> list[date]:
    due = months_due(entity)
    for month in due:
        count_month(entity, month)
    return due


def months_of(entity: Entity, moments: list[datetime]) -> set[date]:
    """The months (in the Entity's time zone) these moments fall in."""
    tz = ZoneInfo(entity.time_zone)
    return {month_start(moment.astimezone(tz).date()) for moment in moments}


def forget_counts(entity: Entity, months: set[date]) -> None:
    """Have these months counted again (months_due)."""
    DeliveryMonth.objects.filter(entity=entity, month__in=months).update(counted_at=None)


def mark_changed(entity_id: int, moments: list[datetime]) -> None:
    """The deliveries at these moments changed: count their months again."""
    entity = Entity.objects.get(pk=entity_id)
    forget_counts(entity, months_of(entity, moments))


def note_backdated(entity: Entity, moments: list[datetime]) -> None:
    """Deliveries were recorded now at these times: count again the past months among them
    (a file of last year's deliveries shows at once, not the next day). The current month
    is counted again every quarter of an hour anyway; nothing is asked for it."""
    [this] = months_of(entity, [timezone.now()])
    if months := months_of(entity, moments) - {this}:
        # Once the deliveries are committed: updating the months inside their transaction
        # would lock those rows until a whole batch or import is written, and make any
        # other delivery in those months wait for it.
        transaction.on_commit(lambda: forget_counts(entity, months))


def counted_at(entity: Entity, months: list[date]) -> datetime | None:
    """When the oldest of these months' tallies was counted; None if one never was."""
    rows = list(
        DeliveryMonth.objects.filter(entity=entity, month__in=months).values_list(
            "counted_at", flat=True
        )
    )
    if len(rows) < len(months) or None in rows:
        return None
    return min(rows)
