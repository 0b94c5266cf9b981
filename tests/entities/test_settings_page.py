from django.urls import reverse

from entities.models import ApiKey, hash_api_key

from ..factories import make_entity


def settings_form(entity, **changes) -> dict:
    fields = [
        "name", "legal_name", "street", "postcode", "city", "country", "vat_id", "tax_number",
        "tax_office", "email", "phone", "bank_name", "iban", "bic", "default_currency",
        "payment_terms_days", "vat_rate_kind", "exchange_rate_rule", "b2c_place_of_supply",
        "invoice_number_format",
        "time_zone",
        "credit_note_number_format", "self_billed_number_format",
        "self_billed_credit_note_number_format",
        "contact_name", "invoice_email_subject", "invoice_email_body", "billing_mode",
        "credit_note_email_subject", "credit_note_email_body", "self_billed_email_subject",
        "self_billed_email_body", "self_billed_credit_note_email_subject",
        "self_billed_credit_note_email_body", "chart_of_accounts", "fiscal_year_start_month",
    ]  # fmt: skip
    return {**{f: getattr(entity, f) for f in fields}, **changes}


def test_an_owner_changes_the_seller_details(owner_client, entity):
    response = owner_client.post(
        reverse("entities:settings"), settings_form(entity, legal_name="Acme Leads AG")
    )
    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.legal_name == "Acme Leads AG"


def test_the_iban_is_checked_and_stored_without_spaces(owner_client, entity):
    owner_client.post(
        reverse("entities:settings"), settings_form(entity, iban="DE02 1203 0000 0000 2020 51")
    )
    entity.refresh_from_db()
    assert entity.iban == "DE02120300000000202051"


def test_a_wrong_iban_is_refused(owner_client, entity):
    response = owner_client.post(
        reverse("entities:settings"), settings_form(entity, iban="DE02120300000000202052")
    )
    assert response.status_code == 400
    assert "This IBAN is not valid" in response.content.decode()


def test_an_unknown_time_zone_is_refused(owner_client, entity):
    response = owner_client.post(
        reverse("entities:settings"), settings_form(entity, time_zone="Mars/Olympus")
    )
    assert response.status_code == 400
    entity.refresh_from_db()
    assert entity.time_zone == "Europe/Berlin"


def test_a_number_format_without_counter_is_refused(owner_client, entity):
    response = owner_client.post(
        reverse("entities:settings"), settings_form(entity, invoice_number_format="RE-{YYYY}")
    )
    assert response.status_code == 400
    assert "{seq}" in response.content.decode()


def test_finance_sees_the_settings_read_only(finance_client, entity):
    page = finance_client.get(reverse("entities:settings")).content.decode()
    assert "Only an owner of the account can change them." in page
    assert "Save settings" not in page


def test_finance_cannot_change_the_settings(finance_client, entity):
    response = finance_client.post(
        reverse("entities:settings"), settings_form(entity, legal_name="Changed")
    )
    assert response.status_code == 403


def test_the_settings_change_only_the_current_entity(owner_client, entity, account):
    sister = make_entity(account, name="Sister", legal_name="Sister GmbH")
    owner_client.post(reverse("entities:settings"), settings_form(entity, legal_name="Renamed"))
    sister.refresh_from_db()
    assert sister.legal_name == "Sister GmbH"


def test_a_new_api_key_is_shown_once_and_stored_hashed(owner_client, entity):
    response = owner_client.post(reverse("entities:create_api_key"), {"name": "Router"})
    secret = response.context["new_secret"]
    key = ApiKey.objects.get(name="Router")
    assert secret in response.content.decode()
    assert key.key_hash == hash_api_key(secret) and secret not in key.key_hash
    assert secret not in owner_client.get(reverse("entities:settings")).content.decode()


def test_revoking_an_api_key(owner_client, entity):
    key, _ = ApiKey.issue(entity, "Router")
    owner_client.post(reverse("entities:revoke_api_key", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_a_control_character_in_a_detail_is_refused(owner_client, entity):
    response = owner_client.post(
        reverse("entities:settings"), settings_form(entity, legal_name="Acme\x01 Leads GmbH")
    )
    assert response.status_code == 400
    assert "invisible control character" in response.content.decode()
    entity.refresh_from_db()
    assert entity.legal_name == "Acme Leads GmbH"


def test_every_setting_is_in_a_section():
    from entities.forms import EntityForm

    in_sections = [name for _, _, names in EntityForm.SECTIONS for name in names]
    assert sorted(in_sections) == sorted(EntityForm._meta.fields)


def test_the_page_is_in_sections_with_links_to_them(owner_client, entity):
    page = owner_client.get(reverse("entities:settings")).content.decode()
    for anchor in ("seller", "tax", "numbering", "emails", "mail", "api-keys"):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page


def test_a_failed_save_says_so_at_the_top_with_links_to_the_fields(owner_client, entity):
    response = owner_client.post(
        reverse("entities:settings"), settings_form(entity, invoice_number_format="RE-{x}")
    )
    page = response.content.decode()
    summary = page.index("The settings were not saved")
    assert summary < page.index('id="seller"')
    assert 'href="#id_invoice_number_format">Numbering · Invoice number format' in page


def test_the_test_emails_result_shows_in_the_mail_section(smtp, owner_client):
    page = owner_client.post(reverse("entities:smtp_test"), follow=True).content.decode()
    mail_section = page[page.index('id="mail"') :]
    assert "Test email sent" in mail_section[: mail_section.index('id="api-keys"')]


def test_the_settings_page_saves_the_datev_numbers_and_chart(owner_client, entity):
    changes = {"chart_of_accounts": "SKR04", "datev_consultant_number": "29098",
               "datev_client_number": "55003", "fiscal_year_start_month": "7"}  # fmt: skip
    response = owner_client.post(reverse("entities:settings"), settings_form(entity, **changes))
    assert response.status_code == 302
    entity.refresh_from_db()
    assert (entity.chart_of_accounts, entity.datev_client_number) == ("SKR04", 55003)
    assert entity.fiscal_year_start_month == 7


def test_a_consultant_number_below_datevs_range_is_refused(owner_client, entity):
    response = owner_client.post(
        reverse("entities:settings"), settings_form(entity, datev_consultant_number="999")
    )
    assert response.status_code == 400
