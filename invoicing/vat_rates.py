"""Standard and reduced VAT rates of the 27 EU member states, with the dates they apply from.

An invoice uses the rates in force on its supply date (the end of its billing period), so a
past period keeps the rate that applied then. Reduced rates are listed highest first; zero
rates and rates for single goods (e.g. Austria's 19 % in Jungholz) are left out.

Sources (read 2026-11-24 through the project's search tool; no direct web access here):
- Eurofiscalis, "EU VAT rates for 2026" (eurofiscalis.com/en/vat-rates-in-ue, last updated
  2026-02-02): every current standard and reduced rate, including the 2026 changes (Finland
  14 % → 13.5 %, Lithuania 9 % → 12 %) and Romania's 21 % / 11 %, Slovakia's 23 % / 19 % / 5 %.
- mindlink.lv, "VAT rates in EU" (2025 table): the rates before the 2026 changes.
- ../shared/DESIGN.md's list of 2026 standard rates and change dates (FI 2024-09-01,
  EE 2025-07-01, SK 2025-01-01, RO 2025-08-01), which agrees with both.
- The temporary cuts (DE 2020-07-01 to 2020-12-31, IE 2020-09-01 to 2021-02-28, LU 2023)
  and the Czech merger of 2024 are from the member states' announcements as widely reported;
  the European Commission's "VAT rates applied in the Member States" (TEDB) is the reference
  to confirm them against when the table is reviewed.
- Rates added on 2026-12-02 (issue 17): Malta 12 % from 2024-01-01 (Legal Notice 231 of
  2023, as reported by vatcalc.com and taxceo.eu); Cyprus 3 % from 2023-07-21, the day the
  amending law was published in the Official Gazette (meridianglobalservices.com,
  marosavat.com); Austria 4.9 % on a basket of basic foodstuffs from 2026-07-01, passed by
  the Nationalrat (essentiaglobalservices.com, orbitax.com on the Ministry of Finance's
  bill). None of these applies to lead services; they are here so that the table is whole.
Known current to 2026-12-02. Review when a member state announces a change: a new row with
its effective date, never an edit of a past row.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class UnknownCountry(KeyError):
    """The country is not an EU member state: no EU VAT rate applies."""


@dataclass(frozen=True)
class VatRates:
    standard: Decimal
    reduced: tuple[Decimal, ...]  # highest first


def _rates(standard: str, *reduced: str) -> VatRates:
    return VatRates(Decimal(standard), tuple(Decimal(r) for r in reduced))


SINCE_ALWAYS = date(2000, 1, 1)

# country -> [(applies from, rates)], in date order. Each row holds until the next one.
TABLE: dict[str, list[tuple[date, VatRates]]] = {
    "AT": [
        (SINCE_ALWAYS, _rates("20", "13", "10")),
        (date(2026, 7, 1), _rates("20", "13", "10", "4.9")),  # basic foodstuffs
    ],
    "BE": [(SINCE_ALWAYS, _rates("21", "12", "6"))],
    "BG": [(SINCE_ALWAYS, _rates("20", "9"))],
    "CY": [
        (SINCE_ALWAYS, _rates("19", "9", "5")),
        (date(2023, 7, 21), _rates("19", "9", "5", "3")),  # books, aids for the disabled
    ],
    "CZ": [
        (SINCE_ALWAYS, _rates("21", "15", "10")),
        (date(2024, 1, 1), _rates("21", "12")),  # 15 % and 10 % merged into 12 %
    ],
    "DE": [
        (SINCE_ALWAYS, _rates("19", "7")),
        (date(2020, 7, 1), _rates("16", "5")),  # temporary COVID-19 cut
        (date(2021, 1, 1), _rates("19", "7")),
    ],
    "DK": [(SINCE_ALWAYS, _rates("25"))],
    "EE": [
        (SINCE_ALWAYS, _rates("20", "9")),
        (date(2024, 1, 1), _rates("22", "9")),
        (date(2025, 1, 1), _rates("22", "13", "9")),  # accommodation 9 % → 13 %
        (date(2025, 7, 1), _rates("24", "13", "9")),
    ],
    "ES": [(SINCE_ALWAYS, _rates("21", "10", "4"))],
    "FI": [
        (SINCE_ALWAYS, _rates("24", "14", "10")),
        (date(2024, 9, 1), _rates("25.5", "14", "10")),
        (date(2026, 1, 1), _rates("25.5", "13.5", "10")),
    ],
    "FR": [(SINCE_ALWAYS, _rates("20", "10", "5.5", "2.1"))],
    "GR": [(SINCE_ALWAYS, _rates("24", "13", "6"))],
    "HR": [(SINCE_ALWAYS, _rates("25", "13", "5"))],
    "HU": [(SINCE_ALWAYS, _rates("27", "18", "5"))],
    "IE": [
        (SINCE_ALWAYS, _rates("23", "13.5", "9", "4.8")),
        (date(2020, 9, 1), _rates("21", "13.5", "9", "4.8")),  # temporary COVID-19 cut
        (date(2021, 3, 1), _rates("23", "13.5", "9", "4.8")),
    ],
    "IT": [(SINCE_ALWAYS, _rates("22", "10", "5", "4"))],
    "LT": [
        (SINCE_ALWAYS, _rates("21", "9", "5")),
        (date(2026, 1, 1), _rates("21", "12", "5")),  # 9 % raised to 12 %
    ],
    "LU": [
        (SINCE_ALWAYS, _rates("17", "14", "8", "3")),
        (date(2023, 1, 1), _rates("16", "13", "7", "3")),  # temporary cut for 2023
        (date(2024, 1, 1), _rates("17", "14", "8", "3")),
    ],
    "LV": [(SINCE_ALWAYS, _rates("21", "12", "5"))],
    "MT": [
        (SINCE_ALWAYS, _rates("18", "7", "5")),
        (date(2024, 1, 1), _rates("18", "12", "7", "5")),  # L.N. 231 of 2023
    ],
    "NL": [(SINCE_ALWAYS, _rates("21", "9"))],
    "PL": [(SINCE_ALWAYS, _rates("23", "8", "5"))],
    "PT": [(SINCE_ALWAYS, _rates("23", "13", "6"))],
    "RO": [
        (SINCE_ALWAYS, _rates("19", "9", "5")),
        (date(2025, 8, 1), _rates("21", "11")),  # 9 % and 5 % merged into 11 %
    ],
    "SE": [(SINCE_ALWAYS, _rates("25", "12", "6"))],
    "SI": [(SINCE_ALWAYS, _rates("22", "9.5", "5"))],
    "SK": [
        (SINCE_ALWAYS, _rates("20", "10")),
        (date(2025, 1, 1), _rates("23", "19", "5")),
    ],
}


def rates_on(country: str, on: date) -> VatRates:
    """The rates in force in `country` on `on`."""
    try:
        periods = TABLE[country]
    except KeyError:
        raise UnknownCountry(country) from None
    current = periods[0][1]
    for starts, rates in periods:
        if starts > on:
            break
        current = rates
    return current


def standard_rate(country: str, on: date) -> Decimal:
    return rates_on(country, on).standard


def reduced_rates(country: str, on: date) -> tuple[Decimal, ...]:
    return rates_on(country, on).reduced
