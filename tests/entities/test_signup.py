"""A newcomer signs up without the admin: login, Account, first Entity; the email address is
confirmed before anything is invoiced; the home page shows the onboarding checklist until
every step is done."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from entities.models import (
    Account,
    AccountEvent,
    ApiKey,
    Entity,
    Membership,
    SmtpSettings,
    User,
)
from invoicing.billing import generate_drafts
from invoicing.models import InvoicingError
from invoicing.onboarding import checklist

from ..factories import OCTOBER, make_assignment, make_partner, make_profile

SIGN_UP = {"email": "Founder@NewLeads.test", "password1": "long-enough-pw-42",
           "password2": "long-enough-pw-42", "company": "New Leads GmbH",
           "country": "DE"}  # fmt: skip


def sign_up(client=None, **changes):
    client = client or Client()
    return client, client.post(reverse("signup"), {**SIGN_UP, **changes})


def confirmation_link(message) -> str:
    url = re.search(r"https?://\S+/signup/confirm/\S+/", message.body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_signing_up_makes_the_account_its_entity_and_owner(db):
    client, response = sign_up()
    assert response.url == reverse("home")
    user = User.objects.get(email="founder@newleads.test")
    membership = Membership.objects.get(user=user)
    entity = Entity.objects.get(account=membership.account)
    assert (membership.role, entity.legal_name, entity.country) == (
        "owner",
        "New Leads GmbH",
        "DE",
    )
    assert client.get(reverse("invoicing:index")).status_code == 200  # logged in


def test_a_new_account_issues_nothing_until_its_email_is_confirmed(db):
    client, _ = sign_up()
    entity = Entity.objects.get()
    assert entity.account.verified_at is None
    with pytest.raises(InvoicingError, match="Confirm your email address"):
        generate_drafts(entity, *OCTOBER)
    assert "Confirm your email address" in client.get(reverse("invoicing:index")).content.decode()


def test_the_link_in_the_email_confirms_the_address(db):
    client, _ = sign_up()
    [message] = mail.outbox
    assert message.to == ["founder@newleads.test"]
    client.get(confirmation_link(message))
    account = Account.objects.get()
    assert account.verified_at is not None
    assert AccountEvent.objects.filter(account=account, kind="verified").exists()
    generate_drafts(Entity.objects.get(), *OCTOBER)  # no longer refused


def test_a_tampered_confirmation_link_is_refused(db):
    client, _ = sign_up()
    response = client.get(confirmation_link(mail.outbox[0])[:-3] + "xx/")
    assert response.status_code == 400
    assert Account.objects.get().verified_at is None


def test_the_link_can_be_sent_again(db):
    client, _ = sign_up()
    client.post(reverse("resend_verification"))
    assert len(mail.outbox) == 2


def test_an_address_with_a_login_cannot_sign_up_again(db):
    sign_up()
    _, response = sign_up(company="Second GmbH")
    assert response.status_code == 400
    assert "already has a login" in response.content.decode()
    assert Account.objects.count() == 1


def test_sign_up_checks_the_password(db):
    _, response = sign_up(password1="123", password2="123")
    assert response.status_code == 400
    assert not User.objects.exists()


def test_sign_ups_from_one_address_are_limited(db, settings):
    settings.SIGNUPS_PER_ADDRESS = 1
    sign_up()
    _, response = sign_up(email="second@newleads.test")
    assert response.status_code == 400
    assert "Too many sign-ups" in response.content.decode()


def test_sign_up_can_be_switched_off(db, settings):
    settings.SIGNUP_ENABLED = False
    assert Client().get(reverse("signup")).status_code == 404
    assert "Sign up" not in Client().get(reverse("login")).content.decode()


def test_a_new_entity_starts_with_everything_on_its_checklist_open(db):
    client, _ = sign_up()
    page = client.get(reverse("invoicing:index")).content.decode()
    assert "Before your first invoice" in page
    assert [step.done for step in checklist(Entity.objects.get())] == [False] * 7


def test_each_step_is_done_by_what_it_asks(entity, account):
    SmtpSettings.objects.create(account=account, host="mail.acme.test", from_email="b@acme.test")
    make_assignment(make_profile(entity), make_partner(entity))
    ApiKey.issue(entity, "router")
    open_steps = {step.key for step in checklist(entity) if not step.done}
    assert open_steps == {"vies", "numbers"}


def test_the_entitys_own_vat_id_is_checked_with_vies(owner_client, entity, vies):
    vies.answers[entity.vat_id] = "valid"
    owner_client.post(reverse("partners:check_own_vat_id"))
    entity.refresh_from_db()
    assert entity.vies_valid is True
    assert [s.done for s in checklist(entity) if s.key == "vies"] == [True]


def test_a_vat_id_vies_rejects_stays_open_with_the_reason(owner_client, entity, vies):
    vies.answers[entity.vat_id] = "invalid"
    owner_client.post(reverse("partners:check_own_vat_id"))
    entity.refresh_from_db()
    [step] = [s for s in checklist(entity) if s.key == "vies"]
    assert not step.done and "not valid" in step.hint


def test_the_checklist_goes_away_when_everything_is_done(owner_client, entity, vies, account):
    vies.answers[entity.vat_id] = "valid"
    owner_client.post(reverse("partners:check_own_vat_id"))
    Entity.objects.filter(pk=entity.pk).update(settings_saved_at=timezone.now())
    SmtpSettings.objects.create(account=account, host="mail.acme.test", from_email="b@acme.test")
    make_assignment(make_profile(entity), make_partner(entity))
    ApiKey.issue(entity, "router")
    page = owner_client.get(reverse("invoicing:index")).content.decode()
    assert "Before your first invoice" not in page
