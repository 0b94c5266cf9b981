"""Payment reminders: up to three levels per Entity (a friendly reminder, a first reminder,
a final one), each sent once per invoice on its day after the due date, by email in the
partner's language. Reminders stop once the invoice is paid or credited (and wait while a
credit note for it is a draft); a partner can be exempted. The final reminder claims the
late-payment costs of a business buyer where the Entity says so (`late_payment`)."""

import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from entities import mail
from entities.languages import format_date
from entities.models import Entity
from entities.numbers import amount as format_amount
from entities.numbers import iban as format_iban
from partners.models import Partner

from ..banking import printed_reference
from ..billing import local_today
from ..channels.email import recipient
from ..events import record_event
from ..models import Invoice, InvoiceDocument, InvoiceEvent, Reminder, unpaid_invoices
from .late_payment import LateCosts, late_costs

logger = logging.getLogger(__name__)

LEVEL_DAYS = [
    (Reminder.FRIENDLY, "friendly_reminder_days"),
    (Reminder.FIRST, "first_reminder_days"),
    (Reminder.FINAL, "final_reminder_days"),
]
SENDING_HOURS = range(8, 19)  # the Entity's local time: no reminder lands at night


def levels(entity: Entity) -> list[tuple[str, int]]:
    """The Entity's levels in use, with their days after the due date."""
    return [(level, getattr(entity, f)) for level, f in LEVEL_DAYS if getattr(entity, f)]


def reminders_due(entity: Entity, today: date) -> list[tuple[Invoice, str]]:
    """The reminders to send today: per overdue invoice, the highest level it has reached
    and not had yet (a level passed while reminders were off is skipped, never sent late
    after a higher one)."""
    in_use = levels(entity)
    if not entity.reminders_enabled or not in_use:
        return []
    earliest = min(days for _level, days in in_use)
    overdue = (
        unpaid_invoices(
            entity=entity,
            due_date__lte=today - timedelta(days=earliest),
            partner__no_reminders=False,
        )
        .exclude(credit_notes__status=Invoice.DRAFT)
        .select_related("partner", "entity")
        .prefetch_related("reminders")
        .order_by("due_date", "pk")
    )
    rank = {level: n for n, (level, _days) in enumerate(LEVEL_DAYS)}
    due = []
    for invoice in overdue:
        days = (today - invoice.due_date).days
        reached = [level for level, level_days in in_use if level_days <= days]
        sent = [rank[r.level] for r in invoice.reminders.all()]
        level = max(reached, key=rank.get)
        if not sent or rank[level] > max(sent):
            due.append((invoice, level))
    return due


def late_costs_of(invoice: Invoice, today: date) -> LateCosts | None:
    """What a business buyer owes today for paying the invoice late; None for an invoice
    not overdue, a private buyer, another currency than EUR (the Directive's EUR 40), or a
    seller outside the EU."""
    if invoice.self_billed or invoice.is_credit_note or invoice.paid_at or not invoice.is_final:
        return None
    if not invoice.due_date or invoice.due_date >= today or invoice.open_balance <= 0:
        return None
    if invoice.partner.kind != Partner.COMPANY or invoice.currency != "EUR":
        return None
    if not invoice.entity.is_in_eu:  # the Late Payment Directive is EU law
        return None
    return late_costs(invoice.entity.country, invoice.open_balance, invoice.due_date, today)


def costs_to_claim(invoice: Invoice, level: str, today: date) -> LateCosts | None:
    """The late-payment costs a reminder claims: on the final one, where the Entity claims
    them."""
    if level != Reminder.FINAL or not invoice.entity.claim_late_payment_costs:
        return None
    return late_costs_of(invoice, today)


def build_reminder(invoice: Invoice, level: str, today: date, to: str) -> EmailMessage:
    entity = invoice.entity
    costs = costs_to_claim(invoice, level, today)
    with translation.override(invoice.language):
        subject, body = reminder_text(invoice, level, today, costs)
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[to],
        cc=[address for address in invoice.partner.cc_list if address != to],
        reply_to=[entity.email] if entity.email else None,
    )
    pdf = InvoiceDocument.objects.filter(invoice=invoice, kind=InvoiceDocument.PDF).first()
    if pdf is not None:
        message.attach(pdf.filename, bytes(pdf.content), pdf.mimetype)
    return message


def reminder_text(invoice: Invoice, level: str, today: date, costs: LateCosts | None):
    """Subject and body of the reminder, in the active language."""
    entity = invoice.entity
    values = {
        "number": invoice.number,
        "partner": invoice.buyer.get("name", "") or invoice.partner.legal_name,
        "company": invoice.seller.get("name", "") or entity.legal_name,
        "issue_date": format_date(invoice.issue_date),
        "due_date": format_date(invoice.due_date),
        "total": format_amount(invoice.total, invoice.currency),
        "open": format_amount(invoice.open_balance, invoice.currency),
        "days": (today - invoice.due_date).days,
    }
    if level == Reminder.FRIENDLY:
        subject = _("Friendly reminder: invoice {number}")
        opening = _(
            "Perhaps it slipped through: our invoice {number} of {issue_date} for {total} was "
            "due on {due_date}, and {open} of it is still open."
        )
    elif level == Reminder.FIRST:
        subject = _("Payment reminder: invoice {number}")
        opening = _(
            "We have not yet received the payment of our invoice {number} of {issue_date}, due "
            "on {due_date}: {open} is open, {days} days after the due date. Please pay it "
            "within the next seven days."
        )
    else:
        subject = _("Final reminder: invoice {number}")
        opening = _(
            "Despite our reminders, our invoice {number} of {issue_date}, due on {due_date}, is "
            "still unpaid: {open} is open, {days} days after the due date. Please pay it within "
            "seven days."
        )
    paragraphs = [_("Hello {partner},").format(**values), opening.format(**values)]
    if costs is not None:
        paragraphs.append(costs_paragraph(invoice, costs))
    paragraphs.append(how_to_pay(invoice))
    paragraphs.append(
        _("If you have paid in the meantime, thank you: please disregard this email.")
    )
    paragraphs.append(_("Kind regards\n{company}").format(**values))
    return subject.format(**values), "\n\n".join(paragraphs) + "\n"


def costs_paragraph(invoice: Invoice, costs: LateCosts) -> str:
    compensation = format_amount(costs.compensation, invoice.currency)
    if costs.interest is None:
        return _(
            "As the payment is late, we also claim the fixed compensation of {compensation} "
            "for recovery costs ({source}) and statutory interest, which we will state once "
            "the reference rate for the period is published."
        ).format(compensation=compensation, source=costs.rule.source)
    rates = ", ".join(f"{rate} %" for _start, rate in costs.rates)
    return _(
        "As the payment is late, we also claim the fixed compensation of {compensation} for "
        "recovery costs and statutory interest of {interest} ({rates} a year, {points} points "
        "above the {reference}, for {days} days; {source}): {claimed} in addition to the "
        "open amount, {total} in all."
    ).format(
        compensation=compensation,
        interest=format_amount(costs.interest, invoice.currency),
        rates=rates,
        points=costs.rule.points,
        reference=costs.rule.reference_name,
        days=costs.days,
        source=costs.rule.source,
        claimed=format_amount(costs.total, invoice.currency),
        total=format_amount(costs.total + invoice.open_balance, invoice.currency),
    )


def how_to_pay(invoice: Invoice) -> str:
    entity, amount = invoice.entity, format_amount(invoice.open_balance, invoice.currency)
    if not entity.iban:
        return _("Please pay {amount} as agreed.").format(amount=amount)
    text = _("Please transfer {amount} to {name}, IBAN {iban}").format(
        amount=amount, name=entity.legal_name, iban=format_iban(entity.iban)
    )
    if entity.bic:
        text += f", BIC {entity.bic}"
    if invoice.payment_reference:
        text += _(", quoting {reference}").format(
            reference=printed_reference(invoice.payment_reference)
        )
    return text + "."


def send_reminder(invoice: Invoice, level: str, today: date) -> Reminder | None:
    """Email the reminder and record it; None when the partner has no email. Raises the
    mail errors of `entities.mail`, having recorded nothing."""
    to = recipient(invoice)
    if not to:
        return None
    costs = costs_to_claim(invoice, level, today)
    with transaction.atomic():
        reminder = Reminder.objects.create(
            invoice=invoice,
            level=level,
            sent_on=today,
            to=to,
            days_overdue=(today - invoice.due_date).days,
            open_amount=invoice.open_balance,
            compensation=costs.compensation if costs else 0,
            interest=(costs.interest or 0) if costs else 0,
            interest_rate=costs.rates[-1][1] if costs and costs.rates else None,
        )
        open_amount = format_amount(reminder.open_amount, invoice.currency)
        detail = f"{reminder.get_level_display()} to {to}, {open_amount} open"
        if costs:
            detail += f", {format_amount(reminder.claimed, invoice.currency)} late-payment costs"
        record_event(invoice, InvoiceEvent.REMINDED, "scheduler", detail)
        mail.send(invoice.entity.account, build_reminder(invoice, level, today, to))
    return reminder


def send_reminders(entity: Entity, today: date | None = None) -> int:
    """Send the Entity's reminders due today; how many went out. A mail server that fails
    leaves the rest for the next run; an address it refuses is skipped (and tried again
    on the next run, so a corrected address gets its reminder)."""
    today = today or local_today(entity)
    sent = 0
    for invoice, level in reminders_due(entity, today):
        try:
            if send_reminder(invoice, level, today):
                sent += 1
        except mail.PermanentMailError:  # this recipient refused: the others still go
            logger.warning("Reminder for %s refused by the mail server", invoice, exc_info=True)
        except (mail.TemporaryMailError, mail.MailNotConfigured):
            logger.warning("Reminders of %s: the mail server failed", entity, exc_info=True)
            break
    return sent


def in_sending_hours(entity: Entity) -> bool:
    return timezone.now().astimezone(ZoneInfo(entity.time_zone)).hour in SENDING_HOURS
