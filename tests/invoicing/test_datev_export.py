"""DATEV's Buchungsstapel (issue 22): the EXTF format version 700, Buchungsstapel format
version 13, as DATEV's interface description gives it (developer.datev.de, DATEV-Format):
the 31 header fields, the 125 columns, the formats of the mandatory booking fields, one
booking per document against the account of its tax treatment in SKR03 or SKR04."""

import io
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from invoicing.accounting.datev import COLUMN, COLUMNS, HEADER_FIELDS, datev
from invoicing.billing import finalize_invoice, local_today
from invoicing.corrections import void_invoice
from invoicing.models import InvoicingError
from partners.models import Partner

from ..factories import make_entity, make_final, make_partner, make_payout, make_supplier

NOW = datetime(2026, 12, 4, 9, 30, 15, 123000, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def entity(entity):
    entity.datev_consultant_number, entity.datev_client_number = 29098, 55003
    entity.save()
    return entity


def this_month(entity):
    today = local_today(entity)
    return today.replace(day=1), today


def lines(entity, **period):
    start, end = period.get("start"), period.get("end")
    if start is None:
        start, end = this_month(entity)
    text = datev(entity, start, end, now=NOW).decode("cp1252")
    return [line.split(";") for line in text.split("\r\n")[:-1]]


def bookings(entity):
    return [dict(zip(COLUMNS, row, strict=True)) for row in lines(entity)[2:]]


def test_the_header_has_the_31_fields_of_extf_700(entity, partner):
    make_final(entity, partner)
    start, end = this_month(entity)
    header = dict(zip(HEADER_FIELDS, lines(entity)[0], strict=True))
    assert len(lines(entity)[0]) == 31
    assert [header[name] for name in ["Kennzeichen", "Versionsnummer", "Formatkategorie",
                                      "Formatname", "Formatversion"]] == [
        '"EXTF"', "700", "21", '"Buchungsstapel"', "13",
    ]  # fmt: skip
    assert header["Erzeugt am"] == "20261204093015123"
    assert (header["Berater"], header["Mandant"]) == ("29098", "55003")
    assert header["WJ-Beginn"] == f"{start.year}0101"
    assert header["Sachkontenlänge"] == "4"
    assert (header["Datum vom"], header["Datum bis"]) == (f"{start:%Y%m%d}", f"{end:%Y%m%d}")
    assert (header["Buchungstyp"], header["WKZ"], header["SKR"]) == ("1", '"EUR"', '"03"')


def test_the_second_line_names_the_125_columns_of_format_version_13(entity):
    names = lines(entity)[1]
    assert len(names) == 125
    assert names[:3] == ["Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz"]
    assert names[47:49] == ["Zusatzinformation - Art 1", "Zusatzinformation- Inhalt 1"]
    assert names[-1] == "Abw. Skontokonto"


def test_each_booking_fills_the_mandatory_fields_in_their_published_formats(entity, partner):
    make_final(entity, partner)
    finalize_invoice(make_payout(entity))
    for row in lines(entity)[2:]:
        booking = dict(zip(COLUMNS, row, strict=True))
        assert re.fullmatch(r"\d{1,10},\d{2}", booking["Umsatz (ohne Soll/Haben-Kz)"])
        assert booking["Soll/Haben-Kennzeichen"] in ('"S"', '"H"')
        assert re.fullmatch(r"\d{5}", booking["Konto"])  # personal: one digit more than 4
        assert re.fullmatch(r"\d{4}", booking["Gegenkonto (ohne BU-Schlüssel)"])
        assert re.fullmatch(r"\d{4}", booking["Belegdatum"])  # TTMM
        assert re.fullmatch(r'"[A-Za-z0-9$&%*+\-/]{1,36}"', booking["Belegfeld 1"])
        assert len(booking["Buchungstext"]) <= 60 + 2


@pytest.mark.parametrize(("chart", "revenue"), [("SKR03", "8400"), ("SKR04", "4400")])
def test_a_sale_is_booked_gross_against_the_automatic_revenue_account(entity, partner, chart,
                                                                      revenue):  # fmt: skip
    entity.chart_of_accounts = chart
    entity.save()
    invoice = make_final(entity, partner)  # 20.00 + 19 % VAT
    [booking] = bookings(entity)
    assert booking["Umsatz (ohne Soll/Haben-Kz)"] == "23,80"
    assert booking["Soll/Haben-Kennzeichen"] == '"S"'
    assert booking["Gegenkonto (ohne BU-Schlüssel)"] == revenue
    assert booking["BU-Schlüssel"] == ""  # an automatic account takes no tax key
    assert booking["Belegdatum"] == f"{invoice.issue_date:%d%m}"
    assert booking["Belegfeld 1"] == f'"{invoice.number}"'


def test_a_credit_note_is_booked_the_other_way_round(entity, partner):
    credit_note = void_invoice(make_final(entity, partner), "wrong partner", "finance")
    invoice_booking, credit_booking = bookings(entity)
    assert credit_booking["Soll/Haben-Kennzeichen"] == '"H"'
    assert credit_booking["Konto"] == invoice_booking["Konto"]
    assert credit_booking["Umsatz (ohne Soll/Haben-Kz)"] == f"{credit_note.total:.2f}".replace(
        ".", ","
    )


def test_a_reverse_charge_sale_in_the_eu_names_the_buyers_vat_id(entity):
    buyer = make_partner(entity, country="AT", vat_id="ATU13585627", vies_status=Partner.VIES_VALID)
    make_final(entity, buyer)
    [booking] = bookings(entity)
    assert booking["Gegenkonto (ohne BU-Schlüssel)"] == "8336"
    assert booking["EU-Land u. UStID (Bestimmung)"] == '"ATU13585627"'
    assert booking["Umsatz (ohne Soll/Haben-Kz)"] == "20,00"


def test_a_sale_outside_the_eu_goes_to_the_third_country_account(entity):
    make_final(entity, make_partner(entity, country="US", vat_id="", postcode="10001",
                                    city="New York", region="NY"))  # fmt: skip
    [booking] = bookings(entity)
    assert booking["Gegenkonto (ohne BU-Schlüssel)"] == "8338"


def test_a_domestic_self_billed_purchase_carries_the_input_vat_key(entity):
    payout = finalize_invoice(make_payout(entity))
    [booking] = bookings(entity)
    assert booking["Soll/Haben-Kennzeichen"] == '"H"'  # the creditor is credited
    assert 70000 <= int(booking["Konto"]) <= 99999
    assert (booking["Gegenkonto (ohne BU-Schlüssel)"], booking["BU-Schlüssel"]) == ("3100", '"9"')
    assert booking["Umsatz (ohne Soll/Haben-Kz)"] == f"{payout.total:.2f}".replace(".", ",")


def test_a_purchase_from_a_supplier_in_another_member_state_is_reverse_charged(entity):
    supplier = make_supplier(entity, country="AT", vat_id="ATU13585627", tax_number="",
                             vies_status=Partner.VIES_VALID)  # fmt: skip
    finalize_invoice(make_payout(entity, supplier))
    [booking] = bookings(entity)
    assert (booking["Gegenkonto (ohne BU-Schlüssel)"], booking["BU-Schlüssel"]) == ("3123", "")


def test_a_purchase_from_a_small_business_books_no_input_vat(entity):
    supplier = make_supplier(entity, vat_status=Partner.SMALL_BUSINESS)
    finalize_invoice(make_payout(entity, supplier))
    [booking] = bookings(entity)
    assert (booking["Gegenkonto (ohne BU-Schlüssel)"], booking["BU-Schlüssel"]) == ("3100", "")


def test_partners_get_the_next_free_personal_accounts_once(entity):
    first, second = make_partner(entity), make_partner(entity, debtor_number=10007)
    make_final(entity, first)
    make_final(entity, second)
    finalize_invoice(make_payout(entity))
    lines(entity)
    first.refresh_from_db()
    assert first.debtor_number == 10008
    assert Partner.objects.get(is_supplier=True).creditor_number == 70000
    lines(entity)  # a second export keeps them
    first.refresh_from_db()
    assert first.debtor_number == 10008


def test_the_bookings_add_up_to_the_documents(entity, partner):
    make_final(entity, partner)
    make_final(entity, make_partner(entity))
    void_invoice(make_final(entity, make_partner(entity)), "wrong partner", "finance")
    signed = sum(
        Decimal(b["Umsatz (ohne Soll/Haben-Kz)"].replace(",", "."))
        * (1 if b["Soll/Haben-Kennzeichen"] == '"S"' else -1)
        for b in bookings(entity)
    )
    assert signed == 2 * Decimal("23.80")  # the voided invoice and its credit note cancel out


def test_the_file_is_windows_1252_with_crlf_and_no_byte_order_mark(entity):
    make_final(entity, make_partner(entity, legal_name="Müller & Söhne GmbH"))
    content = datev(entity, *this_month(entity))
    assert not content.startswith(b"\xef\xbb\xbf")
    assert "Müller & Söhne GmbH".encode("cp1252") in content
    assert content.count(b"\r\n") == 3 and b"\n" not in content.replace(b"\r\n", b"")


def test_a_text_with_quotes_has_them_doubled(entity):
    make_final(entity, make_partner(entity, legal_name='Dach "Profi" GmbH'))
    [booking] = bookings(entity)
    assert '""Profi""' in booking["Buchungstext"]


def test_a_period_across_two_fiscal_years_is_refused(entity):
    with pytest.raises(InvoicingError, match="one fiscal year"):
        datev(entity, date(2025, 12, 1), date(2026, 1, 31))


def test_a_fiscal_year_from_july_sets_the_header(entity):
    entity.fiscal_year_start_month = 7
    entity.save()
    header = lines(entity, start=date(2026, 1, 1), end=date(2026, 1, 31))[0]
    assert header[HEADER_FIELDS.index("WJ-Beginn")] == "20250701"


def test_without_consultant_and_client_numbers_it_says_where_to_enter_them(entity):
    entity.datev_consultant_number = None
    entity.save()
    with pytest.raises(InvoicingError, match="Settings"):
        datev(entity, *this_month(entity))


def test_datev_is_for_german_entities(account):
    french = make_entity(account, name="Acme FR", country="FR", vat_id="FR40303265045",
                         siret="73282932000074", time_zone="Europe/Paris",
                         datev_consultant_number=29098, datev_client_number=1)  # fmt: skip
    with pytest.raises(InvoicingError, match="German"):
        datev(french, *this_month(french))


def test_the_command_writes_datev(entity, partner):
    make_final(entity, partner)
    start, end = this_month(entity)
    out = io.StringIO()
    call_command("export_accounting", "--format", "datev", "--entity", str(entity.pk),
                 "--start", start.isoformat(), "--end", end.isoformat(), stdout=out)  # fmt: skip
    assert out.getvalue().startswith('"EXTF";700;21;"Buchungsstapel";13;')


def test_the_command_says_why_it_cannot_write_datev(entity):
    entity.datev_client_number = None
    entity.save()
    with pytest.raises(CommandError, match="client numbers"):
        call_command("export_accounting", "--format", "datev", "--entity", str(entity.pk),
                     "--start", "2026-10-01", "--end", "2026-10-31")  # fmt: skip


def test_the_invoices_page_downloads_datev(finance_client, entity, partner):
    make_final(entity, partner)
    start, end = this_month(entity)
    response = finance_client.get(
        reverse("invoicing:accounting_export"),
        {"format": "datev", "start": start.isoformat(), "end": end.isoformat()},
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="EXTF_Buchungsstapel_{start:%Y%m%d}_{end:%Y%m%d}.csv"'
    )
    assert response.content.startswith(b'"EXTF";700')


def test_the_column_index_follows_the_names():
    assert COLUMN["Konto"] == 6 and COLUMN["Belegdatum"] == 9 and COLUMN["Fälligkeit"] == 116
