"""Accounting exports (issue 22): one balanced entry per finalized document of the period,
credit notes and self-billed invoices included, as the FEC (art. A47 A-1 LPF) for a French
Entity and as a journal CSV, from the command line and the invoices page."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from invoicing.accounting.fec import FEC_FIELDS, fec, fec_filename
from invoicing.accounting.journal import is_balanced, journal, journal_csv
from invoicing.billing import finalize_invoice, local_today
from invoicing.corrections import void_invoice

from ..factories import make_entity, make_final, make_partner, make_payout, make_supplier


@pytest.fixture
def french(account):
    return make_entity(account, name="Acme FR", legal_name="Acme SAS", country="FR",
                       vat_id="FR40303265045", siret="73282932000074",
                       time_zone="Europe/Paris")  # fmt: skip


def this_month(entity):
    today = local_today(entity)
    return today.replace(day=1), today


def test_each_document_is_one_balanced_entry(entity, partner):
    invoice = make_final(entity, partner)
    void_invoice(invoice, "wrong partner", "finance")
    finalize_invoice(make_payout(entity))
    entries = journal(entity, *this_month(entity))
    assert [e.journal for e in entries] == ["VE", "VE", "AC"]
    assert all(is_balanced(e) for e in entries)


def test_a_sale_debits_the_customer_and_credits_revenue_and_vat(entity, partner):
    invoice = make_final(entity, partner)  # 20.00 + 19 % VAT
    [entry] = journal(entity, *this_month(entity))
    lines = {line.account: (line.debit, line.credit) for line in entry.lines}
    assert lines == {
        "411": (invoice.total, Decimal(0)),
        "706": (Decimal(0), Decimal("20.00")),
        "44571": (Decimal(0), Decimal("3.80")),
    }
    assert entry.lines[0].aux_name == partner.legal_name


def test_a_credit_note_is_booked_the_other_way(entity, partner):
    credit_note = void_invoice(make_final(entity, partner), "wrong partner", "finance")
    entry = next(e for e in journal(entity, *this_month(entity)) if e.document == credit_note)
    customer = entry.lines[0]
    assert (customer.account, customer.credit) == ("411", credit_note.total)


def test_a_self_billed_invoice_credits_the_supplier(entity):
    payout = finalize_invoice(make_payout(entity))
    [entry] = journal(entity, *this_month(entity))
    lines = {line.account: (line.debit, line.credit) for line in entry.lines}
    assert lines["401"] == (Decimal(0), payout.total)
    assert lines["604"][0] == payout.subtotal


def test_the_fec_has_the_18_fields_in_their_order(french):
    make_final(french, make_partner(french, country="FR", registration_number="552 100 554"))
    text = fec(french, *this_month(french)).decode("iso-8859-15")
    header, *rows = text.split("\r\n")[:-1]
    assert header.split("\t") == FEC_FIELDS
    assert all(len(row.split("\t")) == 18 for row in rows)


def test_the_fec_writes_dates_as_aaaammjj_and_amounts_with_a_comma(french):
    invoice = make_final(french, make_partner(french, country="FR",
                                              registration_number="552 100 554"))  # fmt: skip
    rows = [
        r.split("\t")
        for r in fec(french, *this_month(french)).decode("latin-1").split("\r\n")[1:-1]
    ]
    fields = dict(zip(FEC_FIELDS, rows[0], strict=True))
    assert fields["EcritureDate"] == f"{invoice.issue_date:%Y%m%d}"
    assert fields["Debit"] == f"{invoice.total:.2f}".replace(".", ",")
    assert fields["PieceRef"] == invoice.number
    debit = sum(Decimal(r[11].replace(",", ".")) for r in rows)
    credit = sum(Decimal(r[12].replace(",", ".")) for r in rows)
    assert debit == credit


def test_the_fec_is_named_siren_fec_and_the_closing_date(french):
    assert fec_filename(french, this_month(french)[1]).startswith("732829320FEC")


def test_the_fec_is_for_french_entities(entity):
    from invoicing.models import InvoicingError

    with pytest.raises(InvoicingError, match="French"):
        fec(entity, *this_month(entity))


def test_the_journal_csv_lists_every_line(entity, partner):
    invoice = make_final(entity, partner)
    rows = list(csv.DictReader(io.StringIO(journal_csv(entity, *this_month(entity)))))
    assert [r["account"] for r in rows] == ["411", "706", "44571"]
    assert {r["document"] for r in rows} == {invoice.number}


def test_the_command_writes_the_journal(entity, partner, tmp_path):
    make_final(entity, partner)
    start, end = this_month(entity)
    out = tmp_path / "journal.csv"
    period = ["--start", start.isoformat(), "--end", end.isoformat()]
    call_command("export_accounting", "--format", "csv", "--entity", str(entity.pk), *period,
                 "--out", str(out))  # fmt: skip
    assert out.read_text().startswith("journal,entry,date")


def test_the_command_says_why_it_cannot(entity):
    with pytest.raises(CommandError, match="French"):
        call_command("export_accounting", "--format", "fec", "--entity", str(entity.pk),
                     "--start", "2026-10-01", "--end", "2026-10-31")  # fmt: skip


def test_the_invoices_page_downloads_the_journal(finance_client, entity, partner):
    make_final(entity, partner)
    start, end = this_month(entity)
    response = finance_client.get(
        reverse("invoicing:accounting_export"),
        {"format": "csv", "start": start.isoformat(), "end": end.isoformat()},
    )
    assert response["Content-Disposition"].startswith('attachment; filename="journal-')
    assert b"411" in response.content


def test_without_out_the_command_writes_to_standard_output(french):
    make_final(french, make_partner(french, country="FR", registration_number="552 100 554"))
    start, end = this_month(french)
    out = io.StringIO()
    call_command("export_accounting", "--format", "fec", "--entity", str(french.pk),
                 "--start", start.isoformat(), "--end", end.isoformat(), stdout=out)  # fmt: skip
    assert out.getvalue().startswith("JournalCode\tJournalLib")


def test_a_reverse_charged_purchase_books_the_vat_it_self_assesses(french):
    from partners.models import Partner

    supplier = make_supplier(french, country="DE", vat_id="DE811907980", tax_number="",
                             vies_status=Partner.VIES_VALID)  # fmt: skip
    payout = finalize_invoice(make_payout(french, supplier))
    assert payout.tax_category == "AE"
    [entry] = journal(french, *this_month(french))
    lines = {line.account: (line.debit, line.credit) for line in entry.lines}
    vat = (payout.subtotal * Decimal("0.20")).quantize(Decimal("0.01"))
    assert lines["44566"] == (vat, Decimal(0))  # deductible
    assert lines["4452"] == (Decimal(0), vat)  # and due: the buyer accounts for it
    assert lines["401"] == (Decimal(0), payout.total)
    assert is_balanced(entry)
