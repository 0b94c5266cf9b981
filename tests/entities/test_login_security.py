"""Operator logins under attack: django-axes locks an account after a few failures from
anywhere and an address after more on any accounts; the client's address is read behind
trusted proxies only; a forgotten password is reset by email, rate-limited, and lifts the
lockout. (50 wrong passwords in 14 s, then the right one, used to log in.)"""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from ..factories import make_user

PASSWORD = "correct-horse-42"  # the factories' password


@pytest.fixture
def user(account, entity):
    return make_user(account, email="finance@acme.test")


def log_in(email: str, password: str, address: str = "203.0.113.5", **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    return client.post(reverse("login"), {"username": email, "password": password}), client


def fail(times: int, email: str, address: str = "203.0.113.5", **headers) -> None:
    for _ in range(times):
        log_in(email, "wrong password", address, **headers)


def test_the_right_password_works(user):
    response, _ = log_in(user.email, PASSWORD)
    assert response.status_code == 302


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(user):
    fail(5, user.email)
    response, client = log_in(user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert client.get(reverse("invoicing:index")).status_code == 302  # not logged in


def test_the_lock_holds_from_another_address_and_however_the_email_is_typed(user):
    fail(5, user.email, "203.0.113.5")
    response, _ = log_in(" FINANCE@Acme.test ", PASSWORD, "198.51.100.7")
    assert response.status_code == 429


def test_other_accounts_at_the_same_address_still_log_in(user, account):
    other = make_user(account, email="owner@acme.test")
    fail(5, user.email)
    response, _ = log_in(other.email, PASSWORD)
    assert response.status_code == 302


def test_an_address_guessing_many_accounts_is_locked(user, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    for n in range(8):
        fail(1, f"guess{n}@acme.test")
    response, _ = log_in(user.email, PASSWORD)
    assert response.status_code == 429
    response, _ = log_in(user.email, PASSWORD, "198.51.100.7")
    assert response.status_code == 302


def test_a_forwarded_address_is_ignored_without_a_trusted_proxy(user, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        fail(1, f"guess{n}@acme.test", "203.0.113.5", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response, _ = log_in(user.email, PASSWORD, "203.0.113.5", HTTP_X_FORWARDED_FOR="10.0.0.9")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_one_client_does_not_lock_the_others(user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    proxy = "10.0.0.2"
    for n in range(3):
        fail(1, f"guess{n}@acme.test", proxy, HTTP_X_FORWARDED_FOR="198.51.100.66")
    blocked, _ = log_in(user.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.66")
    # What the client wrote left of the proxy's entry is not believed.
    spoofed, _ = log_in(user.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.66")
    other, _ = log_in(user.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert (blocked.status_code, spoofed.status_code, other.status_code) == (429, 429, 302)


def test_the_admin_login_is_throttled_too(user):
    user.is_staff = True
    user.save()
    client = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(5):
        client.post("/admin/login/", {"username": user.email, "password": "wrong"})
    response = client.post("/admin/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429


# Password reset


def reset_link() -> str:
    [message] = mail.outbox
    return re.search(r"https?://\S+/password-reset/\S+/\S+/", message.body).group(0)


def test_a_forgotten_password_is_reset_by_email(user):
    response = Client().post(reverse("password_reset"), {"email": "Finance@acme.test"})
    assert response.url == reverse("password_reset_done")
    client = Client()
    form = client.get(reset_link(), follow=True)
    assert "Choose a new password" in form.content.decode()
    new = {"new_password1": "a-new-horse-77", "new_password2": "a-new-horse-77"}
    client.post(form.redirect_chain[-1][0], new)
    user.refresh_from_db()
    assert user.check_password("a-new-horse-77")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(db):
    response = Client().post(reverse("password_reset"), {"email": "nobody@acme.test"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_reset_mail_goes_out_once_in_a_while_per_address(user):
    for _ in range(3):
        Client().post(reverse("password_reset"), {"email": user.email})
    assert len(mail.outbox) == 1


def test_a_new_password_lifts_the_lockout(user):
    fail(5, user.email)
    Client().post(reverse("password_reset"), {"email": user.email})
    client = Client()
    form = client.get(reset_link(), follow=True)
    new = {"new_password1": "a-new-horse-77", "new_password2": "a-new-horse-77"}
    client.post(form.redirect_chain[-1][0], new)
    response, _ = log_in(user.email, "a-new-horse-77")
    assert response.status_code == 302
