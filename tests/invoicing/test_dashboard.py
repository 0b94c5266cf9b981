"""The operator's home (issue 22): delivered against invoiced per month, revenue by
partner and profile, receivables by age, days sales outstanding, payouts due, return rates;
each chart drawn on the server as SVG, with its numbers as a table."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from distribution import tallies
from distribution.models import DistributionTransaction
from distribution.services import mark_deliveries_cancelled
from invoicing.billing import finalize_invoice, local_today
from invoicing.corrections import void_invoice
from invoicing.dashboard import dashboard
from invoicing.payments import record_payment

from ..factories import (
    backdate,
    deliver,
    make_assignment,
    make_entity,
    make_final,
    make_partner,
    make_payout,
    make_profile,
)

BERLIN = ZoneInfo("Europe/Berlin")
OCTOBER = datetime(2026, 10, 1).date()
MID_OCTOBER = datetime(2026, 10, 15, 12, tzinfo=BERLIN)


def figures(entity, month=OCTOBER, currency=""):
    tallies.count_due_months(entity)
    return dashboard(entity, local_today(entity), month, currency)


def october(figures_):
    return next(m for m in figures_.months if m.month == OCTOBER)


def test_a_month_shows_what_was_delivered_and_what_invoiced(entity, partner):
    make_final(entity, partner, leads=2, price="10.00")  # October, 20.00 net
    deliver(make_assignment(make_profile(entity, "5.00"), partner), 3, MID_OCTOBER)
    month = october(figures(entity))
    assert (month.deliveries, month.delivered, month.invoiced) == (
        5,
        Decimal("35.00"),
        Decimal("20.00"),
    )
    assert month.difference == Decimal("15.00")


def test_a_voided_invoice_counts_nothing_invoiced(entity, partner):
    void_invoice(make_final(entity, partner), "wrong partner", "finance")
    assert october(figures(entity)).invoiced == 0


def test_cancelled_deliveries_are_not_delivered_value(entity, partner):
    first, _second = deliver(make_assignment(make_profile(entity), partner), 2, MID_OCTOBER)
    mark_deliveries_cancelled([first], DistributionTransaction.REASON_REJECTED)
    assert october(figures(entity)).delivered == Decimal("10.00")


def test_revenue_by_partner_names_the_ten_largest_and_adds_up_the_rest(entity):
    profile = make_profile(entity, "1.00")
    for count in range(1, 13):
        deliver(make_assignment(profile, make_partner(entity, name=f"P{count:02}")), count,
                MID_OCTOBER)  # fmt: skip
    shares = figures(entity).by_partner
    assert [share.name for share in shares[:3]] == ["P12", "P11", "P10"]
    assert len(shares) == 11
    assert (shares[-1].pk, shares[-1].deliveries, shares[-1].value) == (None, 3, Decimal("3.00"))


def test_revenue_by_profile_adds_up_its_assignments(entity):
    profile = make_profile(entity, "2.00", name="Solar")
    deliver(make_assignment(profile, make_partner(entity)), 2, MID_OCTOBER)
    deliver(make_assignment(profile, make_partner(entity)), 3, MID_OCTOBER)
    [share] = figures(entity).by_profile
    assert (share.name, share.deliveries, share.value) == ("Solar", 5, Decimal("10.00"))


def test_receivables_are_aged_by_days_past_their_due_date(entity):
    make_final(entity, make_partner(entity))  # due in the future
    backdate(make_final(entity, make_partner(entity)), 14 + 45)  # 45 days past due
    backdate(make_final(entity, make_partner(entity)), 14 + 120)
    found = figures(entity)
    assert {bucket.key: bucket.count for bucket in found.ageing} == {
        "current": 1, "1-30": 0, "31-60": 1, "61-90": 0, "90+": 1,
    }  # fmt: skip
    assert found.receivables == 3 * Decimal("23.80")
    assert found.overdue == 2 * Decimal("23.80")


def test_days_sales_outstanding_relate_what_is_owed_to_recent_sales(entity, partner):
    make_final(entity, partner)
    paid = make_final(entity, make_partner(entity))
    record_payment(paid, paid.total, local_today(entity), by="finance")
    # 23.80 owed of 47.60 sold in the last 90 days: half of 90 days.
    assert figures(entity).dso == Decimal(45)


def test_days_sales_outstanding_are_not_a_number_without_sales(entity):
    assert figures(entity).dso is None


def test_payouts_due_are_the_unpaid_self_billed_invoices(entity):
    payout = finalize_invoice(make_payout(entity))
    found = figures(entity).payouts
    assert (found.count, found.amount, found.next_due) == (1, payout.total, payout.due_date)


def test_the_return_rate_is_returned_leads_over_deliveries(entity, partner):
    deliveries = deliver(make_assignment(make_profile(entity), partner), 4, MID_OCTOBER)
    mark_deliveries_cancelled(deliveries[:1], DistributionTransaction.REASON_RETURNED)
    found = figures(entity)
    assert october(found).return_rate == Decimal("25.0")
    assert found.by_partner[0].return_rate == Decimal("25.0")


def test_amounts_in_other_currencies_are_named_not_added(entity, partner):
    deliver(make_assignment(make_profile(entity, "9.00", currency="USD"), partner), 1, MID_OCTOBER)
    found = figures(entity)
    assert found.other_currencies == ["USD"]
    assert october(found).delivered == 0


def test_another_currency_has_its_own_figures(entity, partner):
    deliver(make_assignment(make_profile(entity, "9.00", currency="USD"), partner), 2, MID_OCTOBER)
    found = figures(entity, currency="USD")
    assert (found.currency, found.currencies, found.other_currencies) == ("USD", ["EUR", "USD"], [])
    assert october(found).delivered == Decimal("18.00")
    assert [share.name for share in found.by_partner] == [partner.name]


def test_a_currency_without_deliveries_or_invoices_shows_the_default(entity, partner):
    assert figures(entity, currency="JPY").currency == "EUR"


def test_the_home_page_offers_the_other_currencies(owner_client, entity, partner):
    deliver(make_assignment(make_profile(entity, "9.00", currency="USD"), partner), 1, MID_OCTOBER)
    tallies.count_due_months(entity)
    page = owner_client.get(reverse("home"), {"currency": "USD"}).content.decode()
    assert '<option value="EUR">EUR</option><option value="USD" selected>USD</option>' in page
    assert "Amounts in USD" in page


def test_another_entitys_deliveries_stay_out(account, entity, partner):
    other = make_entity(account, name="Second")
    deliver(make_assignment(make_profile(other), make_partner(other)), 2, MID_OCTOBER)
    assert october(figures(entity)).deliveries == 0


def test_the_home_page_draws_each_chart_with_its_table(owner_client, entity, partner):
    make_final(entity, partner)
    page = owner_client.get(reverse("home"), {"month": "2026-10"}).content.decode()
    assert page.count('class="pygal-chart"') == 5
    assert "<script" not in page.split("<main", 1)[-1]  # readable without JavaScript
    assert "Delivered and invoiced, per month" in page and "October 2026" in page
    assert "Receivables by age" in page and "Payouts due to suppliers" in page


def test_the_home_page_counts_deliveries_it_finds_never_counted(owner_client, entity, partner):
    deliver(make_assignment(make_profile(entity), partner), 2, MID_OCTOBER)
    owner_client.get(reverse("home"))  # tasks run in-process here
    assert tallies.months_due(entity) == []


def test_a_partner_name_in_a_chart_is_text_not_markup(owner_client, entity):
    partner = make_partner(entity, name="<img src=x onerror=alert(1)>")
    deliver(make_assignment(make_profile(entity), partner), 1, MID_OCTOBER)
    page = owner_client.get(reverse("home"), {"month": "2026-10"}).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_home_page_reads_in_german(owner_client, entity, partner):
    make_final(entity, partner)
    owner_client.cookies["django_language"] = "de"
    page = owner_client.get(reverse("home"), {"month": "2026-10"}).content.decode()
    assert "Oktober 2026" in page and "Forderungen nach Alter" in page


@pytest.mark.parametrize("month", ["2019-01", "nonsense", "2026-13"])
def test_a_month_not_shown_falls_back_to_last_month(owner_client, entity, month):
    response = owner_client.get(reverse("home"), {"month": month})
    assert response.status_code == 200
    assert response.context["figures"].month == tallies.months_shown(local_today(entity))[-2]


def test_a_chart_is_drawn_once_for_the_same_numbers(entity, partner):
    from invoicing.dashboard import charts

    make_final(entity, partner)
    first = charts.ageing(figures(entity))
    assert charts.ageing(figures(entity)) == first  # the same drawing, chart id and all
    backdate(make_final(entity, make_partner(entity)), 14 + 45)
    assert charts.ageing(figures(entity)) != first
