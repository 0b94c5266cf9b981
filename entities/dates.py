"""The dates the product works with: billing periods, filters, deliveries, payments.

Dates far outside them broke pages and tasks (a period ending 9999-12-31 overflowed the
time-zone arithmetic of a period's bounds; a delivery in year 1 the logs page), so every form
and the API refuse them with a message that names the range.
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def validate_date_in_range(value: date) -> None:
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(
            _("Give a date from {earliest} to {latest}.").format(
                earliest=EARLIEST.isoformat(), latest=LATEST.isoformat()
            ),
            code="out_of_range",
        )


class DateField(forms.DateField):
    """A date from EARLIEST to LATEST, picked with the browser's date input."""

    default_validators = [validate_date_in_range]

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            # A date input takes ISO dates only: a German or French format would leave it
            # empty.
            forms.DateInput(
                format="%Y-%m-%d",
                attrs={"type": "date", "min": f"{EARLIEST:%Y-%m-%d}", "max": f"{LATEST:%Y-%m-%d}"},
            ),
        )
        super().__init__(**kwargs)
