"""The languages a partner's documents are written in, and how numbers and dates read in them.

A partner's invoices, credit notes, self-billed invoices, emails and e-invoice notes are in
its language (Partner.language), which defaults to the main language of its country. The
texts come from the gettext catalogues in locale/; numbers follow CLDR through Babel.
"""

from datetime import date, datetime
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date as babel_date
from babel.numbers import format_decimal, get_currency_symbol
from django.conf import settings
from django.utils import translation

LANGUAGE_CHOICES = settings.LANGUAGES
DEFAULT_LANGUAGE = "en"

# The language a partner in a country reads by default. Belgium, Switzerland and
# Luxembourg have several; the operator picks another one on the partner where needed.
COUNTRY_LANGUAGES = {
    "DE": "de", "AT": "de", "CH": "de", "LI": "de",
    "FR": "fr", "BE": "fr", "LU": "fr", "MC": "fr",
}  # fmt: skip

# Dates as the language writes them on an invoice: English keeps ISO 8601, which no reader
# takes for another day.
DATE_PATTERNS = {"en": "{:%Y-%m-%d}", "de": "{:%d.%m.%Y}", "fr": "{:%d/%m/%Y}"}


def default_language(country: str) -> str:
    return COUNTRY_LANGUAGES.get(country, DEFAULT_LANGUAGE)


def current_language() -> str:
    language = (translation.get_language() or DEFAULT_LANGUAGE).split("-")[0]
    return language if language in DATE_PATTERNS else DEFAULT_LANGUAGE


def in_sentence(noun: str) -> str:
    """A title used inside a sentence: "invoice", "facture", but German keeps its nouns
    capitalized ("Rechnung")."""
    return noun if current_language() == "de" else noun.lower()


def country_name(code: str) -> str:
    """The country's name in the active language (CLDR): Germany, Deutschland, Allemagne."""
    return _territories(current_language()).get(code, code)


@cache
def _territories(language: str) -> dict:
    return dict(Locale(language).territories)  # Babel builds a Locale in ~80 µs


def format_date(value: date | datetime | None) -> str:
    """A date in the active language: 2026-12-01, 01.12.2026, 01/12/2026."""
    return DATE_PATTERNS[current_language()].format(value) if value else ""


def format_number(value, places: int = 0, max_places: int | None = None) -> str:
    """A number in the active language, with `places` decimals (up to `max_places`):
    1,234.56, 1.234,56, 1 234,56 (CLDR's narrow no-break space in French)."""
    places = max(places, 0)
    decimals = "0" * places + "#" * max((max_places or places) - places, 0)
    pattern = "#,##0" + (f".{decimals}" if decimals else "")
    return format_decimal(Decimal(value), format=pattern, locale=current_language())


def currency_sign(currency: str) -> str:
    """What follows an amount: the ISO code in English (1,234.56 EUR), the symbol where the
    language writes one (1.234,56 €)."""
    language = current_language()
    if language == "en":
        return currency
    return get_currency_symbol(currency, locale=language)


def format_month(value: date) -> str:
    """A month in the active language: November 2026, November 2026, novembre 2026."""
    return babel_date(value, "LLLL y", locale=current_language())
