"""Changes a partner makes in the portal to the details that decide its invoices' tax: they
wait for an operator's approval (models.ChangeRequest)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .checks import refresh_invoicing_problems
from .models import ChangeRequest, Partner
from .tasks import queue_vies_check


class ChangeError(Exception):
    """The change request cannot be decided; the message says why."""


def request_changes(partner: Partner, asked: dict, by: str) -> ChangeRequest | None:
    """Record the tax-relevant changes `asked` (field → value) for review; the partner keeps
    its approved details meanwhile. A pending request of the partner is replaced. Returns
    the request, or None when nothing differs from the approved details (any pending
    request is then withdrawn)."""
    changes = {
        name: value
        for name, value in asked.items()
        if name in ChangeRequest.TAX_FIELDS and value != getattr(partner, name)
    }
    with transaction.atomic():
        ChangeRequest.objects.filter(partner=partner, status=ChangeRequest.PENDING).update(
            status=ChangeRequest.REPLACED, decided_at=timezone.now(), decided_by=by
        )
        if not changes:
            return None
        return ChangeRequest.objects.create(
            partner=partner,
            changes=changes,
            previous={name: getattr(partner, name) for name in changes},
            requested_by=by,
        )


def pending_request(partner: Partner) -> ChangeRequest | None:
    return ChangeRequest.objects.filter(partner=partner, status=ChangeRequest.PENDING).first()


def approve_changes(change: ChangeRequest, by: str) -> Partner:
    """Apply the requested changes to the partner, check its details again (and its new VAT
    ID with VIES). Invoices finalized before keep the details they had."""
    with transaction.atomic():
        change = _lock_pending(change)
        partner = Partner.objects.select_for_update().get(pk=change.partner_id)
        for name, value in change.changes.items():
            setattr(partner, name, value)
        if "vat_id" in change.changes:
            partner.vies_status = Partner.VIES_UNCHECKED
            partner.vies_checked_at = None
            partner.vies_request_identifier = ""
            partner.vies_last_error = ""
        partner.save()
        refresh_invoicing_problems(partner)
        if "vat_id" in change.changes:
            queue_vies_check(partner)
        _decide(change, ChangeRequest.APPROVED, by)
    return partner


def reject_changes(change: ChangeRequest, by: str, note: str = "") -> None:
    """Keep the partner's details; the portal shows the note."""
    with transaction.atomic():
        _decide(_lock_pending(change), ChangeRequest.REJECTED, by, note.strip()[:500])


def _lock_pending(change: ChangeRequest) -> ChangeRequest:
    locked = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if locked.status != ChangeRequest.PENDING:
        raise ChangeError(_("This change was decided already, or replaced by a later one."))
    return locked


def _decide(change: ChangeRequest, status: str, by: str, note: str = "") -> None:
    change.status, change.decided_by, change.decided_at = status, by, timezone.now()
    change.note = note
    change.save(update_fields=["status", "decided_by", "decided_at", "note"])
