"""Idempotency-Key on POST (issue 22): the same key again answers as the first time and
writes nothing more; the key with another body is refused."""

import json

import pytest
from django.test import Client

from distribution.models import DistributionTransaction
from entities.models import ApiKey, IdempotentRequest

from ..factories import make_assignment, make_profile


@pytest.fixture
def api_key(entity):
    return ApiKey.issue(entity, "router")[1]


@pytest.fixture
def assignment(entity, partner):
    return make_assignment(make_profile(entity, "10.00"), partner)


def post(key, body, idempotency_key):
    return Client().post(
        "/api/v1/deliveries",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_IDEMPOTENCY_KEY=idempotency_key,
    )


def test_the_same_key_again_answers_as_the_first_time(api_key, assignment):
    body = {"assignment": assignment.pk, "lead": "L-1"}
    first = post(api_key, body, "retry-me-1")
    again = post(api_key, body, "retry-me-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert DistributionTransaction.objects.count() == 1


def test_the_key_with_another_request_is_refused(api_key, assignment):
    post(api_key, {"assignment": assignment.pk, "lead": "L-1"}, "key-2")
    response = post(api_key, {"assignment": assignment.pk, "lead": "L-2"}, "key-2")
    assert response.status_code == 422
    assert not DistributionTransaction.objects.filter(lead__external_id="L-2").exists()


def test_a_bad_request_is_answered_the_same_again(api_key):
    first = post(api_key, {"lead": "L-1"}, "key-3")
    assert first.status_code == 400
    assert post(api_key, {"lead": "L-1"}, "key-3").json() == first.json()


def test_a_key_older_than_a_day_is_forgotten(api_key, assignment):
    body = {"assignment": assignment.pk, "lead": "L-9"}
    post(api_key, body, "old-key")
    from datetime import timedelta

    from django.utils import timezone

    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = post(api_key, body, "old-key")
    assert again.status_code == 200 and "Idempotent-Replayed" not in again  # done again
