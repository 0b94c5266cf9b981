from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.urls import reverse

from distribution.models import Assignment, DistributionProfile, DistributionTransaction

from ..factories import deliver, make_assignment, make_entity, make_partner, make_profile

BERLIN = ZoneInfo("Europe/Berlin")


def test_creating_a_profile_defaults_to_the_entitys_currency(owner_client, entity):
    page = owner_client.get(reverse("distribution:profile_create")).content.decode()
    assert '<option value="EUR" selected>' in page


def test_creating_a_profile(owner_client, entity):
    response = owner_client.post(
        reverse("distribution:profile_create"),
        {"name": "Solar DE", "base_price": "15.00", "currency": "EUR"},
    )
    profile = DistributionProfile.objects.get(name="Solar DE")
    assert response.url == reverse("distribution:profile_detail", args=[profile.pk])
    assert (profile.entity, profile.base_price) == (entity, Decimal("15.00"))


def test_a_negative_base_price_is_refused(owner_client, entity):
    response = owner_client.post(
        reverse("distribution:profile_create"),
        {"name": "Solar DE", "base_price": "-1", "currency": "EUR"},
    )
    assert response.status_code == 400
    assert not DistributionProfile.objects.exists()


def test_assigning_a_partner_with_an_override(owner_client, entity, partner):
    profile = make_profile(entity, "10.00")
    owner_client.post(
        reverse("distribution:assignment_create", args=[profile.pk]),
        {"partner": partner.pk, "name": "Bavaria", "price_override": "12.00", "is_active": "on"},
    )
    assignment = Assignment.objects.get(profile=profile)
    assert (assignment.partner, assignment.price) == (partner, Decimal("12.00"))


def test_only_the_entitys_partners_can_be_assigned(owner_client, entity, account):
    sister = make_entity(account, name="Sister", legal_name="Sister GmbH")
    foreign = make_partner(sister)
    profile = make_profile(entity)
    response = owner_client.post(
        reverse("distribution:assignment_create", args=[profile.pk]),
        {"partner": foreign.pk, "name": "x", "price_override": "", "is_active": "on"},
    )
    assert response.status_code == 400
    assert not Assignment.objects.exists()


def test_the_partner_of_an_assignment_with_deliveries_stays(owner_client, entity, partner):
    assignment = make_assignment(make_profile(entity), partner)
    deliver(assignment)
    other = make_partner(entity)
    response = owner_client.post(
        reverse("distribution:assignment_edit", args=[assignment.pk]),
        {"partner": other.pk, "name": assignment.name, "price_override": "", "is_active": "on"},
    )
    assert response.status_code == 400
    assignment.refresh_from_db()
    assert assignment.partner == partner


def test_changing_an_override_leaves_recorded_prices_alone(owner_client, entity, partner):
    assignment = make_assignment(make_profile(entity, "10.00"), partner)
    [txn] = deliver(assignment)
    owner_client.post(
        reverse("distribution:assignment_edit", args=[assignment.pk]),
        {"partner": partner.pk, "name": "x", "price_override": "99.00", "is_active": "on"},
    )
    txn.refresh_from_db()
    assert txn.price == Decimal("10.00")
    assignment.refresh_from_db()
    assert deliver(assignment)[0].price == Decimal("99.00")


def test_the_profiles_page_lists_profiles_with_their_assignment_count(owner_client, entity):
    profile = make_profile(entity, name="Insurance DACH")
    make_assignment(profile, make_partner(entity))
    page = owner_client.get(reverse("distribution:profiles")).content.decode()
    assert "Insurance DACH" in page


def test_the_profiles_page_shows_an_empty_state(owner_client, entity):
    page = owner_client.get(reverse("distribution:profiles")).content.decode()
    assert "No distribution profiles yet" in page


def test_the_logs_filter_by_partner(owner_client, entity, partner):
    other = make_partner(entity, name="Other Buyer")
    deliver(make_assignment(make_profile(entity), partner), 1)
    [hidden] = deliver(make_assignment(make_profile(entity), other), 1)
    page = owner_client.get(reverse("distribution:logs"), {"partner": partner.pk})
    assert page.context["page"].paginator.count == 1
    assert hidden.lead.external_id not in page.content.decode()


def test_the_logs_filter_by_day_in_the_entitys_time_zone(owner_client, entity, partner):
    assignment = make_assignment(make_profile(entity), partner)
    deliver(assignment, 1, datetime(2026, 10, 1, 0, 30, tzinfo=BERLIN))  # 30 Sep in UTC
    deliver(assignment, 1, datetime(2026, 9, 30, 23, 30, tzinfo=BERLIN))
    response = owner_client.get(
        reverse("distribution:logs"), {"start": "2026-10-01", "end": "2026-10-01"}
    )
    assert response.context["page"].paginator.count == 1


def test_the_logs_filter_by_status(owner_client, entity, partner):
    [kept, cancelled] = deliver(make_assignment(make_profile(entity), partner), 2)
    DistributionTransaction.objects.filter(pk=cancelled.pk).update(status="cancelled")
    response = owner_client.get(reverse("distribution:logs"), {"status": "cancelled"})
    assert [t.pk for t in response.context["page"]] == [cancelled.pk]


def test_the_logs_are_paginated(owner_client, entity, partner):
    deliver(make_assignment(make_profile(entity), partner), 101)
    response = owner_client.get(reverse("distribution:logs"), {"page": 2})
    assert len(response.context["page"].object_list) == 1


def test_the_logs_offer_cancelling_only_to_writers(viewer_client, entity, partner):
    deliver(make_assignment(make_profile(entity), partner), 1)
    page = viewer_client.get(reverse("distribution:logs")).content.decode()
    assert "Reason…" not in page


def test_the_logs_show_times_in_the_entitys_time_zone(owner_client, entity, partner):
    from ..factories import deliver, make_assignment, make_profile

    at = datetime(2026, 7, 1, 10, 0, tzinfo=ZoneInfo("UTC"))  # 12:00 in Berlin (CEST)
    deliver(make_assignment(make_profile(entity), partner), at=at)
    page = owner_client.get(reverse("distribution:logs")).content.decode()
    assert "2026-07-01 12:00 CEST" in page and "(Europe/Berlin)" in page


def test_the_logs_name_the_invoice_a_delivery_is_on(owner_client, entity, partner):
    from ..factories import make_final

    invoice = make_final(entity, partner, leads=1)
    page = owner_client.get(reverse("distribution:logs")).content.decode()
    detail = reverse("invoicing:detail", args=[invoice.pk])
    assert f'href="{detail}">{invoice.number}</a>' in page


def test_the_logs_name_a_draft_by_its_kind(owner_client, entity, partner):
    from ..factories import make_draft

    draft = make_draft(entity, partner, leads=1)
    page = owner_client.get(reverse("distribution:logs")).content.decode()
    assert f">Draft invoice #{draft.pk}</a>" in page


def test_the_logs_have_page_numbers(owner_client, entity, partner, monkeypatch):
    from distribution import views

    from ..factories import deliver, make_assignment, make_profile

    monkeypatch.setattr(views, "LOG_PAGE_SIZE", 2)
    deliver(make_assignment(make_profile(entity), partner), 7)
    page = owner_client.get(reverse("distribution:logs"), {"page": 2}).content.decode()
    assert "<strong>2</strong>" in page and 'page=4">4</a>' in page
