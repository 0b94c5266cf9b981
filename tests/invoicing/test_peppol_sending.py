"""Sending over Peppol through the Account's access point (a local stub speaking
e-invoice.be's API): lookup, validation, hand-over, delivery or rejection by webhook or by
asking, retries that never send twice, and the partner's delivery setting."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from invoicing import channels
from invoicing.billing import finalize_invoice
from invoicing.channels import queue_sending
from invoicing.corrections import void_invoice
from invoicing.models import Dispatch
from invoicing.payouts import generate_payout_drafts
from partners.models import Partner

from ..access_point_stub import ALL_DOCUMENT_TYPES
from ..celery_worker import Worker, wait_until
from ..factories import OCTOBER, make_draft, make_entity, make_partner, make_supplier, supply
from ..portal.test_portal import make_portal_user

BUYER = "0208:0202239951"


@pytest.fixture
def entity(account):
    """A Belgian Entity: structured invoices over Peppol are the rule between businesses."""
    return make_entity(
        account, name="Acme BE", country="BE", vat_id="BE0403019261", time_zone="Europe/Brussels"
    )


@pytest.fixture
def buyer(entity):
    """A Belgian business: its invoices are Peppol BIS, its delivery automatic."""
    return make_partner(entity, country="BE", vat_id="BE0202239951")


@pytest.fixture
def on_peppol(access_point):
    access_point.participants[BUYER] = ALL_DOCUMENT_TYPES
    return access_point


def invoice_for(entity, partner):
    return finalize_invoice(make_draft(entity, partner))


def test_an_invoice_to_a_partner_on_peppol_is_handed_to_the_access_point(
    on_peppol, entity, buyer, send
):
    invoice = invoice_for(entity, buyer)
    dispatch = send(invoice)
    assert (dispatch.channel, dispatch.status, dispatch.to) == ("peppol", "sent", BUYER)
    [(document_id, receiver)] = on_peppol.sent
    assert (dispatch.external_id, receiver) == (document_id, BUYER)
    assert on_peppol.documents[document_id]["xml"] == bytes(
        invoice.documents.get(kind="xml").content
    )
    assert invoice.events.filter(kind="peppol", detail__contains="handed to the access point")


def test_the_access_point_is_asked_before_sending_whether_the_partner_is_on_peppol(
    on_peppol, entity, buyer, send
):
    send(invoice_for(entity, buyer))
    assert on_peppol.requests[:3] == [
        "GET /api/lookup",
        "POST /api/validate/ubl",
        "POST /api/documents/ubl",
    ]


def test_automatic_delivery_emails_a_partner_not_on_peppol(access_point, smtp, entity, buyer, send):
    dispatch = send(invoice_for(entity, buyer))
    assert (dispatch.channel, dispatch.status, dispatch.to) == ("email", "sent", buyer.email)
    assert access_point.sent == []
    [message] = smtp.inbox.messages
    attachments = [part.get_filename() for part in message.iter_attachments()]
    assert any(name.endswith(".xml") for name in attachments)  # the Peppol UBL goes along


def test_peppol_delivery_fails_visibly_for_a_partner_not_on_peppol(access_point, entity, send):
    partner = make_partner(
        entity, country="BE", vat_id="BE0202239951", delivery=Partner.DELIVERY_PEPPOL
    )
    dispatch = send(invoice_for(entity, partner))
    assert dispatch.status == "failed"
    assert "is not registered on Peppol to receive this kind of document" in dispatch.answer


def test_a_partner_registered_for_invoices_only_gets_its_credit_note_by_email(
    access_point, smtp, entity, buyer, send
):
    access_point.participants[BUYER] = ALL_DOCUMENT_TYPES[:1]
    invoice = invoice_for(entity, buyer)
    assert send(invoice).channel == "peppol"
    credit_note = void_invoice(invoice, "Billed twice")
    assert send(credit_note).channel == "email"


def test_without_an_access_point_automatic_delivery_is_email(smtp, entity, buyer, send):
    assert send(invoice_for(entity, buyer)).channel == "email"


def test_peppol_delivery_without_an_access_point_is_refused_before_queueing(
    entity,
):
    partner = make_partner(
        entity, country="BE", vat_id="BE0202239951", delivery=Partner.DELIVERY_PEPPOL
    )
    with pytest.raises(Exception, match="Peppol needs an access point"):
        queue_sending(invoice_for(entity, partner))


def test_the_access_points_validation_errors_are_shown_in_words(on_peppol, entity, buyer, send):
    on_peppol.validation_errors = [
        {"rule_id": "PEPPOL-EN16931-R010", "message": "Buyer electronic address MUST be provided"}
    ]
    dispatch = send(invoice_for(entity, buyer))
    assert dispatch.status == "rejected"
    assert "[PEPPOL-EN16931-R010] Buyer electronic address MUST be provided" in dispatch.answer
    assert on_peppol.sent == []


def test_a_rejection_by_the_network_is_recorded_with_its_reason(on_peppol, entity, buyer, send):
    on_peppol.reject_on_send = "Receiver access point refused: unknown participant"
    invoice = invoice_for(entity, buyer)
    dispatch = send(invoice)
    assert dispatch.status == "rejected"
    assert dispatch.answer == "Receiver access point refused: unknown participant"
    assert invoice.events.filter(kind="peppol", detail__startswith="rejected: Receiver")


def test_a_wrong_api_key_says_where_to_fix_it(on_peppol, entity, buyer, send):
    on_peppol.api_key = "another key"
    dispatch = send(invoice_for(entity, buyer))
    assert dispatch.status == "failed"
    assert "check it in Settings → Peppol" in dispatch.answer


def test_the_webhook_marks_the_invoice_delivered(on_peppol, entity, buyer, send, client):
    dispatch = send(invoice_for(entity, buyer))
    on_peppol.deliver(dispatch.external_id)
    body, signature = on_peppol.webhook(dispatch.external_id)
    response = post_webhook(client, on_peppol, body, signature)
    assert response.status_code == 200
    dispatch.refresh_from_db()
    assert dispatch.status == "delivered" and dispatch.delivered_at is not None


def test_a_duplicate_webhook_changes_nothing(on_peppol, entity, buyer, send, client):
    invoice = invoice_for(entity, buyer)
    dispatch = send(invoice)
    on_peppol.deliver(dispatch.external_id)
    body, signature = on_peppol.webhook(dispatch.external_id)
    post_webhook(client, on_peppol, body, signature)
    post_webhook(client, on_peppol, body, signature)
    assert invoice.events.filter(kind="peppol", detail__startswith="delivered").count() == 1


def test_a_webhook_with_a_wrong_signature_is_refused(on_peppol, entity, buyer, send, client):
    dispatch = send(invoice_for(entity, buyer))
    on_peppol.deliver(dispatch.external_id)
    body, _signature = on_peppol.webhook(dispatch.external_id)
    response = post_webhook(client, on_peppol, body, "sha256=" + "0" * 64)
    assert response.status_code == 403
    dispatch.refresh_from_db()
    assert dispatch.status == "sent"


def test_a_webhook_cannot_claim_more_than_the_access_point_says(
    on_peppol, entity, buyer, send, client
):
    dispatch = send(invoice_for(entity, buyer))
    body, signature = on_peppol.webhook(dispatch.external_id)  # "sent", but still in transit
    post_webhook(client, on_peppol, body, signature)
    dispatch.refresh_from_db()
    assert dispatch.status == "sent"


def test_a_webhook_for_another_accounts_document_is_ignored(on_peppol, entity, buyer, send, client):
    from entities.models import AccessPointSettings

    from ..factories import make_account

    other = AccessPointSettings(account=make_account("Other"), base_url=on_peppol.url)
    other.api_key, other.webhook_secret = on_peppol.api_key, on_peppol.webhook_secret
    other.save()
    dispatch = send(invoice_for(entity, buyer))
    on_peppol.deliver(dispatch.external_id)
    body, signature = on_peppol.webhook(dispatch.external_id)
    client.post(
        reverse("peppol_webhook", args=[other.webhook_token]),
        body,
        content_type="application/json",
        headers={"X-Signature": signature},
    )
    dispatch.refresh_from_db()
    assert dispatch.status == "sent"


def test_without_a_webhook_the_state_is_asked_for(on_peppol, entity, buyer, send):
    dispatch = send(invoice_for(entity, buyer))
    on_peppol.refuse(dispatch.external_id, "Document rejected by the receiver (MLR RE)")
    assert channels.follow_sent_dispatches() == 1
    dispatch.refresh_from_db()
    assert (dispatch.status, dispatch.answer) == (
        "rejected",
        "Document rejected by the receiver (MLR RE)",
    )


def test_a_timeout_after_sending_is_not_sent_again(on_peppol, entity, buyer, settings):
    settings.PEPPOL_TIMEOUT = 1
    on_peppol.slow_send_seconds = 2  # the document goes out, the answer comes too late
    dispatch = Dispatch.objects.create(
        invoice=invoice_for(entity, buyer), channel="peppol", to=BUYER
    )
    with pytest.raises(channels.TemporaryError, match="did not answer"):
        channels.deliver(dispatch.pk)
    dispatch.refresh_from_db()
    assert dispatch.status == "queued" and dispatch.external_id
    on_peppol.slow_send_seconds = 0
    assert channels.deliver(dispatch.pk).status == "sent"  # the retry asks first
    assert len(on_peppol.sent) == 1


def test_a_worker_stopped_before_sending_sends_once_when_resumed(
    on_peppol, entity, buyer, settings
):
    invoice = invoice_for(entity, buyer)
    dispatch = interrupted_dispatch(invoice)
    # It had handed the document over, and stopped before asking to send it.
    from invoicing.channels import access_point

    xml = bytes(invoice.documents.get(kind="xml").content)
    dispatch.external_id = access_point.hand_over(on_peppol.settings, "x.xml", xml)
    dispatch.save(update_fields=["external_id"])
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert channels.sweep_stuck_dispatches() == (0, 1)
    dispatch.refresh_from_db()
    assert dispatch.status == "sent"
    assert on_peppol.sent == [(dispatch.external_id, BUYER)]


def test_a_worker_stopped_after_sending_does_not_send_again(on_peppol, entity, buyer):
    invoice = invoice_for(entity, buyer)
    dispatch = interrupted_dispatch(invoice)
    from invoicing.channels import access_point

    xml = bytes(invoice.documents.get(kind="xml").content)
    dispatch.external_id = access_point.hand_over(on_peppol.settings, "x.xml", xml)
    dispatch.save(update_fields=["external_id"])
    access_point.send(on_peppol.settings, dispatch.external_id, BUYER, "")
    assert channels.deliver(dispatch.pk).status == "sent"
    assert len(on_peppol.sent) == 1


def test_a_slow_access_point_is_retried_by_the_worker(celery_worker, on_peppol, entity, buyer):
    on_peppol.slow_send_seconds = 2  # more than the worker's PEPPOL_TIMEOUT
    dispatch = queue_sending(invoice_for(entity, buyer))
    wait_until(lambda: Dispatch.objects.get(pk=dispatch.pk).attempts >= 2, timeout=30)
    on_peppol.slow_send_seconds = 0
    wait_until(lambda: Dispatch.objects.get(pk=dispatch.pk).status == "sent", timeout=30)
    assert len(on_peppol.sent) == 1


def test_a_worker_killed_while_sending_is_resumed_by_the_next_one(
    celery_worker, on_peppol, entity, buyer, tmp_path, settings
):
    on_peppol.slow_send_seconds = 30
    dispatch = queue_sending(invoice_for(entity, buyer))
    wait_until(lambda: len(on_peppol.sent) == 1, timeout=30)
    celery_worker.kill()  # in the middle of the send: it went out, the answer never came
    assert Dispatch.objects.get(pk=dispatch.pk).status == "sending"
    on_peppol.slow_send_seconds = 0
    settings.DISPATCH_STUCK_SECONDS = 0
    restarted = Worker(
        tmp_path / "restarted.log", flush=False, SEND_RETRY_SECONDS=0, PEPPOL_TIMEOUT=1,
        FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY,
    )  # fmt: skip
    try:
        assert channels.sweep_stuck_dispatches() == (0, 1)
        wait_until(lambda: Dispatch.objects.get(pk=dispatch.pk).status == "sent", timeout=30)
    finally:
        restarted.stop()
    assert len(on_peppol.sent) == 1


def test_a_self_billed_invoice_goes_to_the_supplier_over_peppol(access_point, entity, send):
    supplier = make_supplier(entity, vat_id="DE129273398", einvoice_format="peppol")
    access_point.participants["9930:DE129273398"] = ALL_DOCUMENT_TYPES
    supply(entity, supplier, 1, "4.00")
    generate_payout_drafts(entity, *OCTOBER)
    invoice = finalize_invoice(supplier.invoices.get(self_billed=True))
    dispatch = send(invoice)
    assert (dispatch.channel, dispatch.status, dispatch.to) == (
        "peppol",
        "sent",
        "9930:DE129273398",
    )


def test_portal_only_publishes_without_email(smtp, entity, send):
    partner = make_partner(entity, delivery=Partner.DELIVERY_PORTAL)
    make_portal_user(partner)
    dispatch = send(invoice_for(entity, partner))
    assert (dispatch.channel, dispatch.status) == ("portal", "delivered")
    assert smtp.inbox.messages == []


def test_portal_only_needs_someone_who_can_log_in(entity):
    partner = make_partner(entity, delivery=Partner.DELIVERY_PORTAL)
    with pytest.raises(Exception, match="nobody there can log in yet"):
        queue_sending(invoice_for(entity, partner))


def test_a_document_failing_the_ubl_schema_never_leaves(on_peppol, entity, buyer):
    from invoicing.channels import PermanentError
    from invoicing.channels.peppol import check_schema

    with pytest.raises(PermanentError, match="UBL 2.1 schema"):
        check_schema(b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>')


def test_the_invoice_page_shows_how_it_was_sent(on_peppol, entity, buyer, send, owner_client):
    invoice = invoice_for(entity, buyer)
    dispatch = send(invoice)
    on_peppol.deliver(dispatch.external_id)
    channels.follow_sent_dispatches()
    page = owner_client.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()
    assert "Peppol" in page and BUYER in page and "Delivered" in page


def post_webhook(client, stub, body, signature):
    return client.post(
        reverse("peppol_webhook", args=[stub.settings.webhook_token]),
        body,
        content_type="application/json",
        headers={"X-Signature": signature},
    )


def interrupted_dispatch(invoice) -> Dispatch:
    """A Peppol dispatch a worker began long ago and never finished."""
    return Dispatch.objects.create(
        invoice=invoice,
        channel="peppol",
        to=BUYER,
        status="sending",
        attempts=1,
        last_attempt_at=timezone.now() - timedelta(hours=1),
    )


def test_the_invoice_page_shows_the_channel_and_the_access_points_document(
    on_peppol, entity, buyer, send, finance_client
):
    invoice = invoice_for(entity, buyer)
    dispatch = send(invoice)
    page = finance_client.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()
    assert dispatch.external_id in page
    assert "Peppol" in page and BUYER in page


def test_the_send_button_says_peppol_for_a_partner_on_peppol(
    on_peppol, entity, buyer, finance_client
):
    invoice = invoice_for(entity, buyer)
    page = finance_client.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()
    assert "Send over Peppol…" in page


def test_the_bulk_confirmation_names_each_invoices_channel(
    on_peppol, entity, buyer, finance_client
):
    invoice = invoice_for(entity, buyer)
    page = finance_client.get(
        reverse("invoicing:selected"), {"action": "send", "invoices": [invoice.pk]}
    ).content.decode()
    assert f"{invoice} → Peppol: {BUYER}" in page


def test_the_portal_shows_the_partner_how_its_invoice_was_sent(on_peppol, entity, buyer, send):
    from ..portal.test_portal import portal_client

    invoice = invoice_for(entity, buyer)
    dispatch = send(invoice)
    on_peppol.deliver(dispatch.external_id)
    channels.follow_sent_dispatches()
    page = portal_client(make_portal_user(buyer)).get(reverse("portal:invoices")).content.decode()
    assert "Peppol" in page and "(delivered)" in page
