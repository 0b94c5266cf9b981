"""The operator's home: the month in figures. What was delivered against what was invoiced,
revenue by partner and by profile, receivables by age, days sales outstanding, payouts due
to suppliers and return rates, in one currency at a time: the Entity's default, or another
in which it has deliveries in the months shown or receivables (`currencies`, to choose
from). Amounts in different currencies are never added up.

Deliveries are read from their monthly tally (distribution.tallies), counted in the
background; invoices are added up here, a handful of grouped queries."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Count, F, Min, Q, Sum, Value, When
from django.db.models.functions import TruncMonth

from distribution import tallies
from distribution.models import DeliveryTally, LeadReturn
from entities.models import Entity
from invoicing.models import UNPAID, Invoice, unpaid_invoices

# Days sales outstanding: what is owed today against the sales of this many days.
DSO_DAYS = 90
# Receivables by how many days past their due date (the last bucket is open-ended).
AGE_BUCKETS = [("current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90),
               ("90+", 91, None)]  # fmt: skip
# Partners and profiles shown by name; the rest are added up as one.
TOP = 10


@dataclass
class MonthFigures:
    month: date
    delivered: Decimal = Decimal(0)  # value of the deliveries that stand
    invoiced: Decimal = Decimal(0)  # net of the finalized invoices for the month, less credits
    deliveries: int = 0
    returned: int = 0

    @property
    def return_rate(self) -> Decimal | None:
        """Returned leads as a percentage of the month's deliveries."""
        if not self.deliveries:
            return None
        return (Decimal(100) * self.returned / self.deliveries).quantize(Decimal("0.1"))

    @property
    def difference(self) -> Decimal:
        return self.delivered - self.invoiced


@dataclass
class Share:
    """A partner's or a profile's part of the month's deliveries. `pk` None: the others."""

    pk: int | None
    name: str
    value: Decimal
    deliveries: int
    returned: int = 0

    @property
    def return_rate(self) -> Decimal | None:
        if not self.deliveries:
            return None
        return (Decimal(100) * self.returned / self.deliveries).quantize(Decimal("0.1"))


@dataclass
class AgeBucket:
    key: str
    amount: Decimal
    count: int


@dataclass
class Payouts:
    """Self-billed invoices finalized and not yet paid: what the Entity owes its suppliers."""

    amount: Decimal = Decimal(0)
    count: int = 0
    overdue: Decimal = Decimal(0)
    next_due: date | None = None


@dataclass
class Dashboard:
    currency: str
    month: date  # the month the shares are of
    months: list[MonthFigures]
    by_partner: list[Share]
    by_profile: list[Share]
    ageing: list[AgeBucket]
    dso: int | None  # days
    payouts: Payouts
    pending_returns: int
    counted_at: datetime | None  # when the oldest month's deliveries were counted
    # Those with deliveries or receivables, besides `currency`; and all one can choose.
    other_currencies: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)

    @property
    def receivables(self) -> Decimal:
        return sum((bucket.amount for bucket in self.ageing), Decimal(0))

    @property
    def overdue(self) -> Decimal:
        return sum((b.amount for b in self.ageing if b.key != "current"), Decimal(0))


def dashboard(
    entity: Entity, today: date, month: date | None = None, currency: str = ""
) -> Dashboard:
    """The figures of the months up to `today` in `currency` (default: the Entity's default
    currency, or when it has no deliveries or invoices in that one, its default); shares of
    `month` (default: last month)."""
    shown = tallies.months_shown(today)
    month = month if month in shown else shown[-2]
    ageing = _ageing(entity, today)
    found = _delivery_currencies(entity, shown) | set(ageing)
    if currency not in found:
        currency = entity.default_currency
    buckets = ageing.pop(currency, None) or [
        AgeBucket(key, Decimal(0), 0) for key, _first, _last in AGE_BUCKETS
    ]
    owed = sum((bucket.amount for bucket in buckets), Decimal(0))
    return Dashboard(
        currency=currency,
        month=month,
        months=_months(entity, shown, currency),
        by_partner=_shares(entity, month, currency, "partner_id", "partner__name"),
        by_profile=_shares(
            entity, month, currency, "assignment__profile_id", "assignment__profile__name"
        ),
        ageing=buckets,
        dso=_dso(entity, today, currency, owed),
        payouts=_payouts(entity, today, currency),
        pending_returns=LeadReturn.objects.filter(entity=entity, status=LeadReturn.PENDING).count(),
        counted_at=tallies.counted_at(entity, shown),
        other_currencies=sorted(found - {currency}),
        currencies=sorted(found | {entity.default_currency}),
    )


def _months(entity: Entity, shown: list[date], currency: str) -> list[MonthFigures]:
    figures = {month: MonthFigures(month) for month in shown}
    delivered = (
        DeliveryTally.objects.filter(entity=entity, month__in=shown, currency=currency)
        .values("month")
        .annotate(
            value=Sum("value"),
            cancelled_value=Sum("cancelled_value"),
            deliveries=Sum("deliveries"),
            cancelled=Sum("cancelled"),
            returned=Sum("returned"),
        )
        .order_by()
    )
    for row in delivered:
        month = figures[row["month"]]
        month.delivered = row["value"] - row["cancelled_value"]
        month.deliveries = row["deliveries"]
        month.returned = row["returned"]
    credit_note = Q(kind=Invoice.KIND_CREDIT_NOTE)
    invoiced = (
        Invoice.objects.filter(
            entity=entity,
            self_billed=False,
            status__in=[Invoice.FINAL, Invoice.VOID],  # a void invoice and its credit note
            currency=currency,
            period_start__gte=shown[0],
            period_start__lt=tallies.add_months(shown[-1], 1),
        )
        .annotate(month=TruncMonth("period_start"))
        .values("month")
        .annotate(
            all=Sum("subtotal", default=0),
            credited=Sum("subtotal", filter=credit_note, default=0),
        )
        .order_by()
    )
    for row in invoiced:
        key = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        figures[key].invoiced = row["all"] - 2 * row["credited"]
    return list(figures.values())


def _shares(entity: Entity, month: date, currency: str, pk: str, name: str) -> list[Share]:
    rows = list(
        DeliveryTally.objects.filter(entity=entity, month=month, currency=currency)
        .values(pk, name)
        .annotate(
            value=Sum(F("value") - F("cancelled_value")),
            deliveries=Sum("deliveries"),
            returned=Sum("returned"),
        )
        .order_by("-value", name)
    )
    shares = [
        Share(row[pk], row[name], row["value"], row["deliveries"], row["returned"])
        for row in rows[:TOP]
    ]
    if rest := rows[TOP:]:
        shares.append(
            Share(
                None,
                "",
                sum((row["value"] for row in rest), Decimal(0)),
                sum(row["deliveries"] for row in rest),
                sum(row["returned"] for row in rest),
            )
        )
    return shares


def _ageing(entity: Entity, today: date) -> dict[str, list[AgeBucket]]:
    """What buyers owe, per currency, by days past due: one pass over the unpaid invoices,
    each put in its bucket by one CASE (a filter per bucket and sum took twice as long)."""
    whens = []
    for key, first, last in AGE_BUCKETS:
        # Days past due d lies in [first, last]: the due date in [today - last, today - first].
        if first is None:
            whens.append(When(Q(due_date__gte=today) | Q(due_date=None), then=Value(key)))
        elif last is None:
            whens.append(When(due_date__lte=today - timedelta(days=first), then=Value(key)))
        else:
            since = today - timedelta(days=last)
            whens.append(When(due_date__gte=since, then=Value(key)))
    rows = (
        unpaid_invoices(entity=entity)
        .annotate(bucket=Case(*whens, default=Value(AGE_BUCKETS[-1][0])))
        .values("currency", "bucket")
        .annotate(amount=Sum(F("total") - F("amount_paid")), count=Count("pk"))
        .order_by()
    )
    found = {}
    for row in rows:
        found.setdefault(row["currency"], {})[row["bucket"]] = row
    return {
        currency: [
            AgeBucket(key, by_key[key]["amount"], by_key[key]["count"])
            if key in by_key
            else AgeBucket(key, Decimal(0), 0)
            for key, _first, _last in AGE_BUCKETS
        ]
        for currency, by_key in found.items()
    }


def _dso(entity: Entity, today: date, currency: str, owed: Decimal) -> int | None:
    """What buyers owe today (`owed`), in days of the last DSO_DAYS days' sales (gross)."""
    credit_note = Q(kind=Invoice.KIND_CREDIT_NOTE)
    sales = Invoice.objects.filter(
        entity=entity,
        self_billed=False,
        status__in=[Invoice.FINAL, Invoice.VOID],
        currency=currency,
        issue_date__gt=today - timedelta(days=DSO_DAYS),
        issue_date__lte=today,
    ).aggregate(all=Sum("total", default=0), credited=Sum("total", filter=credit_note, default=0))
    sold = sales["all"] - 2 * sales["credited"]
    if sold <= 0:
        return None
    return int((owed / sold * DSO_DAYS).quantize(Decimal("1")))


def _payouts(entity: Entity, today: date, currency: str) -> Payouts:
    balance = F("total") - F("amount_paid")
    owed = Invoice.objects.filter(
        UNPAID, entity=entity, self_billed=True, kind=Invoice.KIND_INVOICE, currency=currency
    ).aggregate(
        amount=Sum(balance, default=0),
        count=Count("pk"),
        overdue=Sum(balance, filter=Q(due_date__lt=today), default=0),
        next_due=Min("due_date", filter=Q(due_date__gte=today)),
    )
    return Payouts(**owed)


def _delivery_currencies(entity: Entity, shown: list[date]) -> set[str]:
    return set(
        DeliveryTally.objects.filter(entity=entity, month__in=shown)
        .values_list("currency", flat=True)
        .distinct()
        .order_by()
    )
