from decimal import Decimal

from django import template
from django.utils.translation import pgettext_lazy

from entities.languages import format_date, format_month, format_number
from entities.models import minor_units
from entities.numbers import iban
from invoicing.document_text import line_description

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
def short_date(value) -> str:
    """A date as the active language writes it (2026-12-01, 01.12.2026): a plain string
    format, fast over long lists."""
    return format_date(value) if value else ""


@register.filter
def percent(value) -> str:
    """19.00 → '19', 25.50 → '25.5'."""
    value = Decimal(value).normalize()
    return f"{value:f}"


@register.filter
def share(value) -> str:
    """A percentage to one decimal, as the active language writes it: 0.3, 0,3."""
    return "" if value is None else format_number(value, 1)


register.filter("iban", iban)


STATES = {
    "draft": pgettext_lazy("invoice state", "Draft"),
    "void": pgettext_lazy("invoice state", "Void"),
    "paid": pgettext_lazy("invoice state", "Paid"),
    "overdue": pgettext_lazy("invoice state", "Overdue"),
    "partially paid": pgettext_lazy("invoice state", "Partially paid"),
    "open": pgettext_lazy("invoice state", "Open"),
}
CREDIT_NOTE_STATES = {
    "paid": pgettext_lazy("credit note state", "Settled"),
    "open": pgettext_lazy("credit note state", "To refund"),
    "partially paid": pgettext_lazy("credit note state", "Partly settled"),
}


@register.simple_tag
def payment_state(invoice, state: str) -> str:
    """The payment state in the document's own words: a credit note is settled, or open
    to refund, never paid or due."""
    if invoice.is_credit_note and state in CREDIT_NOTE_STATES:
        return CREDIT_NOTE_STATES[state]
    return STATES.get(state, state)


# Our own line words in the reader's language: "Leads supplied", "Gelieferte Leads".
register.filter("line_description", line_description)


@register.filter
def month_name(value) -> str:
    """The month of a date as the active language names it: novembre 2026."""
    return format_month(value) if value else ""
