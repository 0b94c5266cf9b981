"""Lead returns (issue 20): the window and the cap, decisions, and what an accepted return
does to the invoice and to the supplier's payout."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from distribution.models import DistributionTransaction, Lead, LeadReturn
from distribution.services import record_lead_source
from entities.models import AccountEvent
from invoicing.billing import finalize_invoice, generate_drafts
from invoicing.einvoice.model import type_code
from invoicing.models import Invoice, InvoicingError
from invoicing.payouts import generate_payout_drafts
from invoicing.returns import decide_returns, parse_lead_ids, submit_returns

from ..factories import (
    deliver,
    make_assignment,
    make_partner,
    make_profile,
    make_return_policy,
    make_supplier,
    period_of,
)

BY = "partner portal: buyer@partner.test"
REASON = "Duplicate"


@pytest.fixture
def assignment(entity, partner):
    return make_assignment(make_profile(entity, "10.00"), partner)


@pytest.fixture
def policy(assignment):
    return make_return_policy(assignment.profile, window_days=7)


def delivered(assignment, count=1, ago=timedelta(days=1)):
    return deliver(assignment, count, at=timezone.now() - ago)


def submit(partner, deliveries, reason=REASON, evidence=""):
    return submit_returns(partner, [d.lead.external_id for d in deliveries], reason, evidence, BY)


def accept(outcome_or_returns, by="finance@acme.test"):
    returns = getattr(outcome_or_returns, "returns", outcome_or_returns)
    return decide_returns(returns, True, "", by)


def billed_period(entity, deliveries):
    return generate_drafts(entity, *period_of(deliveries[0].delivered_at))


# The window


def test_a_lead_can_be_returned_in_the_last_minute_of_its_window(partner, assignment, policy):
    txns = delivered(assignment, ago=timedelta(days=7) - timedelta(minutes=1))
    outcome = submit(partner, txns)
    assert [r.status for r in outcome.returns] == [LeadReturn.PENDING]


def test_a_lead_cannot_be_returned_once_its_window_has_closed(partner, assignment, policy):
    txns = delivered(assignment, ago=timedelta(days=7, minutes=1))
    outcome = submit(partner, txns)
    assert outcome.returns == []
    assert "return window of 7 days" in outcome.refused[txns[0].lead.external_id]


def test_an_assignments_own_policy_replaces_the_profiles(partner, assignment, policy):
    make_return_policy(assignment, window_days=30)
    txns = delivered(assignment, ago=timedelta(days=20))
    assert len(submit(partner, txns).returns) == 1


def test_leads_of_a_profile_without_a_policy_cannot_be_returned(partner, assignment):
    txns = delivered(assignment)
    outcome = submit(partner, txns)
    assert outcome.refused == {
        txns[0].lead.external_id: "Leads of this profile cannot be returned."
    }


# What may be returned


def test_a_lead_is_returned_at_most_once(partner, assignment, policy):
    txns = delivered(assignment)
    submit(partner, txns)
    again = submit(partner, txns)
    assert again.returns == []
    assert again.refused == {txns[0].lead.external_id: "This lead has been returned already."}


def test_a_rejected_return_cannot_be_submitted_again(partner, assignment, policy):
    txns = delivered(assignment)
    decide_returns(submit(partner, txns).returns, False, "The number works.", "finance")
    assert submit(partner, txns).refused


def test_a_lead_of_another_partner_cannot_be_returned(entity, partner, assignment, policy):
    other = make_assignment(assignment.profile, make_partner(entity))
    txns = delivered(other)
    outcome = submit(partner, txns)
    assert outcome.refused == {
        txns[0].lead.external_id: "No lead with this id was delivered to you."
    }
    assert not LeadReturn.objects.exists()


def test_a_reason_must_be_one_of_the_policys(partner, assignment, policy):
    txns = delivered(assignment)
    outcome = submit(partner, txns, reason="Did not like it")
    assert "not a reason this profile accepts" in outcome.refused[txns[0].lead.external_id]


def test_evidence_is_needed_where_the_policy_asks_for_it(partner, assignment, policy):
    policy.evidence_required = True
    policy.save()
    txns = delivered(assignment, 2)
    assert submit(partner, txns[:1]).refused
    assert submit(partner, txns[1:], evidence="Called twice, number disconnected.").returns


def test_a_cancelled_delivery_cannot_be_returned(partner, assignment, policy):
    from invoicing.corrections import cancel_delivery

    txns = delivered(assignment)
    cancel_delivery(txns[0], DistributionTransaction.REASON_REFUNDED)
    assert "already cancelled" in submit(partner, txns).refused[txns[0].lead.external_id]


def test_lead_ids_come_pasted_or_as_a_csv_column():
    assert parse_lead_ids('lead\nL-1\n"L-2"\nL-1\n') == ["L-1", "L-2"]
    assert parse_lead_ids("L-1, L-2;L-3\tL-4") == ["L-1", "L-2", "L-3", "L-4"]


# The cap


def test_the_cap_counts_waiting_and_accepted_returns(partner, assignment, policy):
    policy.cap_count = 2
    policy.save()
    txns = delivered(assignment, 3)
    first = submit(partner, txns[:1])
    accept(first)
    outcome = submit(partner, txns[1:])
    assert len(outcome.returns) == 1
    assert "limit of 2 returns" in outcome.refused[txns[2].lead.external_id]


def test_a_share_cap_is_a_share_of_the_months_delivered_leads(partner, assignment, policy):
    policy.cap_percent = Decimal("10")
    policy.save()
    txns = delivered(assignment, 20)  # 10 % of 20: two returns
    outcome = submit(partner, txns[:3])
    assert (len(outcome.returns), len(outcome.refused)) == (2, 1)


def test_rejected_returns_do_not_count_against_the_cap(partner, assignment, policy):
    policy.cap_count = 1
    policy.save()
    txns = delivered(assignment, 2)
    decide_returns(submit(partner, txns[:1]).returns, False, "Works fine.", "finance")
    assert len(submit(partner, txns[1:]).returns) == 1


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_submit_cannot_exceed_the_cap(entity, partner, assignment, policy):
    policy.cap_count = 1
    policy.save()
    txns = delivered(assignment, 2)
    start = threading.Barrier(2)
    results = []

    def submit_one(txn):
        with scopes_disabled():
            start.wait()
            results.append(len(submit(partner, [txn]).returns))
        connection.close()

    threads = [threading.Thread(target=submit_one, args=(txn,)) for txn in txns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert LeadReturn.objects.count() == 1


def test_acceptance_checks_the_cap_again(partner, assignment, policy):
    txns = delivered(assignment, 2)
    waiting = submit(partner, txns).returns
    policy.cap_count = 1
    policy.save()
    outcome = accept(waiting)
    assert len(outcome.returns) == 1
    assert "limit" in outcome.refused[waiting[1].pk]
    assert LeadReturn.objects.get(pk=waiting[1].pk).status == LeadReturn.PENDING


def test_acceptance_checks_the_window_at_submission_under_the_current_policy(
    partner, assignment, policy
):
    txns = delivered(assignment, ago=timedelta(days=5))
    waiting = submit(partner, txns).returns
    policy.window_days = 3
    policy.save()
    outcome = accept(waiting)
    assert outcome.returns == [] and "return window of 3 days" in outcome.refused[waiting[0].pk]


# Automatic approval


def test_chosen_reasons_are_accepted_at_once(partner, assignment, policy):
    policy.auto_approve_reasons = REASON
    policy.save()
    [lead_return] = submit(partner, delivered(assignment)).returns
    lead_return.refresh_from_db()
    assert (lead_return.status, lead_return.decided_by) == (
        LeadReturn.APPROVED,
        "automatic approval",
    )


def test_chosen_partners_have_every_return_accepted_at_once(partner, assignment, policy):
    policy.auto_approve_partners.set([partner])
    [lead_return] = submit(partner, delivered(assignment), reason="Outside the area").returns
    lead_return.refresh_from_db()
    assert lead_return.status == LeadReturn.APPROVED
    assert lead_return.delivery.cancel_reason == DistributionTransaction.REASON_RETURNED


def test_other_returns_wait_for_a_decision(partner, assignment, policy):
    policy.auto_approve_reasons = "Outside the area"
    policy.save()
    [lead_return] = submit(partner, delivered(assignment)).returns
    lead_return.refresh_from_db()
    assert lead_return.status == LeadReturn.PENDING


# Decisions


def test_a_rejection_needs_a_note(partner, assignment, policy):
    waiting = submit(partner, delivered(assignment)).returns
    with pytest.raises(InvoicingError, match="Say why"):
        decide_returns(waiting, False, " ", "finance")


def test_a_rejected_return_leaves_the_delivery_as_it_was(partner, assignment, policy):
    txns = delivered(assignment)
    decide_returns(submit(partner, txns).returns, False, "The number works.", "finance")
    txns[0].refresh_from_db()
    assert txns[0].status == DistributionTransaction.DELIVERED


def test_a_decided_return_is_not_decided_again(partner, assignment, policy):
    waiting = submit(partner, delivered(assignment)).returns
    accept(waiting)
    assert decide_returns(waiting, False, "Changed my mind", "finance").returns == []
    assert LeadReturn.objects.get().status == LeadReturn.APPROVED


def test_requests_and_decisions_are_in_the_audit_trail(account, partner, assignment, policy):
    txns = delivered(assignment)
    accept(submit(partner, txns))
    events = AccountEvent.objects.filter(account=account).order_by("pk")
    assert [(e.kind, e.actor) for e in events] == [
        (AccountEvent.RETURNS_REQUESTED, BY),
        (AccountEvent.RETURNS_DECIDED, "finance@acme.test"),
    ]
    assert txns[0].lead.external_id in events[0].detail
    assert events[1].detail.startswith("accepted: 1 lead: ")


# What an accepted return corrects


def test_a_return_accepted_before_invoicing_is_not_billed(entity, partner, assignment, policy):
    txns = delivered(assignment, 3)
    accept(submit(partner, txns[:1]))
    billed_period(entity, txns)
    invoice = Invoice.objects.get(partner=partner)
    assert (invoice.lines.get().quantity, invoice.subtotal) == (2, Decimal("20.00"))


def test_a_return_accepted_on_a_draft_recomputes_it(entity, partner, assignment, policy):
    txns = delivered(assignment, 3)
    billed_period(entity, txns)
    accept(submit(partner, txns[:1]))
    invoice = Invoice.objects.get(partner=partner)
    assert (invoice.status, invoice.subtotal) == (Invoice.DRAFT, Decimal("20.00"))


def test_a_return_accepted_after_finalizing_is_credited_on_a_credit_note(
    entity, partner, assignment, policy
):
    txns = delivered(assignment, 3)
    billed_period(entity, txns)
    invoice = finalize_invoice(Invoice.objects.get(partner=partner))
    accept(submit(partner, txns[:1]))
    credit_note = Invoice.objects.get(corrects=invoice)
    assert (credit_note.kind, credit_note.status, credit_note.subtotal) == (
        Invoice.KIND_CREDIT_NOTE,
        Invoice.DRAFT,
        Decimal("10.00"),
    )
    credit_note = finalize_invoice(credit_note)
    assert type_code(credit_note) == "381"


def test_500_returns_are_accepted_at_once(entity, partner, assignment, policy):
    txns = delivered(assignment, 500)
    billed_period(entity, txns)
    invoice = finalize_invoice(Invoice.objects.get(partner=partner))
    waiting = submit(partner, txns).returns
    with CaptureQueriesContext(connection) as queries:
        outcome = accept(waiting)
    assert len(outcome.returns) == 500
    credit_note = Invoice.objects.get(corrects=invoice)
    assert (credit_note.lines.get().quantity, credit_note.subtotal) == (500, Decimal("5000.00"))
    # One transaction of set-based statements: the work does not grow with the returns.
    assert len(queries) < 50


# Passed back to the supplier


@pytest.fixture
def supplier(entity):
    return make_supplier(entity)


def passed_back_deliveries(entity, supplier, policy, count):
    """`count` deliveries of leads the supplier brought, under a policy that passes returns
    back."""
    policy.pass_back = True
    policy.save()
    txns = delivered(policy.profile.assignments.get(), count)
    supplied(entity, supplier, txns)
    return txns


def payout_draft(entity, supplier, txns):
    generate_payout_drafts(entity, *period_of(txns[0].delivered_at))
    return Invoice.objects.get(partner=supplier, self_billed=True)


def supplied(entity, supplier, txns, price="4.00"):
    for txn in txns:
        record_lead_source(entity, txn.lead.external_id, supplier, Decimal(price), txn.delivered_at)


def test_a_return_passed_back_is_not_paid_out(entity, partner, supplier, assignment, policy):
    txns = passed_back_deliveries(entity, supplier, policy, 3)
    [lead_return] = accept(submit(partner, txns[:1])).returns
    generate_payout_drafts(entity, *period_of(txns[0].delivered_at))
    payout = Invoice.objects.get(partner=supplier, self_billed=True)
    assert (payout.subtotal, lead_return.passed_back) == (Decimal("8.00"), True)


def test_a_return_passed_back_leaves_the_suppliers_draft_payout(
    entity, partner, supplier, assignment, policy
):
    txns = passed_back_deliveries(entity, supplier, policy, 3)
    generate_payout_drafts(entity, *period_of(txns[0].delivered_at))
    accept(submit(partner, txns[:1]))
    payout = Invoice.objects.get(partner=supplier, self_billed=True)
    assert (payout.status, payout.subtotal) == (Invoice.DRAFT, Decimal("8.00"))


def test_a_return_passed_back_after_the_payout_is_final_is_a_self_billed_credit_note(
    entity, partner, supplier, assignment, policy
):
    txns = passed_back_deliveries(entity, supplier, policy, 3)
    payout = finalize_invoice(payout_draft(entity, supplier, txns))
    accept(submit(partner, txns[:1]))
    credit_note = finalize_invoice(Invoice.objects.get(corrects=payout))
    assert (credit_note.self_billed, credit_note.subtotal) == (True, Decimal("4.00"))
    assert type_code(credit_note) == "261"
    lead = Lead.objects.get(pk=txns[0].lead_id)
    assert lead.payout_credit_note_id == credit_note.pk


def test_a_lead_another_buyer_keeps_is_still_paid_out(
    entity, partner, supplier, assignment, policy
):
    txns = passed_back_deliveries(entity, supplier, policy, 2)
    other = make_assignment(assignment.profile, make_partner(entity))
    from distribution.services import record_delivery

    record_delivery(other, txns[0].lead.external_id, txns[0].delivered_at)
    [lead_return] = accept(submit(partner, txns[:1])).returns
    generate_payout_drafts(entity, *period_of(txns[0].delivered_at))
    payout = Invoice.objects.get(partner=supplier, self_billed=True)
    assert (payout.subtotal, lead_return.passed_back) == (Decimal("8.00"), False)
    assert not LeadReturn.objects.get(pk=lead_return.pk).passed_back


def test_a_return_is_not_passed_back_unless_the_policy_says_so(
    entity, partner, supplier, assignment, policy
):
    txns = delivered(assignment, 2)
    supplied(entity, supplier, txns)
    [lead_return] = accept(submit(partner, txns[:1])).returns
    generate_payout_drafts(entity, *period_of(txns[0].delivered_at))
    payout = Invoice.objects.get(partner=supplier, self_billed=True)
    assert (payout.subtotal, lead_return.passed_back) == (Decimal("8.00"), False)


def test_a_payouts_credit_note_says_the_leads_were_returned(
    entity, partner, supplier, assignment, policy
):
    txns = passed_back_deliveries(entity, supplier, policy, 2)
    payout = finalize_invoice(payout_draft(entity, supplier, txns))
    accept(submit(partner, txns[:1]))
    credit_note = Invoice.objects.get(corrects=payout)
    assert credit_note.notes.startswith(f"Credit for leads of self-billed invoice {payout.number}")
    assert credit_note.lines.get().description == "Returned leads"


def test_an_automatic_approval_that_cannot_be_made_leaves_the_returns_waiting(
    partner, assignment, policy
):
    from invoicing.corrections import cancel_delivery

    policy.auto_approve_reasons = REASON
    policy.save()
    txns = delivered(assignment, 2)
    cancel_delivery(txns[1], DistributionTransaction.REASON_REFUNDED)
    outcome = submit(partner, txns)  # the cancelled one is refused, the other accepted
    assert [r.delivery for r in outcome.returns] == [txns[0]]
    assert LeadReturn.objects.get().status == LeadReturn.APPROVED


def test_the_credit_of_a_finalized_payout_cannot_be_moved(
    entity, partner, supplier, assignment, policy
):
    from django.db import IntegrityError, transaction

    txns = passed_back_deliveries(entity, supplier, policy, 2)
    payout = finalize_invoice(payout_draft(entity, supplier, txns))
    accept(submit(partner, txns[:1]))
    finalize_invoice(Invoice.objects.get(corrects=payout))
    with pytest.raises(IntegrityError, match="finalized credit note"), transaction.atomic():
        Lead.objects.filter(pk=txns[0].lead_id).update(payout_credit_note_id=None)
