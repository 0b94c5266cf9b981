"""Peppol participant identifiers: how a business is reached on the Peppol network, as an
Electronic Address Scheme code (ISO 6523-based) and a value, e.g. 0208:0403019261 for a
Belgian enterprise. They are the e-invoice's endpoint IDs (BT-34 for the seller, BT-49 for
the buyer).

The schemes are those of OpenPeppol's "Electronic Address Scheme (EAS)" code list, as
released with Peppol BIS Billing 3.0 (structure/codelist/eas.xml in
OpenPEPPOL/peppol-bis-invoice-3, release 2026.5), and only those our operators' partners
use: Peppol's rule PEPPOL-EN16931-CL008 refuses a code outside that list. A value is
checked with python-stdnum where it knows the number; VAT-based schemes carry the VAT ID
with its country prefix, as the Peppol directory lists them.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import ean
from stdnum import exceptions as stdnum_errors
from stdnum.at import uid as at_vat
from stdnum.be import vat as be_vat
from stdnum.de import vat as de_vat
from stdnum.dk import cvr
from stdnum.es import nif
from stdnum.fi import ytunnus
from stdnum.fr import siren, siret, tva
from stdnum.it import iva
from stdnum.nl import btw
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

# Leitweg-ID: coarse address (2–12 digits), optional fine address, two check digits (KoSIT,
# "Formatspezifikation Leitweg-ID" 2.0.2).
LEITWEG_ID = re.compile(r"\d{2,12}(-[0-9A-Z]{1,30})?-\d{2}")
KVK_NUMBER = re.compile(r"\d{8}")


def _vat(module, prefix: str):
    """A VAT-based scheme: the number with its country prefix, upper case."""

    def clean(value: str) -> str:
        return prefix + module.validate(value)

    return clean


def _digits(module):
    def clean(value: str) -> str:
        return module.validate(value)

    return clean


def _pattern(pattern: re.Pattern, what):
    def clean(value: str) -> str:
        value = value.replace(" ", "").upper()
        if not pattern.fullmatch(value):
            raise ValidationError(_("This is not a valid {what}.").format(what=what))
        return value

    return clean


# code -> (name, how a value is checked and written)
SCHEMES = {
    "0208": (gettext_lazy("Belgian enterprise number"), _digits(be_vat)),
    "9925": (gettext_lazy("Belgian VAT number"), _vat(be_vat, "BE")),
    "9930": (gettext_lazy("German VAT number"), _vat(de_vat, "DE")),
    "0204": (
        gettext_lazy("Leitweg-ID (German public buyers)"),
        _pattern(LEITWEG_ID, gettext_lazy("Leitweg-ID")),
    ),
    "0002": (gettext_lazy("SIREN (France)"), _digits(siren)),
    "0009": (gettext_lazy("SIRET (France)"), _digits(siret)),
    "9957": (gettext_lazy("French VAT number"), _vat(tva, "FR")),
    "0106": (
        gettext_lazy("KvK number (Netherlands)"),
        _pattern(KVK_NUMBER, gettext_lazy("KvK number")),
    ),
    "9944": (gettext_lazy("Dutch VAT number"), _vat(btw, "NL")),
    "9914": (gettext_lazy("Austrian VAT number"), _vat(at_vat, "AT")),
    "9920": (gettext_lazy("Spanish VAT number"), _vat(nif, "ES")),
    "0211": (gettext_lazy("Italian VAT number (partita IVA)"), _vat(iva, "IT")),
    "0007": (gettext_lazy("Swedish organisation number"), _digits(se_orgnr)),
    "0192": (gettext_lazy("Norwegian organisation number"), _digits(no_orgnr)),
    "0184": (gettext_lazy("Danish CVR number"), _digits(cvr)),
    "0037": (gettext_lazy("Finnish business ID (LY-tunnus)"), _digits(ytunnus)),
    "0088": (gettext_lazy("GLN (Global Location Number)"), _digits(ean)),
}
SCHEME_CHOICES = [(code, f"{code} · {name}") for code, (name, _check) in SCHEMES.items()]

# The scheme a business in a country is most often reached by, from its VAT ID.
VAT_SCHEMES = {
    "BE": "0208", "DE": "9930", "FR": "9957", "NL": "9944", "AT": "9914", "ES": "9920",
    "IT": "0211",
}  # fmt: skip


def clean_peppol_id(scheme: str, value: str) -> str:
    """The value as the scheme writes it; raises ValidationError for a wrong one."""
    value = "".join(value.split())
    if not value:
        return ""
    if scheme not in SCHEMES:
        raise ValidationError(_("Choose the scheme of the Peppol ID."))
    try:
        return SCHEMES[scheme][1](value)
    except stdnum_errors.ValidationError as error:
        raise ValidationError(
            _("This is not a valid {name}: {error}").format(name=SCHEMES[scheme][0], error=error)
        ) from error


def suggested_peppol_id(country: str, vat_id: str) -> tuple[str, str] | None:
    """The participant ID a business with this VAT ID most likely has, or None."""
    scheme = VAT_SCHEMES.get(country)
    if not scheme or not vat_id:
        return None
    try:
        value = clean_peppol_id(scheme, vat_id)  # 0208: stdnum drops the BE of the VAT ID
    except ValidationError:
        return None
    return scheme, value
