"""The audit trail of invoices: who did what, when."""

import io

from entities import csv_export

from .models import Invoice, InvoiceEvent

SYSTEM = "system"


def actor_name(by) -> str:
    """`by` is a user, a description such as "API key 'router'", or None for the system."""
    if by is None:
        return SYSTEM
    if isinstance(by, str):
        return by
    return by.email


def record_event(invoice: Invoice, kind: str, by=None, detail: str = "") -> InvoiceEvent:
    return InvoiceEvent.objects.create(
        invoice=invoice,
        kind=kind,
        user=None if by is None or isinstance(by, str) else by,
        actor=actor_name(by),
        detail=detail[:500],
    )


def record_each_event(entries, kind: str, by=None) -> None:
    """One event per (invoice, detail) pair, in one statement."""
    InvoiceEvent.objects.bulk_create(
        InvoiceEvent(
            invoice=invoice,
            kind=kind,
            user=None if by is None or isinstance(by, str) else by,
            actor=actor_name(by),
            detail=detail[:500],
        )
        for invoice, detail in entries
    )


def record_events(invoices, kind: str, by=None, detail: str = "") -> None:
    InvoiceEvent.objects.bulk_create(
        InvoiceEvent(
            invoice=invoice,
            kind=kind,
            user=None if by is None or isinstance(by, str) else by,
            actor=actor_name(by),
            detail=detail[:500],
        )
        for invoice in invoices
    )


def events_csv(invoice: Invoice) -> str:
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(["invoice", "when (UTC)", "event", "who", "detail"])
    for event in invoice.events.all():
        writer.writerow(
            [str(invoice), event.at.strftime("%Y-%m-%d %H:%M:%S"), event.get_kind_display(),
             event.actor, event.detail]
        )  # fmt: skip
    return out.getvalue()
