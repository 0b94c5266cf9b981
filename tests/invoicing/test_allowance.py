"""A discount on the whole invoice before VAT (BG-20), by amount or percentage, with its
reason and the invoice's VAT category; credit notes take the same share of what they
credit."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from invoicing.billing import finalize_invoice, set_allowance
from invoicing.corrections import cancel_delivery, void_invoice
from invoicing.documents import store_xml
from invoicing.models import InvoiceDocument, InvoicingError
from partners.models import Partner

from ..factories import make_draft, make_partner
from .test_einvoice import CII, cii_values

UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


def test_an_allowance_by_amount_comes_off_before_vat(entity):
    draft = make_draft(entity, leads=10, price="10.00")
    set_allowance(draft, "Goodwill", amount=Decimal("20.00"))
    draft.refresh_from_db()
    assert (draft.line_total, draft.subtotal, draft.tax_amount, draft.total) == (
        Decimal("100.00"),
        Decimal("80.00"),
        Decimal("15.20"),
        Decimal("95.20"),
    )


def test_an_allowance_by_percentage_follows_the_lines(entity):
    draft = make_draft(entity, leads=10, price="12.50")
    set_allowance(draft, "Volume discount", percent=Decimal("5"))
    draft.refresh_from_db()
    assert (draft.allowance_amount, draft.subtotal) == (Decimal("6.25"), Decimal("118.75"))


def test_an_allowance_needs_a_reason(entity):
    with pytest.raises(InvoicingError, match="Say why"):
        set_allowance(make_draft(entity), "", amount=Decimal("1.00"))


def test_an_allowance_is_at_most_the_lines(entity):
    with pytest.raises(InvoicingError, match="at most the lines"):
        set_allowance(make_draft(entity, leads=1), "Too much", amount=Decimal("10.01"))


def test_an_allowance_is_removed_by_giving_neither(entity):
    draft = make_draft(entity, leads=2)
    set_allowance(draft, "Goodwill", amount=Decimal("5.00"))
    set_allowance(draft, "")
    draft.refresh_from_db()
    assert (draft.allowance_amount, draft.subtotal) == (Decimal("0.00"), Decimal("20.00"))


def test_the_cii_carries_the_allowance_with_the_invoices_vat_category(entity):
    draft = make_draft(entity, leads=10, price="10.00")
    set_allowance(draft, "Volume discount", percent=Decimal("5"))
    root = etree.fromstring(bytes(store_xml(finalize_invoice(draft)).content))
    allowance = "//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeAllowanceCharge/"
    assert cii_values(root, allowance + "ram:ActualAmount") == ["5.00"]
    assert cii_values(root, allowance + "ram:CalculationPercent") == ["5.00"]
    assert cii_values(root, allowance + "ram:Reason") == ["Volume discount"]
    assert cii_values(root, allowance + "ram:CategoryTradeTax/ram:CategoryCode") == ["S"]
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert cii_values(root, summation + "LineTotalAmount") == ["100.00"]
    assert cii_values(root, summation + "AllowanceTotalAmount") == ["5.00"]
    assert cii_values(root, summation + "TaxBasisTotalAmount") == ["95.00"]
    udt = {**CII, "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}
    assert root.xpath("//ram:ChargeIndicator/udt:Indicator/text()", namespaces=udt) == ["false"]


def test_the_ubl_carries_the_allowance(entity):
    partner = make_partner(
        entity, einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL,
        buyer_reference="04011000-12345-03", email="ap@partner.test",
    )  # fmt: skip
    draft = make_draft(entity, partner, leads=10, price="10.00")
    set_allowance(draft, "Goodwill", amount=Decimal("10.00"))
    root = etree.fromstring(bytes(store_xml(finalize_invoice(draft)).content))
    charge = "*[local-name()='AllowanceCharge']/"
    assert root.xpath(charge + "cbc:ChargeIndicator/text()", namespaces=UBL) == ["false"]
    assert root.xpath(charge + "cbc:Amount/text()", namespaces=UBL) == ["10.00"]
    totals = "*[local-name()='LegalMonetaryTotal']/cbc:"
    assert root.xpath(totals + "AllowanceTotalAmount/text()", namespaces=UBL) == ["10.00"]
    assert root.xpath(totals + "TaxExclusiveAmount/text()", namespaces=UBL) == ["90.00"]


def test_the_pdf_shows_the_allowance_and_its_reason(entity):
    draft = make_draft(entity, leads=10, price="10.00")
    set_allowance(draft, "Volume discount", percent=Decimal("5"))
    invoice = finalize_invoice(draft)
    pdf = bytes(invoice.documents.get(kind=InvoiceDocument.PDF).content)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).split())
    assert "Allowance: Volume discount (5 %) −5.00 EUR" in text
    assert "Subtotal (net) 95.00 EUR" in text


def test_voiding_credits_exactly_what_was_charged(entity):
    draft = make_draft(entity, leads=3, price="12.25")
    set_allowance(draft, "Goodwill", amount=Decimal("1.00"))
    invoice = finalize_invoice(draft)
    credit_note = void_invoice(invoice, "Wrong partner")
    assert (credit_note.allowance_amount, credit_note.subtotal, credit_note.total) == (
        invoice.allowance_amount,
        invoice.subtotal,
        invoice.total,
    )
    root = etree.fromstring(bytes(store_xml(credit_note).content))
    assert_cii_arithmetic_with_allowance(root)


def test_a_cancelled_lead_is_credited_at_the_share_it_was_charged(entity):
    draft = make_draft(entity, leads=4, price="10.00")
    set_allowance(draft, "Volume discount", percent=Decimal("10"))
    invoice = finalize_invoice(draft)
    from distribution.models import DistributionTransaction

    delivery = DistributionTransaction.objects.filter(invoice_id=invoice.pk).first()
    credit_note = cancel_delivery(delivery, "rejected")
    assert (credit_note.allowance_amount, credit_note.subtotal) == (
        Decimal("1.00"),
        Decimal("9.00"),
    )


def test_the_draft_page_sets_an_allowance(finance_client, entity):
    draft = make_draft(entity, leads=2)
    page = finance_client.get(reverse("invoicing:detail", args=[draft.pk])).content.decode()
    assert "Save allowance" in page
    response = finance_client.post(
        reverse("invoicing:allowance", args=[draft.pk]), {"reason": "Goodwill", "amount": "2,50"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.allowance_amount == Decimal("2.50")


def test_the_form_wants_a_reason(finance_client, entity):
    draft = make_draft(entity, leads=2)
    response = finance_client.post(
        reverse("invoicing:allowance", args=[draft.pk]), {"reason": "", "percent": "5"}
    )
    assert response.status_code == 400
    assert "Say why the allowance is given." in response.content.decode()


def assert_cii_arithmetic_with_allowance(root):
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    lines = sum(Decimal(v) for v in cii_values(root, "//ram:LineTotalAmount")[:-1])
    [line_total] = [Decimal(v) for v in cii_values(root, summation + "LineTotalAmount")]
    [allowance] = [Decimal(v) for v in cii_values(root, summation + "AllowanceTotalAmount")]
    [basis] = [Decimal(v) for v in cii_values(root, summation + "TaxBasisTotalAmount")]
    assert lines == line_total  # BR-CO-10
    assert basis == line_total - allowance  # BR-CO-13


def test_partial_credit_notes_and_a_void_add_up_to_the_invoice_to_the_cent(entity):
    from distribution.models import DistributionTransaction

    from ..factories import deliver, make_assignment, make_profile
    from .test_einvoice import MID_OCTOBER

    partner = make_partner(entity)
    for name in ("A", "B"):
        deliver(make_assignment(make_profile(entity, "10.10"), partner, name=name), 1, MID_OCTOBER)
    from invoicing.billing import generate_drafts
    from invoicing.models import Invoice

    from ..factories import OCTOBER as PERIOD

    generate_drafts(entity, *PERIOD)
    draft = Invoice.objects.get(partner=partner, status=Invoice.DRAFT)
    set_allowance(draft, "Volume discount", percent=Decimal("5"))  # 1.01 of 20.20
    invoice = finalize_invoice(draft)
    delivery = DistributionTransaction.objects.filter(invoice_id=invoice.pk).first()
    first = finalize_invoice(cancel_delivery(delivery, "rejected"))
    second = void_invoice(invoice, "Wrong partner")
    assert first.subtotal + second.subtotal == invoice.subtotal == Decimal("19.19")
    assert first.total + second.total == invoice.total
