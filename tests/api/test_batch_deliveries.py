"""POST /api/v1/deliveries/batch (issue 23): up to 10,000 deliveries in one request, as a
JSON array or NDJSON, each with the checks and the price of a single delivery, each recorded
or refused on its own, idempotent per lead and assignment."""

import json
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from distribution.batch import Item, record_deliveries
from distribution.models import DeliveryHold, DistributionTransaction, Lead
from distribution.services import set_tiers
from entities.models import ApiKey

from ..factories import deliver, make_assignment, make_entity, make_partner, make_profile

URL = "/api/v1/deliveries/batch"


@pytest.fixture
def api_key(entity):
    return ApiKey.issue(entity, "router")[1]


@pytest.fixture
def assignment(entity, partner):
    return make_assignment(make_profile(entity, "10.00"), partner, price_override="12.50")


def post(body, key, content_type="application/json", **headers):
    data = json.dumps(body) if content_type == "application/json" else body
    return Client().post(URL, data, content_type=content_type,
                         HTTP_AUTHORIZATION=f"Bearer {key}", **headers)  # fmt: skip


def test_each_delivery_is_recorded_at_its_assignments_price(api_key, assignment):
    response = post([{"assignment": assignment.pk, "lead": f"L-{n}"} for n in range(3)], api_key)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["created"], answer["existing"], answer["refused"]) == (3, 0, 0)
    assert [r["price"] for r in answer["results"]] == ["12.5000"] * 3
    delivery = DistributionTransaction.objects.get(pk=answer["results"][0]["id"])
    assert (delivery.lead.external_id, delivery.price) == ("L-0", Decimal("12.50"))


def test_a_lead_delivered_before_is_existing_with_that_delivery(api_key, assignment):
    [earlier] = deliver(assignment, 1)
    response = post([{"assignment": assignment.pk, "lead": earlier.lead.external_id}], api_key)
    [result] = response.json()["results"]
    assert (result["status"], result["id"]) == ("existing", earlier.pk)
    assert DistributionTransaction.objects.count() == 1


def test_a_lead_given_twice_in_one_batch_is_delivered_once(api_key, assignment):
    body = [{"assignment": assignment.pk, "lead": "L-1"}] * 2
    first, second = post(body, api_key).json()["results"]
    assert (first["status"], second["status"]) == ("created", "existing")
    assert first["id"] == second["id"]
    assert DistributionTransaction.objects.count() == 1


def test_one_refused_delivery_stops_no_other(api_key, assignment):
    later = (timezone.now() + timedelta(days=2)).isoformat()
    body = [
        {"assignment": assignment.pk, "lead": "good"},
        {"assignment": 999_999, "lead": "no-such-assignment"},
        {"assignment": assignment.pk, "lead": ""},
        {"assignment": assignment.pk, "lead": "from-the-future", "delivered_at": later},
        {"assignment": assignment.pk, "lead": "extra", "colour": "blue"},
        "not an object",
    ]
    answer = post(body, api_key).json()
    assert [r["status"] for r in answer["results"]] == ["created"] + ["refused"] * 5
    errors = [r.get("errors", {}) for r in answer["results"]]
    assert "No assignment 999999" in errors[1]["assignment"][0]
    assert errors[2]["lead"] == ["This field is required."]
    assert "delivered_at" in errors[3]
    assert errors[4]["colour"] == ["Unknown field."]
    assert DistributionTransaction.objects.count() == 1


def test_another_entitys_assignment_is_refused(api_key, account):
    other = make_entity(account, name="Second")
    theirs = make_assignment(make_profile(other), make_partner(other))
    [result] = post([{"assignment": theirs.pk, "lead": "L-1"}], api_key).json()["results"]
    assert result["status"] == "refused"
    assert not DistributionTransaction.objects.exists()


def test_a_paused_assignment_is_refused(api_key, assignment):
    assignment.is_active = False
    assignment.save()
    [result] = post([{"assignment": assignment.pk, "lead": "L-1"}], api_key).json()["results"]
    assert "paused" in result["errors"]["assignment"][0]


def test_a_partner_on_hold_takes_no_deliveries(api_key, assignment, entity):
    facts = {"balance": "900.00", "limit": "500.00", "currency": "EUR"}
    DeliveryHold.objects.create(
        entity=entity, partner=assignment.partner, cause=DeliveryHold.OVER_LIMIT, facts=facts
    )
    [result] = post([{"assignment": assignment.pk, "lead": "L-1"}], api_key).json()["results"]
    assert "credit control" in result["errors"]["assignment"][0]
    assert not DistributionTransaction.objects.exists()


def test_tiered_deliveries_get_their_tier_prices_in_the_order_given(api_key, assignment):
    set_tiers(assignment, [(0, Decimal("10.00")), (2, Decimal("8.00"))])
    body = [{"assignment": assignment.pk, "lead": f"T-{n}"} for n in range(4)]
    answer = post(body, api_key).json()
    assert [r["price"] for r in answer["results"]] == ["10.0000", "10.0000", "8.0000", "8.0000"]


def test_a_delivery_keeps_the_time_given(api_key, assignment):
    moment = datetime(2026, 10, 15, 14, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    body = [{"assignment": assignment.pk, "lead": "L-1", "delivered_at": moment.isoformat()}]
    [result] = post(body, api_key).json()["results"]
    assert DistributionTransaction.objects.get(pk=result["id"]).delivered_at == moment


def test_ndjson_lines_are_deliveries_too(api_key, assignment):
    lines = "\n".join(json.dumps({"assignment": assignment.pk, "lead": f"N-{n}"}) for n in range(2))
    response = post(lines + "\n", api_key, content_type="application/x-ndjson")
    assert response.json()["created"] == 2


def test_more_than_ten_thousand_are_refused_whole(api_key, assignment):
    body = [{"assignment": assignment.pk, "lead": str(n)} for n in range(10_001)]
    response = post(body, api_key)
    assert response.status_code == 400
    assert "10,000" in response.json()["error"]
    assert not DistributionTransaction.objects.exists()


@pytest.mark.parametrize("body", [{"assignment": 1, "lead": "x"}, []])
def test_the_body_is_a_non_empty_array(api_key, body):
    assert post(body, api_key).status_code == 400


def test_a_batch_sent_again_with_its_idempotency_key_is_answered_the_same(api_key, assignment):
    body = [{"assignment": assignment.pk, "lead": "L-1"}]
    first = post(body, api_key, HTTP_IDEMPOTENCY_KEY="batch-1")
    again = post(body, api_key, HTTP_IDEMPOTENCY_KEY="batch-1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


def test_without_a_key_nothing_is_written(assignment):
    response = Client().post(URL, "[]", content_type="application/json")
    assert response.status_code == 401


def test_a_lead_delivered_meanwhile_by_another_transaction_is_existing(
    transactional_db, assignment
):
    """Another request delivers the lead while the batch is written: the batch's insert
    waits for it, then takes that delivery as the lead's, and adds none."""
    entity = assignment.profile.entity
    lead = Lead.objects.create(entity=entity, external_id="L-meanwhile")
    database = connection.settings_dict
    connect = {"host": database["HOST"], "port": database["PORT"], "user": database["USER"],
               "dbname": database["NAME"]}  # fmt: skip
    other = psycopg.connect(**connect)
    [theirs] = other.execute(
        "INSERT INTO distribution_distributiontransaction (entity_id, partner_id,"
        " assignment_id, lead_id, price, currency, delivered_at, status, cancel_reason)"
        " VALUES (%s, %s, %s, %s, 12.50, 'EUR', now(), 'delivered', '') RETURNING id",
        [entity.pk, assignment.partner_id, assignment.pk, lead.pk],
    ).fetchone()
    waited = []

    def commit_once_the_batch_waits():
        with psycopg.connect(**connect) as watching:
            for _ in range(200):
                [blocked] = watching.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> %s",
                    [other.info.backend_pid],
                ).fetchone()
                if blocked:
                    waited.append(blocked)
                    break
                time.sleep(0.05)
        other.commit()

    committing = threading.Thread(target=commit_once_the_batch_waits)
    committing.start()
    try:
        [outcome] = record_deliveries(entity, [Item(assignment.pk, "L-meanwhile")])
    finally:
        committing.join()
        other.close()
    assert waited, "the batch's insert waited for the other transaction"
    assert (outcome.status, outcome.delivery_id) == ("existing", theirs)
    assert DistributionTransaction.objects.count() == 1
