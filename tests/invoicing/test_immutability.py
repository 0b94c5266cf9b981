"""PostgreSQL itself refuses changes to finalized invoices, their lines and documents."""

import pytest
from django.db import IntegrityError, connection, transaction

from invoicing.corrections import void_invoice
from invoicing.models import Invoice, InvoiceDocument, InvoiceLine
from invoicing.payments import mark_paid

from ..factories import make_draft, make_final


def refused(sql: str, *params):
    expected = pytest.raises(IntegrityError, match="finalized|never changed|cannot")
    with expected, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_to_change_a_finalized_total(entity):
    invoice = make_final(entity)
    refused("UPDATE invoicing_invoice SET total = 1 WHERE id = %s", invoice.pk)


def test_the_database_refuses_to_renumber_a_finalized_invoice(entity):
    invoice = make_final(entity)
    refused("UPDATE invoicing_invoice SET number = 'RE-X' WHERE id = %s", invoice.pk)


def test_the_database_refuses_to_change_the_frozen_buyer(entity):
    invoice = make_final(entity)
    refused("UPDATE invoicing_invoice SET buyer = '{}' WHERE id = %s", invoice.pk)


def test_the_database_refuses_to_delete_a_finalized_invoice(entity):
    invoice = make_final(entity)
    refused("DELETE FROM invoicing_invoice WHERE id = %s", invoice.pk)


def test_the_database_refuses_to_change_a_finalized_line(entity):
    invoice = make_final(entity)
    refused("UPDATE invoicing_invoiceline SET quantity = 99 WHERE invoice_id = %s", invoice.pk)


def test_the_database_refuses_to_add_a_line_to_a_finalized_invoice(entity):
    invoice = make_final(entity)
    refused(
        "INSERT INTO invoicing_invoiceline (invoice_id, kind, description, quantity, "
        "unit_price, net_amount) VALUES (%s, 'credit', 'x', -1, 1, -1)",
        invoice.pk,
    )
    assert InvoiceLine.objects.filter(invoice=invoice).count() == 1


def test_the_database_refuses_to_change_a_stored_document(entity):
    invoice = make_final(entity)
    refused("UPDATE invoicing_invoicedocument SET sha256 = 'x' WHERE invoice_id = %s", invoice.pk)
    refused("DELETE FROM invoicing_invoicedocument WHERE invoice_id = %s", invoice.pk)


def test_the_database_refuses_to_unvoid_an_invoice(entity):
    invoice = make_final(entity)
    void_invoice(invoice, "Wrong partner")
    refused("UPDATE invoicing_invoice SET status = 'final' WHERE id = %s", invoice.pk)


def test_payment_fields_of_a_finalized_invoice_may_change(entity):
    invoice = make_final(entity)
    mark_paid(invoice, invoice.issue_date)
    assert Invoice.objects.get(pk=invoice.pk).paid_at == invoice.issue_date


def test_a_draft_changes_freely(entity):
    draft = make_draft(entity)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE invoicing_invoice SET notes = 'x' WHERE id = %s", [draft.pk])
        cursor.execute(
            "UPDATE invoicing_invoiceline SET quantity = 5 WHERE invoice_id = %s", [draft.pk]
        )
    assert InvoiceLine.objects.get(invoice=draft).quantity == 5


def test_a_document_is_stored_once(entity):
    invoice = make_final(entity)
    assert InvoiceDocument.objects.filter(invoice=invoice, kind="pdf").count() == 1


def test_the_database_refuses_to_delete_a_draft_that_deliveries_are_on(entity):
    draft = make_draft(entity)
    refusal = pytest.raises(IntegrityError, match="still bills deliveries")
    with refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM invoicing_invoiceline WHERE invoice_id = %s", [draft.pk])
        cursor.execute("DELETE FROM invoicing_invoice WHERE id = %s", [draft.pk])
    assert Invoice.objects.filter(pk=draft.pk).exists()
