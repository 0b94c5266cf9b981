"""Generated input, thrown at the API and at the forms that take the most free text: never a
server error, and a refusal (4xx) writes nothing. Hypothesis makes the input; the Django
test client raises any exception a view lets out, so a 500 fails the test."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distribution.models import DistributionTransaction, Lead
from entities.models import ApiKey, Entity
from invoicing.models import Invoice
from partners.models import Partner

from .entities.test_settings_page import settings_form
from .factories import deliver, make_assignment, make_profile, make_supplier

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# JSON of any shape, including the values that broke the API: deep nesting, huge and
# non-ASCII numbers, NUL, lone surrogates, floats out of range.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["²", "١٢", "1e8", "1e400", "\x00", "\ud800", "2026-10-15T14:30:00Z",
                       "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59", "rejected"])
)  # fmt: skip
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=10)  # fmt: skip


def body_for(fields: list[str]):
    """Objects with the endpoint's own fields (so the checks behind the first are reached)
    and some others."""
    known = st.fixed_dictionaries({}, optional={f: json_values for f in fields})
    return st.one_of(known, json_values)


def rows() -> tuple[int, ...]:
    return (Lead.objects.count(), DistributionTransaction.objects.count(),
            Invoice.objects.count(), Partner.objects.count())  # fmt: skip


@pytest.fixture
def api(entity, partner):
    key = ApiKey.issue(entity, "fuzz")[1]
    assignment = make_assignment(make_profile(entity), partner)
    [delivery] = deliver(assignment)
    supplier = make_supplier(entity)
    return key, assignment, delivery, supplier


def send(key, url, body) -> int:
    raw = json.dumps(body)
    response = Client().post(url, raw, content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {key}")  # fmt: skip
    assert response.status_code < 500
    assert response["Content-Type"] == "application/json"
    return response.status_code


@SETTINGS
@given(body=body_for(["assignment", "lead", "delivered_at"]))
def test_the_delivery_api_never_fails_on_any_json(api, body):
    key, assignment, _, _ = api
    if isinstance(body, dict) and body.get("assignment") == "own":
        body["assignment"] = assignment.pk
    before = rows()
    if send(key, "/api/v1/deliveries", body) >= 400:
        assert rows() == before


@SETTINGS
@given(body=body_for(["lead", "supplier", "purchase_price", "received_at"]))
def test_the_lead_api_never_fails_on_any_json(api, body):
    key, _, _, supplier = api
    if isinstance(body, dict) and "supplier" in body and body["supplier"] is None:
        body["supplier"] = supplier.pk  # reach the price and time checks too
    before = rows()
    if send(key, "/api/v1/leads", body) >= 400:
        assert rows() == before


@SETTINGS
@given(body=body_for(["reason"]))
def test_the_cancel_api_never_fails_on_any_json(api, body):
    key, _, delivery, _ = api
    before = DistributionTransaction.objects.get(pk=delivery.pk).status
    if send(key, f"/api/v1/deliveries/{delivery.pk}/cancel", body) >= 400:
        assert DistributionTransaction.objects.get(pk=delivery.pk).status == before


# Forms: every field a piece of generated text (or left out)

form_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "0", "-1", "99999999999999999999", "9999-12-31", "0001-01-01", "²",
                     "DE136695976", "FR40303265045", "{seq:>100}", "{total:d}", "RE-{seq}"]),
)  # fmt: skip


def form_data(fields: list[str]):
    return st.fixed_dictionaries({}, optional={f: form_values for f in fields})


PARTNER_FIELDS = ["name", "kind", "legal_name", "street", "postcode", "city", "country",
                  "vat_id", "tax_number", "email", "is_buyer", "is_supplier", "iban", "bic",
                  "currency", "einvoice_format", "buyer_reference", "line_items",
                  "payment_terms", "custom_days", "is_active"]  # fmt: skip


@SETTINGS
@given(data=form_data(PARTNER_FIELDS))
def test_the_partner_form_never_fails(owner_client, data):
    before = rows()
    response = owner_client.post(reverse("partners:create"), {k: clean(v) for k, v in data.items()})
    assert response.status_code < 500
    if response.status_code != 302:
        assert rows() == before


@SETTINGS
@given(changes=form_data(["legal_name", "country", "vat_id", "iban", "bic", "invoice_number_format",
                          "credit_note_number_format", "invoice_email_subject",
                          "invoice_email_body", "payment_terms_days", "billing_day",
                          "time_zone", "default_currency"]))  # fmt: skip
def test_the_settings_form_never_fails(owner_client, entity, changes):
    before = Entity.objects.filter(pk=entity.pk).values().get()
    form = settings_form(
        Entity.objects.get(pk=entity.pk), **{k: clean(v) for k, v in changes.items()}
    )
    response = owner_client.post(reverse("entities:settings"), form)
    assert response.status_code < 500
    if response.status_code != 302:
        assert Entity.objects.filter(pk=entity.pk).values().get() == before


@SETTINGS
@given(period=form_data(["start", "end", "mode"]))
def test_the_period_forms_never_fail(finance_client, period):
    period = {k: clean(v) for k, v in period.items()}
    before = rows()
    assert finance_client.get(reverse("invoicing:preview"), period).status_code < 500
    assert finance_client.get(reverse("distribution:logs"), period).status_code < 500
    response = finance_client.post(reverse("invoicing:generate"), period)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert rows() == before


def clean(value: str) -> str:
    """What a browser can send in a form: text the client can encode (no lone surrogates)."""
    return value.encode("utf-8", "replace").decode()
