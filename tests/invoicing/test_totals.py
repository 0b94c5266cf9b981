"""The invoice list's totals: those PostgreSQL keeps (InvoiceTotal) are the sums of the
invoices, for every filter the list reads them for."""

from decimal import Decimal

from django.urls import reverse

from invoicing import totals
from invoicing.billing import delete_draft, finalize_invoice
from invoicing.corrections import void_invoice
from invoicing.forms import InvoiceFilterForm
from invoicing.models import Invoice, InvoiceTotal
from invoicing.payments import mark_overdue_invoices, mark_paid, record_payment

from ..factories import backdate, make_draft, make_final, make_partner, make_payout

STATES = ["", "draft", "open", "overdue", "paid", "void"]
TYPES = ["", "invoice", "credit_note", "self_billed"]


def invoices_of_every_kind(entity) -> None:
    """Drafts, open, partly paid, paid, overdue and voided invoices, a credit note, a payout."""
    make_draft(entity, leads=3)
    delete_draft(make_draft(entity, leads=1))
    make_final(entity, leads=2, price="12.50")
    partly = make_final(entity, leads=4)
    record_payment(partly, Decimal("10.00"), partly.issue_date)
    paid = make_final(entity, leads=1, price="99.00")
    mark_paid(paid, paid.issue_date)
    backdate(make_final(entity, leads=2), days=60)
    mark_overdue_invoices(entity)
    void_invoice(make_final(entity, leads=5), "wrong partner")
    payout = make_payout(entity)
    finalize_invoice(payout)


def both_ways(entity, **filters) -> tuple[list[dict], list[dict]]:
    form = InvoiceFilterForm(filters, entity=entity)
    invoices = form.filter(Invoice.objects.filter(entity=entity))
    kept = totals.list_totals(entity, invoices, form.kept_totals_filter())
    added_up = totals.list_totals(entity, invoices, None)
    for row in kept + added_up:
        del row["changes"]  # how many rows were summed: the one thing that differs
    return kept, added_up


def test_the_kept_totals_are_the_sums_of_the_invoices(entity):
    invoices_of_every_kind(entity)
    assert Invoice.objects.filter(is_overdue=True).exists()
    for state in STATES:
        for kind in TYPES:
            kept, added_up = both_ways(entity, status=state, type=kind)
            assert kept == added_up, (state, kind)
    [buyers, payouts] = both_ways(entity)[0]
    assert (buyers["self_billed"], payouts["self_billed"], payouts["count"]) == (False, True, 1)


def test_the_kept_totals_belong_to_their_entity(entity, other_entity):
    make_final(entity, leads=2)
    assert both_ways(other_entity) == ([], [])


def test_folding_merges_the_rows_and_keeps_the_totals(entity):
    invoices_of_every_kind(entity)
    before = both_ways(entity)[0]
    rows = InvoiceTotal.objects.filter(entity=entity).count()
    totals.fold(entity)
    assert InvoiceTotal.objects.filter(entity=entity).count() < rows
    assert both_ways(entity)[0] == before


def test_the_list_folds_the_kept_totals_once_they_pile_up(owner_client, entity, monkeypatch):
    monkeypatch.setattr(totals, "FOLD_AFTER", 3)
    for _ in range(3):
        make_final(entity, partner=make_partner(entity))
    owner_client.get(reverse("invoicing:index"))
    assert InvoiceTotal.objects.filter(entity=entity).count() == 1
    [row] = owner_client.get(reverse("invoicing:index")).context["totals"]
    assert row["count"] == 3
