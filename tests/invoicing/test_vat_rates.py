from datetime import date
from decimal import Decimal

import pytest

from entities.models import EU_COUNTRIES
from invoicing.vat_rates import TABLE, UnknownCountry, rates_on, reduced_rates, standard_rate

TODAY = date(2026, 11, 24)


def test_every_member_state_has_a_current_standard_rate():
    assert set(TABLE) == EU_COUNTRIES
    for country in EU_COUNTRIES:
        assert Decimal("15") <= standard_rate(country, TODAY) <= Decimal("27")


def test_the_periods_of_each_country_are_in_date_order():
    for periods in TABLE.values():
        starts = [start for start, _ in periods]
        assert starts == sorted(set(starts))


def test_reduced_rates_are_listed_highest_first():
    for periods in TABLE.values():
        for _, rates in periods:
            assert list(rates.reduced) == sorted(rates.reduced, reverse=True)
            assert all(r < rates.standard for r in rates.reduced)


def test_a_country_outside_the_eu_has_no_rate():
    with pytest.raises(UnknownCountry):
        rates_on("US", TODAY)


@pytest.mark.parametrize(
    "country, on, standard",
    [
        ("DE", date(2020, 6, 30), "19"),
        ("DE", date(2020, 7, 1), "16"),
        ("DE", date(2021, 1, 1), "19"),
        ("IE", date(2020, 9, 1), "21"),
        ("IE", date(2021, 3, 1), "23"),
        ("LU", date(2023, 6, 1), "16"),
        ("LU", date(2024, 1, 1), "17"),
        ("EE", date(2024, 1, 1), "22"),
    ],
)
def test_temporary_and_past_changes_are_kept(country, on, standard):
    assert standard_rate(country, on) == Decimal(standard)


def test_czechia_merged_its_reduced_rates_in_2024():
    assert reduced_rates("CZ", date(2023, 12, 31)) == (Decimal("15"), Decimal("10"))
    assert reduced_rates("CZ", date(2024, 1, 1)) == (Decimal("12"),)


def test_finland_lowered_its_14_percent_rate_in_2026():
    assert reduced_rates("FI", date(2025, 12, 31))[0] == Decimal("14")
    assert reduced_rates("FI", date(2026, 1, 1))[0] == Decimal("13.5")


@pytest.mark.parametrize(
    "country, day_before, day_of, rate",
    [
        ("MT", date(2023, 12, 31), date(2024, 1, 1), "12"),  # L.N. 231 of 2023
        ("CY", date(2023, 7, 20), date(2023, 7, 21), "3"),
        ("AT", date(2026, 6, 30), date(2026, 7, 1), "4.9"),  # basic foodstuffs
    ],
)
def test_a_reduced_rate_added_later_applies_from_its_day(country, day_before, day_of, rate):
    assert Decimal(rate) not in reduced_rates(country, day_before)
    assert Decimal(rate) in reduced_rates(country, day_of)
