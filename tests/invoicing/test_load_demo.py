import io

from django.core.management import call_command
from django.test import Client

from distribution.models import DistributionProfile, DistributionTransaction
from entities.models import Account, Entity
from partners.models import Partner


def load(deliveries=400):
    call_command("load_demo", deliveries=deliveries, stdout=io.StringIO())


def test_the_demo_account_has_a_german_and_a_us_entity(db):
    load()
    account = Account.objects.get(name="Demo Leads")
    assert sorted(account.entities.values_list("country", flat=True)) == ["DE", "US"]


def test_the_demo_partners_cover_the_countries_and_two_individuals(db):
    load()
    assert Partner.objects.count() == 28
    assert {"DE", "AT", "FR", "NL", "GR", "US", "GB"} <= set(
        Partner.objects.values_list("country", flat=True)
    )
    assert Partner.objects.filter(kind=Partner.INDIVIDUAL).count() == 2


def test_the_demo_has_three_profiles_with_overrides(db):
    load()
    assert DistributionProfile.objects.count() == 3
    assert DistributionProfile.objects.filter(assignments__price_override__isnull=False).exists()


def test_the_demo_deliveries_are_priced_and_some_are_cancelled(db):
    load(2000)
    transactions = DistributionTransaction.objects
    assert transactions.count() == 2000
    assert 0 < transactions.filter(status="cancelled").count() < 100
    us = Entity.objects.get(country="US")
    assert set(transactions.filter(entity=us).values_list("currency", flat=True)) == {"USD"}


def test_the_demo_login_works(db):
    load()
    client = Client()
    credentials = {"username": "operator@demo.leadflip.test", "password": "leadflip-demo"}
    assert client.post("/login/", credentials).status_code == 302
    assert client.get("/distribution/invoices/").status_code == 200


def test_loading_twice_creates_nothing_new(db):
    load()
    load()
    assert Account.objects.count() == 1
    assert DistributionTransaction.objects.count() == 400


def test_the_demo_has_lead_suppliers_with_supplied_leads(db):
    from distribution.models import Lead
    from invoicing.payouts import preview_payouts

    load(2000)
    suppliers = Partner.objects.filter(is_supplier=True)
    assert suppliers.count() == 4
    assert suppliers.exclude(invoicing_problems=[]).count() == 1  # no agreement yet
    assert Lead.objects.filter(supplier__isnull=False).exists()
    entity = Entity.objects.get(country="DE")
    lead = Lead.objects.filter(supplier__isnull=False).earliest("created_at")
    month = lead.created_at.date().replace(day=1)
    from calendar import monthrange

    end = month.replace(day=monthrange(month.year, month.month)[1])
    assert preview_payouts(entity, month, end)
