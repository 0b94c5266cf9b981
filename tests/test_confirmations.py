"""What cannot be undone asks first, on a page of its own (no JavaScript needed): the
buttons fetch the question, and only its button posts the action."""

import pytest
from django.urls import reverse

from distribution.models import DistributionTransaction
from invoicing.models import Dispatch, Invoice

from .factories import deliver, make_assignment, make_draft, make_final, make_profile


def test_voiding_asks_first_and_changes_nothing_until_confirmed(finance_client, entity):
    invoice = make_final(entity)
    url = reverse("invoicing:void", args=[invoice.pk])
    page = finance_client.get(url, {"reason": "Wrong partner"}).content.decode()
    assert f"Void invoice {invoice.number}?" in page and "Wrong partner" in page
    assert Invoice.objects.get(pk=invoice.pk).status == "final"
    finance_client.post(url, {"reason": "Wrong partner"})
    assert Invoice.objects.get(pk=invoice.pk).status == "void"


def test_voiding_without_a_reason_says_so_before_asking(finance_client, entity):
    invoice = make_final(entity)
    response = finance_client.get(reverse("invoicing:void", args=[invoice.pk]), {"reason": ""})
    assert response.status_code == 400


def test_deleting_a_draft_asks_first(finance_client, entity):
    draft = make_draft(entity)
    url = reverse("invoicing:delete", args=[draft.pk])
    assert "The draft and its lines are deleted" in finance_client.get(url).content.decode()
    assert Invoice.objects.filter(pk=draft.pk).exists()
    finance_client.post(url)
    assert not Invoice.objects.filter(pk=draft.pk).exists()


def test_cancelling_a_delivery_asks_first(finance_client, entity, partner):
    [txn] = deliver(make_assignment(make_profile(entity), partner))
    url = reverse("invoicing:cancel_delivery", args=[txn.pk])
    page = finance_client.get(url, {"reason": "rejected"}).content.decode()
    assert f"Cancel the delivery of lead {txn.lead.external_id}?" in page
    assert DistributionTransaction.objects.get(pk=txn.pk).status == "delivered"
    finance_client.post(url, {"reason": "rejected"})
    assert DistributionTransaction.objects.get(pk=txn.pk).status == "cancelled"


def test_sending_asks_first(smtp, finance_client, entity, partner):
    invoice = make_final(entity, partner)
    page = finance_client.get(reverse("invoicing:send", args=[invoice.pk])).content.decode()
    assert f"to {partner.email}?" in page
    assert not Dispatch.objects.exists()


def test_sending_a_period_says_how_many_and_asks_first(smtp, finance_client, entity):
    invoice = make_final(entity)
    period = {"start": invoice.period_start, "end": invoice.period_end}
    page = finance_client.get(reverse("invoicing:send_period"), period).content.decode()
    assert "Send 1 invoice of" in page
    assert not Dispatch.objects.exists()


@pytest.mark.parametrize("name", ["invoicing:void", "invoicing:delete", "invoicing:send"])
def test_a_viewer_is_not_even_asked(viewer_client, entity, name):
    invoice = make_draft(entity) if name == "invoicing:delete" else make_final(entity)
    assert viewer_client.get(reverse(name, args=[invoice.pk])).status_code == 403
