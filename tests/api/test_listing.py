"""Listing through the API (issue 22): the Entity's invoices with filters, and a lead's
deliveries, a page at a time with a cursor; another Entity's are never listed."""

import pytest
from django.test import Client

from entities.models import ApiKey

from ..factories import deliver, make_assignment, make_draft, make_final, make_partner, make_profile


@pytest.fixture
def api_key(entity):
    return ApiKey.issue(entity, "reporting")[1]


def get(url, key, **params):
    return Client().get(url, params, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_invoices_are_listed_a_page_at_a_time(api_key, entity):
    invoices = [make_final(entity, make_partner(entity)) for _ in range(3)]
    first = get("/api/v1/invoices", api_key, limit=2).json()
    assert [i["number"] for i in first["data"]] == [invoices[0].number, invoices[1].number]
    second = get("/api/v1/invoices", api_key, limit=2, cursor=first["next_cursor"]).json()
    assert [i["number"] for i in second["data"]] == [invoices[2].number]
    assert second["next_cursor"] is None


def test_invoices_are_filtered_by_status_and_partner(api_key, entity, partner):
    final = make_final(entity, partner)
    make_draft(entity, make_partner(entity))
    body = get("/api/v1/invoices", api_key, status="final", partner=partner.pk).json()
    assert [i["id"] for i in body["data"]] == [final.pk]
    assert body["data"][0]["total"] == str(final.total)


def test_a_bad_filter_says_which(api_key):
    response = get("/api/v1/invoices", api_key, status="paid", colour="red", limit=0)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "colour", "limit"}


def test_a_forged_cursor_is_refused(api_key):
    response = get("/api/v1/invoices", api_key, cursor="!!!")
    assert response.status_code == 400 and "cursor" in response.json()["errors"]


def test_another_entitys_invoices_are_not_listed(api_key, other_entity):
    make_final(other_entity, make_partner(other_entity))
    assert get("/api/v1/invoices", api_key).json()["data"] == []


def test_a_leads_deliveries_are_listed(api_key, entity, partner):
    [txn] = deliver(make_assignment(make_profile(entity), partner), 1)
    body = get("/api/v1/deliveries", api_key, lead=txn.lead.external_id).json()
    assert [d["id"] for d in body["data"]] == [txn.pk]


def test_listing_deliveries_needs_the_lead(api_key):
    response = get("/api/v1/deliveries", api_key)
    assert response.status_code == 400 and "lead" in response.json()["errors"]


def test_a_method_the_url_does_not_serve_is_405_naming_those_it_does(api_key):
    response = Client().put("/api/v1/deliveries", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"
