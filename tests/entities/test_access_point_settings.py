"""An owner sets up the Account's Peppol access point in Settings: the key and the webhook
secret are stored encrypted and never shown again, the webhook address is shown, and the
API address must be on the internet."""

import pytest
from django.urls import reverse

from entities.models import AccessPointSettings
from invoicing.channels import PermanentError
from invoicing.channels import access_point as api

FORM = {"provider": "e_invoice_be", "base_url": "https://api.e-invoice.be",
        "api_key": "key-123", "webhook_secret": "whsec-456"}  # fmt: skip


@pytest.fixture
def public_only(settings):
    settings.ALLOW_PRIVATE_ACCESS_POINT_HOSTS = False


def test_an_owner_saves_the_access_point_with_its_secrets_encrypted(owner_client, account):
    response = owner_client.post(reverse("entities:access_point"), FORM)
    assert response.status_code == 302
    saved = AccessPointSettings.objects.get(account=account)
    assert (saved.api_key, saved.webhook_secret) == ("key-123", "whsec-456")
    assert "key-123" not in saved.api_key_encrypted


def test_the_settings_page_shows_the_webhook_address_but_not_the_secrets(owner_client, account):
    owner_client.post(reverse("entities:access_point"), FORM)
    token = AccessPointSettings.objects.get(account=account).webhook_token
    page = owner_client.get(reverse("entities:settings")).content.decode()
    assert reverse("peppol_webhook", args=[token]) in page
    assert "key-123" not in page and "whsec-456" not in page


def test_leaving_the_key_empty_keeps_the_stored_one(owner_client, account):
    owner_client.post(reverse("entities:access_point"), FORM)
    changed = {**FORM, "api_key": "", "webhook_secret": "", "base_url": "https://api2.example"}
    assert owner_client.post(reverse("entities:access_point"), changed).status_code == 302
    saved = AccessPointSettings.objects.get(account=account)
    assert (saved.base_url, saved.api_key, saved.webhook_secret) == (
        "https://api2.example",
        "key-123",
        "whsec-456",
    )


def test_the_first_save_needs_an_api_key(owner_client):
    response = owner_client.post(reverse("entities:access_point"), {**FORM, "api_key": ""})
    assert response.status_code == 400
    assert "Give the API key" in response.content.decode()
    assert not AccessPointSettings.objects.exists()


def test_only_an_owner_sets_up_the_access_point(finance_client):
    response = finance_client.post(reverse("entities:access_point"), FORM)
    assert response.status_code == 403
    assert not AccessPointSettings.objects.exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "[::1]"])
def test_an_access_point_on_a_private_address_is_refused(public_only, owner_client, host):
    response = owner_client.post(
        reverse("entities:access_point"), {**FORM, "base_url": f"http://{host}:8080"}
    )
    assert response.status_code == 400
    assert "private network" in response.content.decode()
    assert not AccessPointSettings.objects.exists()


def test_a_stored_private_access_point_is_never_called(public_only, access_point):
    with pytest.raises(PermanentError, match="private network"):
        api.is_reachable(access_point.settings, "0208:0202239951", "any")
    assert access_point.requests == []
