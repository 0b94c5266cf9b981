"""The portal's logins: paused per login from anywhere, and per client address on any
logins, the address read behind trusted proxies only; reset mail is rate-limited."""

from django.test import Client
from django.urls import reverse

from .test_portal import PASSWORD, make_portal_user


def attempt(email, password, address="203.0.113.5", **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    return client.post(reverse("portal:login"), {"email": email, "password": password})


def test_a_login_is_paused_whatever_address_the_guesses_come_from(partner, settings):
    user = make_portal_user(partner)
    for n in range(settings.PORTAL_LOGIN_ATTEMPTS):
        attempt(user.email, "wrong", f"198.51.100.{n}")
    response = attempt(user.email, PASSWORD, "192.0.2.9")
    assert "Too many failed attempts" in response.content.decode()


def test_an_address_guessing_many_logins_is_paused(partner, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    user = make_portal_user(partner)
    for n in range(4):
        attempt(f"guess{n}@partner.test", "wrong")
    assert "Too many failed attempts" in attempt(user.email, PASSWORD).content.decode()
    assert attempt(user.email, PASSWORD, "192.0.2.9").status_code == 302


def test_behind_a_trusted_proxy_partners_do_not_share_one_address(partner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    user = make_portal_user(partner)
    for n in range(4):
        attempt(f"guess{n}@partner.test", "wrong", "10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")
    response = attempt(user.email, PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert response.status_code == 302


def test_reset_mail_goes_out_once_in_a_while_per_login(smtp, partner):
    user = make_portal_user(partner)
    for _ in range(3):
        Client().post(reverse("portal:reset"), {"email": user.email})
    assert len(smtp.inbox.messages) == 1
