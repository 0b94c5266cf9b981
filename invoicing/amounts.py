"""The one place where invoice amounts are calculated and rounded.

EN 16931: a line's net amount is quantity × net price rounded to the currency's minor unit; the
VAT of a rate is its taxable amount (the sum of the rounded lines) × rate, rounded once.
Everything later (PDF, XML) prints these stored amounts and never recomputes them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MINOR_UNITS = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0}


def round_money(amount: Decimal, currency: str) -> Decimal:
    places = MINOR_UNITS.get(currency, 2)
    return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def line_net_amount(quantity: int, unit_price: Decimal, currency: str) -> Decimal:
    return round_money(Decimal(quantity) * Decimal(unit_price), currency)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal


def invoice_totals(line_amounts: Iterable[Decimal], tax_rate: Decimal, currency: str) -> Totals:
    subtotal = round_money(sum(line_amounts, Decimal(0)), currency)
    tax_amount = round_money(subtotal * Decimal(tax_rate) / 100, currency)
    return Totals(subtotal, tax_amount, subtotal + tax_amount)
