"""What the invoices that deliveries are on are called ("RE-2026-0007", "Draft invoice #23").

This app never reads invoices (they point at it, not the other way round), so the invoicing
app registers the function that names them when it starts (invoicing/apps.py). Without it,
pages fall back to the invoice's id."""

from collections.abc import Callable, Iterable

_label_invoices: Callable[[set[int]], dict[int, str]] | None = None


def register(function: Callable[[set[int]], dict[int, str]]) -> None:
    """`function` takes invoice ids and returns {id: label} for those of the current Entity."""
    global _label_invoices
    _label_invoices = function


def invoice_labels(invoice_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {invoice_id for invoice_id in invoice_ids if invoice_id}
    if not ids or _label_invoices is None:
        return {invoice_id: f"#{invoice_id}" for invoice_id in ids}
    return _label_invoices(ids)
