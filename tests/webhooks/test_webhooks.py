"""Webhooks (issue 22): the Entity's endpoints hear of finalized invoices and credit notes,
payments in full, voids, cancelled deliveries and return decisions as signed JSON posts;
an endpoint that fails is tried again, a 4xx or a redirect is final, private addresses are
refused, and every post is in the endpoint's delivery log."""

import hashlib
import hmac
import time
from decimal import Decimal

import pytest
from django.urls import reverse

from distribution.models import DistributionTransaction, ReturnPolicy
from invoicing.billing import finalize_invoice
from invoicing.corrections import cancel_deliveries, void_invoice
from invoicing.payments import mark_paid, record_payment
from invoicing.returns import decide_returns, submit_returns
from webhooks.events import url_problem
from webhooks.models import EVENTS, Delivery, Endpoint

from ..celery_worker import wait_until
from ..factories import deliver, make_assignment, make_draft, make_final, make_profile
from ..webhook_receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def endpoint(entity, receiver):
    return Endpoint.objects.create(entity=entity, url=receiver.url, events=EVENTS)


@pytest.fixture
def posting(django_capture_on_commit_callbacks):
    """Run what happens after the commit (the posts), as in production."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def test_finalizing_an_invoice_posts_invoice_finalized(
    endpoint, receiver, posting, partner, entity
):
    invoice = posting(finalize_invoice, make_draft(entity, partner))
    [post] = receiver.posts
    event = post["json"]
    assert event["type"] == "invoice.finalized"
    assert event["data"]["number"] == invoice.number
    assert event["data"]["total"] == str(invoice.total)
    assert event["data"]["partner"] == {"id": partner.pk, "name": partner.legal_name}
    assert post["headers"]["Leadflip-Event"] == "invoice.finalized"
    assert post["headers"]["Leadflip-Delivery"] == event["id"]


def test_the_post_is_signed_with_the_endpoints_secret(endpoint, receiver, posting, entity):
    posting(finalize_invoice, make_draft(entity))
    post = receiver.posts[0]
    stamp, signature = (part.split("=", 1)[1] for part in
                        post["headers"]["Leadflip-Signature"].split(","))  # fmt: skip
    expected = hmac.new(endpoint.secret.encode(), f"{stamp}.".encode() + post["body"],
                        hashlib.sha256).hexdigest()  # fmt: skip
    assert hmac.compare_digest(signature, expected)
    assert abs(int(stamp) - time.time()) < 60  # a receiver refuses an old one: no replay


def test_an_endpoint_hears_only_the_events_it_subscribes_to(entity, receiver, posting):
    Endpoint.objects.create(entity=entity, url=receiver.url, events=["invoice.paid"])
    invoice = posting(finalize_invoice, make_draft(entity))
    assert receiver.events() == []
    posting(mark_paid, invoice, invoice.issue_date)
    assert receiver.events() == ["invoice.paid"]


def test_a_part_payment_is_not_invoice_paid(endpoint, receiver, posting, entity):
    invoice = make_final(entity)
    posting(record_payment, invoice, Decimal("1.00"), invoice.issue_date)
    assert "invoice.paid" not in receiver.events()


def test_voiding_posts_the_void_and_the_credit_note(endpoint, receiver, posting, entity):
    invoice = make_final(entity)
    credit_note = posting(void_invoice, invoice, "wrong partner", "finance")
    assert set(receiver.events()) == {"invoice.voided", "credit_note.finalized"}
    voided = next(p["json"] for p in receiver.posts if p["json"]["type"] == "invoice.voided")
    assert voided["data"]["credit_note"] == credit_note.number


def test_a_cancelled_delivery_is_posted(endpoint, receiver, posting, entity, partner):
    [txn] = deliver(make_assignment(make_profile(entity), partner), 1)
    posting(cancel_deliveries, [txn], DistributionTransaction.REASON_REJECTED, "finance")
    [post] = receiver.posts
    assert post["json"]["type"] == "delivery.cancelled"
    assert post["json"]["data"]["deliveries"][0]["lead"] == txn.lead.external_id


def test_a_return_decision_is_posted(endpoint, receiver, posting, entity, partner):
    profile = make_profile(entity)
    ReturnPolicy.objects.create(profile=profile)
    [txn] = deliver(make_assignment(profile, partner), 1)
    outcome = submit_returns(partner, [txn.lead.external_id], "Duplicate", "", "portal")
    posting(decide_returns, outcome.returns, False, "not a duplicate", "finance")
    [post] = [p for p in receiver.posts if p["json"]["type"] == "return.decided"]
    assert post["json"]["data"]["status"] == "rejected"
    assert post["json"]["data"]["returns"][0]["lead"] == txn.lead.external_id


def test_a_paused_endpoint_hears_nothing(endpoint, receiver, posting, entity):
    endpoint.is_active = False
    endpoint.save()
    posting(finalize_invoice, make_draft(entity))
    assert receiver.posts == []


def test_a_delivered_post_is_in_the_log_with_its_answer(endpoint, receiver, posting, entity):
    posting(finalize_invoice, make_draft(entity))
    delivery = endpoint.deliveries.get()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("delivered", 200, 1)


def test_a_4xx_answer_is_final(endpoint, receiver, posting, entity):
    receiver.answers = [410]
    posting(finalize_invoice, make_draft(entity))
    delivery = endpoint.deliveries.get()
    assert (delivery.status, delivery.response_code) == (Delivery.FAILED, 410)


def test_a_redirect_is_not_followed(endpoint, receiver, posting, entity):
    receiver.answers = [307]
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    posting(finalize_invoice, make_draft(entity))
    assert len(receiver.posts) == 1
    delivery = endpoint.deliveries.get()
    assert delivery.status == Delivery.FAILED and "redirects are not followed" in delivery.answer


def test_without_a_worker_a_failing_endpoint_is_marked_failed(endpoint, receiver, posting, entity):
    receiver.answers = [503]
    posting(finalize_invoice, make_draft(entity))
    delivery = endpoint.deliveries.get()
    assert delivery.status == Delivery.FAILED and "no background worker" in delivery.answer


def test_the_worker_tries_a_failing_endpoint_again(celery_worker, receiver, entity):
    receiver.answers = [503, 502]
    endpoint = Endpoint.objects.create(entity=entity, url=receiver.url, events=EVENTS)
    finalize_invoice(make_draft(entity))
    wait_until(lambda: endpoint.deliveries.filter(status=Delivery.DELIVERED).exists(), 30)
    assert endpoint.deliveries.get().attempts == 3
    assert len(receiver.posts) == 3


def test_a_private_address_is_refused_where_not_allowed(settings):
    settings.ALLOW_PRIVATE_WEBHOOK_HOSTS = False
    assert "private network" in url_problem("https://127.0.0.1/hooks")
    assert "https" in url_problem("http://example.com/hooks")


# The pages


def test_an_owner_adds_an_endpoint_and_sees_its_secret(owner_client, entity, receiver):
    response = owner_client.post(
        reverse("webhooks:create"),
        {"url": receiver.url, "events": ["invoice.finalized", "invoice.paid"], "is_active": "on"},
        follow=True,
    )
    endpoint = Endpoint.objects.get(entity=entity)
    assert endpoint.events == ["invoice.finalized", "invoice.paid"]
    assert endpoint.secret in response.content.decode()


def test_a_private_url_is_refused_in_the_form(owner_client, entity, settings):
    settings.ALLOW_PRIVATE_WEBHOOK_HOSTS = False
    response = owner_client.post(
        reverse("webhooks:create"), {"url": "https://10.0.0.5/hooks", "events": EVENTS}
    )
    assert response.status_code == 400 and "private network" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_a_viewer_does_not_see_the_secret(viewer_client, endpoint):
    page = viewer_client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert endpoint.url in page and endpoint.secret not in page


def test_the_test_button_posts_a_test_event(
    owner_client, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("webhooks:test", args=[endpoint.pk]))
    assert receiver.events() == ["webhook.test"]
    page = owner_client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert "webhook.test" in page and "Delivered" in page


def test_a_failed_delivery_can_be_sent_again(
    owner_client, endpoint, receiver, posting, entity, django_capture_on_commit_callbacks
):
    receiver.answers = [410]
    posting(finalize_invoice, make_draft(entity))
    delivery = endpoint.deliveries.get()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("webhooks:resend", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert delivery.status == Delivery.DELIVERED and delivery.attempts == 2
    assert receiver.posts[0]["json"]["id"] == receiver.posts[1]["json"]["id"]  # the same event


def test_the_post_goes_to_the_address_checked_not_a_second_lookup(receiver):
    from urllib.parse import urlsplit

    from webhooks.events import _PinnedHTTP

    port = urlsplit(receiver.url).port
    # A name that resolves to nothing: only the address given is ever connected to.
    connection = _PinnedHTTP("rebinding.invalid", port, "127.0.0.1", 5)
    connection.request("POST", "/hooks", body=b'{"type": "x"}')
    assert connection.getresponse().status == 200
    assert receiver.posts[0]["headers"]["Host"].startswith("rebinding.invalid")
