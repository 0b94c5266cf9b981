"""The accounts a DATEV booking of a lead sale or purchase goes to, in DATEV's standard
charts SKR03 and SKR04, by how the document was taxed.

Revenue and reverse-charge purchases go to DATEV's automatic accounts (Automatikkonten),
which split off the VAT themselves: such a booking must carry no tax key. Domestic
purchases go to "Fremdleistungen" with the tax key of the input VAT (9: 19 %, 8: 7 %).

Sources: DATEV Kontenrahmen SKR03 and SKR04 (DATEV eG, Art.-Nr. 11174 and 11175; account
names as printed there); DATEV Steuerschlüssel-Tabelle (DATEV-Hilfe Dok.-Nr. 0907054) for
the keys 8 and 9; DATEV's interface description "Formatbeschreibung Buchungsstapel"
(developer.datev.de, dtvf) for the rule that an automatic account takes no key.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Booking:
    account: int
    tax_key: str = ""  # BU-Schlüssel; empty on an automatic account


# What the partner's personal account is booked against, by chart.
SALES = {
    # Erlöse 19 % USt / Erlöse 7 % USt
    ("S", 19): {"SKR03": Booking(8400), "SKR04": Booking(4400)},
    ("S", 7): {"SKR03": Booking(8300), "SKR04": Booking(4300)},
    # Erlöse aus im anderen EU-Land steuerpflichtigen sonstigen Leistungen, für die der
    # Leistungsempfänger die Umsatzsteuer schuldet (Art. 44, 196; § 3a Abs. 2, § 13b UStG)
    "eu_reverse_charge": {"SKR03": Booking(8336), "SKR04": Booking(4336)},
    # Erlöse aus im Drittland steuerbaren Leistungen, im Inland nicht steuerbare Umsätze
    "third_country": {"SKR03": Booking(8338), "SKR04": Booking(4338)},
    # Erlöse als Kleinunternehmer i. S. d. § 19 Abs. 1 UStG
    "small_business": {"SKR03": Booking(8195), "SKR04": Booking(4185)},
}

PURCHASES = {
    # Fremdleistungen, with the input VAT by tax key (9: Vorsteuer 19 %, 8: Vorsteuer 7 %)
    ("S", 19): {"SKR03": Booking(3100, "9"), "SKR04": Booking(5900, "9")},
    ("S", 7): {"SKR03": Booking(3100, "8"), "SKR04": Booking(5900, "8")},
    # Sonstige Leistungen eines im anderen EU-Land ansässigen Unternehmers 19 % Vorsteuer
    # und 19 % Umsatzsteuer (§ 13b Abs. 1 UStG)
    "eu_reverse_charge": {"SKR03": Booking(3123), "SKR04": Booking(5923)},
    # Leistungen eines im Ausland ansässigen Unternehmers 19 % Vorsteuer und 19 %
    # Umsatzsteuer (§ 13b Abs. 2 Nr. 1 UStG)
    "foreign_reverse_charge": {"SKR03": Booking(3125), "SKR04": Booking(5925)},
    # Fremdleistungen, without input VAT: a small business or a private individual
    "no_vat": {"SKR03": Booking(3100), "SKR04": Booking(5900)},
}
