"""Documents of a finalized invoice. Each renderer is `render_x(invoice) -> (filename,
mimetype, bytes)` and prints the amounts stored on the invoice, never recomputing them."""

import hashlib
import re

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from weasyprint import HTML

from .models import Invoice, InvoiceDocument


def document_basename(invoice: Invoice) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", invoice.number or f"draft-{invoice.pk}")


def render_pdf(invoice: Invoice) -> tuple[str, str, bytes]:
    html = render_to_string(
        "invoicing/invoice_pdf.html",
        {
            "invoice": invoice,
            "seller": invoice.seller,
            "buyer": invoice.buyer,
            "lines": list(invoice.lines.all()),
        },
    )
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")
    return f"{document_basename(invoice)}.pdf", "application/pdf", pdf


def store_pdf(invoice: Invoice) -> InvoiceDocument:
    """Render the finalized invoice's PDF once and lock it with its SHA-256.

    Idempotent: an existing PDF is returned as it is, never rendered again.
    """
    if not invoice.is_final:
        raise ValueError("Only a finalized invoice has a locked PDF.")
    existing = InvoiceDocument.objects.filter(invoice=invoice, kind=InvoiceDocument.PDF).first()
    if existing:
        return existing
    filename, mimetype, content = render_pdf(invoice)
    try:
        with transaction.atomic():
            return InvoiceDocument.objects.create(
                invoice=invoice,
                kind=InvoiceDocument.PDF,
                filename=filename,
                mimetype=mimetype,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
            )
    except IntegrityError:  # rendered at the same moment by another worker: keep the first
        return InvoiceDocument.objects.get(invoice=invoice, kind=InvoiceDocument.PDF)
