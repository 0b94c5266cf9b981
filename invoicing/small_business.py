"""The small-business VAT exemptions of the member states (Art. 281–294 VAT Directive, the
"franchise"): the note a small business's invoice carries instead of VAT, in the words its
national law or tax administration uses. A small business never shows VAT on its invoices
(§ 14c UStG: VAT shown is VAT owed).

Sources:
- DE: § 19 UStG; § 34a UStDV (since 2025) asks for a reference to the exemption; the
  wording is the one common practice uses.
- AT: § 6 Abs. 1 Z 27 UStG 1994 (Kleinunternehmerregelung), with § 11 Abs. 1a UStG.
- FR: art. 293 B du CGI (franchise en base); art. 242 nonies A, 3° de l'annexe II au CGI
  requires the mention "TVA non applicable, art. 293 B du CGI".
- BE: art. 56bis du Code de la TVA; the invoicing rules for the scheme ask for the mention
  "Régime particulier de franchise des petites entreprises".
- IT: art. 1, commi 54–89, legge 190/2014 (regime forfettario).
Other member states get a note in English that names the exemption of the VAT Directive.
"""

NOTES = {
    "DE": "Kein Ausweis von Umsatzsteuer, da Kleinunternehmer gemäß § 19 UStG.",
    "AT": "Umsatzsteuerfrei aufgrund der Kleinunternehmerregelung gemäß § 6 Abs. 1 Z 27 UStG.",
    "FR": "TVA non applicable, art. 293 B du CGI.",
    "BE": "Régime particulier de franchise des petites entreprises.",
    "IT": "Operazione in franchigia da IVA ai sensi dell'art. 1, commi 54–89, legge n. 190/2014.",
}
OTHER_COUNTRIES = "VAT exempt: small business scheme (Art. 284 VAT Directive)."


def small_business_note(country: str) -> str:
    """The note of a small business established in `country`."""
    return NOTES.get(country, OTHER_COUNTRIES)
