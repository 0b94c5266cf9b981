"""Owners run their team from the UI: invitations by email with a role (accepted, expired,
revoked), role changes, removals, the rule that an Account keeps an owner, and an audit
trail of it all."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from entities import team
from entities.models import AccountEvent, Invitation, Membership, User

from ..factories import make_account, make_entity, make_user


def invite(owner_client, email="new@acme.test", role="finance"):
    return owner_client.post(reverse("entities:invite_member"), {"email": email, "role": role})


def link_in(message) -> str:
    return re.search(r"https?://\S+/invitation/\S+/", message.body).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_an_owner_invites_a_member_by_email(owner_client, account):
    response = invite(owner_client)
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["new@acme.test"]
    assert "/invitation/" in link_in(message)
    invitation = Invitation.objects.get(account=account)
    assert (invitation.email, invitation.role) == ("new@acme.test", "finance")
    assert AccountEvent.objects.filter(account=account, kind="invited").exists()


def test_only_the_tokens_hash_is_stored(owner_client, account):
    invite(owner_client)
    token = link_in(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    assert Invitation.objects.get().token_hash != token


def test_a_newcomer_accepts_by_choosing_a_password(owner_client, account):
    invite(owner_client)
    client = Client()
    response = client.post(
        path_of(link_in(mail.outbox[0])),
        {"first_name": "Nina", "last_name": "Neu", "password1": "long-enough-pw-42",
         "password2": "long-enough-pw-42"},
    )  # fmt: skip
    assert response.status_code == 302
    user = User.objects.get(email="new@acme.test")
    assert Membership.objects.get(user=user, account=account).role == "finance"
    assert client.get(reverse("invoicing:index")).status_code == 200  # logged in
    assert AccountEvent.objects.filter(account=account, kind="joined").exists()


def test_an_existing_login_joins_a_second_account(owner_client, account, entity):
    elsewhere = make_account("Elsewhere")
    make_entity(elsewhere, name="Elsewhere DE")
    member = make_user(elsewhere, Membership.OWNER, email="new@acme.test")
    invite(owner_client, role="viewer")
    client = Client()
    link = path_of(link_in(mail.outbox[0]))
    assert "Log in" in client.get(link).content.decode()
    client.force_login(member)
    assert client.post(link).status_code == 302
    assert set(Membership.objects.filter(user=member).values_list("role", flat=True)) == {
        "owner",
        "viewer",
    }
    assert client.session["current_entity_id"] == entity.pk


def test_an_invitation_cannot_be_accepted_by_another_login(owner_client, account):
    invite(owner_client)
    make_user(None, email="new@acme.test")
    intruder = make_user(None, email="intruder@evil.test")
    client = Client()
    client.force_login(intruder)
    client.post(path_of(link_in(mail.outbox[0])))
    assert not Membership.objects.filter(account=account, user=intruder).exists()


def test_an_expired_invitation_is_refused(owner_client, account):
    invite(owner_client)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(path_of(link_in(mail.outbox[0])))
    assert response.status_code == 404
    assert "cannot be used" in response.content.decode()


def test_a_revoked_invitation_is_refused(owner_client, account):
    invite(owner_client)
    invitation = Invitation.objects.get()
    owner_client.post(reverse("entities:revoke_invitation", args=[invitation.pk]))
    assert Client().get(path_of(link_in(mail.outbox[0]))).status_code == 404
    assert AccountEvent.objects.filter(kind="invitation_revoked").exists()


def test_an_invitation_is_used_once(owner_client, account):
    invite(owner_client)
    link = path_of(link_in(mail.outbox[0]))
    data = {"first_name": "N", "last_name": "N", "password1": "long-enough-pw-42",
            "password2": "long-enough-pw-42"}  # fmt: skip
    Client().post(link, data)
    assert Client().get(link).status_code == 404


def test_a_member_is_not_invited_again(owner_client, finance):
    response = invite(owner_client, email=finance.email)
    assert response.status_code == 400
    assert "already a member" in response.content.decode()


def test_inviting_again_replaces_the_pending_invitation(owner_client, account):
    invite(owner_client)
    invite(owner_client, role="viewer")
    now = timezone.now()
    assert [i.status(now) for i in Invitation.objects.order_by("pk")] == ["revoked", "pending"]


def test_an_owner_changes_a_members_role(owner_client, finance, account):
    membership = Membership.objects.get(user=finance)
    owner_client.post(reverse("entities:change_role", args=[membership.pk]), {"role": "viewer"})
    membership.refresh_from_db()
    assert membership.role == "viewer"
    event = AccountEvent.objects.get(kind="role_changed")
    assert (event.actor, event.detail) == ("owner@acme.test", "finance@acme.test: finance → viewer")


def test_the_last_owner_cannot_be_demoted(owner_client, owner):
    membership = Membership.objects.get(user=owner)
    response = owner_client.post(
        reverse("entities:change_role", args=[membership.pk]), {"role": "viewer"}, follow=True
    )
    assert "only owner" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_the_last_owner_cannot_be_removed(owner, account):
    with pytest.raises(team.TeamError):
        team.remove(Membership.objects.get(user=owner), owner)
    assert Membership.objects.filter(user=owner).exists()


def test_with_a_second_owner_an_owner_can_step_down(owner, account):
    make_user(account, Membership.OWNER, email="second@acme.test")
    team.change_role(Membership.objects.get(user=owner), "finance", owner)
    assert Membership.objects.get(user=owner).role == "finance"


def test_removing_a_member_asks_first_then_removes(owner_client, finance):
    membership = Membership.objects.get(user=finance)
    url = reverse("entities:remove_member", args=[membership.pk])
    assert "Remove finance@acme.test" in owner_client.post(url).content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    owner_client.post(url, {"confirmed": "1"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=finance.pk).exists()  # the login stays
    assert AccountEvent.objects.filter(kind="removed", detail="finance@acme.test").exists()


def test_only_owners_change_the_team(finance_client, finance):
    membership = Membership.objects.get(user=finance)
    assert invite(finance_client).status_code == 403
    response = finance_client.post(
        reverse("entities:change_role", args=[membership.pk]), {"role": "owner"}
    )
    assert response.status_code == 403
    assert Membership.objects.get(pk=membership.pk).role == "finance"


def test_every_member_sees_the_team_and_its_changes(viewer_client, owner, account):
    team.record(account, AccountEvent.ENTITY_ADDED, owner, "Acme FR SAS")
    page = viewer_client.get(reverse("entities:team")).content.decode()
    assert "owner@acme.test" in page and "Acme FR SAS" in page


def test_an_unconfirmed_account_invites_nobody(owner_client, account):
    account.verified_at = None
    account.save()
    response = invite(owner_client)
    assert response.status_code == 400
    assert "Confirm your email address" in response.content.decode()
    assert mail.outbox == []


def test_invitations_per_hour_are_limited(owner_client, account, settings):
    settings.INVITATIONS_PER_HOUR = 2
    for n in range(3):
        response = invite(owner_client, email=f"new{n}@acme.test")
    assert response.status_code == 400
    assert len(mail.outbox) == 2


def test_a_member_promoted_meanwhile_is_checked_as_owner(owner, finance, account):
    stale = Membership.objects.get(user=finance)  # read as finance
    Membership.objects.filter(user=owner).update(role="finance")
    Membership.objects.filter(pk=stale.pk).update(role="owner")  # now the only owner
    with pytest.raises(team.TeamError):
        team.remove(stale, owner)
    assert Membership.objects.filter(pk=stale.pk).exists()


def test_a_member_of_two_accounts_picks_an_entity_of_either(owner_client, owner, entity):
    elsewhere = make_account("Elsewhere Leads")
    other = make_entity(elsewhere, name="Elsewhere DE")
    Membership.objects.create(user=owner, account=elsewhere, role="viewer")
    page = owner_client.get(reverse("invoicing:index")).content.decode()
    assert '<optgroup label="Elsewhere Leads">' in page and '<optgroup label="Acme Leads">' in page
    owner_client.post(reverse("entities:switch_entity"), {"entity": other.pk})
    assert owner_client.session["current_entity_id"] == other.pk
