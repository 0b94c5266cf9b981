"""How VAT applies to an invoice: the tax table of DESIGN.md, in one function.

| seller  | buyer                                             | treatment                      |
|---------|---------------------------------------------------|--------------------------------|
| EU      | same country                                      | seller's VAT (S)               |
| EU      | other EU country, company, VIES-valid VAT ID      | reverse charge, 0 % (AE)       |
| EU      | other EU country, no valid VAT ID, or individual  | seller's VAT (S); the buyer's  |
|         |                                                   | country's for electronically   |
|         |                                                   | supplied leads (oss.py)        |
| EU      | outside the EU                                    | not subject to EU VAT (O)      |
| non-EU  | any                                               | no VAT (O)                     |

Services to a business outside the EU are supplied where the buyer is established (Art. 44
VAT Directive), so they are outside the scope of EU VAT: category O with exemption code
VATEX-EU-O, which EN 16931 accepts (BR-O-*) and which needs no buyer VAT ID.

Monaco counts as France and the Isle of Man as the United Kingdom (Art. 7; entities.models
VAT_AREAS).

The rate follows the supply date (the end of the billing period), not the issue date, and
comes from the dated table in `vat_rates`.
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from entities.languages import format_date, format_number
from entities.models import Entity, vat_country
from entities.vat import vat_id_problem
from partners.models import Partner

from .oss import consumers_country_applies
from .small_business import small_business_note
from .vat_rates import reduced_rates, standard_rate
from .vat_territories import territory_outside_vat_area

STANDARD = "S"  # UNCL 5305: standard rate
REVERSE_CHARGE = "AE"  # UNCL 5305: VAT reverse charge
NOT_SUBJECT = "O"  # UNCL 5305: services outside the scope of tax
EXEMPT = "E"  # UNCL 5305: exempt from tax

REVERSE_CHARGE_NOTE = gettext_noop("Reverse charge, VAT to be accounted for by the recipient.")
REVERSE_CHARGE_CODE = "VATEX-EU-AE"
NOT_SUBJECT_CODE = "VATEX-EU-O"
OUTSIDE_EU_NOTE = gettext_noop("VAT does not apply: the recipient is established outside the EU.")
OUTSIDE_VAT_AREA_NOTE = gettext_noop(
    "VAT does not apply: the recipient is established in {territory}, outside the EU VAT "
    "area (Art. 6 VAT Directive)."
)
OUTSIDE_VAT_AREA_SELLER_NOTE = gettext_noop(
    "No EU VAT is charged: the seller is established in {territory}, outside the EU VAT area "
    "(Art. 6 VAT Directive)."
)
NON_EU_SELLER_NOTE = gettext_noop("No VAT is charged: the seller is established outside the EU.")
# Art. 44 and 196 VAT Directive: a business in the EU buying services from outside it
# accounts for the VAT itself; the invoice must not suggest that none is due.
NON_EU_SELLER_TO_EU_BUSINESS_NOTE = gettext_noop(
    "No VAT is charged: the seller is established outside the EU. The recipient, a business "
    "in the EU, accounts for the VAT itself (Art. 196 VAT Directive)."
)

ZERO = Decimal("0")
OSS_NOTE = gettext_noop(
    "Electronically supplied service: VAT of the customer's country ({country}), declared "
    "through the One-Stop Shop (Art. 58 VAT Directive)."
)


@dataclass(frozen=True)
class TaxTreatment:
    category: str
    rate: Decimal
    note: str = ""  # printed on the invoice
    exemption_reason: str = ""  # BT-120
    exemption_code: str = ""  # BT-121
    country: str = ""  # whose VAT is charged (S): the OSS return's member state
    blocker: str = ""  # why an invoice cannot be finalized with this treatment yet
    reason: str = ""  # why this treatment, for the operator (not printed)

    @property
    def charges_vat(self) -> bool:
        return self.category == STANDARD

    @property
    def label(self) -> str:
        if self.category == STANDARD:
            return _("VAT {rate} %").format(rate=format_number(self.rate, 0, 2))
        if self.category == REVERSE_CHARGE:
            return pgettext("tax treatment", "Reverse charge")
        if self.category == EXEMPT:
            return _("VAT exempt")
        return _("No VAT")


def domestic_rate(entity: Entity, supply_date: date) -> Decimal:
    """The Entity's VAT rate on the supply date: its country's standard rate, or the highest
    reduced rate if the Entity is configured to charge the reduced rate."""
    country = vat_country(entity.country)
    if entity.vat_rate_kind == Entity.REDUCED_RATE:
        reduced = reduced_rates(country, supply_date)
        if reduced:
            return reduced[0]
    return standard_rate(country, supply_date)


def decide_tax_treatment(
    entity: Entity, partner: Partner, supply_date: date, net: Decimal = ZERO
) -> TaxTreatment:
    """The table above; `net` is the supply's net amount, for the OSS threshold."""
    if seller_territory := territory_outside_vat_area(entity.country, entity.postcode):
        # Established where EU VAT does not apply (Art. 6): as a seller outside the EU.
        return TaxTreatment(
            NOT_SUBJECT,
            ZERO,
            note=_(OUTSIDE_VAT_AREA_SELLER_NOTE).format(territory=seller_territory),
            exemption_reason=_("Not subject to VAT"),
            exemption_code=NOT_SUBJECT_CODE,
        )
    if not entity.is_in_eu:
        eu_business = partner.is_in_eu and partner.kind == Partner.COMPANY
        return TaxTreatment(
            NOT_SUBJECT,
            ZERO,
            note=_(NON_EU_SELLER_TO_EU_BUSINESS_NOTE if eu_business else NON_EU_SELLER_NOTE),
            exemption_reason=_("Not subject to VAT"),
            exemption_code=NOT_SUBJECT_CODE,
        )
    if not partner.is_in_eu:
        return TaxTreatment(
            NOT_SUBJECT,
            ZERO,
            note=_(OUTSIDE_EU_NOTE),
            exemption_reason=_("Not subject to VAT"),
            exemption_code=NOT_SUBJECT_CODE,
        )
    if territory := territory_outside_vat_area(partner.country, partner.postcode):
        return TaxTreatment(
            NOT_SUBJECT,
            ZERO,
            note=_(OUTSIDE_VAT_AREA_NOTE).format(territory=territory),
            exemption_reason=_("Not subject to VAT"),
            exemption_code=NOT_SUBJECT_CODE,
        )
    rate = domestic_rate(entity, supply_date)
    reduced = rate != standard_rate(vat_country(entity.country), supply_date)
    domestic = TaxTreatment(
        STANDARD,
        rate,
        note=_("Reduced VAT rate: %(basis)s") % {"basis": entity.reduced_rate_basis}
        if reduced and entity.reduced_rate_basis
        else "",
        country=vat_country(entity.country),
    )
    buyer_country = vat_country(partner.country)
    if buyer_country == vat_country(entity.country):
        return domestic
    # Without a valid VAT ID a buyer counts as a consumer (Art. 18(2) Regulation 282/2011).
    no_valid_vat_id = (
        not partner.vat_id
        or bool(vat_id_problem(partner.vat_id, partner.country))
        or partner.vies_status == Partner.VIES_INVALID
    )
    consumer = partner.kind == Partner.INDIVIDUAL or no_valid_vat_id
    if consumer and consumers_country_applies(entity, supply_date, net):
        # Electronically supplied services to consumers: their country's VAT (Art. 58, 59c).
        return TaxTreatment(
            STANDARD,
            standard_rate(buyer_country, supply_date),
            note=_(OSS_NOTE).format(country=buyer_country),
            country=buyer_country,
        )
    if partner.kind == Partner.INDIVIDUAL or not partner.vat_id:
        return domestic
    if vat_id_problem(partner.vat_id, partner.country):
        return domestic
    if partner.vies_status == Partner.VIES_VALID:
        return TaxTreatment(
            REVERSE_CHARGE,
            ZERO,
            note=_(REVERSE_CHARGE_NOTE),
            exemption_reason=_("Reverse charge"),
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
# seller. The supplier's VAT status, recorded on it, decides the invoice (not whether a VAT
# ID was typed); FirstPromoter's types A, B and C name the three it knows.
#
# | supplier                                                 | type | treatment            |
# |----------------------------------------------------------|------|----------------------|
# | VAT-registered business in the Entity's country          | C    | its VAT (S)          |
# | (VAT ID, or only a national tax number)                  |      |                      |
# | small business in the Entity's country                   |      | exempt (E), its note |
# | business in another member state or outside the EU       | B    | reverse charge (AE)  |
# | private individual, declaration on record                | A    | no VAT (O)           |
# | any, when the Entity is established outside the EU       | A    | no VAT (O)           |
#
# A service to a business is supplied where the business is established (Art. 44), and a
# supplier established elsewhere leaves the VAT to the recipient (Art. 196): the Entity
# owes it, so a foreign small business's home exemption does not reach these supplies
# either. A small business at home shows no VAT and names its exemption (Art. 284 ff.,
# § 19 UStG; VAT shown is VAT owed, § 14c UStG). A private individual supplying leads
# now and then is not a taxable person (Art. 9): no VAT, on its declaration.

SIMPLE_INVOICE = "A"
REVERSE_CHARGE_INVOICE = "B"
FULL_VAT_INVOICE = "C"
SMALL_BUSINESS_INVOICE = "small business"
SELF_BILLING_REVERSE_CHARGE_NOTE = gettext_noop("Reverse charge applicable")
PRIVATE_SUPPLIER_NOTE = gettext_noop(
    "The supplier, a private individual, declared on {date} that it does not supply these "
    "leads as a business."
)


def self_billing_type(entity: Entity, supplier: Partner) -> str:
    entity_outside = not entity.is_in_eu or territory_outside_vat_area(
        entity.country, entity.postcode
    )
    if entity_outside or supplier.vat_status == Partner.PRIVATE_PERSON:
        return SIMPLE_INVOICE
    # A supplier in the Canary Islands or on Åland is established outside the VAT area.
    supplier_outside = territory_outside_vat_area(supplier.country, supplier.postcode)
    if supplier_outside or vat_country(supplier.country) != vat_country(entity.country):
        return REVERSE_CHARGE_INVOICE
    if supplier.vat_status == Partner.SMALL_BUSINESS:
        return SMALL_BUSINESS_INVOICE
    return FULL_VAT_INVOICE


def decide_self_billing_treatment(
    entity: Entity, supplier: Partner, supply_date: date
) -> TaxTreatment:
    """The tax of a self-billed invoice, by the table above. What the supplier's details
    lack for it (a tax number, the declaration) is reported by partners.checks."""
    kind = self_billing_type(entity, supplier)
    if kind == SIMPLE_INVOICE:
        declared = supplier.not_a_business_declared_on
        private = entity.is_in_eu and declared
        return TaxTreatment(
            NOT_SUBJECT,
            ZERO,
            note=_(PRIVATE_SUPPLIER_NOTE).format(date=format_date(declared)) if private else "",
            exemption_reason=_("Not subject to VAT"),
            exemption_code=NOT_SUBJECT_CODE,
        )
    if kind == SMALL_BUSINESS_INVOICE:
        note = small_business_note(vat_country(supplier.country))
        return TaxTreatment(EXEMPT, ZERO, note=note, exemption_reason=note)
    if kind == FULL_VAT_INVOICE:
        country = vat_country(supplier.country)
        return TaxTreatment(STANDARD, standard_rate(country, supply_date), country=country)
    return TaxTreatment(
        REVERSE_CHARGE,
        ZERO,
        note=_(SELF_BILLING_REVERSE_CHARGE_NOTE),
        exemption_reason=_("Reverse charge"),
        exemption_code=REVERSE_CHARGE_CODE,
    )
