"""What a business buyer owes for paying late, by the seller's country: a fixed
compensation and statutory interest on the open amount from the day after the due date.

Directive 2011/7/EU on combating late payment in commercial transactions:
- Art. 6(1): at least EUR 40 as compensation for recovery costs, owed without a reminder.
- Art. 2(6), 2(7), 3(3)(b) and 4: statutory interest of at least 8 points above the
  reference rate (the ECB's main refinancing rate) in force on the first calendar day of
  the half-year (1 January, 1 July); a member state may take its central bank's rate
  instead.

Member states set their own points and reference (NATIONAL_RULES). Interest is simple, on
the actual days over a 365-day year, and each half-year at its own rate. A half-year whose
reference rate is not in these tables yet gets no figure (never a guess): the tables are
updated with each published rate.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

COMPENSATION = Decimal("40.00")  # EUR, Art. 6(1); the national laws below keep the same sum

# The ECB's main refinancing operations rate on the first day of each half-year, in %.
# Source: ECB, "Key ECB interest rates" (ecb.europa.eu/stats/policy_and_exchange_rates/
# key_ecb_interest_rates): 2.50 from 21 Dec 2022, 4.00 from 21 Jun 2023, 4.50 from
# 20 Sep 2023, 4.25 from 12 Jun 2024, 3.15 from 18 Dec 2024, 2.15 from 11 Jun 2025; still
# 2.15 in the operation of 22 Dec 2025 (the Bundesbank's notice of the base rate for
# 1 January 2026 quotes it). 1 July 2026: not yet entered.
ECB_MAIN_REFINANCING_RATE = {
    date(2023, 1, 1): Decimal("2.50"),
    date(2023, 7, 1): Decimal("4.00"),
    date(2024, 1, 1): Decimal("4.50"),
    date(2024, 7, 1): Decimal("4.25"),
    date(2025, 1, 1): Decimal("3.15"),
    date(2025, 7, 1): Decimal("2.15"),
    date(2026, 1, 1): Decimal("2.15"),
}

# Basiszinssatz (§ 247 BGB), published by the Deutsche Bundesbank in the Bundesanzeiger
# for each 1 January and 1 July; it moves by the points the ECB rate above moved. 1 January
# 2026: unchanged at 1.27 (Bundesbank, "Bekanntgabe des Basiszinssatzes zum 1. Januar
# 2026", Bundesanzeiger of 24 December 2025). 1 July 2026: not yet entered.
GERMAN_BASE_RATE = {
    date(2023, 1, 1): Decimal("1.62"),
    date(2023, 7, 1): Decimal("3.12"),
    date(2024, 1, 1): Decimal("3.62"),
    date(2024, 7, 1): Decimal("3.37"),
    date(2025, 1, 1): Decimal("2.27"),
    date(2025, 7, 1): Decimal("1.27"),
    date(2026, 1, 1): Decimal("1.27"),
}


@dataclass(frozen=True)
class Rule:
    reference: dict[date, Decimal]
    reference_name: str
    points: Decimal
    source: str


NATIONAL_RULES = {
    # § 288(2) BGB: 9 points above the base rate where no consumer is party; § 288(5): EUR 40.
    "DE": Rule(GERMAN_BASE_RATE, "Basiszinssatz", Decimal("9"), "§ 288 Abs. 2 und 5 BGB"),
    # Art. L441-10 II Code de commerce: the ECB rate of its latest refinancing operation
    # plus 10 points; D441-5: the indemnité forfaitaire of EUR 40.
    "FR": Rule(ECB_MAIN_REFINANCING_RATE, "taux de la BCE", Decimal("10"),
               "art. L441-10 et D441-5 du Code de commerce"),
    # Burgerlijk Wetboek art. 6:119a (wettelijke handelsrente): ECB rate plus 8 points.
    "NL": Rule(ECB_MAIN_REFINANCING_RATE, "ECB-herfinancieringsrente", Decimal("8"),
               "art. 6:119a en 6:96 BW"),
}  # fmt: skip
DIRECTIVE = Rule(ECB_MAIN_REFINANCING_RATE, "ECB main refinancing rate", Decimal("8"),
                 "Directive 2011/7/EU, Art. 2(6), 4 and 6")  # fmt: skip


def rule_for(country: str) -> Rule:
    """The seller's country's rule; the Directive's minimum where ours has none."""
    return NATIONAL_RULES.get(country, DIRECTIVE)


@dataclass(frozen=True)
class LateCosts:
    days: int
    compensation: Decimal
    interest: Decimal | None  # None: a half-year's reference rate is not in the tables yet
    rates: list[tuple[date, Decimal]]  # (half-year start, the rate in %) over the period
    rule: Rule

    @property
    def total(self) -> Decimal | None:
        return None if self.interest is None else self.compensation + self.interest


def late_costs(country: str, open_amount: Decimal, due: date, today: date) -> LateCosts:
    """What is owed on `open_amount` for being unpaid from the day after `due` to `today`
    (both included), by the seller's country's rule."""
    rule = rule_for(country)
    days = max((today - due).days, 0)
    interest, rates, day = Decimal(0), [], due + timedelta(days=1)
    while day <= today:
        start = half_year_start(day)
        end = min(today, next_half_year(start) - timedelta(days=1))
        reference = rule.reference.get(start)
        if reference is None:
            return LateCosts(days, COMPENSATION if days else Decimal(0), None, rates, rule)
        rate = reference + rule.points
        rates.append((start, rate))
        interest += open_amount * rate / 100 * ((end - day).days + 1) / 365
        day = end + timedelta(days=1)
    return LateCosts(
        days,
        COMPENSATION if days else Decimal(0),
        interest.quantize(Decimal("0.01"), ROUND_HALF_UP),
        rates,
        rule,
    )


def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month < 7 else 7, 1)


def next_half_year(start: date) -> date:
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)
