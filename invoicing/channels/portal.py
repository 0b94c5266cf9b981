"""Partner portal only: the finalized invoice is there for the partner to download, and
nothing is emailed."""

from django.utils.translation import gettext as _

from ..models import Dispatch, Invoice, InvoiceEvent, InvoicingError
from . import Channel, Outcome


class PortalChannel(Channel):
    code = Dispatch.PORTAL
    event_kind = InvoiceEvent.PORTAL
    resumable = True  # publishing twice is publishing once

    def recipient(self, invoice: Invoice) -> str:
        return _("partner portal")

    def check(self, invoice: Invoice) -> None:
        if not invoice.partner.portal_users.filter(is_active=True).exists():
            raise InvoicingError(
                _(
                    "{partner} receives its invoices in the partner portal only, but nobody "
                    "there can log in yet: invite someone on the partner's page."
                ).format(partner=invoice.partner)
            )

    def transmit(self, dispatch: Dispatch) -> Outcome:
        return Outcome(
            Dispatch.DELIVERED, "published in the partner portal", "in the partner portal"
        )
