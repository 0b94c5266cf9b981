"""The national currency of each member state, with the date it changed: the currency in
which an invoice states its VAT too when it is issued in another one (Art. 230 VAT
Directive; § 14(4) no. 8 and § 16(6) UStG).

Sources:
- The euro area and its dates of entry: the European Central Bank's "Our currency" pages
  and the Council decisions on each adoption (Slovenia 2007, Cyprus and Malta 2008, Slovakia
  2009, Estonia 2011, Latvia 2014, Lithuania 2015, Croatia 2023).
- Bulgaria: on 8 July 2025 the Council of the EU adopted the legal acts for Bulgaria to use
  the euro from 1 January 2026, at 1.95583 lev per euro (Council press release of that day;
  read through the project's search tool on 2026-12-02).
- Outside the euro area (2026): Czechia (CZK), Denmark (DKK), Hungary (HUF), Poland (PLN),
  Romania (RON), Sweden (SEK).
"""

from datetime import date

# country → [(first day, currency)], oldest first
NATIONAL_CURRENCIES = {
    "AT": [(date(1999, 1, 1), "EUR")],
    "BE": [(date(1999, 1, 1), "EUR")],
    "BG": [(date(1999, 1, 1), "BGN"), (date(2026, 1, 1), "EUR")],
    "CY": [(date(1999, 1, 1), "CYP"), (date(2008, 1, 1), "EUR")],
    "CZ": [(date(1999, 1, 1), "CZK")],
    "DE": [(date(1999, 1, 1), "EUR")],
    "DK": [(date(1999, 1, 1), "DKK")],
    "EE": [(date(1999, 1, 1), "EEK"), (date(2011, 1, 1), "EUR")],
    "ES": [(date(1999, 1, 1), "EUR")],
    "FI": [(date(1999, 1, 1), "EUR")],
    "FR": [(date(1999, 1, 1), "EUR")],
    "GR": [(date(1999, 1, 1), "GRD"), (date(2001, 1, 1), "EUR")],
    "HR": [(date(1999, 1, 1), "HRK"), (date(2023, 1, 1), "EUR")],
    "HU": [(date(1999, 1, 1), "HUF")],
    "IE": [(date(1999, 1, 1), "EUR")],
    "IT": [(date(1999, 1, 1), "EUR")],
    "LT": [(date(1999, 1, 1), "LTL"), (date(2015, 1, 1), "EUR")],
    "LU": [(date(1999, 1, 1), "EUR")],
    "LV": [(date(1999, 1, 1), "LVL"), (date(2014, 1, 1), "EUR")],
    "MC": [(date(1999, 1, 1), "EUR")],  # in France's VAT area (Art. 7)
    "MT": [(date(1999, 1, 1), "MTL"), (date(2008, 1, 1), "EUR")],
    "NL": [(date(1999, 1, 1), "EUR")],
    "PL": [(date(1999, 1, 1), "PLN")],
    "PT": [(date(1999, 1, 1), "EUR")],
    "RO": [(date(1999, 1, 1), "ROL"), (date(2005, 7, 1), "RON")],
    "SE": [(date(1999, 1, 1), "SEK")],
    "SI": [(date(1999, 1, 1), "SIT"), (date(2007, 1, 1), "EUR")],
    "SK": [(date(1999, 1, 1), "SKK"), (date(2009, 1, 1), "EUR")],
}


def national_currency(country: str, on: date) -> str | None:
    """The member state's currency on the day, or None outside the EU."""
    current = None
    for since, currency in NATIONAL_CURRENCIES.get(country, []):
        if since <= on:
            current = currency
    return current
