import hashlib
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from distribution.models import DistributionTransaction
from invoicing.billing import (
    add_credit,
    delete_draft,
    finalize_invoice,
    generate_drafts,
    preview_period,
)
from invoicing.corrections import cancel_delivery
from invoicing.models import Invoice, InvoiceLine, InvoicingError

from ..factories import (
    deliver,
    make_account,
    make_assignment,
    make_draft,
    make_entity,
    make_final,
    make_partner,
    make_profile,
)

BERLIN = ZoneInfo("Europe/Berlin")
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


def at(day: int, month: int = 10, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BERLIN)


def test_it_bills_each_delivery_once(entity, partner):
    assignment = make_assignment(make_profile(entity, "12.50"), partner)
    deliver(assignment, 3, at(5))
    result = generate_drafts(entity, *OCTOBER)
    assert (result.drafts_created, result.transactions_billed) == (1, 3)
    assert generate_drafts(entity, *OCTOBER) == type(result)(0, 0, 0)
    assert Invoice.objects.count() == 1
    assert not DistributionTransaction.objects.filter(invoice_id__isnull=True).exists()


def test_it_creates_one_draft_per_partner_with_deliveries(entity):
    profile = make_profile(entity, "10.00")
    busy, quiet = make_partner(entity), make_partner(entity)
    make_assignment(profile, quiet)
    deliver(make_assignment(profile, busy), 2, at(3))
    generate_drafts(entity, *OCTOBER)
    assert list(Invoice.objects.values_list("partner_id", flat=True)) == [busy.pk]


def test_lines_are_per_assignment_and_unit_price(entity, partner):
    profile = make_profile(entity, "10.00", name="Solar")
    premium = make_assignment(profile, partner, "15.00", name="Premium")
    standard = make_assignment(profile, partner, name="Standard")
    deliver(premium, 2, at(2))
    deliver(standard, 3, at(2))
    premium.price_override = Decimal("16.00")
    premium.save()
    deliver(premium, 1, at(20))
    generate_drafts(entity, *OCTOBER)
    lines = {
        (line.description, line.quantity, line.unit_price, line.net_amount)
        for line in Invoice.objects.get().lines.all()
    }
    assert lines == {
        ("Leads · Solar · Premium", 2, Decimal("15.0000"), Decimal("30.00")),
        ("Leads · Solar · Premium", 1, Decimal("16.0000"), Decimal("16.00")),
        ("Leads · Solar · Standard", 3, Decimal("10.0000"), Decimal("30.00")),
    }


def test_the_totals_are_rounded_half_up_once_per_invoice(entity, partner):
    deliver(make_assignment(make_profile(entity, "0.3350"), partner), 3, at(5))
    generate_drafts(entity, *OCTOBER)
    draft = Invoice.objects.get()
    # 3 × 0.335 = 1.005 → 1.01 (half up); VAT 19 % of 1.01 = 0.1919 → 0.19
    assert (draft.subtotal, draft.tax_amount, draft.total) == (
        Decimal("1.01"),
        Decimal("0.19"),
        Decimal("1.20"),
    )


def test_a_cancelled_delivery_is_not_billed(entity, partner):
    kept, cancelled = deliver(make_assignment(make_profile(entity, "10.00"), partner), 2, at(5))
    cancel_delivery(cancelled, DistributionTransaction.REASON_REJECTED)
    generate_drafts(entity, *OCTOBER)
    assert Invoice.objects.get().subtotal == Decimal("10.00")
    cancelled.refresh_from_db()
    assert cancelled.invoice_id is None


def test_a_price_change_after_delivery_does_not_change_the_bill(entity, partner):
    profile = make_profile(entity, "10.00")
    assignment = make_assignment(profile, partner)
    deliver(assignment, 2, at(5))
    profile.base_price = Decimal("99.00")
    profile.save()
    generate_drafts(entity, *OCTOBER)
    assert Invoice.objects.get().subtotal == Decimal("20.00")


def test_deliveries_outside_the_period_are_not_billed(entity, partner):
    assignment = make_assignment(make_profile(entity, "10.00"), partner)
    deliver(assignment, 1, at(30, month=9, hour=23))  # 23:00 Berlin on Sept 30th
    deliver(assignment, 1, at(1, month=10, hour=0))  # midnight Berlin, Oct 1st
    deliver(assignment, 1, at(1, month=11, hour=0))
    generate_drafts(entity, *OCTOBER)
    assert Invoice.objects.get().subtotal == Decimal("10.00")


def test_generating_again_adds_late_deliveries_to_the_same_draft(entity, partner):
    assignment = make_assignment(make_profile(entity, "10.00"), partner)
    deliver(assignment, 1, at(5))
    generate_drafts(entity, *OCTOBER)
    deliver(assignment, 2, at(6))
    result = generate_drafts(entity, *OCTOBER)
    assert (result.drafts_created, result.drafts_updated, result.transactions_billed) == (0, 1, 2)
    assert Invoice.objects.get().subtotal == Decimal("30.00")


def test_a_partner_billed_in_two_currencies_gets_two_invoices(entity, partner):
    deliver(make_assignment(make_profile(entity, "10.00", "EUR"), partner), 1, at(5))
    deliver(make_assignment(make_profile(entity, "12.00", "USD"), partner), 1, at(5))
    generate_drafts(entity, *OCTOBER)
    assert sorted(Invoice.objects.values_list("currency", "subtotal")) == [
        ("EUR", Decimal("10.00")),
        ("USD", Decimal("12.00")),
    ]


def test_generation_only_sees_its_own_entity(entity, partner):
    deliver(make_assignment(make_profile(entity, "10.00"), partner), 1, at(5))
    sister = make_entity(entity.account, name="Acme US", country="US")
    assert generate_drafts(sister, *OCTOBER).transactions_billed == 0
    assert preview_period(sister, *OCTOBER) == []


def test_the_preview_matches_what_generation_bills(entity, partner):
    deliver(make_assignment(make_profile(entity, "12.50"), partner), 3, at(5))
    [preview] = preview_period(entity, *OCTOBER)
    generate_drafts(entity, *OCTOBER)
    draft = Invoice.objects.get()
    assert (preview.leads, preview.totals.subtotal, preview.totals.total) == (
        3,
        draft.subtotal,
        draft.total,
    )


def test_a_credit_is_a_negative_quantity_at_a_positive_price(entity):
    draft = make_draft(entity, leads=3, price="10.00")
    line = add_credit(draft, "Credit: disputed lead", 1, Decimal("10.00"))
    assert (line.quantity, line.unit_price, line.net_amount) == (
        -1,
        Decimal("10.00"),
        Decimal("-10.00"),
    )
    draft.refresh_from_db()
    assert draft.subtotal == Decimal("20.00")


def test_a_credit_survives_regeneration(entity):
    draft = make_draft(entity, leads=3, price="10.00")
    add_credit(draft, "Goodwill", 1, Decimal("5.00"))
    generate_drafts(entity, draft.period_start, draft.period_end)
    draft.refresh_from_db()
    assert draft.lines.filter(kind=InvoiceLine.CREDIT).count() == 1
    assert draft.subtotal == Decimal("25.00")


def test_cancelling_a_delivery_on_a_draft_recomputes_it(entity):
    draft = make_draft(entity, leads=2, price="10.00")
    cancel_delivery(DistributionTransaction.objects.first(), "refunded")
    draft.refresh_from_db()
    assert draft.subtotal == Decimal("10.00")


def test_cancelling_the_last_delivery_of_a_draft_removes_the_draft(entity):
    make_draft(entity, leads=1)
    cancel_delivery(DistributionTransaction.objects.get(), "revoked")
    assert not Invoice.objects.exists()


def test_cancelling_twice_is_refused(entity, partner):
    [txn] = deliver(make_assignment(make_profile(entity), partner), 1, at(5))
    cancel_delivery(txn, "rejected")
    txn.refresh_from_db()
    with pytest.raises(Exception, match="already cancelled"):
        cancel_delivery(txn, "rejected")


def test_a_deleted_draft_can_be_billed_again(entity):
    draft = make_draft(entity, leads=2)
    assert delete_draft(draft) == 2
    assert generate_drafts(entity, *OCTOBER).transactions_billed == 2


def test_finalizing_numbers_freezes_and_locks_the_pdf(entity):
    invoice = make_final(entity)
    year = invoice.issue_date.year
    assert invoice.number == f"RE-{year}-00001"
    assert invoice.seller["name"] == "Acme Leads GmbH"
    assert invoice.buyer["name"] == invoice.partner.legal_name
    document = invoice.documents.get(kind="pdf")
    assert bytes(document.content).startswith(b"%PDF-")
    assert document.sha256 == hashlib.sha256(bytes(document.content)).hexdigest()


def test_the_due_date_follows_the_partners_payment_terms(entity):
    invoice = make_final(entity, make_partner(entity, payment_terms_days=30))
    assert (invoice.due_date - invoice.issue_date).days == 30


def test_later_changes_to_the_partner_do_not_change_a_finalized_invoice(entity):
    invoice = make_final(entity)
    invoice.partner.legal_name = "Renamed GmbH"
    invoice.partner.save()
    invoice.refresh_from_db()
    assert invoice.buyer["name"] != "Renamed GmbH"


def test_a_finalized_invoice_cannot_change_or_be_deleted(entity):
    invoice = make_final(entity)
    with pytest.raises(InvoicingError):
        add_credit(invoice, "late credit", 1, Decimal("1.00"))
    with pytest.raises(InvoicingError):
        finalize_invoice(invoice)
    with pytest.raises(InvoicingError):
        invoice.delete()


def test_a_seller_outside_the_eu_charges_no_vat(account):
    us = make_entity(account, name="Acme US", country="US", vat_id="")
    invoice = make_final(us, make_partner(us, country="US"))
    assert (invoice.tax_category, invoice.tax_amount, invoice.total) == (
        "O",
        Decimal("0.00"),
        invoice.subtotal,
    )


def test_numbers_are_counted_per_entity(entity):
    sister = make_entity(entity.account, name="Acme AT", country="AT", vat_id="ATU13585627")
    make_final(entity)
    make_final(entity)
    assert make_final(sister).number.endswith("-00001")


def test_the_number_format_is_configurable(entity):
    entity.invoice_number_format = "INV/{YY}/{seq:04}"
    entity.save()
    invoice = make_final(entity)
    assert invoice.number == f"INV/{invoice.issue_date:%y}/0001"


def test_invoices_of_another_account_are_untouched(entity):
    other = make_entity(make_account("Other"), name="Other", legal_name="Other GmbH")
    make_draft(other)
    generate_drafts(entity, *OCTOBER)
    assert Invoice.objects.filter(entity=entity).count() == 0
