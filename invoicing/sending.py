"""Sending finalized invoices by email through the Account's own mail server.

`queue_sending()` records a dispatch and hands it to Celery (`tasks.send_dispatch`), which
calls `deliver()`: temporary server trouble is retried with backoff, a refusal is recorded as
a failure with the server's answer. An invoice is never sent twice by accident: one dispatch
per invoice can be in flight, and a sent invoice is sent again only on explicit request.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from entities import mail
from entities.languages import format_date
from entities.models import Entity, fill_email_template
from entities.numbers import amount as format_amount
from entities.site import site_url

from .documents import documents_pending
from .events import record_event
from .models import EmailDispatch, Invoice, InvoiceDocument, InvoiceEvent, InvoicingError

logger = logging.getLogger(__name__)

XML_FORMATS = ("xrechnung_cii", "xrechnung_ubl")


def email_context(invoice: Invoice) -> dict:
    """The placeholders of the email that goes with the document. The partner is the buyer
    of an invoice and the supplier (its seller) of a self-billed one; the company is the
    Entity, which sends the email either way."""
    if invoice.self_billed:
        partner, company = invoice.seller.get("name", ""), invoice.buyer.get("name", "")
    else:
        partner, company = invoice.buyer.get("name", ""), invoice.seller.get("name", "")
    portal = invoice.partner.portal_users.filter(is_active=True).exists()
    portal_url = site_url() + reverse("portal:invoices")
    return {
        "document": invoice.title,
        "document_lower": invoice.title.lower(),
        "number": invoice.number,
        "partner": partner or invoice.partner.legal_name,
        "company": company or invoice.entity.legal_name,
        "seller": company or invoice.entity.legal_name,  # the texts of before
        "total": format_amount(invoice.total, invoice.currency),
        "open_amount": format_amount(invoice.open_balance, invoice.currency),
        "issue_date": format_date(invoice.issue_date),
        "due_date": format_date(invoice.due_date),
        "period": f"{format_date(invoice.period_start)} – {format_date(invoice.period_end)}",
        "corrects": invoice.corrects.number if invoice.corrects_id else "",
        "payment_line": payment_line(invoice),
        # Only partners who can log in hear of the portal.
        "portal_line": (
            "\n"
            + _("You can also see your invoices and leads in our partner portal: %(url)s")
            % {"url": portal_url}
            + "\n"
            if portal
            else ""
        ),
        "portal_url": portal_url,
    }


def payment_line(invoice: Invoice) -> str:
    """What happens to the money, from the Entity's side, for the open balance."""
    open_amount = format_amount(invoice.open_balance, invoice.currency)
    due = format_date(invoice.due_date)
    if invoice.is_credit_note:
        if invoice.open_balance > 0:
            return _("%(amount)s is set off against open invoices or refunded to you.") % {
                "amount": open_amount
            }
        return _("It is settled.")
    if invoice.self_billed:
        if invoice.open_balance > 0:
            return _("We will pay you %(amount)s by %(due)s.") % {"amount": open_amount, "due": due}
        return _("It is paid out.")
    if invoice.paid_at:
        return _("It is paid in full: thank you.")
    if invoice.amount_paid:
        paid = format_amount(invoice.amount_paid, invoice.currency)
        return _(
            "Of its total, %(paid)s is paid: please pay the remaining %(amount)s by %(due)s."
        ) % {"paid": paid, "amount": open_amount, "due": due}
    return _("Please pay %(amount)s by %(due)s.") % {"amount": open_amount, "due": due}


def message_id(dispatch: EmailDispatch) -> str:
    """The Message-ID of every attempt of one dispatch: its idempotency key."""
    host = site_url().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"<invoice-dispatch-{dispatch.key}@{host or 'leadflip.invalid'}>"


def build_message(invoice: Invoice, to: str) -> EmailMessage:
    """The invoice's email: the Entity's text, the PDF, and the XML where the partner's
    format asks for a separate XML file (XRechnung). Never without them: InvoicingError
    while they are missing."""
    if documents_pending(invoice):
        raise InvoicingError(_("its documents are not rendered yet"))
    entity = invoice.entity
    with translation.override(invoice.language):  # the partner's language
        context = email_context(invoice)
        subject, body = entity.email_text(invoice.document_kind)
    message = EmailMessage(
        # One line: a name with a line break in it would make the header invalid.
        subject=" ".join(fill_email_template(subject, context).split()),
        body=fill_email_template(body, context),
        to=[to],
        cc=[address for address in invoice.partner.cc_list if address != to],
        reply_to=[entity.email] if entity.email else None,
    )
    for document in InvoiceDocument.objects.filter(invoice=invoice).order_by("kind"):
        if document.kind == InvoiceDocument.XML and invoice.einvoice_format not in XML_FORMATS:
            continue  # Factur-X carries its XML inside the PDF
        message.attach(document.filename, bytes(document.content), document.mimetype)
    return message


def recipient(invoice: Invoice) -> str:
    return invoice.partner.email or invoice.buyer.get("email", "")


def preview_message(invoice: Invoice) -> dict:
    """What sending the invoice now would send, for the operator to read first: recipients,
    subject, text and attachment names. Raises InvoicingError while documents are missing."""
    message = build_message(invoice, recipient(invoice) or "—")
    return {
        "to": ", ".join(message.to),
        "cc": ", ".join(message.cc),
        "reply_to": ", ".join(message.reply_to),
        "subject": message.subject,
        "body": message.body,
        "attachments": [filename for filename, _content, _mimetype in message.attachments],
    }


def queue_sending(invoice: Invoice, by=None, again: bool = False) -> EmailDispatch:
    """Record that the invoice is to be sent to the partner's billing email, and queue it."""
    from .tasks import send_dispatch

    if not invoice.is_final or invoice.is_void:
        raise InvoicingError(_("Only a finalized, valid invoice can be sent."))
    if documents_pending(invoice):
        raise InvoicingError(
            _("{invoice} cannot be sent yet: its documents are still being rendered.").format(
                invoice=invoice
            )
        )
    to = recipient(invoice)
    if not to:
        raise InvoicingError(_("{partner} has no billing email.").format(partner=invoice.partner))
    mail.smtp_of(invoice.entity.account)  # raises MailNotConfigured
    already_sent = invoice.dispatches.filter(status=EmailDispatch.SENT).exists()
    if already_sent and not again:
        raise InvoicingError(
            _("{invoice} was already sent. Use “Send again” to resend it.").format(invoice=invoice)
        )
    try:
        with transaction.atomic():
            dispatch = EmailDispatch.objects.create(
                invoice=invoice,
                to=to,
                requested_by=None if by is None or isinstance(by, str) else by,
            )
    except IntegrityError:
        raise InvoicingError(
            _(
                "{invoice} is already being sent. If it stays so, it is marked failed "
                "within {value} minutes and can be sent again."
            ).format(invoice=invoice, value=settings.DISPATCH_STUCK_SECONDS // 60)
        ) from None
    transaction.on_commit(lambda: send_dispatch.delay(dispatch.pk))
    return dispatch


def unsent_invoices(entity: Entity, start: date, end: date):
    """The period's finalized invoices that were neither sent nor are being sent."""
    return (
        Invoice.objects.filter(
            entity=entity, status=Invoice.FINAL, period_start__gte=start, period_end__lte=end
        )
        .exclude(dispatches__status__in=[EmailDispatch.SENT, EmailDispatch.QUEUED,
                                         EmailDispatch.SENDING])
        .distinct()
    )  # fmt: skip


def queue_period(entity: Entity, start: date, end: date, by=None) -> tuple[int, list[str]]:
    """Queue every finalized, unsent invoice of the period. Returns how many were queued and
    why the others were not."""
    return queue_invoices(unsent_invoices(entity, start, end), by)


def queue_invoices(invoices, by=None) -> tuple[int, list[str]]:
    """Queue each invoice of the queryset that can be sent; one that cannot (a draft, one
    already sent, a partner without email) is skipped with the reason, and the rest go on."""
    queued, skipped = 0, []
    for invoice in invoices.select_related("partner", "entity__account").order_by("pk"):
        try:
            queue_sending(invoice, by)
        except (InvoicingError, mail.MailNotConfigured) as error:
            skipped.append(f"{invoice}: {error}")
        else:
            queued += 1
    return queued, skipped


def deliver(dispatch_id: int) -> EmailDispatch:
    """Send one dispatch now. Raises mail.TemporaryMailError for the caller to retry; a
    permanent refusal is recorded as Failed."""
    with transaction.atomic():
        dispatch = (
            EmailDispatch.objects.select_for_update()
            .select_related("invoice__entity__account", "invoice__partner")
            .get(pk=dispatch_id)
        )
        if dispatch.status == EmailDispatch.SENDING:
            interrupted = True  # an attempt began and never ended: it may have gone out
        elif dispatch.status != EmailDispatch.QUEUED:
            return dispatch  # sent or given up already: never twice
        else:
            interrupted = False
            dispatch.status = EmailDispatch.SENDING
            dispatch.attempts += 1
            dispatch.last_attempt_at = timezone.now()
            dispatch.save(update_fields=["status", "attempts", "last_attempt_at"])
    if interrupted:
        fail(dispatch.pk, INTERRUPTED)
        dispatch.refresh_from_db()
        return dispatch
    invoice = dispatch.invoice
    try:
        message = build_message(invoice, dispatch.to)
        message.extra_headers["Message-ID"] = message_id(dispatch)
        message.message()  # the MIME message, headers checked, before the server sees it
    except Exception as error:  # e.g. a header the mail library refuses: say so, never hang
        logger.exception("Dispatch %s: the email could not be built", dispatch.pk)
        fail(dispatch.pk, f"the email could not be put together ({error}); check the email text "
             "in Settings and the partner's details, then send again")  # fmt: skip
        dispatch.refresh_from_db()
        return dispatch
    try:
        sent = mail.send(invoice.entity.account, message)
    except mail.TemporaryMailError as error:
        # Waiting for the task's retry: queued again, not "sending".
        EmailDispatch.objects.filter(pk=dispatch.pk).update(
            status=EmailDispatch.QUEUED, answer=str(error)[:500]
        )
        raise
    except (mail.PermanentMailError, mail.MailNotConfigured) as error:
        fail(dispatch.pk, str(error))
        dispatch.refresh_from_db()
        return dispatch
    except Exception:  # never a 500, never stuck in sending; the others of a batch go on
        logger.exception("Dispatch %s: sending failed unexpectedly", dispatch.pk)
        fail(
            dispatch.pk,
            "the email could not be sent because of an unexpected error (it is logged); try "
            "Send again, and if it fails again, check the mail server settings",
        )
        dispatch.refresh_from_db()
        return dispatch
    with transaction.atomic():  # the outcome and its audit event, together or not at all
        EmailDispatch.objects.filter(pk=dispatch.pk).update(
            status=EmailDispatch.SENT, answer=sent.answer[:500], sent_at=timezone.now()
        )
        record_event(invoice, InvoiceEvent.EMAILED, dispatch.requested_by, f"to {dispatch.to}")
    dispatch.refresh_from_db()
    return dispatch


def fail(dispatch_id: int, answer: str) -> None:
    """Record that the email was not sent, with its audit event in the same transaction."""
    with transaction.atomic():
        EmailDispatch.objects.filter(pk=dispatch_id).update(
            status=EmailDispatch.FAILED, answer=answer[:500]
        )
        dispatch = EmailDispatch.objects.select_related("invoice").get(pk=dispatch_id)
        record_event(dispatch.invoice, InvoiceEvent.EMAILED, None, f"failed: {answer}"[:500])


INTERRUPTED = (
    "the sending was interrupted (the worker stopped) and may or may not have reached the "
    "partner; check with them, then use Send again"
)


def sweep_stuck_dispatches() -> tuple[int, int]:
    """Every few minutes: a dispatch left "sending" longer than DISPATCH_STUCK_SECONDS by a
    worker that died is failed (it may have gone out, so it is never sent again by itself);
    one still "queued" whose task was lost is queued again. Returns (failed, queued)."""
    from .tasks import send_dispatch

    now = timezone.now()
    stuck = timedelta(seconds=settings.DISPATCH_STUCK_SECONDS)
    interrupted = list(
        EmailDispatch.objects.filter(
            status=EmailDispatch.SENDING, last_attempt_at__lt=now - stuck
        ).values_list("pk", flat=True)
    )
    for dispatch_id in interrupted:
        fail(dispatch_id, INTERRUPTED)
    # A retry waits at most SEND_RETRY_SECONDS × 16 after its last attempt.
    retry_window = stuck + timedelta(seconds=settings.SEND_RETRY_SECONDS * 16)
    lost = list(
        EmailDispatch.objects.filter(status=EmailDispatch.QUEUED)
        .filter(
            Q(attempts=0, created_at__lt=now - stuck)
            | Q(attempts__gt=0, last_attempt_at__lt=now - retry_window)
        )
        .values_list("pk", flat=True)
    )
    for dispatch_id in lost:
        send_dispatch.delay(dispatch_id)
    return len(interrupted), len(lost)
