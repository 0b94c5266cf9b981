"""One test per row of the tax table in DESIGN.md, and the dated rate changes."""

from datetime import UTC, date
from decimal import Decimal

import pytest

from entities.models import Entity
from invoicing.taxes import decide_tax_treatment
from partners.models import Partner

from ..factories import make_entity, make_partner

OCTOBER = date(2026, 10, 31)


@pytest.fixture
def german(entity):
    return entity  # Acme Leads GmbH, Berlin, DE136695976


def vies_valid(**fields) -> dict:
    return {"vies_status": Partner.VIES_VALID, "vies_request_identifier": "WAPI1", **fields}


def test_a_buyer_in_the_same_country_pays_the_sellers_standard_rate(german):
    treatment = decide_tax_treatment(german, make_partner(german, country="DE"), OCTOBER)
    assert (treatment.category, treatment.rate) == ("S", Decimal("19"))


def test_a_seller_configured_for_the_reduced_rate_charges_it(german):
    german.vat_rate_kind = Entity.REDUCED_RATE
    treatment = decide_tax_treatment(german, make_partner(german, country="DE"), OCTOBER)
    assert (treatment.category, treatment.rate) == ("S", Decimal("7"))


def test_an_eu_company_with_a_vies_valid_vat_id_gets_reverse_charge(german):
    partner = make_partner(german, country="AT", vat_id="ATU13585627", **vies_valid())
    treatment = decide_tax_treatment(german, partner, OCTOBER)
    assert (treatment.category, treatment.rate) == ("AE", Decimal("0"))
    assert treatment.exemption_code == "VATEX-EU-AE"
    assert treatment.note == "Reverse charge, VAT to be accounted for by the recipient."


def test_a_greek_company_with_an_el_vat_id_gets_reverse_charge(german):
    partner = make_partner(german, country="GR", vat_id="EL094259216", **vies_valid())
    assert decide_tax_treatment(german, partner, OCTOBER).category == "AE"


def test_an_eu_company_without_a_vat_id_pays_the_sellers_vat(german):
    partner = make_partner(german, country="FR", vat_id="")
    treatment = decide_tax_treatment(german, partner, OCTOBER)
    assert (treatment.category, treatment.rate) == ("S", Decimal("19"))


def test_an_eu_individual_pays_the_sellers_vat(german):
    partner = make_partner(
        german, country="FR", kind=Partner.INDIVIDUAL, vat_id="FR40303265045", **vies_valid()
    )
    assert decide_tax_treatment(german, partner, OCTOBER).category == "S"


def test_a_vat_id_that_vies_rejected_pays_the_sellers_vat(german):
    partner = make_partner(
        german, country="FR", vat_id="FR40303265045", vies_status=Partner.VIES_INVALID
    )
    treatment = decide_tax_treatment(german, partner, OCTOBER)
    assert (treatment.category, treatment.blocker) == ("S", "")


def test_a_rejected_vat_id_says_why_vat_is_charged(german):
    from datetime import datetime

    partner = make_partner(
        german, country="AT", vat_id="ATU13585627", vies_status=Partner.VIES_INVALID,
        vies_checked_at=datetime(2026, 11, 3, 9, tzinfo=UTC),
    )  # fmt: skip
    reason = decide_tax_treatment(german, partner, OCTOBER).reason
    assert reason == "VIES rejected ATU13585627 on 2026-11-03: VAT charged."


def test_a_buyer_whose_vat_id_vies_rejected_can_be_invoiced(german):
    from invoicing.billing import finalize_invoice

    from ..factories import make_draft

    partner = make_partner(
        german, country="AT", vat_id="ATU13585627", vies_status=Partner.VIES_INVALID
    )
    invoice = finalize_invoice(make_draft(german, partner))
    assert (invoice.tax_category, invoice.tax_rate) == ("S", Decimal("19.00"))
    assert invoice.buyer["vat_id"] == "ATU13585627"  # kept, to be corrected


def test_the_draft_page_says_vat_is_charged_because_vies_rejected_the_id(owner_client, german):
    from django.urls import reverse

    from ..factories import make_draft

    partner = make_partner(
        german, country="AT", vat_id="ATU13585627", vies_status=Partner.VIES_INVALID
    )
    draft = make_draft(german, partner)
    page = owner_client.get(reverse("invoicing:detail", args=[draft.pk])).content.decode()
    assert "VIES rejected ATU13585627: VAT charged." in page


def test_a_vies_outage_hold_says_vies_was_unavailable(german):
    partner = make_partner(
        german, country="NL", vat_id="NL004495445B01",
        vies_last_error="VIES timed out (2026-11-03 09:00 UTC)",
    )  # fmt: skip
    blocker = decide_tax_treatment(german, partner, OCTOBER).blocker
    assert blocker.startswith("VIES was unavailable to check the partner's VAT ID NL004495445B01")


def test_a_syntactically_invalid_vat_id_pays_the_sellers_vat(german):
    partner = make_partner(german, country="FR", vat_id="FR00000000000", **vies_valid())
    assert decide_tax_treatment(german, partner, OCTOBER).category == "S"


def test_a_vat_id_without_a_vies_check_holds_the_invoice(german):
    partner = make_partner(german, country="NL", vat_id="NL004495445B01")
    treatment = decide_tax_treatment(german, partner, OCTOBER)
    assert "no successful VIES check" in treatment.blocker


def test_a_buyer_outside_the_eu_pays_no_vat(german):
    treatment = decide_tax_treatment(german, make_partner(german, country="US"), OCTOBER)
    assert (treatment.category, treatment.rate) == ("O", Decimal("0"))
    assert treatment.exemption_code == "VATEX-EU-O"
    assert "VAT does not apply" in treatment.note


def test_a_uk_buyer_is_outside_the_eu(german):
    partner = make_partner(german, country="GB", vat_id="GB980780684")
    assert decide_tax_treatment(german, partner, OCTOBER).category == "O"


def test_a_seller_outside_the_eu_charges_no_vat(account):
    us = make_entity(account, name="Acme US", country="US", vat_id="", time_zone="America/New_York")
    treatment = decide_tax_treatment(us, make_partner(us, country="DE"), OCTOBER)
    assert (treatment.category, treatment.rate) == ("O", Decimal("0"))


def test_a_seller_outside_the_eu_tells_an_eu_business_it_accounts_for_the_vat(account):
    us = make_entity(account, name="Acme US", country="US", vat_id="", time_zone="America/New_York")
    note = decide_tax_treatment(us, make_partner(us, country="DE"), OCTOBER).note
    assert "accounts for the VAT itself (Art. 196 VAT Directive)" in note


def test_a_seller_outside_the_eu_tells_an_individual_only_that_no_vat_is_charged(account):
    us = make_entity(account, name="Acme US", country="US", vat_id="", time_zone="America/New_York")
    partner = make_partner(us, country="DE", kind=Partner.INDIVIDUAL)
    note = decide_tax_treatment(us, partner, OCTOBER).note
    assert note == "No VAT is charged: the seller is established outside the EU."


def test_an_invoice_outside_vat_prints_no_vat_id_the_e_invoice_leaves_out(entity):
    from ..factories import make_final
    from .test_invoice_template import pdf_text

    partner = make_partner(entity, country="CH", vat_id="CHE-116.281.710 MWST")
    text = pdf_text(make_final(entity, partner))
    assert "Our tax number" in text and "Our VAT ID" not in text
    assert entity.vat_id not in text and "CHE-116.281.710" not in text


@pytest.mark.parametrize(
    "country, day_before, rate_before, day_of, rate_after",
    [
        ("FI", date(2024, 8, 31), "24", date(2024, 9, 1), "25.5"),
        ("EE", date(2025, 6, 30), "22", date(2025, 7, 1), "24"),
        ("SK", date(2024, 12, 31), "20", date(2025, 1, 1), "23"),
        ("RO", date(2025, 7, 31), "19", date(2025, 8, 1), "21"),
    ],
)
def test_the_rate_follows_the_supply_date_across_a_rate_change(
    account, country, day_before, rate_before, day_of, rate_after
):
    seller = make_entity(account, name=country, country=country, vat_id="")
    buyer = make_partner(seller, country=country)
    assert decide_tax_treatment(seller, buyer, day_before).rate == Decimal(rate_before)
    assert decide_tax_treatment(seller, buyer, day_of).rate == Decimal(rate_after)


def test_the_reduced_rate_prints_its_legal_basis(german):
    german.vat_rate_kind = Entity.REDUCED_RATE
    german.reduced_rate_basis = "§ 12 Abs. 2 Nr. 7 UStG"
    treatment = decide_tax_treatment(german, make_partner(german, country="DE"), OCTOBER)
    assert treatment.note == "Reduced VAT rate: § 12 Abs. 2 Nr. 7 UStG"


def test_the_reduced_rate_cannot_be_chosen_without_its_legal_basis(owner_client, german):
    from django.urls import reverse

    from ..entities.test_settings_page import settings_form

    data = {**settings_form(german), "vat_rate_kind": "reduced", "reduced_rate_basis": ""}
    response = owner_client.post(reverse("entities:settings"), data)
    assert response.status_code == 400
    assert "reduced_rate_basis" in response.context["form"].errors
