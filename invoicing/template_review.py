"""Checking an Entity's invoice template before it is saved: on a sample invoice of every
kind, it must render, and the PDF it makes must show every legal mention as text a reader
sees (invoicing.visible_text), not only somewhere in its HTML: a mention hidden by CSS
(display:none, a tiny font, white on white, off the page, under a box) does not count."""

from itertools import product

from django.utils.translation import gettext as _

from entities.languages import LANGUAGE_CHOICES as LANGUAGES
from entities.models import Entity

from .document_text import in_language
from .documents import pdf_from_html
from .templating import (
    SAMPLE_CASES,
    TemplateProblem,
    check_mentions,
    invoice_data,
    missing_mentions,
    render,
    sample_invoice,
)
from .visible_text import UnreadablePdf, visible_text


def template_problems(source: str, entity: Entity) -> list[str]:
    """Why a template cannot be saved: its errors on any of the sample invoices, in every
    language a partner's documents can be written in (the mentions are words in each)."""
    problems = []
    for (case, case_label), (language, language_name) in product(SAMPLE_CASES, LANGUAGES):
        label = f"{case_label} ({language_name})"
        invoice, lines = sample_invoice(entity, case, language)
        try:
            with in_language(invoice):
                data = invoice_data(invoice, lines)
                html = render(source, data)
            # The problems in the operator's words, the mentions in the document's.
            check_mentions(html, data)
            missing = missing_mentions(visible_text(pdf_from_html(html)), data)
        except TemplateProblem as problem:
            problems.append(_("{label}: {problem}").format(label=label, problem=problem))
            continue
        except UnreadablePdf:
            problems.append(
                _("{label}: its PDF cannot be read back to check it.").format(label=label)
            )
            continue
        if missing:
            problems.append(
                _("{label}: the PDF does not show, readably, {missing}.").format(
                    label=label, missing="; ".join(map(str, missing))
                )
            )
    return problems
