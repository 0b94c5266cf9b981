import io

from django.core.management import call_command
from django.test import Client

from distribution.models import DistributionProfile, DistributionTransaction
from entities.models import Account, Entity
from partners.models import Partner


def load(deliveries=400, history=True):
    call_command(
        "load_demo", deliveries=deliveries, without_history=not history, stdout=io.StringIO()
    )


def test_the_demo_account_has_a_german_and_a_us_entity(db):
    load(history=False)
    account = Account.objects.get(name="Demo Leads")
    assert sorted(account.entities.values_list("country", flat=True)) == ["DE", "US"]


def test_the_demo_partners_cover_the_countries_and_two_individuals(db):
    load(history=False)
    assert Partner.objects.count() == 29
    assert {"DE", "AT", "FR", "NL", "GR", "US", "GB"} <= set(
        Partner.objects.values_list("country", flat=True)
    )
    assert Partner.objects.filter(kind=Partner.INDIVIDUAL).count() == 2


def test_the_demo_has_three_profiles_with_overrides(db):
    load(history=False)
    assert DistributionProfile.objects.count() == 3
    assert DistributionProfile.objects.filter(assignments__price_override__isnull=False).exists()


def test_the_demo_deliveries_are_priced_and_some_are_cancelled(db):
    load(2000, history=False)
    transactions = DistributionTransaction.objects
    assert transactions.count() == 2000
    assert 0 < transactions.filter(status="cancelled").count() < 100
    us = Entity.objects.get(country="US")
    assert set(transactions.filter(entity=us).values_list("currency", flat=True)) == {"USD"}


def test_the_demo_login_works(db):
    load(history=False)
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

    load(2000, history=False)
    suppliers = Partner.objects.filter(is_supplier=True)
    assert set(suppliers.values_list("vat_status", flat=True)) == {
        "registered",
        "small_business",
        "private",
    }
    assert suppliers.exclude(invoicing_problems=[]).count() == 1  # no agreement yet
    assert Lead.objects.filter(supplier__isnull=False).exists()
    entity = Entity.objects.get(country="DE")
    _, _, (start, end) = months_of_history()
    assert preview_payouts(entity, start, end)  # last month's, still to pay out


# History: a newcomer sees a living ledger at once


def months_of_history():
    from invoicing.billing import local_today
    from invoicing.forms import previous_month

    last = previous_month(local_today(Entity.objects.get(country="DE")))
    before = previous_month(last[0])
    return previous_month(before[0]), before, last


def test_the_two_months_before_last_are_invoiced(db):
    from invoicing.models import Invoice

    load()
    older, before, last = months_of_history()
    finalized = Invoice.objects.exclude(status=Invoice.DRAFT)
    assert finalized.filter(period_start=older[0]).exists()
    assert finalized.filter(period_start=before[0]).exists()
    assert not Invoice.objects.filter(period_start=last[0]).exists()


def test_last_month_waits_to_be_billed_and_this_month_is_coming_in(db):
    from invoicing.billing import local_today, unbilled_transactions

    load()
    entity = Entity.objects.get(country="DE")
    _, _, (start, end) = months_of_history()
    assert unbilled_transactions(entity, start, end).exists()
    today = local_today(entity)
    assert unbilled_transactions(entity, today.replace(day=1), today).exists()


def test_the_history_has_paid_partly_paid_and_overdue_invoices(db):
    from invoicing.models import Invoice

    load()
    invoices = Invoice.objects.filter(status=Invoice.FINAL, kind=Invoice.KIND_INVOICE)
    assert invoices.filter(paid_at__isnull=False).count() > 5
    assert invoices.filter(paid_at__isnull=True, amount_paid__gt=0).exists()
    assert invoices.filter(is_overdue=True).exists()


def test_the_history_has_a_void_and_a_late_cancellations_credit_note(db):
    from invoicing.models import Invoice

    load()
    assert Invoice.objects.filter(status=Invoice.VOID).exists()
    credit_notes = Invoice.objects.filter(kind=Invoice.KIND_CREDIT_NOTE, status=Invoice.FINAL)
    assert credit_notes.exclude(corrects__status=Invoice.VOID).exists()


def test_the_history_numbers_follow_the_issue_dates(db):
    from invoicing.models import Invoice

    load()
    for entity in Entity.objects.all():
        issued = Invoice.objects.filter(
            entity=entity, kind=Invoice.KIND_INVOICE, self_billed=False
        ).exclude(status=Invoice.DRAFT)
        by_number = list(issued.order_by("number").values_list("issue_date", flat=True))
        assert by_number == sorted(by_number)


def test_the_demo_partner_can_log_in_to_the_portal(db):
    load(history=False)
    client = Client()
    credentials = {"email": "buyer@dachprofi.demo.leadflip.test", "password": "leadflip-demo"}
    response = client.post("/partner/login/", credentials)
    assert response.status_code == 302
    assert client.get("/partner/invoices/").status_code == 200
