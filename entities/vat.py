"""VAT ID syntax: normalising what an operator types and checking it against the country.

Whether a syntactically valid VAT ID is also registered is VIES's answer, not ours.
"""

from django.utils.translation import gettext as _
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.util import clean

from .models import EU_COUNTRIES, vat_country

# The VAT ID prefix of a country where it differs from the ISO code: Greece uses EL.
VAT_PREFIX = {"GR": "EL"}


def normalize_vat_id(value: str) -> str:
    """`de 136 695-976` → `DE136695976`."""
    return clean(value, " -./,").upper().strip() if value else ""


def vat_id_problem(vat_id: str, country: str) -> str | None:
    """Why this VAT ID cannot be right for a party in `country`, or None."""
    if not vat_id:
        return None
    country = vat_country(country)  # a business in Monaco has a French VAT ID
    if country in EU_COUNTRIES:
        prefix = VAT_PREFIX.get(country, country)
        if not vat_id.startswith(prefix):
            return _("A VAT ID from this country starts with {prefix}.").format(prefix=prefix)
        if not eu_vat.is_valid(vat_id):
            return _("This is not a valid VAT ID: check the digits.")
    elif country == "GB":
        # Great Britain (GB…) or Northern Ireland, which keeps EU VAT rules for goods (XI…).
        is_valid = eu_vat.is_valid if vat_id.startswith("XI") else gb_vat.is_valid
        if not is_valid(vat_id):
            return _("This is not a valid UK VAT number: check the digits.")
    return None
