"""The JSON API: recording and cancelling deliveries with an Entity's API key."""

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from distribution.models import DistributionTransaction, Lead
from distribution.services import set_tiers
from entities.models import ApiKey

from ..factories import deliver, make_assignment, make_draft, make_final, make_profile

URL = "/api/v1/deliveries"


@pytest.fixture
def api_key(entity):
    return ApiKey.issue(entity, "router")[1]


@pytest.fixture
def assignment(entity, partner):
    return make_assignment(make_profile(entity, "10.00"), partner, price_override="12.50")


def post(url, body, key=None, content_type="application/json"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    data = json.dumps(body) if content_type == "application/json" else body
    return Client().post(url, data, content_type=content_type, **headers)


def nothing_written():
    return not Lead.objects.exists() and not DistributionTransaction.objects.exists()


def test_a_delivery_is_recorded_at_the_assignments_price(api_key, assignment):
    response = post(URL, {"assignment": assignment.pk, "lead": "L-1"}, api_key)
    assert response.status_code == 201
    txn = DistributionTransaction.objects.get(pk=response.json()["id"])
    assert (txn.lead.external_id, txn.price, txn.currency) == ("L-1", Decimal("12.50"), "EUR")
    assert response.json()["price"] == "12.5000"


def test_a_delivery_keeps_the_time_given(api_key, assignment):
    body = {"assignment": assignment.pk, "lead": "L-1", "delivered_at": "2026-10-15T14:30:00+02:00"}
    post(URL, body, api_key)
    delivered_at = DistributionTransaction.objects.get().delivered_at
    assert delivered_at == datetime(2026, 10, 15, 14, 30, tzinfo=ZoneInfo("Europe/Berlin"))


def test_without_an_override_a_delivery_gets_the_profiles_base_price(api_key, entity, partner):
    assignment = make_assignment(make_profile(entity, "10.00"), partner)
    response = post(URL, {"assignment": assignment.pk, "lead": "L-1"}, api_key)
    assert response.status_code == 201
    assert Decimal(response.json()["price"]) == Decimal("10.00")
    assert DistributionTransaction.objects.get().price == Decimal("10.00")


def test_a_tiered_assignment_is_priced_by_its_tier(api_key, entity, partner):
    assignment = make_assignment(make_profile(entity, "10.00"), partner)
    set_tiers(assignment, [(0, Decimal("15.00")), (1, Decimal("12.00"))])
    prices = [
        Decimal(post(URL, {"assignment": assignment.pk, "lead": f"L-{n}"}, api_key).json()["price"])
        for n in range(2)
    ]
    assert prices == [Decimal("15.00"), Decimal("12.00")]


def test_the_same_lead_through_the_same_assignment_is_recorded_once(api_key, assignment):
    first = post(URL, {"assignment": assignment.pk, "lead": "L-1"}, api_key)
    again = post(URL, {"assignment": assignment.pk, "lead": "L-1"}, api_key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert DistributionTransaction.objects.count() == 1


def test_the_key_records_when_it_was_last_used(entity, assignment):
    key, secret = ApiKey.issue(entity, "router")
    post(URL, {"assignment": assignment.pk, "lead": "L-1"}, secret)
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_missing_key_gets_401(assignment):
    response = post(URL, {"assignment": assignment.pk, "lead": "L-1"})
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["error"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert nothing_written()


def test_a_wrong_key_gets_401(api_key, assignment):
    response = post(URL, {"assignment": assignment.pk, "lead": "L-1"}, api_key + "x")
    assert response.status_code == 401
    assert nothing_written()


def test_a_revoked_key_gets_401(entity, assignment):
    key, secret = ApiKey.issue(entity, "old")
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=key.created_at)
    assert post(URL, {"assignment": assignment.pk, "lead": "L-1"}, secret).status_code == 401
    assert nothing_written()


def test_an_unknown_assignment_gets_400(api_key, assignment):
    response = post(URL, {"assignment": 999999, "lead": "L-1"}, api_key)
    assert response.status_code == 400
    assert response.json()["errors"]["assignment"] == ["No assignment 999999 in Acme DE."]
    assert nothing_written()


def test_another_entitys_assignment_gets_400(other_entity, assignment):
    foreign_key = ApiKey.issue(other_entity, "router")[1]
    response = post(URL, {"assignment": assignment.pk, "lead": "L-1"}, foreign_key)
    assert response.status_code == 400
    assert "assignment" in response.json()["errors"]
    assert nothing_written()


def test_a_paused_assignment_gets_400(api_key, assignment):
    assignment.is_active = False
    assignment.save()
    response = post(URL, {"assignment": assignment.pk, "lead": "L-1"}, api_key)
    assert response.json()["errors"]["assignment"] == [
        "This assignment is paused and takes no deliveries."
    ]
    assert nothing_written()


@pytest.mark.parametrize(
    "delivered_at, message",
    [
        ("15.10.2026", "Use ISO 8601"),
        ("2026-13-40T10:00:00Z", "Use ISO 8601"),
        ("2026-10-15T14:30:00", "Include the UTC offset"),
        ("2099-01-01T00:00:00Z", "cannot lie in the future"),
        (20261015, "Use ISO 8601"),
    ],
)
def test_a_malformed_date_gets_400(api_key, assignment, delivered_at, message):
    body = {"assignment": assignment.pk, "lead": "L-1", "delivered_at": delivered_at}
    response = post(URL, body, api_key)
    assert response.status_code == 400
    assert message in response.json()["errors"]["delivered_at"][0]
    assert nothing_written()


def test_every_bad_field_gets_its_own_message(api_key):
    response = post(URL, {"assignment": "abc", "lead": "", "colour": "red"}, api_key)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"assignment", "lead", "colour"}
    assert nothing_written()


def test_a_body_that_is_not_json_gets_400(api_key):
    response = Client().post(
        URL, "{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_key}"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "The body is not valid JSON."


def test_a_form_body_gets_415(api_key, assignment):
    form = "application/x-www-form-urlencoded"
    response = post(URL, {"assignment": assignment.pk}, api_key, form)
    assert response.status_code == 415
    assert nothing_written()


def test_cancelling_an_unbilled_delivery_excludes_it(api_key, assignment):
    [txn] = deliver(assignment)
    response = post(reverse("api:cancel_delivery", args=[txn.pk]), {"reason": "rejected"}, api_key)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    txn.refresh_from_db()
    assert (txn.status, txn.cancel_reason) == ("cancelled", "rejected")


def test_cancelling_a_delivery_on_a_draft_recomputes_it(api_key, entity):
    draft = make_draft(entity, leads=2, price="10.00")
    txn = DistributionTransaction.objects.filter(invoice_id=draft.pk).first()
    post(reverse("api:cancel_delivery", args=[txn.pk]), {"reason": "refunded"}, api_key)
    draft.refresh_from_db()
    assert draft.subtotal == Decimal("10.00")


def test_cancelling_a_delivery_on_a_finalized_invoice_credits_it(api_key, entity):
    invoice = make_final(entity, leads=1)
    txn = DistributionTransaction.objects.get(invoice_id=invoice.pk)
    response = post(reverse("api:cancel_delivery", args=[txn.pk]), {"reason": "rejected"}, api_key)
    assert response.status_code == 200
    txn.refresh_from_db()
    assert txn.credit_note_id is not None
    event = invoice.events.get(kind="delivery_cancelled")
    assert event.actor.startswith("API key 'router'")


def test_cancelling_twice_gets_409(api_key, assignment):
    [txn] = deliver(assignment)
    url = reverse("api:cancel_delivery", args=[txn.pk])
    post(url, {"reason": "rejected"}, api_key)
    assert post(url, {"reason": "rejected"}, api_key).status_code == 409


def test_cancelling_without_a_valid_reason_gets_400(api_key, assignment):
    [txn] = deliver(assignment)
    response = post(reverse("api:cancel_delivery", args=[txn.pk]), {"reason": "bored"}, api_key)
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    txn.refresh_from_db()
    assert txn.status == "delivered"


def test_cancelling_another_entitys_delivery_gets_404(other_entity, assignment):
    [txn] = deliver(assignment)
    foreign_key = ApiKey.issue(other_entity, "router")[1]
    url = reverse("api:cancel_delivery", args=[txn.pk])
    assert post(url, {"reason": "rejected"}, foreign_key).status_code == 404
    txn.refresh_from_db()
    assert txn.status == "delivered"


def test_a_finalized_invoices_pdf_and_xml_can_be_downloaded(api_key, entity):
    invoice = make_final(entity, leads=1)
    pdf = Client().get(f"/api/v1/invoices/{invoice.pk}/pdf", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    xml = Client().get(f"/api/v1/invoices/{invoice.pk}/xml", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert invoice.number.encode() in xml.content


def test_a_draft_has_no_documents_in_the_api(api_key, entity):
    draft = make_draft(entity)
    url = f"/api/v1/invoices/{draft.pk}/pdf"
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {api_key}").status_code == 404


def test_another_entitys_invoice_is_not_found_in_the_api(other_entity, entity):
    invoice = make_final(entity, leads=1)
    foreign_key = ApiKey.issue(other_entity, "router")[1]
    url = f"/api/v1/invoices/{invoice.pk}/xml"
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {foreign_key}").status_code == 404
