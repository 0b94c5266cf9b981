"""Owners add Entities and archive them: an archived Entity keeps its invoices readable and
issues nothing new. And `create_account` replaces the admin for a production first run."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from entities.models import Account, AccountEvent, Entity, Membership, User
from entities.services import InvoicingBlocked, archive
from invoicing.billing import finalize_invoice, generate_drafts
from invoicing.models import InvoicingError

from ..factories import OCTOBER, make_draft, make_entity, make_final, make_partner

NEW = {"name": "Acme FR", "legal_name": "Acme Leads SAS", "street": "1 rue de Rivoli",
       "postcode": "75001", "city": "Paris", "country": "FR", "vat_id": "FR40303265045",
       "default_currency": "EUR", "time_zone": "Europe/Paris"}  # fmt: skip


def test_an_owner_adds_an_entity_which_becomes_the_current_one(owner_client, account):
    response = owner_client.post(reverse("entities:entities"), NEW)
    assert response.url == reverse("entities:settings")
    added = Entity.objects.get(name="Acme FR")
    assert added.account == account
    assert owner_client.session["current_entity_id"] == added.pk
    assert AccountEvent.objects.filter(kind="entity_added", detail="Acme Leads SAS").exists()


def test_a_new_entity_with_a_wrong_vat_id_is_refused(owner_client):
    response = owner_client.post(reverse("entities:entities"), {**NEW, "vat_id": "FR123"})
    assert response.status_code == 400
    assert not Entity.objects.filter(name="Acme FR").exists()


def test_only_an_owner_adds_entities(finance_client):
    assert finance_client.post(reverse("entities:entities"), NEW).status_code == 403


def test_archiving_asks_first(owner_client, entity, account):
    second = make_entity(account, name="Acme AT", country="AT", vat_id="ATU13585627")
    url = reverse("entities:archive_entity", args=[second.pk])
    assert "Archive Acme AT?" in owner_client.post(url).content.decode()
    second.refresh_from_db()
    assert second.archived_at is None
    owner_client.post(url, {"confirmed": "1"})
    second.refresh_from_db()
    assert second.archived_at is not None


def test_an_archived_entity_issues_no_drafts(entity, account):
    make_entity(account, name="Acme AT", country="AT", vat_id="ATU13585627")
    archive(entity, None)
    with pytest.raises(InvoicingError, match="archived"):
        generate_drafts(entity, *OCTOBER)


def test_an_archived_entity_finalizes_nothing(entity, account):
    draft = make_draft(entity, make_partner(entity))
    make_entity(account, name="Acme AT", country="AT", vat_id="ATU13585627")
    archive(entity, None)
    with pytest.raises(InvoicingError, match="archived"):
        finalize_invoice(draft)


def test_an_archived_entitys_invoices_stay_readable(owner_client, entity, account):
    invoice = make_final(entity)
    make_entity(account, name="Acme AT", country="AT", vat_id="ATU13585627")
    archive(entity, None)
    owner_client.post(reverse("entities:switch_entity"), {"entity": entity.pk})
    assert owner_client.get(reverse("invoicing:detail", args=[invoice.pk])).status_code == 200
    assert owner_client.get(reverse("invoicing:pdf", args=[invoice.pk])).status_code == 200


def test_the_only_active_entity_cannot_be_archived(entity):
    with pytest.raises(InvoicingBlocked, match="only active Entity"):
        archive(entity, None)


def test_a_restored_entity_issues_again(owner_client, entity, account):
    make_entity(account, name="Acme AT", country="AT", vat_id="ATU13585627")
    archive(entity, None)
    owner_client.post(reverse("entities:restore_entity", args=[entity.pk]))
    entity.refresh_from_db()
    assert entity.archived_at is None
    assert AccountEvent.objects.filter(kind="entity_restored").exists()


def test_create_account_makes_the_account_its_entity_and_owner(db, capsys):
    call_command(
        "create_account", "--email", "Boss@Example.com", "--entity-country", "fr",
        "--company", "Leads Paris", "--password", "long-enough-pw-42",
    )  # fmt: skip
    user = User.objects.get(email="boss@example.com")
    membership = Membership.objects.get(user=user)
    entity = membership.account.entities.get()
    assert membership.role == "owner"
    assert (entity.country, entity.time_zone, entity.default_currency) == (
        "FR",
        "Europe/Paris",
        "EUR",
    )
    assert membership.account.verified_at is not None
    assert user.check_password("long-enough-pw-42")
    assert "is its owner" in capsys.readouterr().out


def test_create_account_refuses_an_unknown_country(db):
    with pytest.raises(CommandError, match="Unknown country"):
        call_command("create_account", "--email", "a@b.test", "--entity-country", "XX",
                     "--password", "long-enough-pw-42")  # fmt: skip
    assert not Account.objects.exists()


def test_create_account_refuses_a_weak_password(db):
    with pytest.raises(CommandError):
        call_command("create_account", "--email", "a@b.test", "--entity-country", "DE",
                     "--password", "123")  # fmt: skip
    assert not User.objects.exists()


def test_a_billing_run_of_an_archived_entity_is_refused_up_front(owner_client, entity, account):
    make_entity(account, name="Acme AT", country="AT", vat_id="ATU13585627")
    archive(entity, None)
    owner_client.post(reverse("entities:switch_entity"), {"entity": entity.pk})
    response = owner_client.post(
        reverse("invoicing:start_run"),
        {"start": "2026-10-01", "end": "2026-10-31", "mode": "drafts"},
        follow=True,
    )
    assert "archived" in response.content.decode()
    assert not entity.billing_runs.exists()
