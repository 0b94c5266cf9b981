"""Partners as buyers and suppliers: roles, the self-billing agreement an operator records,
and the invoicing-details checks counted on the dashboard."""

from django.urls import reverse

from partners.models import Partner, SelfBillingAgreement

from ..factories import make_partner, make_supplier
from .test_partner_views import FORM

SUPPLIER = {**FORM, "is_supplier": "on", "vat_status": "registered", "tax_number": "21/815/08150"}


def test_a_partner_must_buy_or_supply(finance_client):
    form = {**FORM, "is_buyer": ""}
    response = finance_client.post(reverse("partners:create"), form)
    assert response.status_code == 400
    assert "A partner buys leads, supplies them, or both." in response.content.decode()


def test_a_partner_can_be_both_buyer_and_supplier(finance_client):
    finance_client.post(reverse("partners:create"), SUPPLIER)
    partner = Partner.objects.get(name=FORM["name"])
    assert (partner.is_buyer, partner.is_supplier) == (True, True)


def test_saving_a_partner_stores_its_invoicing_problems(finance_client):
    finance_client.post(reverse("partners:create"), SUPPLIER)
    partner = Partner.objects.get(name=FORM["name"])
    assert partner.invoicing_problems == [
        "No self-billing agreement is recorded: the supplier has to accept that invoices "
        "are issued on its behalf."
    ]


def test_a_business_supplier_needs_its_vat_id_or_tax_number(finance_client):
    response = finance_client.post(
        reverse("partners:create"), {**SUPPLIER, "tax_number": "", "vat_id": ""}
    )
    assert response.status_code == 400
    assert "A business supplier needs its VAT ID or its tax number." in response.content.decode()


def test_a_private_supplier_needs_the_date_of_its_declaration(finance_client):
    form = {
        **SUPPLIER,
        "kind": "individual",
        "vat_status": "private",
        "tax_number": "",
        "vat_id": "",
    }
    response = finance_client.post(reverse("partners:create"), form)
    assert response.status_code == 400
    assert "declared that it does not supply leads as a business" in response.content.decode()


def test_a_private_supplier_is_saved_with_its_declaration(finance_client):
    form = {**SUPPLIER, "kind": "individual", "vat_status": "private", "tax_number": "",
            "vat_id": "", "not_a_business_declared_on": "2026-11-02"}  # fmt: skip
    finance_client.post(reverse("partners:create"), form)
    partner = Partner.objects.get(name=FORM["name"])
    assert (partner.vat_status, str(partner.not_a_business_declared_on)) == (
        "private",
        "2026-11-02",
    )


def test_a_buyer_is_not_asked_for_a_vat_status(finance_client):
    finance_client.post(reverse("partners:create"), {**FORM, "vat_id": "", "tax_number": ""})
    assert Partner.objects.get(name=FORM["name"]).vat_status == "registered"


def test_an_operator_records_a_suppliers_agreement(finance_client, finance, entity):
    supplier = make_supplier(entity, agreement=False)
    response = finance_client.post(
        reverse("partners:record_agreement", args=[supplier.pk]),
        {"terms_version": "2026-1", "accepted_at": "2026-11-02T10:00", "accepted_by": "CEO"},
    )
    assert response.status_code == 302
    agreement = SelfBillingAgreement.objects.get(partner=supplier)
    assert (agreement.terms_version, agreement.recorded_by) == ("2026-1", finance.email)
    supplier.refresh_from_db()
    assert supplier.invoicing_problems == []


def test_an_agreement_needs_who_accepted(finance_client, entity):
    supplier = make_supplier(entity, agreement=False)
    response = finance_client.post(
        reverse("partners:record_agreement", args=[supplier.pk]),
        {"terms_version": "1", "accepted_at": "2026-11-02T10:00", "accepted_by": ""},
    )
    assert response.status_code == 400
    assert not SelfBillingAgreement.objects.exists()


def test_a_buyer_has_no_agreement_to_record(finance_client, partner):
    response = finance_client.post(
        reverse("partners:record_agreement", args=[partner.pk]),
        {"terms_version": "1", "accepted_at": "2026-11-02T10:00", "accepted_by": "x"},
    )
    assert response.status_code == 400


def test_the_partner_page_lists_a_missing_agreement(owner_client, entity):
    supplier = make_supplier(entity, agreement=False)
    page = owner_client.get(reverse("partners:detail", args=[supplier.pk])).content.decode()
    assert "No self-billing agreement is recorded" in page


def test_the_list_filters_suppliers(owner_client, entity):
    make_partner(entity, name="Only Buyer")
    make_supplier(entity, name="Only Supplier")
    page = owner_client.get(reverse("partners:list"), {"role": "supplier"}).content.decode()
    assert "Only Supplier" in page and "Only Buyer" not in page


def test_the_list_filters_incomplete_details(owner_client, entity):
    make_partner(entity, name="Complete")
    make_supplier(entity, name="Without Agreement", agreement=False)
    page = owner_client.get(reverse("partners:list"), {"details": "incomplete"}).content.decode()
    assert "Without Agreement" in page and "Complete" not in page


def test_the_dashboard_counts_partners_with_details_to_fix(owner_client, entity):
    make_supplier(entity, agreement=False)
    make_supplier(entity, agreement=False)
    make_partner(entity)
    page = owner_client.get(reverse("invoicing:index")).content.decode()
    assert "2 partners</a> have invoicing details to fix" in page


def test_a_vies_answer_updates_the_stored_problems(entity, vies):
    from partners.vies import record_vies_check

    supplier = make_supplier(entity, country="AT", vat_id="ATU13585627")
    vies.answers["ATU13585627"] = "invalid"
    record_vies_check(supplier)
    supplier.refresh_from_db()
    assert any("not valid" in problem for problem in supplier.invoicing_problems)


def test_a_new_version_of_the_terms_marks_suppliers_who_accepted_an_older_one(owner_client, entity):
    from ..entities.test_settings_page import settings_form

    entity.self_billing_terms_version = "1"
    entity.save()
    supplier = make_supplier(entity)
    assert supplier.invoicing_problems == []
    owner_client.post(
        reverse("entities:settings"),
        settings_form(
            entity,
            self_billing_terms_version="2",
            self_billing_terms=entity.self_billing_terms or "Terms, version 2",
        ),
    )
    supplier.refresh_from_db()
    assert supplier.invoicing_problems == [
        "The supplier accepted version 1 of the self-billing terms; the current version is 2 "
        "and has to be accepted."
    ]
