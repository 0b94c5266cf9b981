"""Cancellations after finalize and voiding: credit notes, never changes to the original."""

from decimal import Decimal

import pytest

from distribution.models import DistributionTransaction
from invoicing.billing import add_credit, finalize_invoice, generate_drafts
from invoicing.corrections import cancel_delivery, void_invoice
from invoicing.models import Invoice, InvoicingError

from ..factories import make_draft, make_final


def delivered_on(invoice) -> list[DistributionTransaction]:
    return list(DistributionTransaction.objects.filter(invoice_id=invoice.pk).order_by("pk"))


def test_a_late_cancellation_goes_onto_a_credit_note_for_the_invoice(entity):
    invoice = make_final(entity, leads=3, price="10.00")
    credit_note = cancel_delivery(delivered_on(invoice)[0], "rejected")
    assert (credit_note.kind, credit_note.status, credit_note.corrects) == (
        "credit_note",
        "draft",
        invoice,
    )
    [line] = credit_note.lines.all()
    assert (line.quantity, line.unit_price, credit_note.total) == (
        1,
        Decimal("10.0000"),
        Decimal("11.90"),
    )


def test_the_original_invoice_does_not_change(entity):
    invoice = make_final(entity, leads=3, price="10.00")
    cancel_delivery(delivered_on(invoice)[0], "rejected")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.total, invoice.lines.get().quantity) == (
        "final",
        Decimal("35.70"),
        3,
    )


def test_late_cancellations_collect_on_one_open_credit_note(entity):
    invoice = make_final(entity, leads=3, price="10.00")
    first, second, _ = delivered_on(invoice)
    assert cancel_delivery(first, "rejected") == cancel_delivery(second, "refunded")
    credit_note = invoice.credit_notes.get()
    assert credit_note.lines.get().quantity == 2


def test_after_the_credit_note_is_finalized_a_new_one_collects(entity):
    invoice = make_final(entity, leads=3, price="10.00")
    first, second, _ = delivered_on(invoice)
    finalize_invoice(cancel_delivery(first, "rejected"))
    later = cancel_delivery(second, "rejected")
    assert later.is_draft
    assert invoice.credit_notes.count() == 2


def test_a_credit_note_keeps_the_tax_treatment_of_the_invoice(entity, partner):
    invoice = make_final(entity, partner, leads=2, price="10.00")
    partner.country, partner.vat_id = "US", ""
    partner.save()
    credit_note = cancel_delivery(delivered_on(invoice)[0], "rejected")
    assert (credit_note.tax_category, credit_note.tax_rate) == ("S", Decimal("19.00"))


def test_a_credit_note_has_its_own_gap_free_sequence(entity):
    first = make_final(entity, leads=2)
    second = make_final(entity, leads=2)
    a = finalize_invoice(cancel_delivery(delivered_on(first)[0], "rejected"))
    b = finalize_invoice(cancel_delivery(delivered_on(second)[0], "rejected"))
    assert (a.number, b.number) == ("CN-2026-00001", "CN-2026-00002")
    assert (first.number, second.number) == ("RE-2026-00001", "RE-2026-00002")


def test_a_finalized_credit_note_refers_to_the_invoice_and_copies_its_parties(entity):
    invoice = make_final(entity, leads=2)
    credit_note = finalize_invoice(cancel_delivery(delivered_on(invoice)[0], "rejected"))
    assert (credit_note.seller, credit_note.buyer) == (invoice.seller, invoice.buyer)
    assert credit_note.due_date == credit_note.issue_date


def test_a_credit_note_for_cancelled_leads_cannot_be_deleted(entity):
    from invoicing.billing import delete_draft

    invoice = make_final(entity, leads=2)
    credit_note = cancel_delivery(delivered_on(invoice)[0], "rejected")
    with pytest.raises(InvoicingError, match="cannot be deleted"):
        delete_draft(credit_note)


def test_generating_again_never_bills_onto_a_credit_note(entity):
    invoice = make_final(entity, leads=2)
    credit_note = cancel_delivery(delivered_on(invoice)[0], "rejected")
    generate_drafts(entity, invoice.period_start, invoice.period_end)
    assert not DistributionTransaction.objects.filter(invoice_id=credit_note.pk).exists()


def test_voiding_issues_a_full_credit_note_and_marks_the_invoice_void(entity):
    invoice = make_final(entity, leads=3, price="10.00")
    credit_note = void_invoice(invoice, "Billed to the wrong entity")
    invoice.refresh_from_db()
    assert invoice.status == "void" and invoice.void_reason == "Billed to the wrong entity"
    assert (credit_note.status, credit_note.number, credit_note.total) == (
        "final",
        "CN-2026-00001",
        invoice.total,
    )
    assert "Voids invoice RE-2026-00001" in credit_note.notes


def test_voiding_releases_the_deliveries_for_a_new_invoice(entity):
    invoice = make_final(entity, leads=3)
    void_invoice(invoice, "Wrong prices")
    result = generate_drafts(entity, invoice.period_start, invoice.period_end)
    assert result.transactions_billed == 3
    replacement = Invoice.objects.get(status="draft", kind="invoice")
    assert finalize_invoice(replacement).number == "RE-2026-00002"


def test_voiding_credits_only_what_is_not_yet_credited(entity):
    invoice = make_final(entity, leads=3, price="10.00")
    finalize_invoice(cancel_delivery(delivered_on(invoice)[0], "rejected"))
    full = void_invoice(invoice, "Partner dissolved")
    assert full.total == Decimal("23.80")  # 35.70 invoiced − 11.90 already credited
    cancelled = DistributionTransaction.objects.get(status="cancelled")
    assert cancelled.invoice_id == invoice.pk  # a cancelled lead is never billed again


def test_voiding_a_draft_or_a_void_invoice_is_refused(entity):
    with pytest.raises(InvoicingError, match="deleted"):
        void_invoice(make_draft(entity), "x")
    invoice = make_final(entity)
    void_invoice(invoice, "x")
    with pytest.raises(InvoicingError, match="already void"):
        void_invoice(invoice, "again")


def test_voiding_waits_for_an_open_credit_note(entity):
    invoice = make_final(entity, leads=2)
    cancel_delivery(delivered_on(invoice)[0], "rejected")
    with pytest.raises(InvoicingError, match="Finalize the open credit note"):
        void_invoice(invoice, "x")


def test_voiding_needs_a_reason(entity):
    with pytest.raises(InvoicingError, match="Say why"):
        void_invoice(make_final(entity), "  ")


def test_voiding_an_invoice_with_a_manual_credit_mirrors_it(entity):
    draft = make_draft(entity, leads=3, price="10.00")
    add_credit(draft, "Disputed", 1, Decimal("10.00"))
    invoice = finalize_invoice(draft)
    credit_note = void_invoice(invoice, "Wrong partner")
    assert sorted(credit_note.lines.values_list("quantity", flat=True)) == [-1, 3]
    assert credit_note.total == invoice.total


def test_the_credit_note_of_an_unpaid_void_invoice_is_settled_at_once(entity):
    from invoicing.corrections import void_invoice

    credit_note = void_invoice(make_final(entity, leads=2), "Billed to the wrong entity")
    assert credit_note.payment_status(credit_note.issue_date) == "paid"


def test_money_received_on_a_void_invoice_stays_open_on_its_credit_note(entity):
    from decimal import Decimal

    from invoicing.corrections import void_invoice
    from invoicing.payments import record_payment

    invoice = make_final(entity, leads=2, price="50.00")  # 119.00
    record_payment(invoice, Decimal("19.00"), invoice.issue_date)
    credit_note = void_invoice(invoice, "Billed to the wrong entity")
    assert credit_note.open_balance == Decimal("19.00")


def test_a_voids_credit_note_of_an_unpaid_invoice_reads_settled_not_paid(owner_client, entity):
    from django.urls import reverse

    invoice = make_final(entity)
    credit_note = void_invoice(invoice, "Wrong partner")
    assert credit_note.payments.get().set_off
    page = owner_client.get(reverse("invoicing:detail", args=[credit_note.pk])).content.decode()
    assert f"settled against {invoice.number}" in page
    assert "Mark paid" not in page and "Due</dt>" not in page


def test_a_credit_note_open_to_refund_says_so(owner_client, entity):
    from django.urls import reverse

    from invoicing.payments import mark_paid

    invoice = make_final(entity)
    mark_paid(invoice, invoice.issue_date)
    credit_note = void_invoice(invoice, "Wrong partner")
    page = owner_client.get(reverse("invoicing:detail", args=[credit_note.pk])).content.decode()
    assert f"{credit_note.total:,.2f} EUR open to refund" in page
    assert "Mark refunded" in page and "Record refund" in page


# Credit-note arithmetic: the credit notes of an invoice add up to it, never more


def partly_credited(entity):
    """3 leads at 12.25 with 19 % VAT (43.73), one of them credited after finalize."""
    invoice = make_final(entity, leads=3, price="12.25")
    credit_note = finalize_invoice(cancel_delivery(delivered_on(invoice)[0], "rejected"))
    return invoice, credit_note


def test_voiding_after_a_partial_credit_note_credits_exactly_the_rest(entity):
    invoice, first = partly_credited(entity)
    second = void_invoice(invoice, "Wrong partner")
    assert invoice.total == Decimal("43.73")
    for field in ("subtotal", "tax_amount", "total"):
        assert getattr(first, field) + getattr(second, field) == getattr(invoice, field)


def test_a_credit_note_never_credits_more_than_is_left(entity):
    from invoicing.billing import refresh_totals
    from invoicing.models import InvoiceLine

    invoice = make_final(entity, leads=3, price="12.25")
    draft = cancel_delivery(delivered_on(invoice)[0], "rejected")
    InvoiceLine.objects.create(
        invoice=draft, kind=InvoiceLine.CREDIT, description="Too much", quantity=10,
        unit_price=Decimal("50.00"), net_amount=Decimal("500.00"),
    )  # fmt: skip
    refresh_totals([draft])
    with pytest.raises(InvoicingError, match="more than the 43.73 EUR"):
        finalize_invoice(draft)


def test_voiding_an_unpaid_invoice_settles_its_earlier_credit_note(entity):
    invoice, first = partly_credited(entity)
    second = void_invoice(invoice, "Wrong partner")
    first.refresh_from_db()
    assert (first.open_balance, second.open_balance) == (Decimal(0), Decimal(0))


def test_voiding_a_paid_invoice_leaves_open_what_was_paid(entity):
    from invoicing.payments import mark_paid

    invoice, first = partly_credited(entity)
    mark_paid(invoice, invoice.issue_date)
    second = void_invoice(invoice, "Wrong partner")
    first.refresh_from_db()
    assert first.open_balance + second.open_balance == Decimal("43.73")


def test_voiding_after_a_refund_leaves_open_only_the_rest(entity):
    from invoicing.payments import mark_paid, record_payment

    invoice, first = partly_credited(entity)
    mark_paid(invoice, invoice.issue_date)
    record_payment(first, first.total, first.issue_date)  # refunded
    second = void_invoice(invoice, "Wrong partner")
    assert second.open_balance == invoice.total - first.total


# A price reduction after the fact (Art. 90 VAT Directive)


def test_a_price_reduction_by_amount_is_a_credit_note_with_vat(entity):
    from invoicing.corrections import reduce_price

    invoice = make_final(entity, leads=10, price="10.00")  # 100.00 + 19.00
    credit_note = reduce_price(invoice, "Agreed discount", amount=Decimal("10.00"))
    assert (credit_note.number, credit_note.corrects) == ("CN-2026-00001", invoice)
    assert (credit_note.subtotal, credit_note.tax_amount) == (Decimal("10.00"), Decimal("1.90"))
    assert "Reason: Agreed discount" in credit_note.notes


def test_a_price_reduction_by_percent_takes_it_of_what_is_left(entity):
    from invoicing.corrections import reduce_price

    invoice, first = partly_credited(entity)  # 36.75 net, 12.25 credited
    credit_note = reduce_price(invoice, "Late delivery", percent=Decimal("10"))
    assert credit_note.subtotal == Decimal("2.45")


def test_a_price_reduction_is_never_more_than_is_left(entity):
    from invoicing.corrections import reduce_price

    invoice = make_final(entity, leads=10, price="10.00")
    with pytest.raises(InvoicingError, match="more than the 100.00 EUR"):
        reduce_price(invoice, "Too much", amount=Decimal("100.01"))


def test_the_operator_reduces_a_price_after_confirming(finance_client, entity):
    from django.urls import reverse

    invoice = make_final(entity, leads=10, price="10.00")
    url = reverse("invoicing:reduce_price", args=[invoice.pk])
    data = {"reason": "Agreed discount", "amount": "", "percent": "5"}
    page = finance_client.get(url, data).content.decode()
    assert f"Reduce the price of {invoice.number} by 5 % of what is not credited yet?" in page
    assert not invoice.credit_notes.exists()
    finance_client.post(url, data)
    assert invoice.credit_notes.get().subtotal == Decimal("5.00")
