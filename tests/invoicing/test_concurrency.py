"""Races on real PostgreSQL: threads with their own connections, committed transactions."""

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django_scopes import scope

from distribution.models import DistributionTransaction
from invoicing.billing import finalize_invoice, generate_drafts
from invoicing.models import Invoice, NumberSequence

from ..factories import deliver, make_assignment, make_partner, make_profile

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
MID_OCTOBER = datetime(2026, 10, 15, 12, tzinfo=ZoneInfo("Europe/Berlin"))


def run_in_threads(count: int, work) -> list[BaseException]:
    """Start `count` threads at the same moment; return the exceptions they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def runner(index):
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_finalization_numbers_without_gaps_or_duplicates(entity):
    profile = make_profile(entity, "5.00")
    for _ in range(24):
        deliver(make_assignment(profile, make_partner(entity)), 1, MID_OCTOBER)
    generate_drafts(entity, *OCTOBER)
    drafts = list(Invoice.objects.filter(status=Invoice.DRAFT).values_list("pk", flat=True))
    assert len(drafts) == 24

    def finalize_share(index):
        with scope(entity=entity):
            for pk in drafts[index::6]:
                finalize_invoice(Invoice.objects.get(pk=pk))

    assert run_in_threads(6, finalize_share) == []

    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    year = numbers[0][3:7]
    assert numbers == [f"RE-{year}-{n:05}" for n in range(1, 25)]
    assert NumberSequence.objects.get(entity=entity).last_number == 24


@pytest.mark.django_db(transaction=True)
def test_concurrent_generation_bills_every_delivery_exactly_once(entity):
    profile = make_profile(entity, "7.00")
    partners = [make_partner(entity) for _ in range(10)]
    for partner in partners:
        deliver(make_assignment(profile, partner), 5, MID_OCTOBER)

    def generate(_):
        with scope(entity=entity):
            generate_drafts(entity, *OCTOBER)

    assert run_in_threads(4, generate) == []

    assert Invoice.objects.count() == 10
    assert sorted(Invoice.objects.values_list("partner_id", flat=True)) == sorted(
        p.pk for p in partners
    )
    assert not DistributionTransaction.objects.filter(invoice_id__isnull=True).exists()
    for invoice in Invoice.objects.all():
        assert sum(line.quantity for line in invoice.lines.all()) == 5
        assert DistributionTransaction.objects.filter(invoice_id=invoice.pk).count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_failed_finalization_gives_its_number_back(entity):
    profile = make_profile(entity, "5.00")
    good = make_partner(entity)
    incomplete = make_partner(entity)
    deliver(make_assignment(profile, good), 1, MID_OCTOBER)
    deliver(make_assignment(profile, incomplete), 1, MID_OCTOBER)
    generate_drafts(entity, *OCTOBER)
    incomplete.street = ""
    incomplete.save()

    with scope(entity=entity):
        with pytest.raises(Exception, match="street"):
            finalize_invoice(Invoice.objects.get(partner=incomplete))
        first = finalize_invoice(Invoice.objects.get(partner=good))

    assert first.number.endswith("-00001")
    assert Invoice.objects.get(partner=incomplete).number == ""


@pytest.mark.django_db(transaction=True)
def test_generating_in_two_connections_bills_each_partner_whole(entity):
    euro, dollar = make_profile(entity, "7.00"), make_profile(entity, "9.00", currency="USD")
    partners = [make_partner(entity) for _ in range(5)]
    for partner in partners:
        deliver(make_assignment(euro, partner), 3, MID_OCTOBER)
        deliver(make_assignment(dollar, partner), 2, MID_OCTOBER)

    result = generate_drafts(entity, *OCTOBER, workers=2)

    assert (result.drafts_created, result.drafts_updated, result.transactions_billed) == (
        10,
        0,
        25,
    )
    assert not DistributionTransaction.objects.filter(invoice_id__isnull=True).exists()
    for invoice in Invoice.objects.all():
        leads = {"EUR": 3, "USD": 2}[invoice.currency]
        assert sum(line.quantity for line in invoice.lines.all()) == leads
        assert invoice.subtotal == {"EUR": 21, "USD": 18}[invoice.currency]
    assert generate_drafts(entity, *OCTOBER, workers=2).transactions_billed == 0
