from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from invoicing.billing import finalize_invoice
from partners.models import Partner
from partners.tasks import check_vat_id, recheck_vat_ids
from partners.vies import ViesUnavailable, record_vies_check

from ..factories import make_draft, make_partner

AT_VAT_ID = "ATU13585627"


@pytest.fixture
def austrian(entity):
    return make_partner(entity, country="AT", vat_id=AT_VAT_ID)


def test_a_valid_vat_id_is_marked_valid_with_its_consultation_number(vies, austrian):
    vies.answers[AT_VAT_ID] = "valid"
    partner = record_vies_check(austrian)
    assert partner.vies_status == Partner.VIES_VALID
    assert partner.vies_request_identifier.startswith("WAPIAAAAZ")
    assert partner.vies_checked_at is not None


def test_the_entitys_own_vat_id_is_sent_as_requester(vies, austrian):
    vies.answers[AT_VAT_ID] = "valid"
    record_vies_check(austrian)
    [request] = vies.requests
    assert (request["requesterCountryCode"], request["requesterVatNumber"]) == ("DE", "136695976")
    assert (request["countryCode"], request["vatNumber"]) == ("AT", "U13585627")


def test_an_invalid_vat_id_is_marked_invalid(vies, austrian):
    vies.answers[AT_VAT_ID] = "invalid"
    assert record_vies_check(austrian).vies_status == Partner.VIES_INVALID


@pytest.mark.parametrize(
    "fault",
    [
        "MS_UNAVAILABLE",
        "TIMEOUT",
        "SERVICE_UNAVAILABLE",
        "MS_MAX_CONCURRENT_REQ",
        "GLOBAL_MAX_CONCURRENT_REQ",
    ],
)
def test_an_outage_never_turns_a_valid_vat_id_invalid(vies, austrian, fault):
    Partner.objects.filter(pk=austrian.pk).update(vies_status="valid", vies_request_identifier="W1")
    vies.answers[AT_VAT_ID] = fault
    with pytest.raises(ViesUnavailable):
        record_vies_check(austrian)
    austrian.refresh_from_db()
    assert (austrian.vies_status, austrian.vies_request_identifier) == ("valid", "W1")
    assert fault in austrian.vies_last_error


def test_an_unreachable_vies_is_an_outage(austrian):
    with pytest.raises(ViesUnavailable):
        record_vies_check(austrian)
    austrian.refresh_from_db()
    assert austrian.vies_status == Partner.VIES_UNCHECKED
    # In words on the partner's page, not as the exception's name.
    assert austrian.vies_last_error.startswith("VIES, the EU's VAT ID service, could not be")
    assert "Error" not in austrian.vies_last_error


def test_an_answer_for_a_vat_id_changed_meanwhile_is_dropped(vies, austrian):
    vies.answers[AT_VAT_ID] = "valid"
    Partner.objects.filter(pk=austrian.pk).update(vat_id="ATU10223006")
    record_vies_check(austrian)
    austrian.refresh_from_db()
    assert austrian.vies_status == Partner.VIES_UNCHECKED


def test_saving_a_new_vat_id_checks_it_in_the_background(
    vies, owner_client, entity, django_capture_on_commit_callbacks
):
    partner = make_partner(entity, country="AT")
    vies.answers[AT_VAT_ID] = "valid"
    data = {
        "name": partner.name, "kind": "company", "legal_name": partner.legal_name,
        "street": partner.street, "postcode": "1010", "city": "Wien", "country": "AT",
        "vat_id": AT_VAT_ID, "email": "", "terms": "14", "currency": "", "is_active": "on",
        "line_items": "assignment", "is_buyer": "on",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("partners:edit", args=[partner.pk]), data)
    partner.refresh_from_db()
    assert partner.vies_status == Partner.VIES_VALID


def test_the_check_now_button_asks_vies(
    vies, owner_client, austrian, django_capture_on_commit_callbacks
):
    vies.answers[AT_VAT_ID] = "invalid"
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("partners:check_vat_id", args=[austrian.pk]))
    austrian.refresh_from_db()
    assert austrian.vies_status == Partner.VIES_INVALID


def test_the_task_reports_an_outage_when_run_in_process(vies, austrian):
    vies.answers[AT_VAT_ID] = "MS_UNAVAILABLE"
    assert check_vat_id.apply(args=[austrian.pk]).get() == "unavailable: MS_UNAVAILABLE"


def test_the_weekly_recheck_queues_only_stale_eu_vat_ids(vies, entity):
    stale = make_partner(entity, country="AT", vat_id=AT_VAT_ID)
    fresh = make_partner(entity, country="FR", vat_id="FR40303265045")
    make_partner(entity, country="GB", vat_id="GB980780684")
    Partner.objects.filter(pk=stale.pk).update(vies_checked_at=timezone.now() - timedelta(days=8))
    Partner.objects.filter(pk=fresh.pk).update(vies_checked_at=timezone.now())
    vies.answers[AT_VAT_ID] = "valid"
    assert recheck_vat_ids.apply().get() == 1
    assert [r["vatNumber"] for r in vies.requests] == ["U13585627"]


def test_beat_rechecks_vat_ids_every_monday():
    entry = settings.CELERY_BEAT_SCHEDULE["recheck-vat-ids"]
    assert entry["task"] == "partners.tasks.recheck_vat_ids"
    assert entry["schedule"].day_of_week == {1}


def test_a_reverse_charge_invoice_records_the_vies_check_it_relied_on(vies, entity, austrian):
    vies.answers[AT_VAT_ID] = "valid"
    record_vies_check(austrian)
    austrian.refresh_from_db()
    invoice = finalize_invoice(make_draft(entity, austrian))
    assert invoice.tax_category == "AE"
    assert invoice.buyer["vies_request_identifier"] == austrian.vies_request_identifier
    assert invoice.buyer["vies_checked_at"] == austrian.vies_checked_at.isoformat()
