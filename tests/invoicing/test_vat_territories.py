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
        ("DE", "27498", "Heligoland"),
        ("DE", "D-78266", "Büsingen"),
        ("GR", "63086", "Mount Athos"),
        ("IT", "23041", "Livigno"),
        ("IT", "22061", "Campione d'Italia"),
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
