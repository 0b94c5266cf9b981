"""What invoicing tells the Entity's own systems through its webhooks: a document
finalized, an invoice paid in full or voided, returns decided. Each is published inside the
transaction that makes it true, and posted once it commits."""

from webhooks.events import publish

from .models import Invoice


def invoice_json(invoice: Invoice) -> dict:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "kind": invoice.kind,
        "self_billed": invoice.self_billed,
        "status": invoice.status,
        "partner": {"id": invoice.partner_id, "name": invoice.partner.legal_name},
        "currency": invoice.currency,
        "net": str(invoice.subtotal),
        "tax": str(invoice.tax_amount),
        "total": str(invoice.total),
        "amount_paid": str(invoice.amount_paid),
        "issue_date": _day(invoice.issue_date),
        "due_date": _day(invoice.due_date),
        "period": [_day(invoice.period_start), _day(invoice.period_end)],
        "payment_reference": invoice.payment_reference,
        "corrects": invoice.corrects.number if invoice.corrects_id else None,
    }


def finalized(invoice: Invoice) -> None:
    event = "credit_note.finalized" if invoice.is_credit_note else "invoice.finalized"
    publish(invoice.entity, event, invoice_json(invoice))


def paid(invoice: Invoice) -> None:
    if not invoice.is_credit_note:
        publish(invoice.entity, "invoice.paid", invoice_json(invoice))


def voided(invoice: Invoice, credit_note: Invoice) -> None:
    data = invoice_json(invoice) | {"credit_note": credit_note.number}
    publish(invoice.entity, "invoice.voided", data)


def returns_decided(entity, returns, status: str, note: str) -> None:
    publish(
        entity,
        "return.decided",
        {
            "status": status,
            "note": note,
            "returns": [
                {
                    "id": r.pk,
                    "lead": r.delivery.lead.external_id,
                    "partner": r.partner_id,
                    "delivery": r.delivery_id,
                    "reason": r.reason,
                }
                for r in returns
            ],
        },
    )


def _day(value):
    return value.isoformat() if value else None
