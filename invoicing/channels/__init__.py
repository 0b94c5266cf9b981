"""How a finalized invoice reaches its partner: by email, in the partner portal, or over
Peppol through the Account's access point. Each way is one `Channel` class; the partner's
"delivery" setting picks it (`channel_for`).

`queue_sending()` records a Dispatch and hands it to Celery (`tasks.send_dispatch`), which
calls `deliver()`: temporary trouble is retried with backoff, a refusal is recorded as a
failure with the other side's answer. An invoice is never sent twice by accident: one
dispatch per invoice can be in flight, a sent invoice is sent again only on explicit
request, and a channel that can ask the other side (Peppol) resumes an interrupted attempt
instead of repeating it.

Adding a channel (a French accredited platform, say) is one subclass of `Channel` in this
package and one entry in `channels()`; its statuses map onto Dispatch's (the French
platforms' lifecycle is in `lifecycle`, docs/delivery.md).
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from entities import mail
from entities.models import Entity
from partners.models import Partner

from ..documents import documents_pending
from ..events import record_event
from ..models import Dispatch, Invoice, InvoicingError

logger = logging.getLogger(__name__)


class TemporaryError(Exception):
    """The other side cannot take it now (a timeout, a busy server): try again later."""


class PermanentError(Exception):
    """The other side refused it, in words for the operator: not retried."""


class Rejected(PermanentError):
    """The partner's side (its access point, the network) refused the document."""


class NotReachable(PermanentError):
    """The partner cannot receive this document on the channel (not on Peppol, say)."""


@dataclass
class Outcome:
    status: str  # Dispatch.SENT or Dispatch.DELIVERED
    answer: str
    event_detail: str


class Channel:
    """One way to hand a finalized invoice to its partner."""

    code = ""
    event_kind = ""
    # Whether an attempt interrupted half-way may simply be run again: the channel finds out
    # itself whether the first attempt went out (Peppol asks its access point). Email cannot.
    resumable = False

    def recipient(self, invoice: Invoice) -> str:
        """The address it goes to, "" when the partner has none on this channel."""
        raise NotImplementedError

    def check(self, invoice: Invoice) -> None:
        """Raise InvoicingError (or mail.MailNotConfigured) when the invoice cannot go out
        this way now, before anything is queued."""

    def transmit(self, dispatch: Dispatch) -> Outcome:
        """Hand the document over. Raises TemporaryError or PermanentError."""
        raise NotImplementedError

    def follow(self, dispatch: Dispatch) -> None:
        """Update a sent dispatch from the other side's news (Peppol's delivery)."""


def channels() -> dict[str, Channel]:
    from .email import EmailChannel
    from .peppol import PeppolChannel
    from .portal import PortalChannel

    return {channel.code: channel for channel in (EmailChannel(), PortalChannel(), PeppolChannel())}


def channel_for(invoice: Invoice) -> Channel:
    """The channel the partner's delivery setting asks for. Automatic is Peppol for a Peppol
    e-invoice when the Account has an access point and the partner a Peppol ID (whether the
    partner is reachable there is asked when it is sent), email otherwise."""
    from .peppol import can_use_peppol

    by_code = channels()
    delivery = invoice.partner.delivery
    if delivery == Partner.DELIVERY_AUTOMATIC:
        return by_code[Dispatch.PEPPOL if can_use_peppol(invoice) else Dispatch.EMAIL]
    return by_code[delivery]


def channel_of(dispatch: Dispatch) -> Channel:
    return channels()[dispatch.channel]


def recipient(invoice: Invoice) -> str:
    return channel_for(invoice).recipient(invoice)


def queue_sending(invoice: Invoice, by=None, again: bool = False) -> Dispatch:
    """Record that the invoice is to be sent to its partner, and queue it."""
    from ..tasks import send_dispatch

    if not invoice.is_final or invoice.is_void:
        raise InvoicingError(_("Only a finalized, valid invoice can be sent."))
    if documents_pending(invoice):
        raise InvoicingError(
            _("{invoice} cannot be sent yet: its documents are still being rendered.").format(
                invoice=invoice
            )
        )
    channel = channel_for(invoice)
    channel.check(invoice)
    already_sent = invoice.dispatches.filter(status__in=Dispatch.GONE_OUT).exists()
    if already_sent and not again:
        raise InvoicingError(
            _("{invoice} was already sent. Use “Send again” to resend it.").format(invoice=invoice)
        )
    try:
        with transaction.atomic():
            dispatch = Dispatch.objects.create(
                invoice=invoice,
                channel=channel.code,
                to=channel.recipient(invoice),
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
        .exclude(dispatches__status__in=[*Dispatch.GONE_OUT, Dispatch.QUEUED, Dispatch.SENDING])
        .distinct()
    )


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


def deliver(dispatch_id: int) -> Dispatch:
    """Send one dispatch now. Raises TemporaryError for the caller to retry; a permanent
    refusal is recorded as Failed (Rejected when the partner's side refused it)."""
    with transaction.atomic():
        dispatch = (
            Dispatch.objects.select_for_update()
            .select_related("invoice__entity__account", "invoice__partner")
            .get(pk=dispatch_id)
        )
        if dispatch.status not in (Dispatch.QUEUED, Dispatch.SENDING):
            return dispatch  # sent or given up already: never twice
        channel = channel_of(dispatch)
        if dispatch.status == Dispatch.SENDING and not channel.resumable:
            interrupted = True  # an attempt began and never ended: it may have gone out
        else:
            interrupted = False
            dispatch.status = Dispatch.SENDING
            dispatch.attempts += 1
            dispatch.last_attempt_at = timezone.now()
            dispatch.save(update_fields=["status", "attempts", "last_attempt_at"])
    if interrupted:
        fail(dispatch.pk, INTERRUPTED)
        dispatch.refresh_from_db()
        return dispatch
    try:
        outcome = channel.transmit(dispatch)
    except NotReachable as error:
        if dispatch.invoice.partner.delivery == Partner.DELIVERY_AUTOMATIC:
            return _switch_to_email(dispatch, str(error))
        fail(dispatch.pk, str(error))
    except TemporaryError as error:
        # Waiting for the task's retry: queued again, not "sending".
        Dispatch.objects.filter(pk=dispatch.pk).update(
            status=Dispatch.QUEUED, answer=str(error)[:500]
        )
        raise
    except Rejected as error:
        fail(dispatch.pk, str(error), Dispatch.REJECTED)
    except PermanentError as error:
        fail(dispatch.pk, str(error))
    except Exception:  # never a 500, never stuck in sending; the others of a batch go on
        logger.exception("Dispatch %s: sending failed unexpectedly", dispatch.pk)
        fail(dispatch.pk, UNEXPECTED)
    else:
        record_outcome(dispatch, outcome)
    dispatch.refresh_from_db()
    return dispatch


def record_outcome(dispatch: Dispatch, outcome: Outcome) -> None:
    """The outcome and its audit event, together or not at all."""
    now = timezone.now()
    with transaction.atomic():
        Dispatch.objects.filter(pk=dispatch.pk).update(
            status=outcome.status,
            answer=outcome.answer[:500],
            sent_at=now,
            delivered_at=now if outcome.status == Dispatch.DELIVERED else None,
        )
        record_event(
            dispatch.invoice,
            channel_of(dispatch).event_kind,
            dispatch.requested_by,
            outcome.event_detail[:500],
        )


def _switch_to_email(dispatch: Dispatch, why: str) -> Dispatch:
    """Automatic delivery: the partner is not on Peppol for this document, so it is emailed."""
    from .email import EmailChannel

    email = EmailChannel()
    to = email.recipient(dispatch.invoice)
    if not to:
        fail(dispatch.pk, _("{why}, and it has no billing email").format(why=why))
        dispatch.refresh_from_db()
        return dispatch
    Dispatch.objects.filter(pk=dispatch.pk).update(
        channel=Dispatch.EMAIL, to=to, status=Dispatch.QUEUED, answer=why[:500]
    )
    return deliver(dispatch.pk)


def fail(dispatch_id: int, answer: str, status: str = Dispatch.FAILED) -> None:
    """Record that it did not reach the partner, with its audit event in the same
    transaction."""
    with transaction.atomic():
        Dispatch.objects.filter(pk=dispatch_id).update(status=status, answer=answer[:500])
        dispatch = Dispatch.objects.select_related("invoice").get(pk=dispatch_id)
        label = "rejected" if status == Dispatch.REJECTED else "failed"
        record_event(
            dispatch.invoice,
            channel_of(dispatch).event_kind,
            None,
            f"{label}: {answer}"[:500],
        )


INTERRUPTED = (
    "the sending was interrupted (the worker stopped) and may or may not have reached the "
    "partner; check with them, then use Send again"
)
UNEXPECTED = (
    "it could not be sent because of an unexpected error (it is logged); try Send again, and "
    "if it fails again, check the settings of this way of sending"
)


def sweep_stuck_dispatches() -> tuple[int, int]:
    """Every few minutes: a dispatch left "sending" longer than DISPATCH_STUCK_SECONDS by a
    worker that died is failed if its channel cannot tell whether it went out (email: it may
    have, so it is never sent again by itself) and queued again if it can (Peppol); one
    still "queued" whose task was lost is queued again. Returns (failed, queued)."""
    from ..tasks import send_dispatch

    now = timezone.now()
    stuck = timedelta(seconds=settings.DISPATCH_STUCK_SECONDS)
    interrupted = Dispatch.objects.filter(status=Dispatch.SENDING, last_attempt_at__lt=now - stuck)
    resumable = [code for code, channel in channels().items() if channel.resumable]
    failed = list(interrupted.exclude(channel__in=resumable).values_list("pk", flat=True))
    for dispatch_id in failed:
        fail(dispatch_id, INTERRUPTED)
    # A retry waits at most SEND_RETRY_SECONDS × 16 after its last attempt.
    retry_window = stuck + timedelta(seconds=settings.SEND_RETRY_SECONDS * 16)
    lost = list(
        Dispatch.objects.filter(
            Q(status=Dispatch.QUEUED, attempts=0, created_at__lt=now - stuck)
            | Q(status=Dispatch.QUEUED, attempts__gt=0, last_attempt_at__lt=now - retry_window)
            | Q(status=Dispatch.SENDING, channel__in=resumable, last_attempt_at__lt=now - stuck)
        ).values_list("pk", flat=True)
    )
    for dispatch_id in lost:
        send_dispatch.delay(dispatch_id)
    return len(failed), len(lost)


def follow_sent_dispatches(max_age_days: int = 14) -> int:
    """Ask the other side about each dispatch still on its way (Peppol: sent to the access
    point, not yet delivered). Returns how many were asked."""
    since = timezone.now() - timedelta(days=max_age_days)
    asked = 0
    for dispatch in Dispatch.objects.filter(
        status=Dispatch.SENT, channel=Dispatch.PEPPOL, sent_at__gte=since
    ).select_related("invoice__entity__account"):
        try:
            channel_of(dispatch).follow(dispatch)
        except TemporaryError as error:
            logger.info("Dispatch %s: no news from the access point (%s)", dispatch.pk, error)
        asked += 1
    return asked
