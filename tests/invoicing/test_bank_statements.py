"""Bank statements (issue 21): CAMT.053, CAMT.054 and MT940 files are read, checked against
the account and the ISO 20022 schema, and each credit is matched to open invoices: an exact
match records the payment, part payments and choices wait for a person, the rest is listed
unmatched. Importing the same entries twice changes nothing; debits mark payouts paid."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.banking.matching import assign, ignore
from invoicing.banking.references import printed_reference
from invoicing.banking.sepa import create_transfer
from invoicing.banking.statements import import_statement
from invoicing.billing import finalize_invoice, local_today
from invoicing.models import BankEntry, BankStatement, InvoiceEvent, InvoicingError, Payment

from ..bank_files import Booking, camt053, camt054, mt940
from ..factories import make_final, make_partner, make_payout

ACCOUNT = "DE89370400440532013000"  # the Entity's IBAN in the factories
PAYER_IBAN = "DE02120300000000202051"


@pytest.fixture
def invoice(entity, partner):
    return make_final(entity, partner)


def money(value) -> str:
    return f"{value:.2f}"


def imported(entity, content, name="statement.xml"):
    return import_statement(entity, name, content, "finance@acme.test")


def entry_of(statement, **filters) -> BankEntry:
    return statement.entries.get(**filters)


def test_a_credit_quoting_the_payment_reference_pays_the_invoice(entity, invoice):
    booking = Booking(money(invoice.total), reference="C1",
                      creditor_reference=invoice.payment_reference)  # fmt: skip
    statement = imported(entity, camt053(ACCOUNT, [booking]))
    invoice.refresh_from_db()
    assert invoice.paid_at == booking.booked
    entry = entry_of(statement, reference="C1")
    assert entry.status == BankEntry.MATCHED
    assert Payment.objects.get(invoice=invoice).bank_entry == entry


def test_a_reference_printed_with_spaces_in_the_text_is_found(entity, invoice):
    text = f"Zahlung {printed_reference(invoice.payment_reference)} danke"
    imported(entity, camt053(ACCOUNT, [Booking(money(invoice.total), text=text)]))
    invoice.refresh_from_db()
    assert invoice.paid_at


def test_the_invoice_number_in_the_remittance_text_pays_the_invoice(entity, invoice):
    text = f"Rechnung {invoice.number.lower()}, Kd 4711"
    statement = imported(entity, camt053(ACCOUNT, [Booking(money(invoice.total), text=text)]))
    invoice.refresh_from_db()
    assert invoice.paid_at
    assert "invoice number" in entry_of(statement).describe()


def test_one_credit_naming_two_invoices_pays_both(entity, partner):
    first, second = make_final(entity, partner), make_final(entity, make_partner(entity))
    text = f"{first.number}/{second.number}"
    amount = first.total + second.total
    imported(entity, camt053(ACCOUNT, [Booking(money(amount), text=text)]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.paid_at and second.paid_at


def test_the_payers_iban_and_the_amount_pay_the_invoice(entity):
    payer = make_partner(entity, iban=PAYER_IBAN)
    invoice = make_final(entity, payer)
    booking = Booking(money(invoice.total), iban=PAYER_IBAN, text="Leads Oktober")
    statement = imported(entity, camt053(ACCOUNT, [booking]))
    invoice.refresh_from_db()
    assert invoice.paid_at
    assert "IBAN" in entry_of(statement).describe()


def test_a_part_payment_waits_for_confirmation(entity, invoice):
    statement = imported(entity, camt053(ACCOUNT, [Booking("10.00", text=invoice.number)]))
    entry = entry_of(statement)
    invoice.refresh_from_db()
    assert entry.status == BankEntry.TO_CONFIRM
    assert "Part payment" in entry.describe()
    assert list(entry.suggestions.all()) == [invoice]
    assert invoice.amount_paid == 0


def test_confirming_a_part_payment_records_it(entity, invoice, finance):
    statement = imported(entity, camt053(ACCOUNT, [Booking("10.00", text=invoice.number)]))
    entry = entry_of(statement)
    assign(entry, [invoice], finance)
    invoice.refresh_from_db()
    entry.refresh_from_db()
    assert invoice.amount_paid == Decimal("10.00") and not invoice.paid_at
    assert entry.status == BankEntry.MATCHED and entry.decided_by == finance.email


def test_an_overpayment_waits_for_confirmation(entity, invoice):
    amount = invoice.total + Decimal("5.00")
    statement = imported(entity, camt053(ACCOUNT, [Booking(money(amount), text=invoice.number)]))
    entry = entry_of(statement)
    assert entry.status == BankEntry.TO_CONFIRM and "Overpayment" in entry.describe()
    with pytest.raises(InvoicingError, match="more than the"):
        assign(entry, [invoice], "finance")


def test_two_invoices_of_the_payer_for_the_same_amount_wait_for_a_choice(entity):
    payer = make_partner(entity, iban=PAYER_IBAN)
    first, second = make_final(entity, payer), make_final(entity, payer)
    statement = imported(entity, camt053(ACCOUNT, [Booking(money(first.total), iban=PAYER_IBAN)]))
    entry = entry_of(statement)
    assert entry.status == BankEntry.TO_CONFIRM
    assert set(entry.suggestions.all()) == {first, second}


def test_a_credit_naming_nothing_known_is_unmatched(entity, invoice):
    booking = Booking("77.00", name="Unknown Ltd", iban="FR7630006000011234567890189", text="x")
    statement = imported(entity, camt053(ACCOUNT, [booking]))
    assert entry_of(statement).status == BankEntry.UNMATCHED


def test_an_ignored_entry_keeps_its_note(entity, finance):
    statement = imported(entity, camt053(ACCOUNT, [Booking("3.50", credit=False, text="Fees")]))
    entry = entry_of(statement)
    ignore(entry, "Account fees for November", finance)
    entry.refresh_from_db()
    assert (entry.status, entry.note) == (BankEntry.IGNORED, "Account fees for November")


def test_ignoring_needs_a_note(entity):
    statement = imported(entity, camt053(ACCOUNT, [Booking("3.50", credit=False)]))
    with pytest.raises(InvoicingError, match="Say why"):
        ignore(entry_of(statement), " ", "finance")


def test_a_statement_with_several_entries_is_matched_entry_by_entry(entity, partner):
    paid, partly = make_final(entity, partner), make_final(entity, make_partner(entity))
    bookings = [
        Booking(money(paid.total), reference="E1", creditor_reference=paid.payment_reference),
        Booking("5.00", reference="E2", text=f"Teilzahlung {partly.number}"),
        Booking("42.00", reference="E3", name="Somebody", text="Spende"),
        Booking("12.00", credit=False, reference="E4", text="Kontoführung"),
        Booking("1.00", reference="E5", status="PDNG"),
    ]
    statement = imported(entity, camt053(ACCOUNT, bookings))
    statuses = dict(statement.entries.values_list("reference", "status"))
    assert statuses == {
        "E1": BankEntry.MATCHED,
        "E2": BankEntry.TO_CONFIRM,
        "E3": BankEntry.UNMATCHED,
        "E4": BankEntry.UNMATCHED,
    }  # the pending entry is not booked: it comes with a later statement
    assert (statement.entries_count, statement.new_entries) == (4, 4)


def test_the_same_file_twice_is_refused(entity, invoice):
    content = camt053(ACCOUNT, [Booking(money(invoice.total), text=invoice.number)])
    imported(entity, content)
    with pytest.raises(InvoicingError, match="imported before"):
        imported(entity, content)
    assert Payment.objects.filter(invoice=invoice).count() == 1


def test_entries_imported_before_from_another_file_change_nothing(entity, invoice):
    booking = Booking(money(invoice.total), reference="SAME-1", text=invoice.number)
    imported(entity, camt053(ACCOUNT, [booking], msg_id="DAY-1"))
    later = imported(entity, camt053(ACCOUNT, [booking], msg_id="DAY-1-CORRECTED"))
    assert later.new_entries == 0
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert BankEntry.objects.filter(entity=entity).count() == 1


def test_an_entry_without_a_bank_reference_is_not_imported_twice(entity, invoice):
    booking = Booking(money(invoice.total), text=invoice.number)
    imported(entity, camt053(ACCOUNT, [booking], msg_id="A"))
    assert imported(entity, camt053(ACCOUNT, [booking], msg_id="B")).new_entries == 0


def test_a_statement_of_another_account_is_refused(entity):
    content = camt053("DE02500105170137075030", [Booking("1.00")])
    with pytest.raises(InvoicingError, match="not for the Entity's"):
        imported(entity, content)
    assert not BankStatement.objects.exists()


def test_a_file_that_breaks_the_iso_20022_schema_is_refused(entity):
    content = camt053(ACCOUNT, [Booking("1.00")]).replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"", 1)
    with pytest.raises(InvoicingError, match="schema camt.053.001.02"):
        imported(entity, content)


def test_a_newer_camt_version_is_read(entity, invoice):
    content = camt053(ACCOUNT, [Booking(money(invoice.total), name="Käufer GmbH",
                                        text=invoice.number)], version="08")  # fmt: skip
    statement = imported(entity, content)
    assert entry_of(statement).counterparty_name == "Käufer GmbH"
    invoice.refresh_from_db()
    assert invoice.paid_at


def test_a_camt_054_notification_pays_the_invoice(entity, invoice):
    booking = Booking(money(invoice.total), creditor_reference=invoice.payment_reference)
    statement = imported(entity, camt054(ACCOUNT, [booking]), "notification.xml")
    assert statement.format == BankStatement.CAMT054
    invoice.refresh_from_db()
    assert invoice.paid_at


def test_an_mt940_statement_pays_the_invoice(entity, invoice):
    booking = Booking(money(invoice.total), name="Käufer GmbH", iban=PAYER_IBAN,
                      text=f"Rechnung {invoice.number}")  # fmt: skip
    statement = imported(entity, mt940("37040044/0532013000", [booking]), "umsatz.sta")
    assert statement.format == BankStatement.MT940
    entry = entry_of(statement)
    assert (entry.counterparty_name, entry.counterparty_iban) == ("Käufer GmbH", PAYER_IBAN)
    invoice.refresh_from_db()
    assert invoice.paid_at


def test_an_mt940_statement_imported_again_in_a_longer_export_adds_only_the_new(entity, invoice):
    first = Booking(money(invoice.total), text=invoice.number)
    imported(entity, mt940(ACCOUNT, [first]), "day1.sta")
    longer = imported(entity, mt940(ACCOUNT, [first, Booking("9.00", text="x")]), "days.sta")
    assert longer.new_entries == 1


def test_an_mt940_file_of_another_bank_account_is_refused(entity):
    with pytest.raises(InvoicingError, match="not for the Entity's"):
        imported(entity, mt940("10020030/1234567890", [Booking("1.00")]), "x.sta")


def test_a_file_that_is_no_statement_is_refused(entity):
    with pytest.raises(InvoicingError, match="not a CAMT.053, CAMT.054 or MT940"):
        imported(entity, b"Datum;Betrag\n01.12.2026;10,00\n", "export.csv")


def test_a_payment_from_the_statement_is_in_the_audit_trail(entity, invoice):
    booking = Booking(money(invoice.total), reference="AUDIT-1", text=invoice.number)
    imported(entity, camt053(ACCOUNT, [booking]))
    event = invoice.events.get(kind=InvoiceEvent.MARKED_PAID)
    assert "AAAASESS-FP-STAT001" in event.detail and "AUDIT-1" in event.detail
    assert "automatically" in event.detail


def test_a_confirmed_payment_names_who_confirmed_it(entity, invoice, finance):
    statement = imported(entity, camt053(ACCOUNT, [Booking("10.00", text=invoice.number)]))
    assign(entry_of(statement), [invoice], finance)
    event = invoice.events.get(kind=InvoiceEvent.PAYMENT_RECORDED)
    assert f"confirmed by {finance.email}" in event.detail


# Debits: the bank runs a SEPA transfer file made on the payouts page.


@pytest.fixture
def transfer(entity):
    payouts = [finalize_invoice(make_payout(entity, leads=n)) for n in (3, 5)]
    day = max(max(p.due_date for p in payouts), local_today(entity))
    return create_transfer(entity, payouts, day, "finance")


def test_a_debit_with_a_payouts_end_to_end_id_marks_it_paid(entity, transfer):
    payout = transfer.payouts.first()
    booking = Booking(money(payout.amount), credit=False, end_to_end=payout.end_to_end_id)
    imported(entity, camt053(ACCOUNT, [booking]))
    payout.invoice.refresh_from_db()
    assert payout.invoice.paid_at
    assert not transfer.payouts.exclude(pk=payout.pk).get().invoice.paid_at


def test_a_debit_of_the_whole_transfer_file_marks_every_payout_paid(entity, transfer):
    booking = Booking(money(transfer.total), credit=False, batch=transfer.payment_info_id)
    statement = imported(entity, camt053(ACCOUNT, [booking]))
    assert entry_of(statement).status == BankEntry.MATCHED
    for payout in transfer.payouts.select_related("invoice"):
        assert payout.invoice.paid_at


def test_a_batch_booking_with_its_transactions_marks_each_payout_paid(entity, transfer):
    payouts = list(transfer.payouts.all())
    details = tuple(
        Booking(money(p.amount), credit=False, end_to_end=p.end_to_end_id) for p in payouts
    )
    booking = Booking(money(transfer.total), credit=False, reference="BATCH-7",
                      batch=transfer.payment_info_id, transactions=details)  # fmt: skip
    statement = imported(entity, camt053(ACCOUNT, [booking]))
    assert statement.entries.filter(status=BankEntry.MATCHED).count() == 2
    for payout in payouts:
        payout.invoice.refresh_from_db()
        assert payout.invoice.paid_at


def test_an_mt940_debit_of_the_transfer_file_marks_the_payouts_paid(entity, transfer):
    booking = Booking(money(transfer.total), credit=False, batch=transfer.payment_info_id)
    imported(entity, mt940("37040044/0532013000", [booking]), "umsatz.sta")
    for payout in transfer.payouts.select_related("invoice"):
        assert payout.invoice.paid_at


def test_a_debit_for_less_than_the_file_waits_for_confirmation(entity, transfer):
    booking = Booking("1.00", credit=False, batch=transfer.message_id)
    statement = imported(entity, camt053(ACCOUNT, [booking]))
    assert entry_of(statement).status == BankEntry.TO_CONFIRM


# The pages


def test_uploading_a_statement_shows_what_it_matched(finance_client, entity, invoice):
    booking = Booking(money(invoice.total), text=invoice.number)
    upload = camt053(ACCOUNT, [booking, Booking("5.00", text="?")])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = finance_client.post(
        reverse("invoicing:upload_statement"),
        {"file": SimpleUploadedFile("camt.xml", upload, "application/xml")},
        follow=True,
    )
    page = response.content.decode()
    assert "2 new entries, 1 matched and paid, 0 to confirm, 1 unmatched" in page
    assert invoice.number in page


def test_an_unreadable_upload_says_why(finance_client, entity):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = finance_client.post(
        reverse("invoicing:upload_statement"),
        {"file": SimpleUploadedFile("x.xml", b"<Document><oops", "application/xml")},
        follow=True,
    )
    assert "not readable XML" in response.content.decode()


def test_a_viewer_cannot_upload_a_statement(viewer_client, entity):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = viewer_client.post(
        reverse("invoicing:upload_statement"),
        {"file": SimpleUploadedFile("camt.xml", camt053(ACCOUNT, []), "application/xml")},
    )
    assert response.status_code == 403


def test_the_entries_to_confirm_are_listed_first(finance_client, entity, invoice):
    imported(entity, camt053(ACCOUNT, [Booking("10.00", text=f"Teil {invoice.number}")]))
    page = finance_client.get(reverse("invoicing:bank_entries")).content.decode()
    assert "Part payment" in page and invoice.number in page


def test_assigning_an_entry_asks_first_then_records_the_payment(finance_client, entity, invoice):
    statement = imported(entity, camt053(ACCOUNT, [Booking("10.00", text="Zahlung")]))
    entry = entry_of(statement)
    url = reverse("invoicing:assign_entry", args=[entry.pk])
    asked = finance_client.get(url, {"numbers": invoice.number})
    assert "Record the payments" in asked.content.decode()
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0
    finance_client.post(url, {"invoices": [invoice.pk], "note": "per phone"})
    invoice.refresh_from_db()
    entry.refresh_from_db()
    assert invoice.amount_paid == Decimal("10.00")
    assert (entry.status, entry.note) == (BankEntry.MATCHED, "per phone")


def test_assigning_an_unknown_invoice_number_says_so(finance_client, entity):
    statement = imported(entity, camt053(ACCOUNT, [Booking("10.00")]))
    url = reverse("invoicing:assign_entry", args=[entry_of(statement).pk])
    response = finance_client.get(url, {"numbers": "RE-1999-9999"}, follow=True)
    assert "No invoice RE-1999-9999 in EUR" in response.content.decode()


def test_ignoring_an_entry_asks_first(finance_client, entity):
    statement = imported(entity, camt053(ACCOUNT, [Booking("3.00", credit=False)]))
    entry = entry_of(statement)
    url = reverse("invoicing:ignore_entry", args=[entry.pk])
    assert "Ignore the entry" in finance_client.get(url, {"note": "Fees"}).content.decode()
    finance_client.post(url, {"note": "Fees"})
    entry.refresh_from_db()
    assert entry.status == BankEntry.IGNORED


def test_a_file_over_20_mb_is_refused(entity):
    with pytest.raises(InvoicingError, match="at most 20 MB"):
        imported(entity, b"<" + b" " * (20 * 1024 * 1024))


def test_a_credit_naming_a_paid_invoice_is_not_put_on_another(entity):
    from invoicing.payments import mark_paid

    payer = make_partner(entity, iban=PAYER_IBAN)
    paid, other = make_final(entity, payer), make_final(entity, payer)
    mark_paid(paid, paid.issue_date)
    booking = Booking(money(paid.total), iban=PAYER_IBAN, text=f"Rechnung {paid.number}")
    statement = imported(entity, camt053(ACCOUNT, [booking]))
    entry = entry_of(statement)
    other.refresh_from_db()
    assert entry.status == BankEntry.TO_CONFIRM and paid.number in entry.describe()
    assert other.amount_paid == 0


def test_assigning_a_paid_invoice_is_refused(entity, partner):
    from invoicing.payments import mark_paid

    paid, open_one = make_final(entity, partner), make_final(entity, partner)
    mark_paid(paid, paid.issue_date)
    statement = imported(entity, camt053(ACCOUNT, [Booking("10.00", text="?")]))
    with pytest.raises(InvoicingError, match="nothing open"):
        assign(entry_of(statement), [paid, open_one], "finance")
    open_one.refresh_from_db()
    assert open_one.amount_paid == 0 and entry_of(statement).status == BankEntry.UNMATCHED


def test_two_mt940_entries_with_one_bank_reference_are_both_imported(entity):
    bookings = [Booking("5.00", reference="SAME", text="a"), Booking("7.00", reference="SAME")]
    statement = imported(entity, mt940(ACCOUNT, bookings), "x.sta")
    assert statement.new_entries == 2


def test_one_reference_twice_in_a_camt_file_imports_both(entity):
    bookings = [Booking("5.00", reference="R1", text="a"), Booking("5.00", reference="R1")]
    assert imported(entity, camt053(ACCOUNT, bookings)).new_entries == 2
