"""Sending invoices through the Account's SMTP server: a real server on loopback."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from entities.models import Entity, SmtpSettings
from invoicing.channels import queue_period, queue_sending
from invoicing.models import Dispatch, Invoice, InvoicingError
from partners.models import Partner

from ..celery_worker import wait_until
from ..factories import make_final, make_partner

XRECHNUNG = {
    "einvoice_format": Partner.EINVOICE_XRECHNUNG_UBL,
    "buyer_reference": "991-01234-56",
}


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_the_partner_receives_the_invoice_with_its_pdf(smtp, entity, partner, send):
    invoice = make_final(entity, partner)
    dispatch = send(invoice)
    [message] = smtp.inbox.messages
    assert message["To"] == partner.email
    assert message["From"] == "Acme Leads Billing <billing@acme.test>"
    assert invoice.number in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    assert attachment.get_content() == bytes(invoice.documents.get(kind="pdf").content)
    assert "partner portal" not in body_of(message)  # never invited to it
    assert (dispatch.status, dispatch.answer) == ("sent", "250 2.0.0 Ok: queued as TEST1")


def test_an_xrechnung_partner_also_gets_the_xml(smtp, entity, send):
    partner = make_partner(entity, **XRECHNUNG)
    invoice = make_final(entity, partner)
    send(invoice)
    names = [a.get_filename() for a in smtp.inbox.messages[0].iter_attachments()]
    assert names == [f"{invoice.number}.pdf", f"{invoice.number}.xml"]


def test_the_entitys_email_text_fills_its_placeholders(smtp, entity, partner, send):
    entity.invoice_email_subject = "Rechnung {number} über {total}"
    entity.save()
    invoice = make_final(entity, partner, leads=1, price="100.00")
    send(invoice)
    assert smtp.inbox.messages[0]["Subject"] == f"Rechnung {invoice.number} über 119.00 EUR"


@pytest.mark.parametrize(
    "text", ["{total:d}", "{total!r}", "{total.real}", "{0}", "Total: {total", "Total} {x",
             "{unknown}"],
)  # fmt: skip
def test_an_email_text_takes_only_plain_placeholders(entity, text):
    entity.invoice_email_body = f"Hello {{partner}}, {text}"
    with pytest.raises(ValidationError):
        entity.full_clean()


def test_an_email_text_that_slipped_past_the_checks_is_sent_as_written(smtp, entity, partner, send):
    Entity.objects.filter(pk=entity.pk).update(invoice_email_subject="{total:d} {number}")
    invoice = make_final(entity, partner)
    assert send(invoice).status == "sent"
    assert smtp.inbox.messages[0]["Subject"] == f"{{total:d}} {invoice.number}"


def test_an_email_that_cannot_be_built_is_a_failure_to_send_again(smtp, entity, partner, send):
    invoice = make_final(entity, partner)
    Partner.objects.filter(pk=partner.pk).update(email="billing@partner.test\nBcc: x@y.test")
    dispatch = send(Invoice.objects.get(pk=invoice.pk))
    assert dispatch.status == "failed"
    assert "could not be put together" in dispatch.answer
    Partner.objects.filter(pk=partner.pk).update(email="billing@partner.test")
    assert send(Invoice.objects.get(pk=invoice.pk)).status == "sent"


def finished(dispatch):
    def check():
        dispatch.refresh_from_db()
        return dispatch.status in (Dispatch.SENT, Dispatch.FAILED)

    wait_until(check)
    return dispatch


def test_a_temporary_failure_is_retried_by_the_worker(celery_worker, smtp, entity, partner):
    smtp.inbox.temporary_failures = 2
    dispatch = finished(queue_sending(make_final(entity, partner)))
    assert (dispatch.status, dispatch.attempts) == ("sent", 3)
    assert len(smtp.inbox.messages) == 1


def test_a_server_that_keeps_failing_leads_to_a_visible_failure(
    celery_worker, smtp, entity, partner
):
    smtp.inbox.temporary_failures = 100
    invoice = make_final(entity, partner)
    dispatch = finished(queue_sending(invoice))
    assert (dispatch.status, dispatch.attempts) == ("failed", 6)
    assert "451" in dispatch.answer and "gave up after 6 attempts" in dispatch.answer
    assert invoice.events.filter(kind="emailed", detail__startswith="failed").exists()


def test_without_a_worker_a_temporary_failure_is_shown_at_once(smtp, entity, partner, send):
    smtp.inbox.temporary_failures = 1
    dispatch = send(make_final(entity, partner))
    assert dispatch.status == "failed"
    assert "no background worker" in dispatch.answer


def test_a_refusal_is_recorded_at_once(smtp, entity, partner, send):
    smtp.inbox.refuse = True
    dispatch = send(make_final(entity, partner))
    assert (dispatch.status, dispatch.attempts) == ("failed", 1)
    assert dispatch.answer.startswith("550")


def test_an_unreachable_server_is_a_temporary_failure(smtp, entity, partner, send):
    SmtpSettings.objects.filter(account=entity.account).update(port=1)
    dispatch = send(make_final(entity, partner))
    assert dispatch.status == "failed"
    # What failed and what to do, in words; not the exception's text.
    assert "refused the connection: check its host and port" in dispatch.answer
    assert "Errno" not in dispatch.answer and "Error" not in dispatch.answer


def test_the_test_email_says_what_failed_in_words(smtp, owner_client, account):
    SmtpSettings.objects.filter(account=account).update(port=1)
    page = owner_client.post(reverse("entities:smtp_test"), follow=True).content.decode()
    assert "refused the connection" in page and "Errno" not in page


def test_a_sent_invoice_is_not_sent_twice_by_accident(smtp, entity, partner, send):
    invoice = make_final(entity, partner)
    send(invoice)
    with pytest.raises(InvoicingError, match="already sent"):
        queue_sending(invoice)
    assert len(smtp.inbox.messages) == 1


def test_a_sent_invoice_can_be_sent_again_on_purpose(smtp, entity, partner, send):
    invoice = make_final(entity, partner)
    send(invoice)
    send(invoice, again=True)
    assert len(smtp.inbox.messages) == 2


def test_an_invoice_in_flight_is_not_queued_twice(smtp, entity, partner):
    invoice = make_final(entity, partner)
    queue_sending(invoice)  # on_commit never runs here: still queued
    with pytest.raises(InvoicingError, match="already being sent"):
        queue_sending(invoice)


def test_a_dispatch_already_sent_is_never_delivered_again(smtp, entity, partner, send):
    from invoicing.channels import deliver

    dispatch = send(make_final(entity, partner))
    deliver(dispatch.pk)
    assert len(smtp.inbox.messages) == 1


def test_sending_needs_a_mail_server(entity, partner):
    from entities.mail import MailNotConfigured

    with pytest.raises(MailNotConfigured):
        queue_sending(make_final(entity, partner))


def test_sending_a_period_sends_each_unsent_invoice_once(
    smtp, entity, django_capture_on_commit_callbacks
):
    first = make_final(entity, make_partner(entity))
    make_final(entity, make_partner(entity))
    with django_capture_on_commit_callbacks(execute=True):
        queue_sending(first)
    with django_capture_on_commit_callbacks(execute=True):
        queued, skipped = queue_period(entity, first.period_start, first.period_end)
    assert (queued, skipped) == (1, [])
    assert len(smtp.inbox.messages) == 2


def test_the_operator_sends_from_the_invoice_page(
    smtp, owner_client, entity, partner, django_capture_on_commit_callbacks
):
    invoice = make_final(entity, partner)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("invoicing:send", args=[invoice.pk]))
    page = owner_client.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()
    assert "queued as TEST1" in page
    assert Dispatch.objects.get().requested_by.email == "owner@acme.test"


def test_the_settings_test_email_shows_the_servers_answer(smtp, owner_client, owner):
    response = owner_client.post(reverse("entities:smtp_test"), follow=True)
    assert "250 2.0.0 Ok" in response.content.decode()
    assert smtp.inbox.messages[0]["To"] == owner.email


def test_the_smtp_password_is_stored_encrypted(owner_client, account):
    owner_client.post(
        reverse("entities:smtp"),
        {"host": "mail.example.com", "port": 587, "security": "starttls", "username": "u",
         "password": "s3cret-pass", "from_email": "billing@example.com", "from_name": ""},
    )  # fmt: skip
    smtp = SmtpSettings.objects.get(account=account)
    assert "s3cret-pass" not in smtp.password_encrypted
    assert smtp.password == "s3cret-pass"


def test_an_empty_password_keeps_the_stored_one(owner_client, account):
    smtp = SmtpSettings(account=account, host="h", port=25, from_email="a@example.com")
    smtp.password = "kept"
    smtp.save()
    owner_client.post(
        reverse("entities:smtp"),
        {"host": "h2", "port": 25, "security": "none", "username": "", "password": "",
         "from_email": "a@example.com", "from_name": ""},
    )  # fmt: skip
    smtp.refresh_from_db()
    assert (smtp.host, smtp.password) == ("h2", "kept")


# Stuck dispatches


def test_each_attempt_of_a_dispatch_carries_its_key_as_message_id(smtp, entity, partner, send):
    dispatch = send(make_final(entity, partner))
    assert str(dispatch.key) in smtp.inbox.messages[0]["Message-ID"]


def test_a_dispatch_a_dead_worker_left_sending_is_failed_not_sent_again(smtp, entity, partner):
    from django.utils import timezone

    from invoicing.channels import sweep_stuck_dispatches

    dispatch = Dispatch.objects.create(
        invoice=make_final(entity, partner), to=partner.email, status=Dispatch.SENDING,
        attempts=1, last_attempt_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    assert sweep_stuck_dispatches() == (1, 0)
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.FAILED and "interrupted" in dispatch.answer
    assert smtp.inbox.messages == []


def test_a_redelivered_task_never_sends_an_interrupted_dispatch(smtp, entity, partner):
    from invoicing.channels import deliver

    dispatch = Dispatch.objects.create(
        invoice=make_final(entity, partner), to=partner.email, status=Dispatch.SENDING
    )
    assert deliver(dispatch.pk).status == Dispatch.FAILED
    assert smtp.inbox.messages == []


def test_a_queued_dispatch_whose_task_was_lost_is_sent(
    smtp, entity, partner, django_capture_on_commit_callbacks
):
    from invoicing.channels import sweep_stuck_dispatches

    dispatch = Dispatch.objects.create(invoice=make_final(entity, partner), to=partner.email)
    Dispatch.objects.filter(pk=dispatch.pk).update(
        created_at=dispatch.created_at - timedelta(hours=1)
    )
    assert sweep_stuck_dispatches() == (0, 1)
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.SENT


def test_the_invoice_page_shows_a_failure_and_sends_again(
    smtp, entity, partner, send, finance_client
):
    smtp.inbox.refuse = True
    invoice = make_final(entity, partner)
    send(invoice)
    page = finance_client.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()
    assert f"Sending to {partner.email} failed" in page and "Send again" in page
    smtp.inbox.refuse = False
    assert send(invoice).status == Dispatch.SENT


# The text of each kind of document


def test_a_self_billed_invoices_mail_is_a_payout_notice(smtp, entity, send):
    from invoicing.billing import finalize_invoice

    from ..factories import make_payout

    payout = finalize_invoice(make_payout(entity))
    send(payout)
    message = smtp.inbox.messages[0]
    body = body_of(message)
    assert (
        message["Subject"]
        == f"Self-billed invoice {payout.number}: your payout from Acme Leads GmbH"
    )
    assert "we have issued the attached self-billed invoice" in body
    assert f"We will pay you {payout.total:,.2f} EUR by {payout.due_date:%Y-%m-%d}." in body
    assert "Please pay" not in body and body.rstrip().endswith("Acme Leads GmbH")


def test_a_credit_notes_mail_names_the_invoice_it_corrects(smtp, entity, partner, send):
    from invoicing.corrections import void_invoice

    invoice = make_final(entity, partner)
    credit_note = void_invoice(invoice, "Wrong partner")
    send(credit_note)
    body = " ".join(body_of(smtp.inbox.messages[0]).split())
    assert f"It corrects invoice {invoice.number}." in body and "It is settled." in body


def test_the_portal_is_mentioned_only_to_partners_who_can_log_in(smtp, entity, partner, send):
    from partners.models import PartnerUser

    send(make_final(entity, partner))
    PartnerUser.objects.create(partner=partner, email="buyer@partner.test")
    send(make_final(entity, partner))
    first, second = (body_of(m) for m in smtp.inbox.messages)
    assert "partner portal" not in first and "/partner/invoices/" in second


def test_a_partly_paid_invoices_mail_asks_for_the_open_balance(smtp, entity, partner, send):
    from decimal import Decimal

    from invoicing.payments import record_payment

    invoice = make_final(entity, partner, leads=10, price="10.00")  # 119.00 EUR
    record_payment(invoice, Decimal("19.00"), invoice.issue_date)
    send(invoice)
    body = body_of(smtp.inbox.messages[0])
    assert "Of its total, 19.00 EUR is paid: please pay the remaining 100.00 EUR" in body


def test_each_kind_of_document_has_its_own_editable_text(owner_client, entity):
    from ..entities.test_settings_page import settings_form

    response = owner_client.post(
        reverse("entities:settings"),
        settings_form(entity, self_billed_email_subject="Gutschrift {number}"),
    )
    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.email_text("self_billed")[0] == "Gutschrift {number}"
