"""SEPA payouts (issue 21): a pain.001 credit transfer file pays the suppliers' finalized
self-billed invoices; it is valid under the XSD, and the payouts in it show as sent."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
from django.urls import reverse
from lxml import etree

from invoicing.banking.sepa import create_transfer, payouts_due, withdraw_transfer
from invoicing.billing import finalize_invoice, local_today
from invoicing.models import CreditTransfer, InvoiceEvent, InvoicingError
from invoicing.payments import record_payment

from ..factories import make_payout, make_supplier

PAIN = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


@pytest.fixture
def payout(entity):
    return finalize_invoice(make_payout(entity, leads=3, price="4.00"))


def execution_day(entity, payout):
    return max(payout.due_date, local_today(entity))


def xml_of(transfer) -> etree._Element:
    return etree.fromstring(bytes(transfer.content))


def test_a_finalized_payout_is_due_by_its_due_date(entity, payout):
    assert list(payouts_due(entity, payout.due_date)) == [payout]
    assert list(payouts_due(entity, payout.due_date - timedelta(days=1))) == []


def test_the_transfer_file_is_valid_under_the_pain_001_schema(entity, payout):
    transfer = create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(xml_of(transfer)), schema.error_log


def test_the_file_pays_the_open_balance_to_the_suppliers_iban(entity, payout):
    day = execution_day(entity, payout)
    transfer = create_transfer(entity, [payout], day, "finance")
    xml = xml_of(transfer)
    [payment] = xml.findall(".//p:CdtTrfTxInf", PAIN)
    assert payment.findtext("p:Amt/p:InstdAmt", namespaces=PAIN) == "14.28"  # 12.00 + 19 %
    assert payment.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=PAIN) == "DE02120300000000202051"
    assert payment.findtext("p:PmtId/p:EndToEndId", namespaces=PAIN) == payout.number
    assert payout.number in payment.findtext("p:RmtInf/p:Ustrd", namespaces=PAIN)
    assert xml.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=PAIN) == "DE89370400440532013000"
    assert xml.findtext(".//p:ReqdExctnDt", namespaces=PAIN) == day.isoformat()
    assert xml.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=PAIN) == "14.28"
    assert (transfer.total, transfer.count) == (Decimal("14.28"), 1)


def test_a_partly_paid_payout_pays_the_rest(entity, payout):
    record_payment(payout, Decimal("4.28"), payout.issue_date)
    transfer = create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    assert xml_of(transfer).findtext(".//p:InstdAmt", namespaces=PAIN) == "10.00"


def test_payouts_in_a_file_show_as_payment_sent(finance_client, entity, payout):
    create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    assert not payouts_due(entity, payout.due_date).exists()
    assert payout.events.filter(kind=InvoiceEvent.PAYMENT_SENT).exists()
    page = finance_client.get(reverse("invoicing:detail", args=[payout.pk])).content.decode()
    assert "Payment sent" in page and "SEPA transfer on" in page


def test_a_payout_not_due_by_the_execution_date_is_left_out(entity, payout):
    with pytest.raises(InvoicingError, match="None of these payouts is due"):
        create_transfer(entity, [payout], payout.due_date - timedelta(days=1), "finance")


def test_an_entity_without_an_iban_makes_no_file(entity, payout):
    entity.iban = ""
    entity.save()
    with pytest.raises(InvoicingError, match="IBAN"):
        create_transfer(entity, [payout], execution_day(entity, payout), "finance")


def test_a_supplier_without_an_iban_is_not_offered(entity):
    payout = finalize_invoice(make_payout(entity, make_supplier(entity, iban="")))
    assert not payouts_due(entity, payout.due_date).exists()


def test_withdrawing_a_file_makes_its_payouts_due_again(entity, payout):
    transfer = create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    assert withdraw_transfer(transfer, "finance") == 1
    assert list(payouts_due(entity, payout.due_date)) == [payout]
    transfer.refresh_from_db()
    assert transfer.withdrawn_at is not None


def test_a_file_with_a_paid_payout_is_not_withdrawn(entity, payout):
    transfer = create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    record_payment(payout, Decimal("1.00"), payout.issue_date)
    with pytest.raises(InvoicingError, match="already paid"):
        withdraw_transfer(transfer, "finance")


def test_making_a_file_asks_first(finance_client, entity, payout):
    data = {"execution_date": execution_day(entity, payout).isoformat(), "payouts": [payout.pk]}
    page = finance_client.get(reverse("invoicing:create_transfer"), data).content.decode()
    assert "Pay 1 supplier by SEPA transfer?" in page and payout.number in page
    assert not CreditTransfer.objects.exists()


def test_the_finance_role_makes_and_downloads_a_file(finance_client, entity, payout):
    data = {"execution_date": execution_day(entity, payout).isoformat(), "payouts": [payout.pk]}
    assert finance_client.post(reverse("invoicing:create_transfer"), data).status_code == 302
    transfer = CreditTransfer.objects.get()
    response = finance_client.get(reverse("invoicing:transfer_file", args=[transfer.pk]))
    assert response["Content-Disposition"].endswith(f'{transfer.filename}"')
    assert bytes(response.content) == bytes(transfer.content)


def test_an_execution_date_in_the_past_is_refused(finance_client, entity, payout):
    day = local_today(entity) - timedelta(days=1)
    data = {"execution_date": day.isoformat(), "payouts": [payout.pk]}
    response = finance_client.post(reverse("invoicing:create_transfer"), data, follow=True)
    assert "today or later" in response.content.decode()


def test_the_page_lists_what_is_due(finance_client, entity, payout):
    page = finance_client.get(reverse("invoicing:payouts")).content.decode()
    assert payout.number in page


def test_the_file_pays_what_is_owed_after_a_credit_note(entity, payout):
    from invoicing.corrections import reduce_price

    credit_note = reduce_price(payout, "Two leads were returned", amount=Decimal("4.00"))
    transfer = create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    assert xml_of(transfer).findtext(".//p:InstdAmt", namespaces=PAIN) == "9.52"  # 14.28 - 4.76
    credit_note.refresh_from_db()
    assert credit_note.paid_at is not None  # set off against the payout it reduced


def test_a_payout_with_a_credit_note_draft_waits(entity, payout):
    from invoicing.corrections import open_credit_note

    open_credit_note(payout)
    assert not payouts_due(entity).exists()


def test_an_entity_without_a_bic_makes_a_valid_file(entity, payout):
    entity.bic = ""
    entity.save()
    transfer = create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(xml_of(transfer)), schema.error_log


def test_a_file_of_a_payout_paid_in_part_before_can_be_withdrawn(entity, payout):
    record_payment(payout, Decimal("4.28"), payout.issue_date)
    transfer = create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    assert withdraw_transfer(transfer, "finance") == 1


def test_a_withdrawn_file_is_not_downloaded(finance_client, entity, payout):
    transfer = create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    withdraw_transfer(transfer, "finance")
    response = finance_client.get(reverse("invoicing:transfer_file", args=[transfer.pk]))
    assert response.status_code == 302


def test_a_viewer_does_not_download_the_file(viewer_client, entity, payout):
    transfer = create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    response = viewer_client.get(reverse("invoicing:transfer_file", args=[transfer.pk]))
    assert response.status_code == 403


def test_a_payout_in_a_file_is_not_voided_or_reduced(entity, payout):
    from invoicing.corrections import reduce_price, void_invoice

    create_transfer(entity, [payout], execution_day(entity, payout), "finance")
    with pytest.raises(InvoicingError, match="SEPA transfer file"):
        void_invoice(payout, "Wrong supplier")
    with pytest.raises(InvoicingError, match="SEPA transfer file"):
        reduce_price(payout, "Discount", percent=Decimal("10"))


def test_texts_in_the_file_keep_to_the_sepa_characters():
    from invoicing.banking.sepa import epc_text

    assert epc_text("AFF#2026_01") == "AFF-2026-01"
    assert epc_text("/A//B/") == "A/B"
