"""Two-factor login: enrolment with an authenticator app, a login completed with its code
or with a recovery code (used once), an owner requiring it for the whole Account, and a
password change."""

import time

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from entities import two_factor
from entities.models import AccountEvent, LoginSession, Membership

from ..factories import make_user

PASSWORD = "correct-horse-42"  # the factories' password


def code_of(device, steps_ahead=0) -> str:
    """The code the app shows, or the next one: a code is accepted once (the enrolment
    used the current one) and one step either side of the clock."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(client, user) -> list[str]:
    client.post(reverse("entities:security_setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("entities:security_confirm"), {"code": code_of(device)})
    return [line.split("<code>")[1].split("</code>")[0]
            for line in response.content.decode().splitlines() if "<code>" in line
            and "recovery" not in line][: two_factor.RECOVERY_CODES]  # fmt: skip


def log_in(user) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_enrolment_shows_a_qr_code_and_needs_a_code_from_the_app(owner_client, owner):
    owner_client.post(reverse("entities:security_setup"))
    page = owner_client.get(reverse("entities:security")).content.decode()
    assert "<svg" in page
    response = owner_client.post(reverse("entities:security_confirm"), {"code": "000000"})
    assert response.status_code == 400
    assert two_factor.authenticator(owner) is None


def test_enrolment_gives_ten_recovery_codes(owner_client, owner):
    enrol(owner_client, owner)
    assert two_factor.authenticator(owner) is not None
    assert two_factor.recovery_codes_left(owner) == 10


def test_a_login_with_two_factor_needs_the_code(owner_client, owner):
    enrol(owner_client, owner)
    client = log_in(owner)
    response = client.get(reverse("invoicing:index"))
    assert response.url.startswith(reverse("two_factor_verify"))
    device = two_factor.authenticator(owner)
    client.post(reverse("two_factor_verify"), {"code": code_of(device, 1), "next": "/"})
    assert client.get(reverse("invoicing:index")).status_code == 200


def test_a_wrong_code_does_not_log_in(owner_client, owner):
    enrol(owner_client, owner)
    client = log_in(owner)
    response = client.post(reverse("two_factor_verify"), {"code": "123456"})
    assert response.status_code == 400
    assert client.get(reverse("invoicing:index")).status_code == 302


def test_the_code_page_shows_nothing_of_the_account(owner_client, owner, entity):
    enrol(owner_client, owner)
    page = log_in(owner).get(reverse("two_factor_verify")).content.decode()
    assert entity.name not in page


def test_a_recovery_code_logs_in_once(owner_client, owner):
    enrol(owner_client, owner)
    code = two_factor.new_recovery_codes(owner)[0]
    first = log_in(owner)
    first.post(reverse("two_factor_verify"), {"code": code})
    assert first.get(reverse("invoicing:index")).status_code == 200
    second = log_in(owner)
    assert second.post(reverse("two_factor_verify"), {"code": code}).status_code == 400
    assert two_factor.recovery_codes_left(owner) == 9


def test_an_owner_requires_two_factor_for_everyone(owner_client, owner, finance, account):
    enrol(owner_client, owner)
    owner_client.post(reverse("entities:require_two_factor"), {"require": "1"})
    account.refresh_from_db()
    assert account.require_two_factor
    assert AccountEvent.objects.filter(kind="two_factor_required").exists()
    response = log_in(finance).get(reverse("invoicing:index"))
    assert response.url == reverse("entities:security")


def test_an_owner_without_a_second_factor_cannot_require_it(owner_client, account):
    owner_client.post(reverse("entities:require_two_factor"), {"require": "1"})
    account.refresh_from_db()
    assert not account.require_two_factor


def test_turning_it_off_needs_the_password(owner_client, owner):
    enrol(owner_client, owner)
    owner_client.post(reverse("entities:two_factor_off"), {"password": "wrong"})
    assert two_factor.authenticator(owner) is not None
    owner_client.post(reverse("entities:two_factor_off"), {"password": PASSWORD})
    assert two_factor.authenticator(owner) is None


def test_the_partner_portal_keeps_its_own_login(owner_client, owner):
    enrol(owner_client, owner)
    client = log_in(owner)
    assert client.get(reverse("portal:login")).status_code == 200


def test_a_member_changes_their_password(account, entity):
    user = make_user(account, Membership.FINANCE, email="pw@acme.test")
    client = log_in(user)
    response = client.post(
        reverse("entities:password_change"),
        {"old_password": PASSWORD, "new_password1": "another-long-pw-77",
         "new_password2": "another-long-pw-77"},
    )  # fmt: skip
    assert response.url == reverse("entities:security")
    user.refresh_from_db()
    assert user.check_password("another-long-pw-77")
    assert client.get(reverse("invoicing:index")).status_code == 200  # still logged in


def test_the_security_page_lists_where_the_user_is_logged_in(owner):
    phone, laptop = log_in(owner), log_in(owner)
    page = laptop.get(reverse("entities:security")).content.decode()
    assert page.count("this browser") == 1
    assert LoginSession.objects.filter(user=owner).count() == 2
    assert phone.get(reverse("invoicing:index")).status_code == 200


def test_another_browser_is_logged_out_from_the_list(owner):
    phone, laptop = log_in(owner), log_in(owner)
    session = LoginSession.objects.get(session_key=phone.session.session_key)
    laptop.post(reverse("entities:log_out_session"), {"session": session.pk})
    assert phone.get(reverse("invoicing:index")).status_code == 302  # to the login
    assert laptop.get(reverse("invoicing:index")).status_code == 200


def test_log_out_everywhere_else_keeps_this_browser(owner):
    browsers = [log_in(owner) for _ in range(3)]
    browsers[0].post(reverse("entities:log_out_session"), {"session": "others"})
    assert [b.get(reverse("invoicing:index")).status_code for b in browsers] == [200, 302, 302]


def test_nobody_logs_out_someone_elses_session(owner, finance):
    owners = log_in(owner)
    session = LoginSession.objects.get(session_key=owners.session.session_key)
    log_in(finance).post(reverse("entities:log_out_session"), {"session": session.pk})
    assert owners.get(reverse("invoicing:index")).status_code == 200


def test_logging_out_forgets_the_session(owner):
    client = log_in(owner)
    client.post(reverse("logout"))
    assert not LoginSession.objects.filter(user=owner).exists()


def test_a_password_alone_cannot_replace_the_authenticator(owner_client, owner):
    enrol(owner_client, owner)
    original = two_factor.authenticator(owner)
    thief = log_in(owner)  # the password, no code
    assert thief.get(reverse("entities:security")).url.startswith(reverse("two_factor_verify"))
    thief.post(reverse("entities:security_setup"))
    thief.post(reverse("entities:security_confirm"), {"code": "123456"})
    assert two_factor.authenticator(owner) == original
    assert not TOTPDevice.objects.filter(user=owner, confirmed=False).exists()
    assert thief.get(reverse("invoicing:index")).status_code == 302


def test_an_unconfirmed_sign_up_cannot_set_up_two_factor(owner_client, owner, account):
    account.verified_at = None
    account.save()
    owner_client.post(reverse("entities:security_setup"))
    assert not TOTPDevice.objects.filter(user=owner).exists()


def test_a_password_change_keeps_the_browser_in_the_list(owner):
    client = log_in(owner)
    client.post(
        reverse("entities:password_change"),
        {"old_password": PASSWORD, "new_password1": "another-long-pw-77",
         "new_password2": "another-long-pw-77"},
    )  # fmt: skip
    page = client.get(reverse("entities:security")).content.decode()
    assert "this browser" in page
    assert AccountEvent.objects.filter(kind="password_changed").exists()


def test_turning_two_factor_on_is_in_the_audit_trail(owner_client, owner, account):
    enrol(owner_client, owner)
    assert AccountEvent.objects.filter(account=account, kind="two_factor_on").exists()


def test_a_browser_logged_in_before_sessions_were_recorded_is_listed_once_seen(owner):
    client = log_in(owner)
    LoginSession.objects.all().delete()  # as before the upgrade
    session = client.session
    session["login_session_seen"] = 0
    session.save()
    page = client.get(reverse("entities:security")).content.decode()
    assert "this browser" in page
