"""Parts of member states outside the EU VAT area (Art. 6 VAT Directive), by postcode."""

from decimal import Decimal

import pytest

from invoicing.taxes import decide_tax_treatment
from invoicing.vat_territories import territory_outside_vat_area

from ..factories import make_partner
from .test_taxes import OCTOBER


@pytest.mark.parametrize(
    "country, postcode, territory",
    [
        ("ES", "35001", "Canary Islands"),  # Las Palmas de Gran Canaria
        ("ES", "38001", "Canary Islands"),  # Santa Cruz de Tenerife
        ("ES", "51001", "Ceuta"),
        ("ES", "52001", "Melilla"),
        ("FI", "22100", "Åland Islands"),  # Mariehamn
        ("FI", "AX-22100", "Åland Islands"),  # as Åland writes it
        ("FR", "97400", "Réunion"),
        ("FR", "97110", "Guadeloupe"),  # Pointe-à-Pitre
        ("FR", "97150", "Saint-Martin"),
        ("FR", "97133", "Saint-Barthélemy"),
        ("FR", "98000", ""),  # Monaco's code: inside the French VAT area
        ("DE", "27498", "Heligoland"),
        ("DE", "D-78266", "Büsingen"),
        ("GR", "63086", "Mount Athos"),  # Karyes
        ("GR", "63087", "Mount Athos"),  # Dafni
        ("GR", "63075", ""),  # Ierissos, next to the peninsula
        ("IT", "23041", "Livigno"),
        ("IT", "22061", "Campione d'Italia"),
        ("IT", "23030", ""),  # Livigno's old code, still Valdisotto's and others'
        ("IT", "22060", ""),  # Campione's old code, still Cabiate's and others'
        ("DE", "27499", ""),  # Hamburg-Neuwerk, next to Heligoland
        ("ES", "28001", ""),  # Madrid
        ("DE", "10117", ""),
    ],
)
def test_a_territory_outside_the_vat_area_is_found_by_postcode(country, postcode, territory):
    assert territory_outside_vat_area(country, postcode) == territory


def test_a_buyer_in_the_canary_islands_pays_no_vat(entity):
    partner = make_partner(entity, country="ES", postcode="35001", city="Las Palmas")
    treatment = decide_tax_treatment(entity, partner, OCTOBER)
    assert (treatment.category, treatment.rate) == ("O", Decimal("0"))
    assert "Canary Islands, outside the EU VAT area" in treatment.note


def test_a_german_buyer_on_heligoland_pays_no_german_vat(entity):
    partner = make_partner(entity, postcode="27498", city="Helgoland")
    assert decide_tax_treatment(entity, partner, OCTOBER).category == "O"


# Countries in a member state's VAT area (Art. 7): Monaco is France for VAT, the Isle of
# Man the United Kingdom.

MONACO = {"country": "MC", "postcode": "98000", "city": "Monaco"}


def test_a_business_in_monaco_with_a_french_vat_id_gets_reverse_charge(entity):
    from partners.models import Partner

    partner = make_partner(entity, **MONACO, vat_id="FR40303265045", vies_status=Partner.VIES_VALID)
    assert decide_tax_treatment(entity, partner, OCTOBER).category == "AE"


def test_a_buyer_in_monaco_without_vat_id_pays_the_sellers_vat(entity):
    treatment = decide_tax_treatment(entity, make_partner(entity, **MONACO), OCTOBER)
    assert (treatment.category, treatment.rate) == ("S", Decimal("19.00"))


def test_a_french_seller_charges_a_monaco_business_french_vat(account):
    from partners.models import Partner

    from ..factories import make_entity

    french = make_entity(account, country="FR", vat_id="FR40303265045", postcode="75002")
    partner = make_partner(french, **MONACO, vat_id="FR83404833048", vies_status=Partner.VIES_VALID)
    treatment = decide_tax_treatment(french, partner, OCTOBER)
    assert (treatment.category, treatment.rate) == ("S", Decimal("20.00"))


def test_a_buyer_on_the_isle_of_man_is_outside_the_eu(entity):
    partner = make_partner(entity, country="IM", postcode="IM1 1AA", city="Douglas")
    assert decide_tax_treatment(entity, partner, OCTOBER).category == "O"


@pytest.mark.parametrize("vat_id, country", [("FR40303265045", "MC"), ("GB980780684", "IM")])
def test_monaco_and_the_isle_of_man_use_french_and_uk_vat_ids(vat_id, country):
    from entities.vat import vat_id_problem

    assert vat_id_problem(vat_id, country) is None
    assert vat_id_problem("DE136695976", country) is not None


def test_a_seller_in_the_canary_islands_charges_no_eu_vat(account):
    from ..factories import make_entity

    canarian = make_entity(
        account, country="ES", postcode="35001", city="Las Palmas", vat_id="ESB12345674"
    )
    partner = make_partner(canarian, country="ES", postcode="28001", city="Madrid")
    treatment = decide_tax_treatment(canarian, partner, OCTOBER)
    assert (treatment.category, treatment.rate) == ("O", Decimal("0"))
    assert "Canary Islands" in treatment.note


def test_a_supplier_in_the_canary_islands_is_paid_under_reverse_charge(account):
    from invoicing.taxes import decide_self_billing_treatment

    from ..factories import make_entity, make_supplier

    madrid = make_entity(account, country="ES", postcode="28001", city="Madrid",
                         vat_id="ESB12345674")  # fmt: skip
    supplier = make_supplier(madrid, country="ES", postcode="38001", city="Santa Cruz")
    assert decide_self_billing_treatment(madrid, supplier, OCTOBER).category == "AE"
