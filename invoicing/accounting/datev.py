"""DATEV's "Buchungsstapel" of a German Entity's period: the EXTF format, version 700,
Buchungsstapel format version 13 (developer.datev.de, "DATEV-Format", dtvf: Header,
Buchungsstapel, Zeichensatz).

One booking per document: its gross amount on the partner's personal account (a debtor
for a sale, a creditor for a self-billed purchase) against the account of its tax
treatment in the Entity's chart (datev_accounts), which splits off the VAT. A booking is
balanced by itself: the amount is debited on one account and credited on the other. A
credit note is booked the other way round. Amounts are in euros, a document in another
currency at the rate the journal books it at (journal.py).

The file: a header line, the column names, one line per booking; semicolons, CR LF,
decimal commas, text in double quotes, in Windows-1252 (ANSI), the encoding DATEV reads
without a byte-order mark."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from entities.models import EU_COUNTRIES, Entity, vat_country
from partners.models import Partner

from ..models import Invoice, InvoicingError
from . import datev_accounts
from .journal import Entry, journal

FORMAT_VERSION = 13
ACCOUNT_LENGTH = 4  # Sachkontenlänge: four-digit accounts, five-digit personal accounts
DEBTORS = (10000, 69999)
CREDITORS = (70000, 99999)
MOST_ROWS = 99_999  # a Buchungsstapel takes no more

# The header's 31 fields, in order (DATEV-Format, "Header").
HEADER_FIELDS = [
    "Kennzeichen", "Versionsnummer", "Formatkategorie", "Formatname", "Formatversion",
    "Erzeugt am", "Importiert", "Herkunft", "Exportiert von", "Importiert von", "Berater",
    "Mandant", "WJ-Beginn", "Sachkontenlänge", "Datum vom", "Datum bis", "Bezeichnung",
    "Diktatkürzel", "Buchungstyp", "Rechnungslegungszweck", "Festschreibung", "WKZ",
    "reserviert", "Derivatskennzeichen", "reserviert", "reserviert", "SKR",
    "Branchenlösungs-ID", "reserviert", "reserviert", "Anwendungsinformation",
]  # fmt: skip

# The 125 columns of Buchungsstapel format version 13, as DATEV names them.
COLUMNS = [
    "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs",
    "Basis-Umsatz", "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel", "Belegdatum", "Belegfeld 1", "Belegfeld 2", "Skonto", "Buchungstext",
    "Postensperre", "Diverse Adressnummer", "Geschäftspartnerbank", "Sachverhalt",
    "Zinssperre", "Beleglink",
    *[f"Beleginfo - {kind} {n}" for n in range(1, 9) for kind in ("Art", "Inhalt")],
    "KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "Kost-Menge",
    "EU-Land u. UStID (Bestimmung)", "EU-Steuersatz (Bestimmung)", "Abw. Versteuerungsart",
    "Sachverhalt L+L", "Funktionsergänzung L+L", "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer", "BU 49 Funktionsergänzung",
    *[name for n in range(1, 21)
      for name in (f"Zusatzinformation - Art {n}", f"Zusatzinformation- Inhalt {n}")],
    "Stück", "Gewicht", "Zahlweise", "Forderungsart", "Veranlagungsjahr",
    "Zugeordnete Fälligkeit", "Skontotyp", "Auftragsnummer", "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)", "EU-Land (Anzahlungen)", "Sachverhalt L+L (Anzahlungen)",
    "EU-Steuersatz (Anzahlungen)", "Erlöskonto (Anzahlungen)", "Herkunft-Kz", "Buchungs GUID",
    "KOST-Datum", "SEPA-Mandatsreferenz", "Skontosperre", "Gesellschaftername",
    "Beteiligtennummer", "Identifikationsnummer", "Zeichnernummer", "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt", "Kennzeichen SoBil-Buchung", "Festschreibung",
    "Leistungsdatum", "Datum Zuord. Steuerperiode", "Fälligkeit", "Generalumkehr (GU)",
    "Steuersatz", "Land", "Abrechnungsreferenz", "BVV-Position", "EU-Land u. UStID (Ursprung)",
    "EU-Steuersatz (Ursprung)", "Abw. Skontokonto",
]  # fmt: skip
COLUMN = {name: index for index, name in enumerate(COLUMNS)}

# Belegfeld 1 takes letters, digits and $ & % * + - / only, up to 36 of them.
NOT_IN_DOCUMENT_FIELD = re.compile(r"[^A-Za-z0-9$&%*+\-/]")


def datev(entity: Entity, start: date, end: date, now: datetime | None = None) -> bytes:
    """The Buchungsstapel of the documents issued from `start` to `end`."""
    _check_entity(entity)
    fiscal_year = fiscal_year_start(entity, start)
    if fiscal_year_start(entity, end) != fiscal_year:
        raise InvoicingError(
            _("A DATEV file covers one fiscal year; export the period up to {day} apart.").format(
                day=date(fiscal_year.year + 1, fiscal_year.month, 1)
            )
        )
    entries = journal(entity, start, end)
    if len(entries) > MOST_ROWS:
        raise InvoicingError(_("Too many documents for one DATEV file: export a shorter period."))
    give_account_numbers(entity, [entry.document for entry in entries])
    lines = [_header(entity, start, end, fiscal_year, now), ";".join(COLUMNS)]
    lines += [_row(entity, entry) for entry in entries]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")


def datev_filename(start: date, end: date) -> str:
    return f"EXTF_Buchungsstapel_{start:%Y%m%d}_{end:%Y%m%d}.csv"


def _check_entity(entity: Entity) -> None:
    if entity.country != "DE":
        raise InvoicingError(
            _("DATEV's charts of accounts are German: the DATEV export is for German Entities.")
        )
    if not entity.datev_consultant_number or not entity.datev_client_number:
        raise InvoicingError(
            _("Enter the DATEV consultant and client numbers in Settings → Accounting exports.")
        )


def fiscal_year_start(entity: Entity, day: date) -> date:
    month = entity.fiscal_year_start_month
    year = day.year if day.month >= month else day.year - 1
    return date(year, month, 1)


def give_account_numbers(entity: Entity, documents: list[Invoice]) -> None:
    """Give each partner of the documents without a debtor (sale) or creditor (purchase)
    account the next free one of the Entity. A number once given stays: the tax adviser's
    books know the partner by it."""
    for field, self_billed, (first, last) in [
        ("debtor_number", False, DEBTORS),
        ("creditor_number", True, CREDITORS),
    ]:
        missing = {
            document.partner_id
            for document in documents
            if document.self_billed == self_billed and getattr(document.partner, field) is None
        }
        if missing:
            _give(entity, field, sorted(missing), first, last)
    numbers = {
        pk: (debtor, creditor)
        for pk, debtor, creditor in Partner.objects.filter(
            pk__in={document.partner_id for document in documents}
        ).values_list("pk", "debtor_number", "creditor_number")
    }
    for document in documents:
        document.partner.debtor_number, document.partner.creditor_number = numbers[
            document.partner_id
        ]


def _give(entity: Entity, field: str, partner_ids: list[int], first: int, last: int) -> None:
    with transaction.atomic():
        Entity.objects.select_for_update().filter(pk=entity.pk).first()  # one giver at a time
        highest = Partner.objects.filter(entity=entity).aggregate(n=Max(field))["n"]
        number = max(highest or 0, first - 1)
        for partner in Partner.objects.filter(
            pk__in=partner_ids, **{f"{field}__isnull": True}
        ).order_by("pk"):
            number += 1
            if number > last:
                raise InvoicingError(_("No free personal account is left for a partner."))
            Partner.objects.filter(pk=partner.pk).update(**{field: number})


def _header(entity: Entity, start: date, end: date, fiscal_year: date, now) -> str:
    now = (now or timezone.now()).astimezone(ZoneInfo(entity.time_zone))
    created = f"{now:%Y%m%d%H%M%S}{now.microsecond // 1000:03d}"
    title = f"Leadflip {start:%m/%Y}" if start.month == end.month else "Leadflip"
    fields = [
        _text("EXTF"), "700", "21", _text("Buchungsstapel"), str(FORMAT_VERSION), created,
        "", _text("LF"), _text("Leadflip"), _text(""), str(entity.datev_consultant_number),
        str(entity.datev_client_number), f"{fiscal_year:%Y%m%d}", str(ACCOUNT_LENGTH),
        f"{start:%Y%m%d}", f"{end:%Y%m%d}", _text(title), _text(""), "1", "0", "0",
        _text("EUR"), "", _text(""), "", "", _text(entity.chart_of_accounts[-2:]), "", "",
        _text(""), _text(""),
    ]  # fmt: skip
    assert len(fields) == len(HEADER_FIELDS)
    return ";".join(fields)


def _row(entity: Entity, entry: Entry) -> str:
    document = entry.document
    booking, eu_vat_id = _booking(entity, document)
    partner_line = entry.lines[0]  # the partner's: debited for a sale, credited for a purchase
    personal = (
        document.partner.creditor_number if document.self_billed else document.partner.debtor_number
    )
    fields = [""] * len(COLUMNS)
    fields[COLUMN["Umsatz (ohne Soll/Haben-Kz)"]] = _amount(
        partner_line.debit or partner_line.credit
    )
    fields[COLUMN["Soll/Haben-Kennzeichen"]] = _text("S" if partner_line.debit else "H")
    fields[COLUMN["WKZ Umsatz"]] = _text("EUR")
    fields[COLUMN["Konto"]] = str(personal)
    fields[COLUMN["Gegenkonto (ohne BU-Schlüssel)"]] = str(booking.account)
    if booking.tax_key:
        fields[COLUMN["BU-Schlüssel"]] = _text(booking.tax_key)
    fields[COLUMN["Belegdatum"]] = f"{document.issue_date:%d%m}"
    fields[COLUMN["Belegfeld 1"]] = _text(NOT_IN_DOCUMENT_FIELD.sub("-", document.number)[:36])
    text = f"{document.title} {document.partner.legal_name}"
    if entry.foreign_currency:
        text += f" {entry.foreign_amount} {entry.foreign_currency}"
    fields[COLUMN["Buchungstext"]] = _text(text[:60])
    if eu_vat_id:
        fields[COLUMN["EU-Land u. UStID (Bestimmung)"]] = _text(eu_vat_id)
    if document.due_date and not document.is_credit_note:
        fields[COLUMN["Fälligkeit"]] = f"{document.due_date:%d%m%Y}"
    return ";".join(fields)


def _booking(entity: Entity, document: Invoice) -> tuple[datev_accounts.Booking, str]:
    """The document's counter account in the Entity's chart, and for a reverse-charge sale
    within the EU the buyer's VAT ID (for the recapitulative statement)."""
    category = document.tax_category
    counterparty = document.seller if document.self_billed else document.buyer
    in_eu = vat_country(counterparty.get("country", "")) in EU_COUNTRIES
    rate = int(document.tax_rate) if document.tax_rate == int(document.tax_rate) else None
    table = datev_accounts.PURCHASES if document.self_billed else datev_accounts.SALES
    eu_vat_id = ""
    if category == "S" and document.tax_country in ("", entity.country):
        key = ("S", rate)
    elif category == "AE":
        if document.self_billed:
            key = "eu_reverse_charge" if in_eu else "foreign_reverse_charge"
        else:
            key = "eu_reverse_charge" if in_eu else "third_country"
            eu_vat_id = counterparty.get("vat_id", "") if in_eu else ""
    elif category == "O":
        key = "no_vat" if document.self_billed else "third_country"
    elif category == "E":
        key = "no_vat" if document.self_billed else "small_business"
    else:
        key = None
    if key not in table:
        raise InvoicingError(
            _("{number}: no DATEV account is set for VAT {category} {rate} %{country}.").format(
                number=document.number,
                category=category,
                rate=document.tax_rate.normalize(),
                country=f" ({document.tax_country})" if document.tax_country else "",
            )
        )
    return table[key][entity.chart_of_accounts], eu_vat_id


def _text(value: str) -> str:
    """A text field: in double quotes, a quote inside doubled, no line breaks."""
    return '"' + " ".join(str(value).split()).replace('"', '""') + '"'


def _amount(value) -> str:
    return f"{value:.2f}".replace(".", ",")
