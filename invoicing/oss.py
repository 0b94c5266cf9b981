"""Leads as electronically supplied services to consumers in other member states, and the
One-Stop Shop (OSS) return.

A lead delivered automatically, with no human intervention worth the name, can be an
electronically supplied service (Art. 7 Implementing Regulation 282/2011). Supplied to a
person who is not a business (or gives no VAT ID, Art. 18(2) of that Regulation) in another
member state, its place of supply is the consumer's country (Art. 58 VAT Directive) once
the seller's cross-border supplies of such services exceed EUR 10,000 in the current or
the previous calendar year (Art. 59c), from the supply that exceeds it; a seller may opt
for the consumer's country from the first euro (Art. 59c(3)). That VAT is declared in the
OSS return, per quarter, per member state of consumption and rate (Art. 369a–369k; a
credit note in the quarter it is issued in), in euro: amounts in another currency at the
ECB rate of the quarter's last day, or the next day it publishes one (Art. 369h(2)).

Leads qualified by people are not electronically supplied: the general rule (Art. 45,
the seller's VAT) applies, which is why the Entity setting is off by default.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from entities.models import EU_VAT_AREA, Entity, vat_country
from partners.models import Partner

from .amounts import round_money
from .models import ExchangeRate, Invoice

THRESHOLD = Decimal("10000")  # EUR, Art. 59c(1)(c)


def other_member_states(entity: Entity) -> list[str]:
    home = vat_country(entity.country)
    return sorted(country for country in EU_VAT_AREA if vat_country(country) != home)


def cross_border_b2c_turnover(entity: Entity, periods: list[tuple[date, date]]) -> list[Decimal]:
    """Per period (first, last day of supply): the net of the Entity's finalized invoices
    in euro, less their credit notes, to consumers in other member states; in one query,
    since draft generation asks it for every consumer's draft. An invoice in another
    currency counts at the rate it states its VAT in euro with; one without (a seller
    outside the euro area) does not count."""
    consumers = Q(partner__kind=Partner.INDIVIDUAL) | Q(partner__vat_id="")
    invoices = Invoice.objects.filter(
        consumers,
        entity=entity,
        self_billed=False,
        status__in=[Invoice.FINAL, Invoice.VOID],
        partner__country__in=other_member_states(entity),
        period_end__gte=min(start for start, _ in periods),
        period_end__lte=max(end for _, end in periods),
    )
    in_euro = Q(currency="EUR")
    converted = Q(tax_currency="EUR") & ~Q(currency="EUR")
    sums = {}
    for n, (start, end) in enumerate(periods):
        for kind in (Invoice.KIND_INVOICE, Invoice.KIND_CREDIT_NOTE):
            within = Q(kind=kind, period_end__gte=start, period_end__lte=end)
            sums[f"{n}_{kind}_euro"] = Sum("subtotal", filter=within & in_euro)
            sums[f"{n}_{kind}_converted"] = Sum(
                F("subtotal") * F("exchange_rate"), filter=within & converted
            )
    totals = invoices.aggregate(**sums)

    def net(n, kind):
        return (totals[f"{n}_{kind}_euro"] or 0) + (totals[f"{n}_{kind}_converted"] or 0)

    return [
        Decimal(net(n, Invoice.KIND_INVOICE) - net(n, Invoice.KIND_CREDIT_NOTE))
        for n in range(len(periods))
    ]


def consumers_country_applies(entity: Entity, supply_date: date, net: Decimal) -> bool:
    """Whether a supply of `net` euro to a consumer in another member state is taxed in the
    consumer's country, by the Entity's setting and the EUR 10,000 threshold."""
    if entity.b2c_place_of_supply == Entity.SELLER_COUNTRY:
        return False
    if entity.b2c_place_of_supply == Entity.CONSUMER_COUNTRY:
        return True
    year = supply_date.year
    last_year, this_year = cross_border_b2c_turnover(
        entity,
        [(date(year - 1, 1, 1), date(year - 1, 12, 31)), (date(year, 1, 1), supply_date)],
    )
    return last_year > THRESHOLD or this_year + net > THRESHOLD


@dataclass(frozen=True)
class ReturnRow:
    country: str  # member state of consumption
    rate: Decimal
    taxable_amount: Decimal  # EUR
    vat: Decimal  # EUR


class ReturnError(Exception):
    """The return cannot be made yet; the message says why."""


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * quarter - 2, 1)
    last = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def oss_return(entity: Entity, year: int, quarter: int) -> list[ReturnRow]:
    """The quarter's supplies taxed in other member states, per country and rate, in euro;
    credit notes count against them."""
    start, end = quarter_bounds(year, quarter)
    home = vat_country(entity.country)
    # A supply goes into the quarter it was made in; a credit note into the quarter it was
    # issued in, which corrects the earlier return there.
    in_quarter = Q(kind=Invoice.KIND_INVOICE, period_end__gte=start, period_end__lte=end) | Q(
        kind=Invoice.KIND_CREDIT_NOTE, issue_date__gte=start, issue_date__lte=end
    )
    documents = (
        Invoice.objects.filter(
            in_quarter,
            entity=entity,
            self_billed=False,
            status__in=[Invoice.FINAL, Invoice.VOID],
        )
        .exclude(tax_country="")
        .exclude(tax_country=home)
    )
    totals: dict[tuple[str, Decimal], list[Decimal]] = {}
    rates: dict[str, Decimal] = {}
    for document in documents.order_by("pk"):
        sign = -1 if document.is_credit_note else 1
        to_euro = Decimal(1)
        if document.currency != "EUR":
            if document.currency not in rates:
                rates[document.currency] = _ecb_rate_for_return(document.currency, end)
            to_euro = 1 / rates[document.currency]
        key = (document.tax_country, document.tax_rate)
        amounts = totals.setdefault(key, [Decimal(0), Decimal(0)])
        amounts[0] += sign * document.subtotal * to_euro
        amounts[1] += sign * document.tax_amount * to_euro
    return [
        ReturnRow(country, rate, round_money(net, "EUR"), round_money(vat, "EUR"))
        for (country, rate), (net, vat) in sorted(totals.items())
    ]


def _ecb_rate_for_return(currency: str, quarter_end: date) -> Decimal:
    """Art. 369h(2): the ECB rate of the period's last day, or of the next day published."""
    rate = (
        ExchangeRate.objects.filter(currency=currency, day__gte=quarter_end)
        .order_by("day")
        .values_list("per_euro", flat=True)
        .first()
    )
    if rate is None:
        raise ReturnError(
            _(
                "The ECB's {currency} rate of {quarter_end:%Y-%m-%d} or a later day is "
                "not stored yet: the return converts to euro at it."
            ).format(currency=currency, quarter_end=quarter_end)
        )
    return rate


def oss_return_csv(rows: list[ReturnRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["member_state_of_consumption", "vat_rate", "taxable_amount_eur", "vat_eur"])
    for row in rows:
        writer.writerow([row.country, f"{row.rate:.2f}", row.taxable_amount, row.vat])
    return out.getvalue()
