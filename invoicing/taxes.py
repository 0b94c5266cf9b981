"""How VAT applies to an invoice: the tax table of DESIGN.md, in one function.

| seller  | buyer                                             | treatment                      |
|---------|---------------------------------------------------|--------------------------------|
| EU      | same country                                      | seller's VAT (S)               |
| EU      | other EU country, company, VIES-valid VAT ID      | reverse charge, 0 % (AE)       |
| EU      | other EU country, no valid VAT ID, or individual  | seller's VAT (S)               |
| EU      | outside the EU                                    | not subject to EU VAT (O)      |
| non-EU  | any                                               | no VAT (O)                     |

Services to a business outside the EU are supplied where the buyer is established (Art. 44
VAT Directive), so they are outside the scope of EU VAT: category O with exemption code
VATEX-EU-O, which EN 16931 accepts (BR-O-*) and which needs no buyer VAT ID.

The rate follows the supply date (the end of the billing period), not the issue date, and
comes from the dated table in `vat_rates`.
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from entities.models import Entity
from entities.vat import vat_id_problem
from partners.models import Partner

from .vat_rates import reduced_rates, standard_rate
from .vat_territories import territory_outside_vat_area

STANDARD = "S"  # UNCL 5305: standard rate
REVERSE_CHARGE = "AE"  # UNCL 5305: VAT reverse charge
NOT_SUBJECT = "O"  # UNCL 5305: services outside the scope of tax

REVERSE_CHARGE_NOTE = "Reverse charge, VAT to be accounted for by the recipient."
REVERSE_CHARGE_CODE = "VATEX-EU-AE"
NOT_SUBJECT_CODE = "VATEX-EU-O"
OUTSIDE_EU_NOTE = "VAT does not apply: the recipient is established outside the EU."
OUTSIDE_VAT_AREA_NOTE = (
    "VAT does not apply: the recipient is established in {territory}, outside the EU VAT "
    "area (Art. 6 VAT Directive)."
)
NON_EU_SELLER_NOTE = "No VAT is charged: the seller is established outside the EU."
# Art. 44 and 196 VAT Directive: a business in the EU buying services from outside it
# accounts for the VAT itself; the invoice must not suggest that none is due.
NON_EU_SELLER_TO_EU_BUSINESS_NOTE = (
    "No VAT is charged: the seller is established outside the EU. The recipient, a business "
    "in the EU, accounts for the VAT itself (Art. 196 VAT Directive)."
)

ZERO = Decimal("0")


@dataclass(frozen=True)
class TaxTreatment:
    category: str
    rate: Decimal
    note: str = ""  # printed on the invoice
    exemption_reason: str = ""  # BT-120
    exemption_code: str = ""  # BT-121
    blocker: str = ""  # why an invoice cannot be finalized with this treatment yet
    reason: str = ""  # why this treatment, for the operator (not printed)

    @property
    def charges_vat(self) -> bool:
        return self.category == STANDARD

    @property
    def label(self) -> str:
        if self.category == STANDARD:
            return f"VAT {self.rate.normalize():f} %"
        if self.category == REVERSE_CHARGE:
            return "Reverse charge"
        return "No VAT"


def domestic_rate(entity: Entity, supply_date: date) -> Decimal:
    """The Entity's VAT rate on the supply date: its country's standard rate, or the highest
    reduced rate if the Entity is configured to charge the reduced rate."""
    if entity.vat_rate_kind == Entity.REDUCED_RATE:
        reduced = reduced_rates(entity.country, supply_date)
        if reduced:
            return reduced[0]
    return standard_rate(entity.country, supply_date)


def decide_tax_treatment(entity: Entity, partner: Partner, supply_date: date) -> TaxTreatment:
    if not entity.is_in_eu:
        eu_business = partner.is_in_eu and partner.kind == Partner.COMPANY
        return TaxTreatment(
            NOT_SUBJECT,
            ZERO,
            note=NON_EU_SELLER_TO_EU_BUSINESS_NOTE if eu_business else NON_EU_SELLER_NOTE,
            exemption_reason="Not subject to VAT",
            exemption_code=NOT_SUBJECT_CODE,
        )
    if not partner.is_in_eu:
        return TaxTreatment(
            NOT_SUBJECT,
            ZERO,
            note=OUTSIDE_EU_NOTE,
            exemption_reason="Not subject to VAT",
            exemption_code=NOT_SUBJECT_CODE,
        )
    if territory := territory_outside_vat_area(partner.country, partner.postcode):
        return TaxTreatment(
            NOT_SUBJECT,
            ZERO,
            note=OUTSIDE_VAT_AREA_NOTE.format(territory=territory),
            exemption_reason="Not subject to VAT",
            exemption_code=NOT_SUBJECT_CODE,
        )
    rate = domestic_rate(entity, supply_date)
    reduced = rate != standard_rate(entity.country, supply_date)
    domestic = TaxTreatment(
        STANDARD,
        rate,
        note=f"Reduced VAT rate: {entity.reduced_rate_basis}"
        if reduced and entity.reduced_rate_basis
        else "",
    )
    if partner.country == entity.country or partner.kind == Partner.INDIVIDUAL:
        return domestic
    if not partner.vat_id or vat_id_problem(partner.vat_id, partner.country):
        return domestic
    if partner.vies_status == Partner.VIES_VALID:
        return TaxTreatment(
            REVERSE_CHARGE,
            ZERO,
            note=REVERSE_CHARGE_NOTE,
            exemption_reason="Reverse charge",
            exemption_code=REVERSE_CHARGE_CODE,
        )
    if partner.vies_status == Partner.VIES_INVALID:
        # No valid VAT ID, no reverse charge (Art. 196 and 214): the Entity charges its own
        # VAT, and the invoice is not held. The VAT ID stays on the partner, to be corrected.
        checked = f" on {partner.vies_checked_at:%Y-%m-%d}" if partner.vies_checked_at else ""
        return replace(domestic, reason=f"VIES rejected {partner.vat_id}{checked}: VAT charged.")
    # A VAT ID that VIES has not confirmed yet: reverse charge may well apply, so hold the
    # invoice rather than charge VAT that the partner does not owe.
    if partner.vies_last_error:
        why = (
            f"VIES was unavailable to check the partner's VAT ID {partner.vat_id} "
            f"({partner.vies_last_error}); the check is repeated by itself."
        )
    else:
        why = f"The partner's VAT ID {partner.vat_id} has no successful VIES check on record."
    return replace(
        domestic,
        blocker=why + " Reverse charge applies once VIES confirms it; remove the VAT ID to "
        "charge VAT instead.",
    )


# Self-billing: the Entity issues the invoice on behalf of its lead supplier, who is the
# seller. The supplier's details decide which of three invoices it gets:
#
# | supplier                                              | type | treatment                   |
# |-------------------------------------------------------|------|-----------------------------|
# | individual, company outside the EU, EU company        | A    | no VAT, none mentioned (O)  |
# | without VAT ID, or an Entity outside the EU            |      |                             |
# | EU company, VIES-valid VAT ID, other member state      | B    | reverse charge, 0 % (AE)    |
# | EU company, VIES-valid VAT ID, the Entity's country    | C    | the country's VAT (S)       |

SIMPLE_INVOICE = "A"
REVERSE_CHARGE_INVOICE = "B"
FULL_VAT_INVOICE = "C"
SELF_BILLING_REVERSE_CHARGE_NOTE = "Reverse charge applicable"


def self_billing_type(entity: Entity, supplier: Partner) -> str:
    if (
        not entity.is_in_eu
        or supplier.kind == Partner.INDIVIDUAL
        or not supplier.is_in_eu
        or not supplier.vat_id
    ):
        return SIMPLE_INVOICE
    if supplier.country == entity.country:
        return FULL_VAT_INVOICE
    return REVERSE_CHARGE_INVOICE


def decide_self_billing_treatment(
    entity: Entity, supplier: Partner, supply_date: date
) -> TaxTreatment:
    """The tax of a self-billed invoice: type A, B or C of the table above. A VAT ID that VIES
    has not confirmed holds the invoice (a blocker) instead of guessing between the types."""
    kind = self_billing_type(entity, supplier)
    if kind == SIMPLE_INVOICE:
        # Nothing about VAT is printed; the e-invoice still needs a category and a reason.
        return TaxTreatment(
            NOT_SUBJECT,
            ZERO,
            exemption_reason="Not subject to VAT",
            exemption_code=NOT_SUBJECT_CODE,
        )
    if kind == FULL_VAT_INVOICE:
        treatment = TaxTreatment(STANDARD, standard_rate(supplier.country, supply_date))
    else:
        treatment = TaxTreatment(
            REVERSE_CHARGE,
            ZERO,
            note=SELF_BILLING_REVERSE_CHARGE_NOTE,
            exemption_reason="Reverse charge",
            exemption_code=REVERSE_CHARGE_CODE,
        )
    # A malformed or VIES-rejected VAT ID is a problem of the supplier's details
    # (partners.checks), which finalize reports already; only a missing answer is left here.
    blocker = ""
    unchecked = supplier.vies_status == Partner.VIES_UNCHECKED
    if unchecked and not vat_id_problem(supplier.vat_id, supplier.country):
        blocker = (
            f"The supplier's VAT ID {supplier.vat_id} has no successful VIES check on record "
            "yet; the invoice type depends on it."
        )
    if blocker:
        return TaxTreatment(treatment.category, treatment.rate, blocker=blocker)
    return treatment
