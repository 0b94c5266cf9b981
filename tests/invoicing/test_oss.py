"""Leads as electronically supplied services to consumers in other member states: their
country's VAT above EUR 10,000 a year (Art. 58, 59c VAT Directive), and the quarterly
One-Stop Shop return."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from entities.models import Entity
from invoicing.billing import finalize_invoice, generate_drafts
from invoicing.corrections import void_invoice
from invoicing.models import ExchangeRate, Invoice
from invoicing.oss import ReturnError, oss_return
from invoicing.taxes import decide_tax_treatment
from partners.models import Partner

from ..factories import deliver, make_assignment, make_partner, make_profile
from .test_taxes import OCTOBER

PARIS = {"country": "FR", "postcode": "75002", "city": "Paris"}


def consumer(entity, **fields):
    return make_partner(
        entity, kind=Partner.INDIVIDUAL, legal_name="Camille Martin", **{**PARIS, **fields}
    )


def electronic(entity, rule=Entity.ABOVE_THRESHOLD):
    entity.b2c_place_of_supply = rule
    entity.save()
    return entity


def sale(entity, partner, net: str, month: date, currency="EUR") -> Invoice:
    """A finalized invoice of one lead at `net` delivered in `month`."""
    import calendar

    profile = make_profile(entity, net, currency=currency)
    at = datetime(month.year, month.month, 10, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    deliver(make_assignment(profile, partner), 1, at)
    last = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
    generate_drafts(entity, month, last)
    return finalize_invoice(Invoice.objects.get(partner=partner, status=Invoice.DRAFT))


# The place of supply


def test_off_by_default_a_consumer_abroad_pays_the_sellers_vat(entity):
    treatment = decide_tax_treatment(entity, consumer(entity), OCTOBER)
    assert (treatment.rate, treatment.country) == (Decimal("19.00"), "DE")


def test_opted_in_a_consumer_abroad_pays_its_countrys_vat(entity):
    treatment = decide_tax_treatment(
        electronic(entity, Entity.CONSUMER_COUNTRY), consumer(entity), OCTOBER
    )
    assert (treatment.category, treatment.rate, treatment.country) == ("S", Decimal("20.00"), "FR")
    assert "One-Stop Shop" in treatment.note


def test_a_company_without_vat_id_counts_as_a_consumer(entity):
    partner = make_partner(entity, **PARIS)
    treatment = decide_tax_treatment(electronic(entity, Entity.CONSUMER_COUNTRY), partner, OCTOBER)
    assert treatment.country == "FR"


def test_a_business_with_a_valid_vat_id_still_gets_reverse_charge(entity):
    partner = make_partner(entity, **PARIS, vat_id="FR40303265045", vies_status=Partner.VIES_VALID)
    treatment = decide_tax_treatment(electronic(entity, Entity.CONSUMER_COUNTRY), partner, OCTOBER)
    assert treatment.category == "AE"


def test_below_the_threshold_the_sellers_vat_applies(entity):
    electronic(entity)
    sale(entity, consumer(entity), "4000.00", date(2026, 9, 1))
    treatment = decide_tax_treatment(entity, consumer(entity), OCTOBER, Decimal("1000"))
    assert treatment.country == "DE"


def test_the_supply_that_crosses_the_threshold_is_taxed_in_the_consumers_country(entity):
    electronic(entity)
    sale(entity, consumer(entity), "9500.00", date(2026, 9, 1))
    treatment = decide_tax_treatment(entity, consumer(entity), OCTOBER, Decimal("600"))
    assert treatment.country == "FR"


def test_last_years_turnover_above_the_threshold_counts(entity):
    electronic(entity)
    sale(entity, consumer(entity), "10500.00", date(2025, 3, 1))
    assert decide_tax_treatment(entity, consumer(entity), OCTOBER).country == "FR"


def test_invoices_in_other_currencies_count_at_their_euro_rate(entity):
    electronic(entity)
    ExchangeRate.objects.create(currency="USD", day=date(2025, 3, 31), per_euro=Decimal("1.25"))
    # 13,000 USD at 0.8 EUR: 10,400 EUR, above the threshold
    sale(entity, consumer(entity, currency="USD"), "13000.00", date(2025, 3, 1), currency="USD")
    assert decide_tax_treatment(entity, consumer(entity), OCTOBER).country == "FR"


def test_credit_notes_lower_the_turnover(entity):
    electronic(entity)
    invoice = sale(entity, consumer(entity), "10500.00", date(2025, 3, 1))
    void_invoice(invoice, "Wrong customer")
    assert decide_tax_treatment(entity, consumer(entity), OCTOBER).country == "DE"


def test_an_invoice_to_a_consumer_abroad_charges_that_rate(entity):
    electronic(entity, Entity.CONSUMER_COUNTRY)
    invoice = sale(entity, consumer(entity), "100.00", date(2026, 10, 1))
    assert (invoice.tax_rate, invoice.tax_amount, invoice.tax_country) == (
        Decimal("20.00"),
        Decimal("20.00"),
        "FR",
    )


# The return


def test_the_return_lists_each_member_state_and_rate(entity):
    electronic(entity, Entity.CONSUMER_COUNTRY)
    sale(entity, consumer(entity), "100.00", date(2026, 10, 1))
    sale(entity, consumer(entity), "50.00", date(2026, 11, 1))
    vienna = {"country": "AT", "postcode": "1010", "city": "Wien"}
    sale(entity, consumer(entity, **vienna), "10.00", date(2026, 11, 1))
    sale(entity, make_partner(entity), "999.00", date(2026, 11, 1))  # domestic: not in it
    rows = oss_return(entity, 2026, 4)
    assert [(r.country, r.rate, r.taxable_amount, r.vat) for r in rows] == [
        ("AT", Decimal("20.00"), Decimal("10.00"), Decimal("2.00")),
        ("FR", Decimal("20.00"), Decimal("150.00"), Decimal("30.00")),
    ]


def test_a_credit_note_goes_into_the_quarter_it_is_issued_in(entity):
    electronic(entity, Entity.CONSUMER_COUNTRY)
    void_invoice(sale(entity, consumer(entity), "100.00", date(2026, 9, 1)), "Cancelled")
    [supplied] = oss_return(entity, 2026, 3)
    [corrected] = oss_return(entity, 2026, 4)  # voided on 2026-12-02
    assert (supplied.taxable_amount, corrected.taxable_amount) == (
        Decimal("100.00"),
        Decimal("-100.00"),
    )


def test_a_company_whose_vat_id_vies_rejects_counts_as_a_consumer(entity):
    partner = make_partner(
        entity, **PARIS, vat_id="FR40303265045", vies_status=Partner.VIES_INVALID
    )
    treatment = decide_tax_treatment(electronic(entity, Entity.CONSUMER_COUNTRY), partner, OCTOBER)
    assert treatment.country == "FR"


def test_a_credit_note_counts_against_the_return(entity):
    electronic(entity, Entity.CONSUMER_COUNTRY)
    void_invoice(sale(entity, consumer(entity), "100.00", date(2026, 10, 1)), "Cancelled")
    [row] = oss_return(entity, 2026, 4)
    assert (row.taxable_amount, row.vat) == (Decimal("0.00"), Decimal("0.00"))


def test_other_currencies_are_converted_at_the_ecb_rate_of_the_quarters_end(entity):
    electronic(entity, Entity.CONSUMER_COUNTRY)
    ExchangeRate.objects.create(currency="USD", day=date(2026, 10, 30), per_euro=Decimal("1.16"))
    ExchangeRate.objects.create(currency="USD", day=date(2026, 12, 31), per_euro=Decimal("1.25"))
    sale(entity, consumer(entity, currency="USD"), "125.00", date(2026, 10, 1), currency="USD")
    [row] = oss_return(entity, 2026, 4)
    assert (row.taxable_amount, row.vat) == (Decimal("100.00"), Decimal("20.00"))


def test_without_the_quarters_rate_the_return_waits(entity):
    electronic(entity, Entity.CONSUMER_COUNTRY)
    ExchangeRate.objects.create(currency="USD", day=date(2026, 10, 30), per_euro=Decimal("1.16"))
    sale(entity, consumer(entity, currency="USD"), "125.00", date(2026, 10, 1), currency="USD")
    with pytest.raises(ReturnError, match="2026-12-31"):
        oss_return(entity, 2026, 4)


def test_the_return_page_offers_the_csv(owner_client, entity):
    electronic(entity, Entity.CONSUMER_COUNTRY)
    sale(entity, consumer(entity), "100.00", date(2026, 10, 1))
    url = reverse("invoicing:oss_return")
    page = owner_client.get(url, {"year": 2026, "quarter": 4}).content.decode()
    assert "FR" in page and "100.00" in page
    csv = owner_client.get(url, {"year": 2026, "quarter": 4, "format": "csv"}).content.decode()
    assert csv.splitlines() == [
        "member_state_of_consumption,vat_rate,taxable_amount_eur,vat_eur",
        "FR,20.00,100.00,20.00",
    ]


def test_the_invoices_page_links_the_return_when_leads_are_electronic(owner_client, entity):
    assert "OSS return" not in owner_client.get(reverse("invoicing:index")).content.decode()
    electronic(entity)
    assert "OSS return" in owner_client.get(reverse("invoicing:index")).content.decode()
