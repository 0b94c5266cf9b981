"""Email to addresses beyond ASCII (two demo partners bill to …@versicherungsbüro…): the
domain goes out in IDNA, a local part beyond ASCII only through a server that offers
SMTPUTF8; what a server cannot take is a failure on that partner, never a 500, and a batch
goes on with the others."""

import pytest
from django.urls import reverse

from entities.models import SmtpSettings
from invoicing.channels import queue_sending
from invoicing.models import Dispatch

from ..factories import make_final, make_partner
from ..smtp_server import SmtpServer


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def run(invoice):
        with django_capture_on_commit_callbacks(execute=True):
            dispatch = queue_sending(invoice)
        dispatch.refresh_from_db()
        return dispatch

    return run


@pytest.fixture
def smtputf8(account):
    server = SmtpServer(smtputf8=True)
    SmtpSettings.objects.create(
        account=account, host="127.0.0.1", port=server.port, security=SmtpSettings.NONE,
        from_email="billing@acme.test",
    )  # fmt: skip
    yield server
    server.stop()


def test_a_domain_beyond_ascii_goes_out_in_idna(smtp, entity, send):
    partner = make_partner(entity, email="buchhaltung@versicherungsbüro.de")
    dispatch = send(make_final(entity, partner))
    assert dispatch.status == Dispatch.SENT
    assert smtp.inbox.envelopes[0].rcpt_tos == ["buchhaltung@xn--versicherungsbro-wzb.de"]


def test_a_local_part_beyond_ascii_needs_a_server_with_smtputf8(smtp, entity, send):
    partner = make_partner(entity, email="müller@versicherungsbüro.de")
    dispatch = send(make_final(entity, partner))
    assert dispatch.status == Dispatch.FAILED
    assert "does not offer SMTPUTF8" in dispatch.answer
    assert smtp.inbox.messages == []


def test_a_server_with_smtputf8_takes_it(smtputf8, entity, send):
    partner = make_partner(entity, email="müller@versicherungsbüro.de")
    dispatch = send(make_final(entity, partner))
    assert dispatch.status == Dispatch.SENT
    assert smtputf8.inbox.envelopes[0].rcpt_tos == ["müller@xn--versicherungsbro-wzb.de"]


def test_email_all_goes_on_past_an_address_the_server_cannot_take(
    smtp, entity, finance_client, django_capture_on_commit_callbacks
):
    bad = make_final(entity, make_partner(entity, email="müller@versicherungsbüro.de"))
    good = make_final(entity, make_partner(entity, email="billing@partner.test"))
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_client.post(
            reverse("invoicing:send_period"),
            {"start": bad.period_start, "end": bad.period_end},
            follow=True,
        )
    assert response.status_code == 200
    statuses = {d.invoice_id: d.status for d in Dispatch.objects.all()}
    assert statuses == {bad.pk: "failed", good.pk: "sent"}
    assert len(smtp.inbox.messages) == 1
