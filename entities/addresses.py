"""How a postal address is written in each country, and the states and provinces that
American and Canadian addresses must name.

Sources: the Universal Postal Union's "Postal addressing systems in member countries"
(https://www.upu.int/en/Postal-Solutions/Programmes-Services/Addressing-Solutions), USPS
Publication 28 §2 (state abbreviations) and Canada Post's Addressing Guidelines §5 (province
and territory symbols); the codes are those of ISO 3166-2:US and ISO 3166-2:CA."""

import re

from django.utils.translation import gettext as _

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    # Territories with their own USPS abbreviation.
    "AS": "American Samoa", "GU": "Guam", "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico", "VI": "U.S. Virgin Islands",
}  # fmt: skip

CANADIAN_PROVINCES = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}  # fmt: skip

# Countries whose addresses must name the state or province, with the codes allowed.
REGIONS = {"US": US_STATES, "CA": CANADIAN_PROVINCES}

# The lines after the street, by country; every other country writes "postcode city"
# (continental Europe). A line left empty by missing parts is dropped.
CITY_LINES = {
    "US": ["{city}, {region} {postcode}"],  # CHICAGO IL 60606; the comma is customary
    "CA": ["{city} {region} {postcode}"],  # OTTAWA ON K1A 0B1
    "AU": ["{city} {region} {postcode}"],  # SYDNEY NSW 2000
    "GB": ["{city}", "{postcode}"],  # the postcode on a line of its own
    "IE": ["{city}", "{postcode}"],  # the Eircode likewise
    "NZ": ["{city} {postcode}"],
    "SG": ["{city} {postcode}"],
    "IN": ["{city} {postcode}"],
    "AE": ["{city}"],  # no postcodes
}
DEFAULT_CITY_LINES = ["{postcode} {city}"]


def needs_region(country: str) -> bool:
    return country in REGIONS


def region_problem(region: str, country: str) -> str:
    """Why the state or province does not fit the country, or ''."""
    codes = REGIONS.get(country)
    if codes is None:
        return ""
    if not region:
        return _("Addresses in this country name the state or province: fill it in.")
    if region.upper() not in codes:
        return f"{region} is not a state or province code here (e.g. {next(iter(codes))})."
    return ""


def normalize_region(region: str, country: str) -> str:
    """The two-letter code where the country has them, else the text as entered."""
    region = " ".join((region or "").split())
    if country not in REGIONS:
        return region
    upper = region.upper()
    names = {name.upper(): code for code, name in REGIONS[country].items()}
    return names.get(upper, upper)


def city_lines(country: str, postcode: str, city: str, region: str = "") -> list[str]:
    """The address lines after the street, in the country's order."""
    parts = {"postcode": postcode or "", "city": city or "", "region": region or ""}
    lines = []
    for pattern in CITY_LINES.get(country, DEFAULT_CITY_LINES):
        line = " ".join(pattern.format(**parts).split())
        line = re.sub(r"\s+,|,(?=\s*$)", "", line).strip(" ,")
        if line:
            lines.append(line)
    return lines


def city_line(party) -> str:
    """One line for a party (a dict or a model with postcode, city, country, region):
    "10117 Berlin", "Chicago, IL 60606", "London SW1A 1AA"."""

    def get(name):
        value = party.get(name) if isinstance(party, dict) else getattr(party, name, "")
        return value or ""

    return " ".join(city_lines(get("country"), get("postcode"), get("city"), get("region")))
