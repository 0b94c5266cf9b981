"""PostgreSQL itself refuses changes to finalized invoices, their lines and documents."""

import pytest
from django.db import IntegrityError, connection, transaction

from distribution.models import DistributionTransaction
from invoicing.billing import delete_draft, finalize_invoice, transactions_on
from invoicing.corrections import cancel_delivery, void_invoice
from invoicing.models import Invoice, InvoiceDocument, InvoiceEvent, InvoiceLine
from invoicing.payments import mark_paid

from ..factories import make_draft, make_final, make_payout


def refused(sql: str, *params):
    expected = pytest.raises(
        IntegrityError, match="finalized|never changed|cannot|append-only|records|only"
    )
    with expected, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_to_change_a_finalized_total(entity):
    invoice = make_final(entity)
    refused("UPDATE invoicing_invoice SET total = 1 WHERE id = %s", invoice.pk)


def test_the_database_refuses_to_change_the_listed_leads_of_a_finalized_invoice(entity):
    from partners.models import Partner

    from ..factories import make_partner

    invoice = make_final(entity, make_partner(entity, line_items=Partner.PER_LEAD))
    refused("UPDATE invoicing_billedlead SET unit_price = 1 WHERE invoice_id = %s", invoice.pk)
    refused("DELETE FROM invoicing_billedlead WHERE invoice_id = %s", invoice.pk)


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


# Every path around the record (issue: "Records that nothing can bend")


def test_the_database_refuses_to_rename_a_finalized_invoice(entity):
    invoice = make_final(entity)
    refused("UPDATE invoicing_invoice SET id = id + 100000 WHERE id = %s", invoice.pk)


def test_renaming_changing_the_lines_and_renaming_back_is_refused(entity):
    invoice = make_final(entity)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE invoicing_invoice SET id = -id WHERE id = %s", [invoice.pk])
        cursor.execute(
            "UPDATE invoicing_invoiceline SET quantity = 99 WHERE invoice_id = %s", [invoice.pk]
        )
        cursor.execute("UPDATE invoicing_invoice SET id = -id WHERE id = %s", [-invoice.pk])
    assert InvoiceLine.objects.get(invoice=invoice).quantity == 2


def test_the_database_refuses_lines_whose_invoice_is_missing(entity):
    invoice = make_final(entity)
    line = InvoiceLine.objects.get(invoice=invoice)
    refused("UPDATE invoicing_invoiceline SET invoice_id = -1 WHERE id = %s", line.pk)
    refused(
        "INSERT INTO invoicing_invoiceline (invoice_id, kind, description, quantity, "
        "unit_price, net_amount) VALUES (-1, 'credit', 'x', -1, 1, -1)"
    )


def test_the_database_refuses_to_delete_a_finalized_line(entity):
    invoice = make_final(entity)
    refused("DELETE FROM invoicing_invoiceline WHERE invoice_id = %s", invoice.pk)


def test_the_database_refuses_a_document_for_a_draft(entity):
    draft = make_draft(entity)
    refused(
        "INSERT INTO invoicing_invoicedocument (invoice_id, kind, filename, mimetype, content, "
        "sha256, created_at) VALUES (%s, 'pdf', 'x.pdf', 'application/pdf', '', '', now())",
        draft.pk,
    )


@pytest.mark.parametrize("statement", ["UPDATE invoicing_invoiceevent SET detail = 'x'",
                                       "DELETE FROM invoicing_invoiceevent"])  # fmt: skip
def test_the_audit_trail_of_a_finalized_invoice_is_append_only(entity, statement):
    invoice = make_final(entity)
    refused(statement + " WHERE invoice_id = %s", invoice.pk)
    assert InvoiceEvent.objects.filter(invoice=invoice).exists()


def test_deleting_a_draft_deletes_its_events(entity):
    draft = make_draft(entity)
    delete_draft(draft)
    assert not InvoiceEvent.objects.filter(invoice_id=draft.pk).exists()


@pytest.mark.parametrize("statement", ["UPDATE invoicing_payment SET amount = 1",
                                       "DELETE FROM invoicing_payment"])  # fmt: skip
def test_the_database_refuses_to_change_or_delete_a_payment(entity, statement):
    invoice = make_final(entity)
    mark_paid(invoice, invoice.issue_date)
    refused(statement + " WHERE invoice_id = %s", invoice.pk)


def test_the_database_refuses_a_payment_for_a_draft(entity):
    draft = make_draft(entity)
    refused(
        "INSERT INTO invoicing_payment (invoice_id, amount, paid_on, created_at) "
        "VALUES (%s, 1, now(), now())",
        draft.pk,
    )


def test_the_database_refuses_to_release_the_deliveries_of_a_finalized_invoice(entity):
    invoice = make_final(entity)
    refused(
        "UPDATE distribution_distributiontransaction SET invoice_id = NULL WHERE invoice_id = %s",
        invoice.pk,
    )
    assert transactions_on([invoice]).count() == 2


def test_the_database_refuses_to_move_deliveries_onto_another_invoice(entity):
    invoice, other = make_final(entity), make_final(entity)
    refused(
        "UPDATE distribution_distributiontransaction SET invoice_id = %s WHERE invoice_id = %s",
        other.pk,
        invoice.pk,
    )


def test_the_database_refuses_to_reprice_a_billed_delivery(entity):
    invoice = make_final(entity)
    refused(
        "UPDATE distribution_distributiontransaction SET price = 0 WHERE invoice_id = %s",
        invoice.pk,
    )


def test_the_database_refuses_to_delete_a_billed_delivery(entity):
    invoice = make_final(entity)
    refused("DELETE FROM distribution_distributiontransaction WHERE invoice_id = %s", invoice.pk)


def test_the_database_refuses_to_credit_a_delivery_on_something_else(entity):
    invoice, other = make_final(entity), make_draft(entity)
    refused(
        "UPDATE distribution_distributiontransaction SET credit_note_id = %s WHERE invoice_id = %s",
        other.pk,
        invoice.pk,
    )


def test_the_database_refuses_to_take_a_delivery_off_a_finalized_credit_note(entity):
    invoice = make_final(entity)
    txn = transactions_on([invoice]).first()
    credit_note = finalize_invoice(cancel_delivery(txn, "rejected"))
    refused(
        "UPDATE distribution_distributiontransaction SET credit_note_id = NULL WHERE id = %s",
        txn.pk,
    )
    assert DistributionTransaction.objects.get(pk=txn.pk).credit_note_id == credit_note.pk


def test_voiding_still_releases_the_deliveries(entity):
    invoice = make_final(entity)
    void_invoice(invoice, "Wrong partner")
    assert transactions_on([invoice]).count() == 0


def test_the_database_refuses_to_void_without_a_credit_note(entity):
    invoice = make_final(entity)
    refused(
        "UPDATE invoicing_invoice SET status = 'void', voided_at = now(), void_reason = 'x' "
        "WHERE id = %s",
        invoice.pk,
    )


def test_the_database_refuses_to_void_with_a_partial_credit_note(entity):
    invoice = make_final(entity)
    finalize_invoice(cancel_delivery(transactions_on([invoice]).first(), "rejected"))
    refused(
        "UPDATE invoicing_invoice SET status = 'void', voided_at = now(), void_reason = 'x' "
        "WHERE id = %s",
        invoice.pk,
    )


@pytest.mark.parametrize("column, value", [("finalized_by_id", None),
                                           ("void_reason", "'x'"),
                                           ("voided_at", "now()"),
                                           ("finalized_at", "now()"),
                                           ("self_billed", "true")])  # fmt: skip
def test_the_frozen_fields_of_a_finalized_invoice_stay(entity, owner, column, value):
    invoice = finalize_invoice(make_draft(entity), owner)
    refused(f"UPDATE invoicing_invoice SET {column} = {value or 'NULL'} WHERE id = %s", invoice.pk)


def test_a_void_invoice_keeps_its_void_reason(entity):
    invoice = make_final(entity)
    void_invoice(invoice, "Wrong partner")
    refused("UPDATE invoicing_invoice SET void_reason = 'x' WHERE id = %s", invoice.pk)


def test_the_database_refuses_to_release_the_leads_of_a_finalized_payout(entity):
    payout = finalize_invoice(make_payout(entity))
    refused(
        "UPDATE distribution_lead SET payout_invoice_id = NULL WHERE payout_invoice_id = %s",
        payout.pk,
    )
    refused(
        "UPDATE distribution_lead SET purchase_price = 0 WHERE payout_invoice_id = %s", payout.pk
    )


def test_a_number_sequence_never_counts_back(entity):
    make_final(entity)
    refused("UPDATE invoicing_numbersequence SET last_number = 0 WHERE entity_id = %s", entity.pk)
    refused("DELETE FROM invoicing_numbersequence WHERE entity_id = %s", entity.pk)
