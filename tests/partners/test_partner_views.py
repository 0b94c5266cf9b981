import pytest
from django.urls import reverse

from partners.models import Partner

from ..factories import make_assignment, make_partner, make_profile

FORM = {
    "name": "Solar Leads Vienna",
    "kind": "company",
    "legal_name": "Solar Leads Wien GmbH",
    "street": "Ringstraße 1",
    "postcode": "1010",
    "city": "Wien",
    "country": "AT",
    "vat_id": "atu 135 856 27",
    "email": "billing@solar.test",
    "terms": "30",
    "line_items": "assignment",
    "custom_days": "",
    "currency": "",
    "is_active": "on",
    "is_buyer": "on",
}


def test_adding_a_partner_stores_its_billing_details(finance_client, entity):
    response = finance_client.post(reverse("partners:create"), FORM)
    partner = Partner.objects.get(name="Solar Leads Vienna")
    assert response.url == reverse("partners:detail", args=[partner.pk])
    assert partner.entity == entity
    assert partner.vat_id == "ATU13585627"
    assert partner.payment_terms_days == 30


def test_custom_payment_terms_take_the_days_given(finance_client, entity):
    finance_client.post(reverse("partners:create"), {**FORM, "terms": "custom", "custom_days": 45})
    assert Partner.objects.get(name="Solar Leads Vienna").payment_terms_label == "Net 45"


def test_custom_payment_terms_need_the_days(finance_client, entity):
    response = finance_client.post(reverse("partners:create"), {**FORM, "terms": "custom"})
    assert response.status_code == 400
    assert "Enter the number of days" in response.content.decode()
    assert not Partner.objects.exists()


def test_a_vat_id_of_another_country_is_refused(finance_client, entity):
    response = finance_client.post(reverse("partners:create"), {**FORM, "vat_id": "DE136695976"})
    assert response.status_code == 400
    assert "starts with ATU" not in response.content.decode()
    assert "starts with AT" in response.content.decode()
    assert not Partner.objects.exists()


def test_a_vat_id_with_a_wrong_check_digit_is_refused(finance_client, entity):
    response = finance_client.post(reverse("partners:create"), {**FORM, "vat_id": "ATU13585628"})
    assert response.status_code == 400
    assert "not a valid VAT ID" in response.content.decode()


def test_a_greek_vat_id_starts_with_el(finance_client, entity):
    data = {**FORM, "country": "GR", "vat_id": "EL094259216"}
    assert finance_client.post(reverse("partners:create"), data).status_code == 302


def test_a_partner_without_currency_is_billed_in_the_entitys(entity):
    assert make_partner(entity, currency="").billing_currency == entity.default_currency


def test_editing_a_partner_keeps_its_custom_terms_in_the_form(owner_client, entity):
    partner = make_partner(entity, payment_terms_days=60)
    page = owner_client.get(reverse("partners:edit", args=[partner.pk])).content.decode()
    assert 'value="custom" selected' in page
    assert 'value="60"' in page


def test_editing_a_partner_saves_the_changes(owner_client, entity):
    partner = make_partner(entity)
    data = {**FORM, "name": "Renamed", "country": "DE", "vat_id": ""}
    owner_client.post(reverse("partners:edit", args=[partner.pk]), data)
    partner.refresh_from_db()
    assert (partner.name, partner.country) == ("Renamed", "DE")


def test_the_list_searches_by_name_and_vat_id(owner_client, entity):
    make_partner(entity, name="Alpha Leads")
    make_partner(entity, name="Beta Leads", vat_id="DE129273398")
    page = owner_client.get(reverse("partners:list"), {"q": "DE1292"}).content.decode()
    assert "Beta Leads" in page and "Alpha Leads" not in page


def test_the_list_filters_by_country(owner_client, entity):
    make_partner(entity, name="Alpha Leads", country="DE")
    make_partner(entity, name="Gamma Leads", country="FR")
    page = owner_client.get(reverse("partners:list"), {"country": "FR"}).content.decode()
    assert "Gamma Leads" in page and "Alpha Leads" not in page


def test_the_list_is_paginated(owner_client, entity):
    for n in range(55):
        make_partner(entity, name=f"Partner {n:02}")
    page = owner_client.get(reverse("partners:list"), {"page": 2}).content.decode()
    assert "Page 2 of 2" in page
    assert "Partner 54" in page and "Partner 00" not in page


def test_the_list_shows_an_empty_state(owner_client, entity):
    assert "No partners yet" in owner_client.get(reverse("partners:list")).content.decode()


def test_the_partner_page_lists_missing_invoicing_details(owner_client, entity):
    partner = make_partner(entity, street="")
    page = owner_client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    assert "Fill in the street." in page


def test_the_partner_page_shows_its_assignments(owner_client, entity):
    partner = make_partner(entity)
    make_assignment(make_profile(entity, name="Solar DE"), partner, price_override="12.50")
    page = owner_client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    assert "Solar DE" in page and "12.50" in page


@pytest.mark.parametrize("name", ["partners:create"])
def test_a_viewer_cannot_open_the_create_form(viewer_client, name):
    assert viewer_client.get(reverse(name)).status_code == 403


def test_a_uk_vat_number_is_checked(finance_client, entity):
    data = {**FORM, "country": "GB", "postcode": "EC2R 8EJ", "vat_id": "GB980780685"}
    response = finance_client.post(reverse("partners:create"), data)
    assert "not a valid UK VAT number" in response.content.decode()


def test_xrechnung_needs_a_leitweg_id_an_email_and_a_postcode(finance_client, entity):
    data = {**FORM, "einvoice_format": "xrechnung_ubl", "email": "", "postcode": ""}
    response = finance_client.post(reverse("partners:create"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"buyer_reference", "email", "postcode"}


def test_changing_the_vat_id_forgets_the_last_vies_answer(owner_client, entity):
    partner = make_partner(
        entity, country="AT", vat_id="ATU13585627", vies_status="valid", vies_request_identifier="X"
    )
    data = {**FORM, "vat_id": "ATU10223006"}
    owner_client.post(reverse("partners:edit", args=[partner.pk]), data)
    partner.refresh_from_db()
    assert (partner.vies_status, partner.vies_request_identifier) == ("unchecked", "")


def test_a_control_character_in_a_partners_details_is_refused(finance_client, entity):
    response = finance_client.post(reverse("partners:create"), {**FORM, "street": "Ring\x0b 1"})
    assert response.status_code == 400
    assert not Partner.objects.filter(name="Solar Leads Vienna").exists()


# Checks that let bad data through


def test_a_german_partner_needs_a_postcode(finance_client, entity):
    response = finance_client.post(
        reverse("partners:create"), {**FORM, "country": "DE", "vat_id": "", "postcode": ""}
    )
    assert response.status_code == 400
    assert "have a postcode" in response.content.decode()


def test_a_partner_in_the_emirates_goes_without_a_postcode(finance_client, entity):
    data = {**FORM, "country": "AE", "vat_id": "", "postcode": "", "city": "Dubai"}
    assert finance_client.post(reverse("partners:create"), data).status_code == 302


def test_a_partner_without_a_postcode_cannot_be_invoiced(entity):
    from partners.checks import invoicing_details_problems

    partner = make_partner(entity, postcode="")
    assert "Fill in the postcode." in invoicing_details_problems(partner)


def test_the_entitys_own_vat_id_is_refused_for_a_partner(finance_client, entity):
    data = {**FORM, "country": "DE", "postcode": "10117", "vat_id": entity.vat_id}
    response = finance_client.post(reverse("partners:create"), data)
    assert response.status_code == 400
    assert "is your own VAT ID" in response.content.decode()


def test_two_partners_with_one_vat_id_are_warned_about(finance_client, entity):
    make_partner(entity, name="Solar Wien", country="AT", vat_id="ATU13585627")
    response = finance_client.post(reverse("partners:create"), FORM, follow=True)
    assert "Solar Wien has the same VAT ID ATU13585627" in response.content.decode()


def test_a_self_billing_acceptance_cannot_be_dated_in_the_future(finance_client, entity):
    from partners.models import SelfBillingAgreement

    from ..factories import make_supplier

    supplier = make_supplier(entity, agreement=False)
    response = finance_client.post(
        reverse("partners:record_agreement", args=[supplier.pk]),
        {"terms_version": "1", "accepted_at": "2030-01-01T10:00", "accepted_by": "x"},
    )
    assert response.status_code == 400
    assert "cannot lie in the future" in response.content.decode()
    assert not SelfBillingAgreement.objects.filter(partner=supplier).exists()


def test_a_partner_keeps_the_debtor_account_entered(owner_client, entity):
    partner = make_partner(entity)
    owner_client.post(
        reverse("partners:edit", args=[partner.pk]), {**FORM, "debtor_number": "12345"}
    )
    partner.refresh_from_db()
    assert partner.debtor_number == 12345


def test_a_debtor_account_of_another_partner_is_refused(owner_client, entity):
    make_partner(entity, debtor_number=12345)
    partner = make_partner(entity)
    response = owner_client.post(
        reverse("partners:edit", args=[partner.pk]), {**FORM, "debtor_number": "12345"}
    )
    assert "Another partner has this debtor account." in response.content.decode()


def test_a_creditor_account_outside_its_range_is_refused(owner_client, entity):
    partner = make_partner(entity)
    response = owner_client.post(
        reverse("partners:edit", args=[partner.pk]), {**FORM, "creditor_number": "12345"}
    )
    partner.refresh_from_db()
    assert partner.creditor_number is None and response.status_code == 400
