"""Parts of member states that lie outside the EU's VAT area (Art. 6 VAT Directive), found
by the postcode of an address in the member state: an invoice to a buyer there is outside
the scope of EU VAT, like one to a buyer outside the EU.

Which territories are outside: Art. 6(1) and 6(2) VAT Directive and the European
Commission's table "Territorial status of EU countries and certain territories"
(taxation-customs.ec.europa.eu/territorial-status-eu-countries-and-certain-territories_en,
read through the project's search tool on 2026-12-02): VAT rules do not apply in the Åland
Islands, the French overseas departments (Guadeloupe, French Guiana, Martinique, Réunion,
Mayotte) and Saint-Martin, Heligoland, Büsingen, Mount Athos, Livigno, Campione d'Italia,
the Italian waters of Lake Lugano, Ceuta, Melilla and the Canary Islands. Monaco belongs to
France's VAT area and the Isle of Man to the UK's (not in this table: they are countries).

Postcodes:
- Spain: the provinces of Las Palmas (35) and Santa Cruz de Tenerife (38) make up the
  Canary Islands; Ceuta is 51, Melilla 52 (Correos' provincial prefixes).
- Finland: the Åland Islands are 22xxx (Posti).
- France: the overseas departments are 971 (Guadeloupe, with Saint-Martin 97150), 972
  (Martinique), 973 (French Guiana), 974 (Réunion), 976 (Mayotte) (La Poste).
- Germany: Heligoland 27498, Büsingen am Hochrhein 78266 (Deutsche Post).
- Greece: Mount Athos (Karyes) 63086 (ELTA).
- Italy: Livigno 23041, Campione d'Italia 22061 (Poste Italiane).
The Spanish, Åland and Mount Athos codes agree with the published tables found. Campione
d'Italia has had only its Italian code, 22061, since it joined the EU customs territory on
2020-01-01 (Swiss Post dropped its Swiss one; RSI and Ticinonline, December 2019 and
January 2020); it stays outside the VAT area (Art. 6(2)(f), as amended by Directive (EU)
2019/475). The others are the operators' codes as widely published and should be confirmed
against their directories when the table is reviewed. The Italian waters of Lake Lugano
have no postcode of their own.
"""

import re

# country -> [(postcode pattern, territory)]
TERRITORIES: dict[str, list[tuple[str, str]]] = {
    "ES": [(r"35\d{3}", "Canary Islands"), (r"38\d{3}", "Canary Islands"),
           (r"51\d{3}", "Ceuta"), (r"52\d{3}", "Melilla")],
    "FI": [(r"22\d{3}", "Åland Islands")],
    "FR": [(r"971\d{2}", "Guadeloupe"), (r"972\d{2}", "Martinique"),
           (r"973\d{2}", "French Guiana"), (r"974\d{2}", "Réunion"), (r"976\d{2}", "Mayotte")],
    "DE": [(r"27498", "Heligoland"), (r"78266", "Büsingen")],
    "GR": [(r"63086", "Mount Athos")],
    "IT": [(r"23041", "Livigno"), (r"22061", "Campione d'Italia")],
}  # fmt: skip


def territory_outside_vat_area(country: str, postcode: str) -> str:
    """The territory outside the EU VAT area that the address lies in, or ''."""
    # Written with a country prefix at times: "D-78266", "AX-22100", "FI-22100".
    code = re.sub(r"^[A-Z]{1,2}-?(?=\d)", "", re.sub(r"\s", "", postcode or "").upper())
    for pattern, territory in TERRITORIES.get(country, []):
        if re.fullmatch(pattern, code):
            return territory
    return ""
