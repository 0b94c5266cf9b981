"""Sending finalized invoices by email through the Account's own mail server, with the
Entity's text, the PDF and, where the format has one apart, the XML."""

import logging

from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from entities import mail
from entities.languages import format_date
from entities.models import fill_email_template
from entities.numbers import amount as format_amount
from entities.site import site_url

from ..banking import printed_reference
from ..documents import documents_pending
from ..models import Dispatch, Invoice, InvoiceDocument, InvoiceEvent, InvoicingError
from . import Channel, Outcome, PermanentError, TemporaryError

logger = logging.getLogger(__name__)

# Formats whose XML is a file of its own (Factur-X carries its XML inside the PDF).
XML_FORMATS = ("xrechnung_cii", "xrechnung_ubl", "peppol")


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
    if invoice.payment_reference:
        return _("Please pay %(amount)s by %(due)s, quoting payment reference %(reference)s.") % {
            "amount": open_amount,
            "due": due,
            "reference": printed_reference(invoice.payment_reference),
        }
    return _("Please pay %(amount)s by %(due)s.") % {"amount": open_amount, "due": due}


def message_id(dispatch: Dispatch) -> str:
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


class EmailChannel(Channel):
    code = Dispatch.EMAIL
    event_kind = InvoiceEvent.EMAILED

    def recipient(self, invoice: Invoice) -> str:
        return recipient(invoice)

    def check(self, invoice: Invoice) -> None:
        if not self.recipient(invoice):
            raise InvoicingError(
                _("{partner} has no billing email.").format(partner=invoice.partner)
            )
        mail.smtp_of(invoice.entity.account)  # raises MailNotConfigured

    def transmit(self, dispatch: Dispatch) -> Outcome:
        try:
            message = build_message(dispatch.invoice, dispatch.to)
            message.extra_headers["Message-ID"] = message_id(dispatch)
            message.message()  # the MIME message, headers checked, before the server sees it
        except Exception as error:  # e.g. a header the mail library refuses: say so
            logger.exception("Dispatch %s: the email could not be built", dispatch.pk)
            raise PermanentError(
                f"the email could not be put together ({error}); check the email text in "
                "Settings and the partner's details, then send again"
            ) from error
        try:
            sent = mail.send(dispatch.invoice.entity.account, message)
        except mail.TemporaryMailError as error:
            raise TemporaryError(str(error)) from error
        except (mail.PermanentMailError, mail.MailNotConfigured) as error:
            raise PermanentError(str(error)) from error
        return Outcome(Dispatch.SENT, sent.answer, f"to {dispatch.to}")
