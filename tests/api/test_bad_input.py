"""Bad input to the API gets a JSON 4xx and writes nothing, whatever it is."""

import json

import pytest
from django.test import Client

from distribution.models import DistributionTransaction, Lead
from entities.models import ApiKey

from ..factories import deliver, make_assignment, make_profile, make_supplier


@pytest.fixture
def api_key(entity):
    return ApiKey.issue(entity, "router")[1]


@pytest.fixture
def assignment(entity, partner):
    return make_assignment(make_profile(entity, "10.00"), partner)


def post_raw(url, raw: bytes | str, key, **extra):
    return Client().post(
        url, raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}", **extra
    )


def post(url, body, key):
    return post_raw(url, json.dumps(body), key)


def counts():
    return Lead.objects.count(), DistributionTransaction.objects.count()


def test_deeply_nested_json_gets_400(api_key):
    response = post_raw("/api/v1/deliveries", "[" * 60_000, api_key)
    assert response.status_code == 400
    assert response.json() == {"error": "The body is not valid JSON."}


def test_a_body_over_djangos_upload_limit_gets_a_json_413(api_key):
    response = post_raw("/api/v1/deliveries", '{"lead": "' + "x" * 2_700_000 + '"}', api_key)
    assert response.status_code == 413
    assert "too large" in response.json()["error"]


@pytest.mark.parametrize("assignment_id", ["²", "١٢", "12\u0663", " 12", "1" * 30, -5, 2**70])
def test_an_id_that_is_not_plain_digits_gets_400(api_key, assignment, assignment_id):
    response = post("/api/v1/deliveries", {"assignment": assignment_id, "lead": "L-1"}, api_key)
    assert response.status_code == 400
    assert "as an integer" in response.json()["errors"]["assignment"][0]
    assert counts() == (0, 0)


@pytest.mark.parametrize("lead", ["L-\x00-1", "L-\ud800"])
def test_text_postgresql_cannot_store_gets_400(api_key, assignment, lead):
    body = json.dumps({"assignment": assignment.pk, "lead": lead})  # \u escapes, as sent
    response = post_raw("/api/v1/deliveries", body, api_key)
    assert response.status_code == 400
    assert counts() == (0, 0)


@pytest.mark.parametrize("reason", [[], {}, 1, None, "nope"])
def test_cancelling_with_a_reason_that_is_no_choice_gets_400(api_key, assignment, reason):
    [txn] = deliver(assignment)
    response = post(f"/api/v1/deliveries/{txn.pk}/cancel", {"reason": reason}, api_key)
    assert response.status_code == 400
    txn.refresh_from_db()
    assert not txn.is_cancelled


@pytest.mark.parametrize("price", ["1e8", 1e8, "1e400", "12345678901234567890", 10**20, "NaN",
                                   "-1", True, [], "2.12345"])  # fmt: skip
def test_a_purchase_price_out_of_range_gets_400(api_key, entity, price):
    supplier = make_supplier(entity)
    body = {"lead": "L-1", "supplier": supplier.pk, "purchase_price": price}
    response = post("/api/v1/leads", body, api_key)
    assert response.status_code == 400
    assert "purchase_price" in response.json()["errors"]
    assert counts() == (0, 0)


def test_infinity_in_the_json_gets_400(api_key, entity):
    supplier = make_supplier(entity)
    raw = f'{{"lead": "L-1", "supplier": {supplier.pk}, "purchase_price": Infinity}}'
    assert post_raw("/api/v1/leads", raw, api_key).status_code == 400


@pytest.mark.parametrize(
    "delivered_at", ["0001-01-01T00:00:00+00:00", "1970-01-01T00:00:00Z",
                     "1999-12-31T23:59:59+00:00", "0001-01-01T00:30:00+01:00"],
)  # fmt: skip
def test_a_delivery_before_2000_gets_400_naming_the_floor(api_key, assignment, delivered_at):
    body = {"assignment": assignment.pk, "lead": "L-1", "delivered_at": delivered_at}
    response = post("/api/v1/deliveries", body, api_key)
    assert response.status_code == 400
    assert "before 2000-01-01" in response.json()["errors"]["delivered_at"][0]
    assert counts() == (0, 0)


def test_a_lead_received_before_2000_gets_400(api_key, entity):
    supplier = make_supplier(entity)
    body = {"lead": "L-1", "supplier": supplier.pk, "purchase_price": "1.00",
            "received_at": "1970-01-01T00:00:00Z"}  # fmt: skip
    response = post("/api/v1/leads", body, api_key)
    assert response.status_code == 400
    assert counts() == (0, 0)


def test_a_lone_surrogate_sent_as_utf8_bytes_gets_400(api_key, assignment):
    # json.loads lets U+D800 through when it comes as bytes, not as a \u escape.
    raw = b'{"assignment": %d, "lead": "L-\xed\xa0\x80"}' % assignment.pk
    response = post_raw("/api/v1/deliveries", raw, api_key)
    assert response.status_code == 400
    assert counts() == (0, 0)
