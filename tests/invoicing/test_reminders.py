"""Payment reminders (issue 21): per Entity up to three levels (friendly, first, final),
each emailed once on its day after the due date in the partner's language; they stop on
payment or credit, never reach an exempted partner, and the final one claims the
late-payment costs of a business buyer where the Entity says so."""

from datetime import timedelta
from decimal import Decimal

import pytest

from invoicing.corrections import void_invoice
from invoicing.dunning.reminders import reminders_due, send_reminders
from invoicing.models import InvoiceEvent, Reminder
from invoicing.payments import mark_paid

from ..factories import backdate, make_final, make_partner


@pytest.fixture
def reminding(entity):
    entity.reminders_enabled = True
    entity.save()
    return entity


@pytest.fixture
def invoice(reminding, partner):
    return make_final(reminding, partner)


def month_after_due(entity, invoice, smtp, days=31):
    """Run the reminders every day from the due date on; the subjects sent, by day."""
    sent = {}
    for day in range(days):
        before = len(smtp.inbox.messages)
        send_reminders(entity, invoice.due_date + timedelta(days=day))
        for message in smtp.inbox.messages[before:]:
            sent[day] = message["Subject"]
    return sent


def test_a_month_overdue_brings_the_three_levels_on_their_days(smtp, reminding, invoice):
    sent = month_after_due(reminding, invoice, smtp)
    assert sent == {
        3: f"Friendly reminder: invoice {invoice.number}",
        14: f"Payment reminder: invoice {invoice.number}",
        28: f"Final reminder: invoice {invoice.number}",
    }
    levels = list(invoice.reminders.values_list("level", "days_overdue"))
    assert levels == [(Reminder.FRIENDLY, 3), (Reminder.FIRST, 14), (Reminder.FINAL, 28)]


def test_the_entitys_own_days_decide(smtp, reminding, invoice):
    reminding.friendly_reminder_days, reminding.first_reminder_days = None, 7
    reminding.final_reminder_days = 21
    reminding.save()
    assert sorted(month_after_due(reminding, invoice, smtp)) == [7, 21]


def test_reminders_are_off_until_the_entity_turns_them_on(smtp, entity, partner):
    invoice = make_final(entity, partner)
    assert month_after_due(entity, invoice, smtp) == {}


def test_a_payment_stops_the_reminders(smtp, reminding, invoice):
    send_reminders(reminding, invoice.due_date + timedelta(days=3))
    mark_paid(invoice, invoice.issue_date)
    assert month_after_due(reminding, invoice, smtp) == {}
    assert invoice.reminders.count() == 1


def test_a_part_payment_leaves_the_rest_reminded(smtp, reminding, invoice):
    from invoicing.payments import record_payment

    record_payment(invoice, Decimal("10.00"), invoice.issue_date)
    month_after_due(reminding, invoice, smtp, days=4)
    [message] = smtp.inbox.messages
    assert "13.80 EUR" in message.get_body(("plain",)).get_content()


def test_a_credited_invoice_gets_no_reminder(smtp, reminding, invoice):
    void_invoice(invoice, "wrong partner", "finance")
    assert month_after_due(reminding, invoice, smtp) == {}


def test_an_exempted_partner_gets_no_reminder(smtp, reminding, partner, invoice):
    partner.no_reminders = True
    partner.save()
    assert month_after_due(reminding, invoice, smtp) == {}


def test_a_level_passed_while_reminders_were_off_is_not_sent_late(smtp, reminding, invoice):
    send_reminders(reminding, invoice.due_date + timedelta(days=15))  # first, no friendly
    assert list(invoice.reminders.values_list("level", flat=True)) == [Reminder.FIRST]
    assert reminders_due(reminding, invoice.due_date + timedelta(days=16)) == []


def test_the_reminder_is_in_the_partners_language(smtp, reminding):
    invoice = make_final(reminding, make_partner(reminding, language="de"))
    send_reminders(reminding, invoice.due_date + timedelta(days=3))
    [message] = smtp.inbox.messages
    assert message["Subject"] == f"Freundliche Zahlungserinnerung: Rechnung {invoice.number}"


def test_the_reminder_says_how_to_pay_with_the_reference(smtp, reminding, invoice):
    send_reminders(reminding, invoice.due_date + timedelta(days=3))
    body = smtp.inbox.messages[0].get_body(("plain",)).get_content()
    assert "IBAN DE89 3704 0044 0532 0130 00" in body
    assert invoice.payment_reference[:4] in body.replace(" ", "")


def test_the_reminder_is_in_the_audit_trail(smtp, reminding, invoice):
    send_reminders(reminding, invoice.due_date + timedelta(days=3))
    event = invoice.events.get(kind=InvoiceEvent.REMINDED)
    assert "Friendly reminder" in event.detail and invoice.partner.email in event.detail


def test_the_final_reminder_claims_the_40_euros_and_interest(smtp, reminding, partner):
    reminding.claim_late_payment_costs = True
    reminding.save()
    # Due in August 2025, whose reference rate is published: 1,190.00 EUR open.
    invoice = backdate(make_final(reminding, partner, leads=100), 500)
    send_reminders(reminding, invoice.due_date + timedelta(days=28))
    reminder = invoice.reminders.get()
    assert reminder.level == Reminder.FINAL
    # 1,190.00 × 10.27 % (base rate 1.27 + 9, § 288 BGB) × 28 / 365 = 9.38
    assert (reminder.compensation, reminder.interest) == (Decimal("40.00"), Decimal("9.38"))
    body = smtp.inbox.messages[0].get_body(("plain",)).get_content()
    assert "40.00 EUR" in body and "9.38 EUR" in body and "10.27 %" in body
    assert "1,239.38 EUR" in body or "1239.38 EUR" in body


def test_without_the_claim_the_final_reminder_asks_only_the_open_amount(smtp, reminding, invoice):
    send_reminders(reminding, invoice.due_date + timedelta(days=28))
    assert invoice.reminders.get().claimed == 0


def test_a_private_buyer_is_not_charged_the_business_costs(smtp, reminding):
    reminding.claim_late_payment_costs = True
    reminding.save()
    buyer = make_partner(reminding, kind="individual")
    invoice = make_final(reminding, buyer)
    send_reminders(reminding, invoice.due_date + timedelta(days=28))
    assert invoice.reminders.get().claimed == 0


def test_a_failing_mail_server_records_nothing_and_tries_again(smtp, reminding, invoice):
    smtp.inbox.temporary_failures = 1
    send_reminders(reminding, invoice.due_date + timedelta(days=3))
    assert not invoice.reminders.exists()
    send_reminders(reminding, invoice.due_date + timedelta(days=4))
    assert invoice.reminders.count() == 1


def test_an_address_the_server_refuses_holds_up_no_other_reminder(smtp, reminding, partner):
    refused = make_final(reminding, partner)
    other = make_final(reminding, make_partner(reminding))
    smtp.inbox.refuse_to = {partner.email}
    send_reminders(reminding, refused.due_date + timedelta(days=3))
    assert not refused.reminders.exists()
    assert other.reminders.count() == 1


def test_a_seller_outside_the_eu_claims_no_directive_costs(account):
    from invoicing.dunning.reminders import late_costs_of

    from ..factories import make_entity

    seller = make_entity(account, name="Acme US", country="US", region="NY", vat_id="",
                         default_currency="EUR", time_zone="America/New_York")  # fmt: skip
    invoice = backdate(make_final(seller, make_partner(seller)), 40)
    assert late_costs_of(invoice, invoice.due_date + timedelta(days=20)) is None
