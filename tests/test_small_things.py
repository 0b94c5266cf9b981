"""Small things a new user meets: prices typed with a decimal comma, volume tiers written as
their help says, links in mails that point where the product runs, a favicon, the preview's
grand total."""

from decimal import Decimal

import pytest
from django.urls import reverse

from distribution.models import DistributionProfile
from entities.numbers import normalize_decimal
from entities.site import site_url

from .factories import deliver, make_assignment, make_partner, make_profile


@pytest.mark.parametrize(
    "typed, number", [("12,50", "12.50"), ("12.50", "12.50"), ("1.234,56", "1234.56"),
                      ("1,234.56", "1234.56"), ("1 234,56", "1234.56"), ("15", "15")],
)  # fmt: skip
def test_numbers_are_read_with_a_decimal_comma_or_point(typed, number):
    assert normalize_decimal(typed) == number


def test_a_profile_takes_a_price_with_a_decimal_comma(finance_client, entity):
    form = {"name": "Solar AT", "base_price": "12,50", "currency": "EUR", "tiers": ""}
    response = finance_client.post(reverse("distribution:profile_create"), form)
    assert response.status_code == 302
    assert DistributionProfile.objects.get(name="Solar AT").base_price == Decimal("12.50")


def test_volume_tiers_are_written_as_the_help_says(finance_client, entity):
    tiers = "after 0 leads: 15,00\nafter 100 leads: 12.00\n500: 10"
    form = {"name": "Tiered", "base_price": "15.00", "currency": "EUR", "tiers": tiers}
    assert "after N leads: price" in str(
        finance_client.get(reverse("distribution:profile_create")).content
    )
    response = finance_client.post(reverse("distribution:profile_create"), form)
    assert response.status_code == 302
    profile = DistributionProfile.objects.get(name="Tiered")
    assert [(t.starts_after, t.price) for t in profile.tiers.order_by("starts_after")] == [
        (0, Decimal("15.00")), (100, Decimal("12.00")), (500, Decimal("10.00"))
    ]  # fmt: skip


def test_without_site_url_development_links_use_the_requests_address(settings, rf):
    from entities.site import RequestOriginMiddleware

    settings.SITE_URL, settings.DEBUG = "", True
    settings.ALLOWED_HOSTS = ["192.168.1.20"]
    seen = []
    middleware = RequestOriginMiddleware(lambda request: seen.append(site_url()))
    middleware(rf.get("/", HTTP_HOST="192.168.1.20:8080"))
    assert seen == ["http://192.168.1.20:8080"]
    assert site_url() == "http://127.0.0.1:8000"  # outside a request


def test_site_url_wins_when_it_is_set(settings, rf):
    settings.SITE_URL = "https://billing.example.com/"
    assert site_url() == "https://billing.example.com"


def test_pages_have_a_favicon(owner_client):
    page = owner_client.get(reverse("invoicing:index")).content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page


def test_the_preview_adds_up_all_partners(owner_client, entity):
    from invoicing.billing import local_today

    for price in ("10.00", "20.00"):  # delivered now: this month
        deliver(make_assignment(make_profile(entity, price), make_partner(entity)), 2)
    today = local_today(entity)
    response = owner_client.get(
        reverse("invoicing:preview"), {"start": today.replace(day=1), "end": today}
    )
    [total] = response.context["preview_totals"]
    assert (total.leads, total.subtotal, total.total) == (4, Decimal("60.00"), Decimal("71.40"))
    assert "Total</td>" in response.content.decode()


def test_amounts_have_thousands_separators_and_the_currencys_decimals():
    from entities.numbers import amount

    assert amount(Decimal("100000000"), "EUR") == "100,000,000.00 EUR"
    assert amount(Decimal("1234"), "JPY") == "1,234 JPY"


def test_generating_says_what_it_did_in_plain_numbers(finance_client, entity, partner):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from .factories import OCTOBER

    at = datetime(2026, 10, 15, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    deliver(make_assignment(make_profile(entity), partner), 1, at=at)
    response = finance_client.post(
        reverse("invoicing:generate"), {"start": OCTOBER[0], "end": OCTOBER[1]}, follow=True
    )
    page = response.content.decode()
    assert "1 draft created, 0 updated: 1 delivery billed, 0 supplied leads on payouts" in page


def test_a_payment_over_the_balance_is_refused_with_formatted_amounts(entity):
    from invoicing.models import InvoicingError
    from invoicing.payments import record_payment

    from .factories import make_final

    invoice = make_final(entity, leads=2, price="500000.00")
    with pytest.raises(InvoicingError, match=r"2,000,000.00 EUR is more than .* 1,190,000.00 EUR"):
        record_payment(invoice, Decimal("2000000"), invoice.issue_date)
