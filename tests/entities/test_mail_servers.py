"""An operator's mail server must be on the internet: the product never connects to its
own network on an operator's say-so (the test email scanned internal ports)."""

import pytest
from django.urls import reverse

from entities.models import SmtpSettings

FORM = {"port": 587, "security": "starttls", "username": "", "password": "",
        "from_email": "billing@acme.test", "from_name": ""}  # fmt: skip


@pytest.fixture
def public_only(settings):
    settings.ALLOW_PRIVATE_SMTP_HOSTS = False


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.10", "172.16.5.4",
             "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "::ffff:127.0.0.1"],
)  # fmt: skip
def test_a_mail_server_on_a_private_address_is_refused(public_only, owner_client, host):
    response = owner_client.post(reverse("entities:smtp"), {**FORM, "host": host})
    assert response.status_code == 400
    assert "private network" in response.content.decode()
    assert not SmtpSettings.objects.exists()


def test_a_mail_server_on_the_internet_is_accepted(public_only, owner_client, account):
    response = owner_client.post(reverse("entities:smtp"), {**FORM, "host": "93.184.215.14"})
    assert response.status_code == 302
    assert SmtpSettings.objects.get(account=account).host == "93.184.215.14"


def test_a_stored_private_server_gets_no_connection(public_only, smtp, owner_client):
    response = owner_client.post(reverse("entities:smtp_test"), follow=True)
    assert "private network" in response.content.decode()
    assert smtp.inbox.messages == []


def test_self_hosted_installations_may_allow_their_own_network(smtp, owner_client):
    response = owner_client.post(reverse("entities:smtp_test"), follow=True)
    assert "Test email sent" in response.content.decode()
