"""POST /api/v1/leads: which supplier brought a lead and the price agreed for it."""

from decimal import Decimal

import pytest

from distribution.models import Lead
from entities.models import ApiKey

from ..factories import make_partner, make_payout, make_supplier
from .test_deliveries import post

URL = "/api/v1/leads"


@pytest.fixture
def api_key(entity):
    return ApiKey.issue(entity, "affiliate network")[1]


@pytest.fixture
def supplier(entity):
    return make_supplier(entity)


def test_a_supplied_lead_is_recorded_with_its_purchase_price(api_key, supplier):
    body = {"lead": "L-1", "supplier": supplier.pk, "purchase_price": "3.25"}
    response = post(URL, body, api_key)
    assert response.status_code == 201
    lead = Lead.objects.get(external_id="L-1")
    assert (lead.supplier, lead.purchase_price, lead.purchase_currency) == (
        supplier,
        Decimal("3.25"),
        "EUR",
    )


def test_the_same_lead_again_is_updated_not_duplicated(api_key, supplier):
    post(URL, {"lead": "L-1", "supplier": supplier.pk, "purchase_price": "3.00"}, api_key)
    again = post(URL, {"lead": "L-1", "supplier": supplier.pk, "purchase_price": "3.50"}, api_key)
    assert again.status_code == 200
    assert Lead.objects.get(external_id="L-1").purchase_price == Decimal("3.50")


def test_a_buyer_cannot_be_the_source_of_a_lead(api_key, entity):
    buyer = make_partner(entity)
    response = post(URL, {"lead": "L-1", "supplier": buyer.pk, "purchase_price": "1"}, api_key)
    assert response.status_code == 400
    assert "not marked as a lead supplier" in response.json()["errors"]["supplier"][0]


def test_another_entitys_supplier_is_unknown(api_key, other_entity):
    foreign = make_supplier(other_entity)
    response = post(URL, {"lead": "L-1", "supplier": foreign.pk, "purchase_price": "1"}, api_key)
    assert response.status_code == 400
    assert not Lead.objects.exists()


@pytest.mark.parametrize("price", ["-1", "abc", None, "1.23456"])
def test_a_bad_price_gets_400(api_key, supplier, price):
    response = post(URL, {"lead": "L-1", "supplier": supplier.pk, "purchase_price": price}, api_key)
    assert response.status_code == 400
    assert "purchase_price" in response.json()["errors"]


def test_a_lead_already_paid_out_gets_409(api_key, entity):
    payout = make_payout(entity, leads=1)
    lead = Lead.objects.get(payout_invoice_id=payout.pk)
    body = {"lead": lead.external_id, "supplier": payout.partner_id, "purchase_price": "9"}
    assert post(URL, body, api_key).status_code == 409
