from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings

from invoicing.models import Invoice, InvoicingError
from invoicing.payments import mark_overdue_invoices, mark_paid, mark_unpaid, record_payment

from ..factories import backdate, make_draft, make_final


@pytest.fixture
def invoice(entity):
    return make_final(entity, leads=10, price="10.00")  # 119.00 EUR


def test_a_partial_payment_leaves_an_open_balance(invoice):
    record_payment(invoice, Decimal("50.00"), invoice.issue_date)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.open_balance, invoice.paid_at) == (
        Decimal("50.00"),
        Decimal("69.00"),
        None,
    )
    assert invoice.payment_status(invoice.issue_date) == "partially paid"


def test_the_payment_that_settles_the_balance_makes_it_paid(invoice):
    record_payment(invoice, Decimal("50.00"), invoice.issue_date)
    record_payment(invoice, Decimal("69.00"), invoice.issue_date + timedelta(days=3))
    invoice.refresh_from_db()
    assert invoice.paid_at == invoice.issue_date + timedelta(days=3)
    assert invoice.payment_status(invoice.issue_date) == "paid"


def test_more_than_the_open_balance_is_refused(invoice):
    with pytest.raises(InvoicingError, match="more than the open balance"):
        record_payment(invoice, Decimal("119.01"), invoice.issue_date)


def test_a_payment_before_the_issue_date_is_refused(invoice):
    with pytest.raises(InvoicingError, match="before the invoice's issue date"):
        record_payment(invoice, Decimal("1"), invoice.issue_date - timedelta(days=1))


def test_mark_paid_records_the_open_balance(invoice):
    record_payment(invoice, Decimal("19.00"), invoice.issue_date)
    payment = mark_paid(invoice, invoice.issue_date)
    assert payment.amount == Decimal("100.00")
    assert invoice.payments.count() == 2


def test_mark_unpaid_takes_back_every_payment(invoice):
    mark_paid(invoice, invoice.issue_date)
    mark_unpaid(invoice)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.paid_at) == (0, None)


def test_mark_unpaid_keeps_the_payments_and_records_their_reversals(invoice):
    first = record_payment(invoice, Decimal("19.00"), invoice.issue_date)
    second = mark_paid(invoice, invoice.issue_date)
    mark_unpaid(invoice)
    reversals = {p.reverses_id: p.amount for p in invoice.payments.filter(reverses__isnull=False)}
    assert reversals == {first.pk: Decimal("-19.00"), second.pk: Decimal("-100.00")}
    assert sum(p.amount for p in invoice.payments.all()) == 0


def test_a_payment_after_a_reversal_is_reversed_on_its_own(invoice):
    mark_paid(invoice, invoice.issue_date)
    mark_unpaid(invoice)
    again = mark_paid(invoice, invoice.issue_date)
    mark_unpaid(invoice)
    assert again.reversal.amount == -again.amount
    assert invoice.payments.filter(reverses__isnull=False).count() == 2


def test_a_draft_cannot_be_paid(entity):
    with pytest.raises(InvoicingError, match="finalize it first"):
        record_payment(make_draft(entity), Decimal("1"), invoice_date())


def invoice_date():
    from datetime import date

    return date(2026, 11, 24)


def test_the_daily_task_records_overdue_invoices(entity, invoice):
    backdate(invoice, days=15)
    assert mark_overdue_invoices(entity) == 1
    assert list(Invoice.objects.overdue()) == [invoice]
    assert invoice.events.filter(kind="became_overdue").count() == 1


def test_the_daily_task_records_each_invoice_once(entity, invoice):
    backdate(invoice, days=15)
    mark_overdue_invoices(entity)
    assert mark_overdue_invoices(entity) == 0


def test_a_credit_note_open_to_refund_is_never_overdue(entity, invoice):
    from invoicing.billing import finalize_invoice
    from invoicing.corrections import cancel_delivery

    from .test_corrections import delivered_on

    credit_note = finalize_invoice(cancel_delivery(delivered_on(invoice)[0], "refunded"))
    backdate(credit_note, days=30)
    assert mark_overdue_invoices(entity) == 0
    credit_note.refresh_from_db()
    assert credit_note.payment_status(credit_note.due_date + timedelta(days=30)) == "open"


def test_a_paid_invoice_is_never_overdue(entity, invoice):
    backdate(invoice, days=15)
    mark_overdue_invoices(entity)
    mark_paid(invoice, invoice.issue_date)
    assert not Invoice.objects.overdue().exists()
    assert list(Invoice.objects.paid()) == [invoice]


def test_marking_an_overdue_invoice_unpaid_keeps_it_overdue(entity, invoice):
    backdate(invoice, days=15)
    mark_paid(invoice, invoice.issue_date)
    mark_unpaid(invoice)
    assert list(Invoice.objects.overdue()) == [invoice]


def test_beat_records_overdue_invoices_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["mark-overdue-invoices"]
    assert entry["task"] == "invoicing.tasks.mark_overdue"
    assert entry["schedule"].minute == {5}
    assert len(entry["schedule"].hour) == 24


# An open credit note set off against the partner's other open invoices


@pytest.fixture
def other(entity, partner):
    """An open invoice of 59.50 EUR to the partner."""
    return make_final(entity, partner, leads=5, price="10.00")


@pytest.fixture
def open_credit_note(entity, partner, other):
    """A credit note of 119.00 EUR for a paid invoice of the partner: open to refund."""
    from invoicing.corrections import void_invoice

    paid = make_final(entity, partner, leads=10, price="10.00")
    mark_paid(paid, paid.issue_date)
    return void_invoice(paid, "Wrong partner")


def test_an_open_credit_note_is_set_off_against_another_open_invoice(
    entity, partner, open_credit_note, other
):
    from invoicing.payments import set_off

    set_off(open_credit_note, other, Decimal("59.50"), other.issue_date)
    open_credit_note.refresh_from_db(), other.refresh_from_db()
    assert other.paid_at == other.issue_date
    assert open_credit_note.open_balance == Decimal("59.50")


def test_a_set_off_names_the_other_document_on_both(entity, partner, open_credit_note, other):
    from invoicing.payments import credit_note_settlement, set_off

    on_note, on_invoice = set_off(open_credit_note, other, Decimal("20.00"), other.issue_date)
    assert (on_note.settled_against, on_invoice.settled_against) == (other, open_credit_note)
    assert f"20.00 EUR settled against {other.number}" in credit_note_settlement(open_credit_note)


def test_a_set_off_is_never_more_than_the_credit_note_has_open(
    entity, partner, open_credit_note, other
):
    from invoicing.payments import set_off

    more = make_final(entity, partner, leads=20, price="10.00")  # 238.00
    with pytest.raises(InvoicingError, match="more than the 119.00 EUR open"):
        set_off(open_credit_note, more, Decimal("200.00"), more.issue_date)


def test_a_credit_note_is_set_off_only_against_its_partners_invoices(entity, open_credit_note):
    from invoicing.payments import set_off

    stranger = make_final(entity, leads=5, price="10.00")
    with pytest.raises(InvoicingError, match="is not an open invoice"):
        set_off(open_credit_note, stranger, Decimal("10.00"), stranger.issue_date)


def test_taking_back_a_set_off_takes_it_back_on_both(entity, partner, open_credit_note, other):
    from invoicing.payments import set_off

    set_off(open_credit_note, other, Decimal("59.50"), other.issue_date)
    mark_unpaid(other)
    open_credit_note.refresh_from_db()
    assert (other.amount_paid, open_credit_note.open_balance) == (Decimal(0), Decimal("119.00"))


def test_the_operator_sets_a_credit_note_off_from_its_page(
    finance_client, entity, partner, open_credit_note, other
):
    from django.urls import reverse

    page = finance_client.get(reverse("invoicing:detail", args=[open_credit_note.pk]))
    assert f"{other.number} · 59.50 EUR open" in page.content.decode()
    finance_client.post(
        reverse("invoicing:set_off", args=[open_credit_note.pk]),
        {"invoice": other.pk, "amount": "59,50", "paid_on": other.issue_date.isoformat()},
    )
    other.refresh_from_db()
    assert other.paid_at is not None
    invoice_page = finance_client.get(reverse("invoicing:detail", args=[other.pk])).content
    link = reverse("invoicing:detail", args=[open_credit_note.pk])
    assert f'set off: <a href="{link}">{open_credit_note.number}</a>' in invoice_page.decode()


def test_a_set_off_without_an_amount_settles_all_that_both_have_open(
    finance_client, open_credit_note, other
):
    from django.urls import reverse

    finance_client.post(
        reverse("invoicing:set_off", args=[open_credit_note.pk]),
        {"invoice": other.pk, "amount": "", "paid_on": other.issue_date.isoformat()},
    )
    open_credit_note.refresh_from_db(), other.refresh_from_db()
    assert (other.open_balance, open_credit_note.open_balance) == (0, Decimal("59.50"))


def test_a_settled_credit_note_says_settled_not_paid(finance_client, open_credit_note, other):
    from django.urls import reverse

    from invoicing.payments import set_off

    set_off(open_credit_note, other, Decimal("59.50"), other.issue_date)
    set_off(open_credit_note, make_final(other.entity, other.partner), Decimal("59.50"),
            other.issue_date)  # fmt: skip
    page = finance_client.get(reverse("invoicing:detail", args=[open_credit_note.pk])).content
    assert '<span class="badge paid">Settled</span>' in page.decode()
