"""The list of the leads on an invoice, as CSV: attached to its e-invoice as a supporting
document (BG-24) and downloadable from the invoice page. One row per BilledLead."""

import io
from zoneinfo import ZoneInfo

from entities.csv_export import writer

from .models import Invoice

HEADER = ["lead_id", "delivered_at", "line", "unit_price", "currency"]


def lead_list_filename(invoice: Invoice) -> str:
    return f"leads-{invoice.number or f'draft-{invoice.pk}'}.csv"


def lead_list_csv(invoice: Invoice) -> bytes:
    """The invoice's listed leads, in delivery order; the times in the Entity's time zone."""
    tz = ZoneInfo(invoice.entity.time_zone)
    out = io.StringIO()
    rows = writer(out, lineterminator="\n")
    rows.writerow(HEADER)
    leads = invoice.billed_leads.order_by("delivered_at", "pk").values_list(
        "lead_external_id", "delivered_at", "line__description", "unit_price"
    )
    for lead_id, delivered_at, line, price in leads.iterator(5000):
        rows.writerow(
            [lead_id, delivered_at.astimezone(tz).isoformat(), line, price, invoice.currency]
        )
    return out.getvalue().encode()
