"""Credit control (issue 21): a buyer's deliveries pause while an invoice is overdue by more
than the Entity's days, or its open balance is over its credit limit, and resume by
themselves on payment; both are recorded and shown on the partner page and in the portal."""

from decimal import Decimal

import pytest
from django.urls import reverse

from distribution.models import DeliveryHold
from distribution.services import DeliveryError, hold_of, record_delivery, record_plain_delivery
from invoicing.billing import local_today
from invoicing.dunning.credit import review_credit, review_entity
from invoicing.payments import mark_paid, mark_unpaid, record_payment
from invoicing.tasks import collect_payments
from partners.models import PartnerUser

from ..factories import backdate, make_assignment, make_final, make_profile


@pytest.fixture
def assignment(entity, partner):
    return make_assignment(make_profile(entity), partner)


@pytest.fixture
def strict(entity):
    entity.hold_deliveries_overdue_days = 10
    entity.save()
    return entity


def overdue(invoice, days):
    """Let the invoice be `days` overdue today."""
    return backdate(invoice, (invoice.due_date - local_today(invoice.entity)).days + days)


def test_an_invoice_overdue_too_long_pauses_the_buyers_deliveries(strict, partner, assignment):
    invoice = overdue(make_final(strict, partner), 11)
    assert review_credit(partner) == "paused"
    hold = hold_of(partner.pk)
    assert hold.cause == DeliveryHold.OVERDUE
    assert hold.describe() == f"Invoice {invoice.number} was 11 days overdue."
    with pytest.raises(DeliveryError, match="paused by credit control"):
        record_delivery(assignment, "lead-after-pause")


def test_a_paused_buyer_gets_no_delivery_through_the_fast_path(strict, partner, assignment):
    overdue(make_final(strict, partner), 11)
    review_credit(partner)
    assert record_plain_delivery(strict, assignment.pk, "lead-fast") is None


def test_within_the_days_nothing_pauses(strict, partner):
    overdue(make_final(strict, partner), 10)
    assert review_credit(partner) == ""
    assert hold_of(partner.pk) is None


def test_the_payment_resumes_the_deliveries_by_itself(strict, partner, assignment):
    invoice = overdue(make_final(strict, partner), 11)
    review_credit(partner)
    mark_paid(invoice, invoice.issue_date)
    hold = DeliveryHold.objects.get(partner=partner)
    assert hold.ended_at is not None
    assert record_delivery(assignment, "lead-after-payment")[1]


def test_taking_the_payment_back_pauses_them_again(strict, partner):
    invoice = overdue(make_final(strict, partner), 11)
    mark_paid(invoice, invoice.issue_date)
    mark_unpaid(invoice)
    assert hold_of(partner.pk) is not None


def test_an_open_balance_over_the_credit_limit_pauses_the_deliveries(entity, partner):
    entity.hold_deliveries_over_limit = True
    entity.save()
    partner.credit_limit = Decimal("30.00")
    partner.save()
    make_final(entity, partner)  # 23.80 EUR
    assert review_credit(partner) == ""
    second = make_final(entity, partner)  # 47.60 EUR open now
    assert review_credit(partner) == "paused"
    assert "47.60 EUR" in hold_of(partner.pk).describe()
    record_payment(second, Decimal("20.00"), second.issue_date)  # 27.60 EUR open
    assert hold_of(partner.pk) is None


def test_without_a_credit_limit_the_balance_pauses_nothing(entity, partner):
    entity.hold_deliveries_over_limit = True
    entity.save()
    make_final(entity, partner, leads=1000)
    assert review_credit(partner) == ""


def test_turning_credit_control_off_resumes_paused_buyers(strict, partner):
    overdue(make_final(strict, partner), 11)
    review_credit(partner)
    strict.hold_deliveries_overdue_days = None
    strict.save()
    assert review_entity(strict) == {"paused": 0, "resumed": 1}


def test_the_hourly_task_pauses_and_resumes(strict, partner):
    overdue(make_final(strict, partner), 11)
    assert collect_payments()["paused"] == 1
    strict.hold_deliveries_overdue_days = 30  # the Entity gives its buyers longer now
    strict.save()
    assert collect_payments()["resumed"] == 1


def test_the_partner_page_shows_the_pause_and_the_resume(strict, partner, finance_client):
    invoice = overdue(make_final(strict, partner), 11)
    review_credit(partner)
    page = finance_client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    assert "Deliveries paused by credit control" in page and "paused now" in page
    mark_paid(invoice, invoice.issue_date)
    page = finance_client.get(reverse("partners:detail", args=[partner.pk])).content.decode()
    assert "by itself, once paid" in page


def test_the_portal_tells_the_partner_its_deliveries_are_paused(strict, partner):
    from django.test import Client

    invoice = overdue(make_final(strict, partner), 11)
    review_credit(partner)
    user = PartnerUser.objects.create(partner=partner, email="buyer@partner.test")
    user.set_password("correct-horse-42")
    user.save()
    client = Client()
    client.post(reverse("portal:login"), {"email": user.email, "password": "correct-horse-42"})
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "Lead deliveries to you are paused" in page and invoice.number in page


def test_the_api_answers_that_a_paused_buyers_deliveries_are_paused(strict, partner, assignment):
    import json

    from django.test import Client

    from entities.models import ApiKey

    overdue(make_final(strict, partner), 11)
    review_credit(partner)
    key = ApiKey.issue(strict, "router")[1]
    response = Client().post(
        "/api/v1/deliveries",
        json.dumps({"assignment": assignment.pk, "lead": "L-paused"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert "paused by credit control" in response.json()["errors"]["assignment"][0]
