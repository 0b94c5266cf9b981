"""Checking an Entity's invoice template before it is saved: on a sample invoice of every
kind, it must render, and the PDF it makes must show every legal mention as text a reader
sees (invoicing.visible_text), not only somewhere in its HTML: a mention hidden by CSS
(display:none, a tiny font, white on white, off the page, under a box) does not count."""

from entities.models import Entity

from .documents import pdf_from_html
from .templating import (
    SAMPLE_CASES,
    TemplateProblem,
    invoice_data,
    missing_mentions,
    render_checked,
    sample_invoice,
)
from .visible_text import UnreadablePdf, visible_text


def template_problems(source: str, entity: Entity) -> list[str]:
    """Why a template cannot be saved: its errors on any of the sample invoices."""
    problems = []
    for case, label in SAMPLE_CASES:
        invoice, lines = sample_invoice(entity, case)
        data = invoice_data(invoice, lines)
        try:
            html = render_checked(source, data)
            missing = missing_mentions(visible_text(pdf_from_html(html)), data)
        except TemplateProblem as problem:
            problems.append(f"{label}: {problem}")
            continue
        except UnreadablePdf:
            problems.append(f"{label}: its PDF cannot be read back to check it.")
            continue
        if missing:
            problems.append(
                f"{label}: the PDF does not show, readably, " + "; ".join(missing) + "."
            )
    return problems
