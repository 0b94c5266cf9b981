"""Numbers as people type them: with a decimal comma (German and French users write 12,50)
or a decimal point, with or without thousands separators."""

import re
from decimal import Decimal, InvalidOperation

from django import forms

SPACES = re.compile(r"[\s\u00a0\u202f']")  # spaces, no-break spaces, Swiss apostrophes


def normalize_decimal(text: str) -> str:
    """'1.234,56' and '1,234.56' become '1234.56'; '12,50' becomes '12.50'. Of a comma and a
    point, the last is the decimal separator; a single comma alone is one too."""
    text = SPACES.sub("", text.strip())
    if "," in text and "." in text:
        decimal, thousands = (",", ".") if text.rfind(",") > text.rfind(".") else (".", ",")
        return text.replace(thousands, "").replace(decimal, ".")
    if text.count(",") == 1:
        return text.replace(",", ".")
    return text.replace(",", "")


def parse_decimal(text: str) -> Decimal:
    """The number typed; InvalidOperation when it is none."""
    value = Decimal(normalize_decimal(text))
    if not value.is_finite():
        raise InvalidOperation(text)
    return value


class DecimalField(forms.DecimalField):
    """A decimal form field that takes a decimal comma too; typed in a text box, since a
    browser's number box refuses the comma in some languages."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def to_python(self, value):
        if isinstance(value, str):
            value = normalize_decimal(value)
        return super().to_python(value)


def amount(value, currency: str) -> str:
    """An amount as the product writes it everywhere, in tables as in messages, in the
    active language: '1,234.50 EUR', '1.234,50 €' (the currency's own decimals: '1,234
    JPY')."""
    from .languages import currency_sign, format_number
    from .models import minor_units

    return f"{format_number(value, minor_units(currency))} {currency_sign(currency)}"


def iban(value: str) -> str:
    """An IBAN in groups of four, as banks print it: 'DE89 3704 0044 0532 0130 00'."""
    compact = "".join(value.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
