"""Payment references (issue 21): each finalized invoice carries a structured reference, on
its PDF with the bank details and in its e-invoice (BT-83), and a EUR invoice with an IBAN
an EPC QR code that a banking app reads."""

import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from lxml import etree
from PIL import Image
from stdnum import iso11649
from stdnum.be import ogm_vcs

from invoicing.banking.references import belgian_structured_communication, creditor_reference
from invoicing.billing import finalize_invoice, generate_drafts
from invoicing.corrections import void_invoice
from invoicing.documents import store_xml
from invoicing.models import Invoice, InvoiceDocument

from ..factories import (
    deliver,
    make_assignment,
    make_entity,
    make_final,
    make_partner,
    make_payout,
    make_profile,
)
from .test_einvoice import CII, UBL, XRECHNUNG

pytestmark = pytest.mark.django_db


def pdf_of(invoice) -> bytes:
    return bytes(invoice.documents.get(kind=InvoiceDocument.PDF).content)


def pdf_text(invoice) -> str:
    run = subprocess.run(["pdftotext", "-", "-"], input=pdf_of(invoice), capture_output=True)
    return " ".join(run.stdout.decode().split())


def qr_codes(invoice) -> list[str]:
    """The QR codes on the PDF's first page, as a banking app's camera reads them."""
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "invoice.pdf"
        pdf.write_bytes(pdf_of(invoice))
        subprocess.run(["pdftoppm", "-png", "-r", "200", "-singlefile", pdf, pdf.with_suffix("")],
                       check=True)  # fmt: skip
        image = Image.open(pdf.with_suffix(".png")).convert("L")
    return [code.text for code in zxingcpp.read_barcodes(image)]


def test_a_finalized_invoice_gets_an_iso_11649_reference_from_its_number(entity):
    invoice = make_final(entity)
    digits = "".join(c for c in invoice.number if c.isalnum())
    assert invoice.payment_reference.endswith(digits)
    assert iso11649.is_valid(invoice.payment_reference)


def test_the_creditor_reference_matches_the_standards_example():
    assert creditor_reference("539007547034") == "RF18539007547034"


def test_a_number_too_long_for_a_reference_falls_back_to_the_id():
    assert creditor_reference("X" * 22) == ""
    assert iso11649.is_valid(creditor_reference("1234"))


def test_a_belgian_entity_uses_the_structured_communication(account):
    entity = make_entity(
        account, name="Acme BE", country="BE", vat_id="BE0403019261", time_zone="Europe/Brussels"
    )
    partner = make_partner(entity, country="BE", vat_id="BE0202239951")
    invoice = make_final(entity, partner)
    assert ogm_vcs.is_valid(invoice.payment_reference)
    assert invoice.payment_reference == belgian_structured_communication(invoice.pk)
    printed = "+++" + ogm_vcs.format(invoice.payment_reference) + "+++"
    assert printed in "".join(pdf_text(invoice).split())


def test_credit_notes_and_self_billed_invoices_carry_none(entity):
    credit_note = void_invoice(make_final(entity), "Wrong partner")
    payout = finalize_invoice(make_payout(entity))
    assert (credit_note.payment_reference, payout.payment_reference) == ("", "")


def test_the_pdf_asks_for_the_reference_with_the_payment(entity):
    invoice = make_final(entity)
    printed = iso11649.format(invoice.payment_reference)
    assert f"quoting payment reference {printed}" in pdf_text(invoice)


def test_the_reference_is_bt_83_in_cii(entity):
    invoice = make_final(entity)
    xml = etree.fromstring(bytes(store_xml(invoice).content))
    assert xml.findtext(".//ram:PaymentReference", namespaces=CII) == invoice.payment_reference


def test_the_reference_is_bt_83_in_ubl(entity):
    partner = make_partner(entity, einvoice_format="xrechnung_ubl", **XRECHNUNG)
    invoice = make_final(entity, partner)
    xml = etree.fromstring(bytes(store_xml(invoice).content))
    assert xml.findtext(".//cac:PaymentMeans/cbc:PaymentID", namespaces=UBL) == (
        invoice.payment_reference
    )


def test_the_epc_qr_code_reads_back_as_the_transfer(entity):
    invoice = make_final(entity, leads=3, price="10.00")
    [payload] = qr_codes(invoice)
    lines = payload.split("\n")
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4:8] == ["COBADEFFXXX", "Acme Leads GmbH", "DE89370400440532013000", "EUR35.70"]
    assert lines[9] == invoice.payment_reference


def test_an_invoice_in_another_currency_has_no_qr_code(entity):
    partner = make_partner(entity, country="US", region="NY", currency="USD")
    deliver(make_assignment(make_profile(entity, "10.00", currency="USD"), partner), 1,
            datetime(2026, 10, 15, 12, tzinfo=ZoneInfo("Europe/Berlin")))  # fmt: skip
    generate_drafts(entity, date(2026, 10, 1), date(2026, 10, 31))
    invoice = finalize_invoice(Invoice.objects.get(partner=partner))
    assert qr_codes(invoice) == []


def test_the_invoice_page_shows_the_reference(finance_client, entity):
    from django.urls import reverse

    invoice = make_final(entity)
    page = finance_client.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()
    assert iso11649.format(invoice.payment_reference) in page


def test_the_invoice_email_asks_for_the_reference(entity):
    from invoicing.channels.email import build_message

    invoice = make_final(entity)
    body = build_message(invoice, "buyer@partner.test").body
    assert f"quoting payment reference {iso11649.format(invoice.payment_reference)}" in body


def test_two_numbers_with_the_same_letters_and_digits_get_different_references(entity):
    from invoicing.banking.references import payment_reference

    first, second = make_final(entity), make_final(entity)
    second.number = first.number.replace("-", "")  # as after a change of number format
    reference = payment_reference(second)
    assert reference != first.payment_reference and reference.endswith(f"LF{second.pk}")


def test_a_belgian_reference_goes_in_the_qr_codes_text_line(account):
    entity = make_entity(
        account, name="Acme BE", country="BE", vat_id="BE0403019261", time_zone="Europe/Brussels"
    )
    invoice = make_final(entity, make_partner(entity, country="BE", vat_id="BE0202239951"))
    [payload] = qr_codes(invoice)
    lines = payload.split("\n")
    assert lines[9] == "" and lines[10] == "+++" + ogm_vcs.format(invoice.payment_reference) + "+++"


def test_the_draft_preview_has_no_qr_code(entity):
    from invoicing.banking import epc_qr
    from invoicing.billing import draft_as_issued

    from ..factories import make_draft

    assert epc_qr(draft_as_issued(make_draft(entity))) == ""
