"""The one place where invoice amounts are calculated and rounded.

EN 16931: a line's net amount is quantity × net price rounded to the currency's minor unit; the
VAT of a rate is its taxable amount (the sum of the rounded lines) × rate, rounded once.
Everything later (PDF, XML) prints these stored amounts and never recomputes them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from entities.models import minor_units


def round_money(amount: Decimal, currency: str) -> Decimal:
    places = minor_units(currency)
    return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal, currency: str) -> str:
    """An amount as e-invoices write it: with exactly the currency's decimals."""
    return f"{Decimal(amount):.{minor_units(currency)}f}"


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
