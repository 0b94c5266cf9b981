from decimal import Decimal

from django import template

from entities.languages import format_number
from entities.models import minor_units

register = template.Library()


@register.filter
def money(value, currency="") -> str:
    """1234.5 → '1,234.50' (with the currency's decimals: 1234 JPY → '1,234'), in the
    active language ('1.234,50'). Amounts are already rounded; this only formats."""
    if value is None or value == "":
        return ""
    return format_number(value, minor_units(currency))


@register.filter
def unit_price(value) -> str:
    """Unit prices keep up to four decimals but show at least two: 12.5 → '12.50'."""
    if value is None or value == "":
        return ""
    return format_number(value, 2, 4)


@register.filter
def percent(value) -> str:
    """19.00 → '19', 25.50 → '25.5'."""
    value = Decimal(value).normalize()
    return f"{value:f}"


@register.filter
def iban(value: str) -> str:
    """Print an IBAN in groups of four, as banks do: 'DE89 3704 0044 0532 0130 00'."""
    compact = "".join(value.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


@register.simple_tag
def payment_state(invoice, state: str) -> str:
    """The payment state in the document's own words: a credit note is settled, or open
    to refund, never paid or due."""
    if invoice.is_credit_note:
        return {"paid": "Settled", "open": "To refund", "partially paid": "Partly settled"}.get(
            state, state.capitalize()
        )
    return state.capitalize()
