"""Peppol: the invoice's Peppol BIS document handed to the Account's access point, which
sends it to the partner's. Sent means handed over; delivered, or rejected with its reason,
comes later by webhook (`apply_webhook`) or by asking (`follow`).

Never twice: the access point's document id is stored as soon as the document exists
there, and every later attempt (a retry after a timeout, a worker restarted half-way) asks
for that document's state and only sends it if it is still a draft.
"""

import json

import facturx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from lxml import etree

from entities.models import AccessPointSettings
from partners.models import Partner

from ..events import record_event
from ..models import Dispatch, Invoice, InvoiceDocument, InvoiceEvent, InvoicingError
from . import Channel, NotReachable, Outcome, PermanentError, Rejected, access_point


def participant(party: dict) -> str:
    """ "scheme:value" from a party snapshot, "" without a Peppol ID."""
    if party.get("peppol_scheme") and party.get("peppol_id"):
        return f"{party['peppol_scheme']}:{party['peppol_id']}"
    return ""


def receiver_of(invoice: Invoice) -> str:
    """The partner's participant: the buyer, or the supplier of a self-billed invoice."""
    return participant(invoice.seller if invoice.self_billed else invoice.buyer)


def sender_of(invoice: Invoice) -> str:
    return participant(invoice.buyer if invoice.self_billed else invoice.seller)


def can_use_peppol(invoice: Invoice) -> bool:
    """Whether the invoice can go over Peppol at all: a Peppol BIS e-invoice, a partner
    with a Peppol ID, and an access point for the Account."""
    return (
        invoice.einvoice_format == Partner.EINVOICE_PEPPOL
        and bool(receiver_of(invoice))
        and access_point.settings_of(invoice.entity.account) is not None
    )


class PeppolChannel(Channel):
    code = Dispatch.PEPPOL
    event_kind = InvoiceEvent.PEPPOL
    resumable = True

    def recipient(self, invoice: Invoice) -> str:
        return receiver_of(invoice)

    def check(self, invoice: Invoice) -> None:
        if access_point.settings_of(invoice.entity.account) is None:
            raise InvoicingError(
                _("Peppol needs an access point: enter its API key in Settings → Peppol.")
            )
        if invoice.einvoice_format != Partner.EINVOICE_PEPPOL:
            raise InvoicingError(
                _(
                    "{invoice} is not a Peppol BIS e-invoice, so it cannot go over Peppol: "
                    "email it, or set the partner's format to Peppol for its next invoices."
                ).format(invoice=invoice)
            )
        if not self.recipient(invoice):
            raise InvoicingError(_("{partner} has no Peppol ID.").format(partner=invoice.partner))

    def transmit(self, dispatch: Dispatch) -> Outcome:
        invoice = dispatch.invoice
        settings = access_point.settings_of(invoice.entity.account)
        if settings is None:
            raise PermanentError("the Account has no Peppol access point any more")
        document = InvoiceDocument.objects.get(invoice=invoice, kind=InvoiceDocument.XML)
        xml = bytes(document.content)
        check_schema(xml)
        if dispatch.external_id:  # an earlier attempt got this far: did it go?
            current, reason = access_point.state(settings, dispatch.external_id)
            if current in (access_point.TRANSIT, access_point.SENT, access_point.RECEIVED):
                return _outcome(dispatch, current)
            if current == access_point.FAILED:
                raise Rejected(reason)
        else:
            doc_type = access_point.document_type(xml)
            if not access_point.is_reachable(settings, dispatch.to, doc_type):
                raise NotReachable(
                    f"{dispatch.to} is not registered on Peppol to receive this kind of document"
                )
            if problems := access_point.validation_problems(settings, document.filename, xml):
                raise Rejected("the access point found errors: " + "; ".join(problems))
            external_id = access_point.hand_over(settings, document.filename, xml)
            # Stored at once, outside any transaction: a crash after this line resumes it.
            Dispatch.objects.filter(pk=dispatch.pk).update(external_id=external_id)
            dispatch.external_id = external_id
        current = access_point.send(settings, dispatch.external_id, dispatch.to, sender_of(invoice))
        if current == access_point.FAILED:
            _state, reason = access_point.state(settings, dispatch.external_id)
            raise Rejected(reason)
        return _outcome(dispatch, current)

    def follow(self, dispatch: Dispatch) -> None:
        settings = access_point.settings_of(dispatch.invoice.entity.account)
        if settings is None or not dispatch.external_id:
            return
        current, reason = access_point.state(settings, dispatch.external_id)
        if current in (access_point.SENT, access_point.RECEIVED):
            mark(dispatch, Dispatch.DELIVERED, "delivered to the partner's access point")
        elif current == access_point.FAILED:
            mark(dispatch, Dispatch.REJECTED, reason)


def _outcome(dispatch: Dispatch, current: str) -> Outcome:
    answer = f"access point document {dispatch.external_id}"
    if current in (access_point.SENT, access_point.RECEIVED):
        return Outcome(Dispatch.DELIVERED, answer, f"delivered to {dispatch.to}")
    return Outcome(Dispatch.SENT, answer, f"handed to the access point for {dispatch.to}")


def check_schema(xml: bytes) -> None:
    """The UBL 2.1 schema, before anything leaves: a document that fails it is ours to fix."""
    try:
        root = etree.fromstring(xml)
        flavor = "ubl-2.1-creditnote" if root.tag.endswith("}CreditNote") else "ubl-2.1-invoice"
        facturx.xml_check_xsd(xml, flavor)
    except Exception as error:
        raise PermanentError(f"its XML does not pass the UBL 2.1 schema: {error}") from error


def mark(dispatch: Dispatch, status: str, answer: str) -> bool:
    """Record the access point's news of a sent dispatch, once: a second webhook or poll
    with the same news changes nothing. Returns whether it changed."""
    now = timezone.now()
    with transaction.atomic():
        changed = Dispatch.objects.filter(pk=dispatch.pk, status=Dispatch.SENT).update(
            status=status,
            answer=answer[:500],
            delivered_at=now if status == Dispatch.DELIVERED else None,
        )
        if changed:
            label = "delivered" if status == Dispatch.DELIVERED else "rejected"
            record_event(dispatch.invoice, InvoiceEvent.PEPPOL, None, f"{label}: {answer}"[:500])
    return bool(changed)


class WebhookRefused(Exception):
    """Not a webhook of a known access point, or not signed with its secret."""


def dispatch_of_webhook(token: str, body: bytes, signature: str) -> Dispatch | None:
    """The dispatch a signed webhook of the access point is news about, None for an event
    about something else. Its content is not trusted beyond the document id: the dispatch
    is then updated from the access point's own answer (`follow`), which also makes a
    repeated webhook harmless."""
    with scopes_disabled():
        return _dispatch_of_webhook(token, body, signature)


def _dispatch_of_webhook(token: str, body: bytes, signature: str) -> Dispatch | None:
    settings = AccessPointSettings.objects.filter(webhook_token=token).first()
    if settings is None or not access_point.signature_is_valid(
        settings.webhook_secret, body, signature
    ):
        raise WebhookRefused
    document_id = access_point.document_id_of(json.loads(body))
    if not document_id:
        return None
    return Dispatch.objects.filter(
        channel=Dispatch.PEPPOL,
        external_id=document_id,
        invoice__entity__account_id=settings.account_id,
    ).first()
