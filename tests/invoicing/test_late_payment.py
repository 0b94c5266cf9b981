"""The late-payment costs of a business buyer (issue 21): the EU Late Payment Directive's
EUR 40 and statutory interest at the seller's country's points above its reference rate,
each half-year at its own rate, never a guessed rate."""

from datetime import date
from decimal import Decimal

from invoicing.dunning.late_payment import COMPENSATION, late_costs

THOUSAND = Decimal("1000.00")


def test_the_compensation_is_40_euros():
    costs = late_costs("DE", THOUSAND, date(2025, 7, 31), date(2025, 8, 30))
    assert costs.compensation == COMPENSATION == Decimal("40.00")


def test_german_interest_is_9_points_above_the_base_rate():
    # § 288(2) BGB: 1.27 % base rate from 1 July 2025 + 9 = 10.27 %; 30 days of 365.
    costs = late_costs("DE", THOUSAND, date(2025, 7, 31), date(2025, 8, 30))
    assert costs.rates == [(date(2025, 7, 1), Decimal("10.27"))]
    assert costs.interest == Decimal("8.44")  # 1000 × 10.27 % × 30 / 365 = 8.441
    assert costs.total == Decimal("48.44")


def test_french_interest_is_10_points_above_the_ecb_rate():
    # Art. L441-10 Code de commerce: 2.15 % from 1 July 2025 + 10 = 12.15 %.
    costs = late_costs("FR", THOUSAND, date(2025, 7, 31), date(2025, 8, 30))
    assert costs.interest == Decimal("9.99")  # 1000 × 12.15 % × 30 / 365 = 9.986


def test_another_member_state_gets_the_directives_8_points():
    costs = late_costs("IT", THOUSAND, date(2025, 7, 31), date(2025, 8, 30))
    assert costs.rates == [(date(2025, 7, 1), Decimal("10.15"))]


def test_each_half_year_is_charged_at_its_own_rate():
    # 15 days of June at 2.27 + 9 = 11.27 %, 15 days of July at 10.27 %.
    costs = late_costs("DE", THOUSAND, date(2025, 6, 15), date(2025, 7, 15))
    assert [rate for _start, rate in costs.rates] == [Decimal("11.27"), Decimal("10.27")]
    assert costs.interest == Decimal("8.85")  # 1000 × (11.27 + 10.27) % × 15 / 365


def test_the_first_half_of_2026_has_its_published_rates():
    # Base rate 1.27 % from 1 January 2026 (unchanged) + 9; the ECB's 2.15 % + 10 in France.
    german = late_costs("DE", THOUSAND, date(2025, 12, 15), date(2026, 1, 15))
    assert [rate for _start, rate in german.rates] == [Decimal("10.27"), Decimal("10.27")]
    french = late_costs("FR", THOUSAND, date(2026, 3, 1), date(2026, 3, 31))
    assert french.rates == [(date(2026, 1, 1), Decimal("12.15"))]


def test_a_half_year_without_a_published_rate_in_the_table_gets_no_interest_figure():
    costs = late_costs("DE", THOUSAND, date(2026, 6, 15), date(2026, 7, 15))
    assert costs.interest is None and costs.total is None
    assert costs.compensation == Decimal("40.00")


def test_an_invoice_not_yet_late_owes_nothing():
    costs = late_costs("DE", THOUSAND, date(2025, 8, 30), date(2025, 8, 30))
    assert (costs.days, costs.compensation, costs.interest) == (0, Decimal(0), Decimal(0))
