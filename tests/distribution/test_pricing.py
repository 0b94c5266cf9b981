"""Volume tiers: graduated prices counted per partner and month, resolved at delivery."""

import threading
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse
from django_scopes import scopes_disabled

from distribution.models import DistributionTransaction
from distribution.services import record_delivery, set_tiers

from ..factories import deliver, make_assignment, make_partner, make_profile

BERLIN = ZoneInfo("Europe/Berlin")
OCT = datetime(2026, 10, 15, 12, tzinfo=BERLIN)
TIERS = [(0, Decimal("15.00")), (2, Decimal("12.00")), (5, Decimal("10.00"))]


def prices(transactions) -> list[str]:
    return [f"{t.price.normalize():f}" for t in transactions]


def test_graduated_tiers_price_each_lead_by_its_place_in_the_month(entity, partner):
    assignment = make_assignment(make_profile(entity), partner)
    set_tiers(assignment, TIERS)
    assert prices(deliver(assignment, 7, OCT)) == ["15", "15", "12", "12", "12", "10", "10"]


def test_profile_tiers_apply_to_its_assignments(entity, partner):
    profile = make_profile(entity)
    set_tiers(profile, TIERS)
    assert prices(deliver(make_assignment(profile, partner), 3, OCT)) == ["15", "15", "12"]


def test_an_assignments_own_tiers_win_over_the_profiles(entity, partner):
    profile = make_profile(entity)
    set_tiers(profile, TIERS)
    assignment = make_assignment(profile, partner)
    set_tiers(assignment, [(0, Decimal("9.00"))])
    assert prices(deliver(assignment, 2, OCT)) == ["9", "9"]


def test_the_count_starts_again_each_month(entity, partner):
    assignment = make_assignment(make_profile(entity), partner)
    set_tiers(assignment, TIERS)
    deliver(assignment, 3, OCT)
    november = datetime(2026, 11, 1, 0, 30, tzinfo=BERLIN)  # 31 Oct in UTC
    assert prices(deliver(assignment, 1, november)) == ["15"]


def test_each_partner_is_counted_on_its_own(entity, partner):
    profile = make_profile(entity)
    set_tiers(profile, TIERS)
    deliver(make_assignment(profile, partner), 3, OCT)
    other = make_assignment(profile, make_partner(entity))
    assert prices(deliver(other, 1, OCT)) == ["15"]


def test_a_cancellation_does_not_reprice_delivered_leads(entity, partner):
    from invoicing.corrections import cancel_delivery

    assignment = make_assignment(make_profile(entity), partner)
    set_tiers(assignment, TIERS)
    first, *_ = deliver(assignment, 3, OCT)
    cancel_delivery(first, "rejected")
    assert prices(DistributionTransaction.objects.order_by("pk")) == ["15", "15", "12"]


def test_delivering_the_same_lead_again_does_not_count_twice(entity, partner):
    assignment = make_assignment(make_profile(entity), partner)
    set_tiers(assignment, TIERS)
    record_delivery(assignment, "L-1", OCT)
    record_delivery(assignment, "L-1", OCT)
    assert prices([record_delivery(assignment, "L-2", OCT)[0]]) == ["15"]


def test_tiers_show_as_separate_invoice_lines(entity, partner):
    from invoicing.billing import generate_drafts
    from invoicing.models import Invoice

    assignment = make_assignment(make_profile(entity), partner)
    set_tiers(assignment, TIERS)
    deliver(assignment, 6, OCT)
    generate_drafts(entity, OCT.date().replace(day=1), OCT.date().replace(day=31))
    lines = Invoice.objects.get().lines.order_by("-unit_price")
    assert [(line.quantity, line.unit_price) for line in lines] == [
        (2, Decimal("15.0000")),
        (3, Decimal("12.0000")),
        (1, Decimal("10.0000")),
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_each_get_their_own_place_in_the_count(account):
    from ..factories import make_entity

    entity = make_entity(account)
    assignment = make_assignment(make_profile(entity), make_partner(entity))
    set_tiers(assignment, [(0, Decimal("15.00")), (10, Decimal("12.00"))])
    errors = []

    def deliver_some(worker):
        try:
            with scopes_disabled():
                for n in range(5):
                    record_delivery(assignment, f"L-{worker}-{n}", OCT)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver_some, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counted = sorted(DistributionTransaction.objects.values_list("price", flat=True))
    assert counted == [Decimal("12.00")] * 10 + [Decimal("15.00")] * 10


def test_tiers_are_entered_on_the_assignment_form(owner_client, entity, partner):
    profile = make_profile(entity)
    owner_client.post(
        reverse("distribution:assignment_create", args=[profile.pk]),
        {"partner": partner.pk, "name": "Bayern", "price_override": "", "is_active": "on",
         "tiers": "0: 15.00\n100: 12.00\n500: 10"},
    )  # fmt: skip
    assert [(t.starts_after, t.price) for t in profile.assignments.get().tiers.all()] == [
        (0, Decimal("15.00")),
        (100, Decimal("12.00")),
        (500, Decimal("10.00")),
    ]


@pytest.mark.parametrize(
    "text, message",
    [("100: 12.00", "starts after 0"), ("0: 15\n0: 12", "each once"), ("0 15", "write")],
)
def test_bad_tiers_are_explained(owner_client, entity, text, message):
    response = owner_client.post(
        reverse("distribution:profile_create"),
        {"name": "P", "base_price": "10", "currency": "EUR", "tiers": text},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
