"""What an invoice must say about the business issuing it, beyond Art. 226 VAT Directive, by
the country it is established in: its register, legal form, directors, capital, and France's
payment mentions. One row per country; `Entity` holds the fields, `missing_mentions` says what
finalize refuses without, and the invoice prints `register_line`.

Sources:
- DE: § 35a GmbHG, § 80 AktG, § 37a HGB, § 125a HGB: legal form, seat, register court and
  number, all managing directors (for a GmbH) on every business letter, invoices included.
  A sole trader not in the commercial register, a GbR or a liberal profession has none.
- AT: § 14 UGB: legal form, seat, Firmenbuch number and court.
- FR: art. R123-237 Code de commerce (SIREN, "RCS" and the city of its registry, legal form
  and share capital); art. L441-9 and D441-5 Code de commerce (the late-payment penalty
  rate, the EUR 40 fixed indemnity for recovery costs, the early-payment discount or none);
  art. 242 nonies A annexe II CGI as amended for the 2026 e-invoicing reform (décret
  2022-1299): the SIREN of seller and buyer, the category of operation, and "Option pour le
  paiement de la taxe d'après les débits" where chosen. An entrepreneur individuel has a
  SIREN but is not in the RCS.
- BE: art. III.25 Code de droit économique: the enterprise number, "RPM"/"RPR" with the
  court of the seat, and the legal form.
- NL: art. 27 Handelsregisterwet 2007 with art. 42 Handelsregisterbesluit 2008: the KvK
  number.
- ES: art. 6 Real Decreto 1619/2012 (the NIF) and art. 24 Reglamento del Registro
  Mercantil (the registry's data: tomo, folio, hoja).
- IT: art. 2250 Codice civile: the registry office, the REA number and, for a company with
  share capital, the capital paid in.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.at import businessid as at_register
from stdnum.be import vat as be_enterprise_number
from stdnum.fr import siren, siret

# ISO 6523 schemes of a legal registration identifier (BT-30, BT-47), by country.
SIREN_SCHEME = "0002"
SIRET_SCHEME = "0009"
REGISTRATION_SCHEMES = {"FR": SIREN_SCHEME, "BE": "0208", "NL": "0106"}

# Field → what it is, for the operator.
FIELD_LABELS = {
    "legal_form": "your legal form",
    "register_court": "your register court or registry",
    "register_number": "your register number",
    "managing_directors": "your managing directors",
    "share_capital": "your share capital",
    "late_payment_penalty": "your late-payment penalty rate",
    "tax_id": "your NIF (VAT ID or tax number)",
}


@dataclass(frozen=True)
class CountryRules:
    law: str  # what requires the mentions, for the operator's message
    required: tuple[str, ...]  # fields of a business in the register
    # The register as printed: "Amtsgericht Köln, HRB 12345", "RCS Lyon 123 456 789".
    register_line: str = "{register_court}, {register_number}"
    # Legal forms outside the register, and what they still need.
    unregistered_forms: tuple[str, ...] = ()
    unregistered_required: tuple[str, ...] = ()
    # Legal forms without directors to name, or without share capital.
    forms_without_directors: tuple[str, ...] = ()
    forms_without_capital: tuple[str, ...] = ()


RULES = {
    "DE": CountryRules(
        law="§ 35a GmbHG, § 37a HGB",
        required=("legal_form", "register_court", "register_number", "managing_directors"),
        unregistered_forms=("Einzelunternehmen", "GbR", "Freiberufler"),
        forms_without_directors=("e.K.", "e. K.", "OHG", "KG"),
    ),
    "AT": CountryRules(
        law="§ 14 UGB",
        required=("legal_form", "register_court", "register_number"),
        register_line="{register_number}, {register_court}",
        unregistered_forms=("Einzelunternehmen", "GesbR"),
    ),
    "FR": CountryRules(
        law="art. R123-237 et L441-9 du Code de commerce",
        required=(
            "legal_form",
            "register_number",
            "register_court",
            "share_capital",
            "late_payment_penalty",
        ),
        register_line="RCS {register_court} {register_number}",
        unregistered_forms=("EI", "Entrepreneur individuel", "Micro-entrepreneur"),
        unregistered_required=("register_number", "late_payment_penalty"),
        forms_without_capital=("SNC",),
    ),
    "BE": CountryRules(
        law="art. III.25 CDE",
        required=("legal_form", "register_number", "register_court"),
        register_line="{register_number}, RPM/RPR {register_court}",
    ),
    "NL": CountryRules(
        law="art. 27 Handelsregisterwet 2007",
        required=("register_number",),
        register_line="KvK {register_number}",
    ),
    "ES": CountryRules(
        law="art. 6 RD 1619/2012, art. 24 RRM",
        required=("tax_id", "register_court", "register_number"),
        unregistered_forms=("Autónomo",),
        unregistered_required=("tax_id",),
    ),
    "IT": CountryRules(
        law="art. 2250 c.c.",
        required=("legal_form", "register_court", "register_number", "share_capital"),
        register_line="{register_court}, REA {register_number}",
        unregistered_forms=("Ditta individuale",),
        forms_without_capital=("SNC", "SAS", "S.n.c.", "S.a.s."),
    ),
}

# France: what every invoice between businesses says about late payment (D441-5).
RECOVERY_INDEMNITY_EUR = 40


def required_fields(country: str, legal_form: str) -> tuple[str, ...]:
    """The mention fields a business of that country and legal form must fill in."""
    rules = RULES.get(country)
    if rules is None:
        return ()
    form = legal_form.strip().casefold()
    if form and form in {f.casefold() for f in rules.unregistered_forms}:
        return rules.unregistered_required
    fields = rules.required
    if form in {f.casefold() for f in rules.forms_without_directors}:
        fields = tuple(f for f in fields if f != "managing_directors")
    if form in {f.casefold() for f in rules.forms_without_capital}:
        fields = tuple(f for f in fields if f != "share_capital")
    return fields


def missing_mentions(details: dict) -> list[str]:
    """What the issuer's details (an Entity's, as its invoices copy them) lack that its
    country requires on an invoice, in words for the operator."""
    country = details.get("country", "")
    missing = []
    for field in required_fields(country, details.get("legal_form", "")):
        if field == "tax_id":
            filled = details.get("vat_id") or details.get("tax_number")
        else:
            filled = details.get(field)
        if filled in (None, ""):
            missing.append(FIELD_LABELS[field])
    if not missing:
        return []
    return [
        f"Fill in {', '.join(missing)} (Settings): invoices from {country} must name them "
        f"({RULES[country].law})."
    ]


def register_line(details: dict) -> str:
    """The register entry as the country prints it, or "" without one."""
    rules = RULES.get(details.get("country", ""))
    court, number = details.get("register_court", ""), details.get("register_number", "")
    if not number:
        return ""
    if rules is None:
        return f"{court}, {number}" if court else number
    if not court:
        return number
    return rules.register_line.format(register_court=court, register_number=number)


def registration_scheme(country: str) -> str:
    """The ISO 6523 scheme of a register number of that country as BT-30 / BT-47, or ""."""
    return REGISTRATION_SCHEMES.get(country, "")


def registration_id(country: str, number: str) -> str:
    """A register number as the e-invoice carries it: only its digits where a scheme
    defines them (SIREN 123456789, enterprise number 0403170701)."""
    if registration_scheme(country) and number:
        return re.sub(r"\D", "", number)
    return number


# Validation of the numbers, where their format is known


DE_REGISTER_NUMBER = re.compile(r"^(HRA|HRB|GnR|PR|VR|GsR) ?\d{1,6}( ?[A-Z]{1,2})?$")
NL_KVK_NUMBER = re.compile(r"^\d{8}$")


def clean_register_number(country: str, number: str) -> str:
    """The register number in its usual form; raises ValidationError if its country's
    format or check digits say it cannot be one."""
    number = " ".join(number.split())
    if not number:
        return ""
    try:
        if country == "FR":
            return siren.format(siren.validate(number))
        if country == "BE":
            digits = be_enterprise_number.validate(number)
            return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
        if country == "AT":
            return "FN " + at_register.validate(number)
    except stdnum_errors.ValidationError as error:
        names = {"FR": "SIREN", "BE": _("enterprise number"), "AT": _("Firmenbuch number")}
        raise ValidationError(
            _("This is not a valid {name}: {error}").format(name=names[country], error=error)
        ) from error
    if country == "DE" and not DE_REGISTER_NUMBER.match(number):
        raise ValidationError(
            _("Enter the register and its number as the register gives them, e.g. HRB 12345.")
        )
    if country == "NL" and not NL_KVK_NUMBER.match(number.replace(" ", "")):
        raise ValidationError(_("A KvK number has 8 digits."))
    return number.replace(" ", "") if country == "NL" else number


def clean_siret(number: str, siren_number: str) -> str:
    number = "".join(number.split())
    if not number:
        return ""
    try:
        number = siret.validate(number)
    except stdnum_errors.ValidationError as error:
        raise ValidationError(
            _("This is not a valid SIRET: {error}").format(error=error)
        ) from error
    if siren_number and number[:9] != siren.compact(siren_number):
        raise ValidationError(_("A SIRET begins with the SIREN of its business."))
    return siret.format(number)
