"""The VAT of an invoice in a foreign currency, in the seller's national currency too.

Art. 230 VAT Directive: the VAT payable is stated in the national currency of the member
state where it is due, whatever currency the invoice is in. Art. 91(2): the exchange rate is
the latest rate the European Central Bank published at the time the VAT became chargeable
(here: on or before the supply date, the end of the billing period); a member state may
allow other rules, and Germany allows the monthly average (§ 16(6) UStG). The Entity picks
the rule (`Entity.exchange_rate_rule`); an operator can also enter a rate on the draft.

The ECB publishes its euro reference rates each working day around 16:00 CET, as XML
(www.ecb.europa.eu/stats/eurofxref/); `fetch_ecb_rates` stores them daily. A rate between
two other currencies crosses through the euro, as the ECB's rates do.
"""

import logging
import urllib.request
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Avg
from django.utils.translation import gettext as _
from lxml import etree

from entities.languages import format_date
from entities.models import Entity

from .amounts import round_money
from .models import ExchangeRate, Invoice
from .national_currencies import national_currency
from .taxes import STANDARD

logger = logging.getLogger(__name__)

ECB_NAMESPACE = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
RATE_PLACES = Decimal("0.00000001")  # as Invoice.exchange_rate stores it


class RateMissing(Exception):
    """No rate is stored for the conversion; the message says which."""


@dataclass(frozen=True)
class Conversion:
    currency: str  # BT-6, the national currency
    rate: Decimal  # 1 unit of the invoice's currency in `currency`
    day: date
    source: str


def fetch_ecb_rates(url: str | None = None) -> int:
    """Store the ECB's reference rates from its XML (the daily file or the 90-day history);
    a day already stored is kept. Returns how many rates were new."""
    with urllib.request.urlopen(url or settings.ECB_RATES_URL, timeout=30) as response:
        root = etree.fromstring(response.read())
    rates = [
        ExchangeRate(
            currency=cube.get("currency"),
            day=date.fromisoformat(day.get("time")),
            per_euro=Decimal(cube.get("rate")),
        )
        for day in root.iter(f"{{{ECB_NAMESPACE}}}Cube")
        if day.get("time")
        for cube in day
    ]
    before = ExchangeRate.objects.count()
    ExchangeRate.objects.bulk_create(rates, ignore_conflicts=True)
    return ExchangeRate.objects.count() - before


def conversion_needed(country: str, currency: str, category: str, supply_date: date) -> str:
    """The national currency an invoice also states its VAT in, or '': only where VAT is
    charged, by a seller in the EU, in another currency than its country's."""
    national = national_currency(country, supply_date)
    if category != STANDARD or national is None or national == currency:
        return ""
    return national


def decide_conversion(invoice: Invoice, seller_country: str) -> Conversion | None:
    """The conversion a draft is finalized with: the operator's rate if one was entered,
    else the Entity's rule. None when the invoice needs none. Raises RateMissing. Its source
    is written in the active language (the invoice's, at finalize)."""
    national = conversion_needed(
        seller_country, invoice.currency, invoice.tax_category, invoice.period_end
    )
    if not national:
        return None
    if invoice.exchange_rate_entered_by and invoice.exchange_rate:
        return Conversion(
            national,
            invoice.exchange_rate,
            invoice.exchange_rate_date,
            _("rate of {date} entered by {by}").format(
                date=format_date(invoice.exchange_rate_date), by=invoice.exchange_rate_entered_by
            ),
        )
    if invoice.entity.exchange_rate_rule == Entity.ECB_MONTHLY_AVERAGE:
        return monthly_average(invoice.currency, national, invoice.period_end)
    return latest_ecb_rate(invoice.currency, national, invoice.period_end)


def latest_ecb_rate(currency: str, national: str, supply_date: date) -> Conversion:
    """The latest ECB reference rate published on or before the supply date (Art. 91(2))."""
    days = ExchangeRate.objects.filter(day__lte=supply_date)
    for code in {currency, national} - {"EUR"}:
        days = days.filter(day__in=ExchangeRate.objects.filter(currency=code).values("day"))
    day = days.order_by("-day").values_list("day", flat=True).first()
    if day is None:
        raise RateMissing(
            _(
                "No ECB reference rate for {currency} in {national} on or before {date} is "
                "stored yet: they are fetched daily, or enter the rate on the draft."
            ).format(currency=currency, national=national, date=format_date(supply_date))
        )
    per_euro = dict(ExchangeRate.objects.filter(day=day).values_list("currency", "per_euro"))
    rate = _cross(per_euro, currency, national)
    source = _("ECB reference rate of {date}").format(date=format_date(day))
    return Conversion(national, rate, day, source)


def monthly_average(currency: str, national: str, supply_date: date) -> Conversion:
    """The average of the ECB reference rates of the supply's month (§ 16(6) UStG allows a
    monthly average)."""
    month = ExchangeRate.objects.filter(
        day__year=supply_date.year, day__month=supply_date.month, day__lte=supply_date
    )
    per_euro = dict(
        month.filter(currency__in=[currency, national])
        .values("currency")
        .annotate(average=Avg("per_euro"))
        .values_list("currency", "average")
    )
    if {currency, national} - {"EUR"} - per_euro.keys():
        raise RateMissing(
            _(
                "No ECB reference rates for {currency} in {national} of {month} are stored "
                "yet: they are fetched daily, or enter the rate on the draft."
            ).format(currency=currency, national=national, month=f"{supply_date:%Y-%m}")
        )
    rate = _cross(per_euro, currency, national)
    source = _("average of the ECB reference rates of {month} (to {date})").format(
        month=f"{supply_date:%Y-%m}", date=format_date(supply_date)
    )
    return Conversion(national, rate, supply_date, source)


def _cross(per_euro: dict, currency: str, national: str) -> Decimal:
    per_euro = {**per_euro, "EUR": Decimal(1)}
    rate = Decimal(per_euro[national]) / Decimal(per_euro[currency])
    return rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def apply_conversion(invoice: Invoice, conversion: Conversion | None) -> None:
    """Write the conversion onto the invoice (not saved): BT-6, BT-111 and how."""
    if conversion is None:
        invoice.tax_currency = ""
        invoice.tax_amount_in_tax_currency = None
        if not invoice.exchange_rate_entered_by:
            invoice.exchange_rate = invoice.exchange_rate_date = None
            invoice.exchange_rate_source = ""
        return
    invoice.tax_currency = conversion.currency
    invoice.exchange_rate = conversion.rate
    invoice.exchange_rate_date = conversion.day
    invoice.exchange_rate_source = conversion.source
    invoice.tax_amount_in_tax_currency = round_money(
        invoice.tax_amount * conversion.rate, conversion.currency
    )
