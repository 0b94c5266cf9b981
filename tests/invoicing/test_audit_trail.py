"""Every state change, adjustment, download and payment of an invoice is an event."""

import csv
import io
from decimal import Decimal

from django.urls import reverse

from invoicing.billing import add_credit, finalize_invoice
from invoicing.corrections import void_invoice
from invoicing.payments import mark_paid

from ..factories import make_draft


def kinds(invoice) -> list[str]:
    return list(invoice.events.values_list("kind", flat=True))


def test_the_life_of_an_invoice_is_recorded_with_who_did_it(entity, owner):
    draft = make_draft(entity)
    add_credit(draft, "Disputed lead", 1, Decimal("1.00"), by=owner)
    invoice = finalize_invoice(draft, owner)
    mark_paid(invoice, invoice.issue_date, by=owner)
    assert kinds(invoice) == ["generated", "credit_added", "finalized", "marked_paid"]
    assert invoice.events.get(kind="finalized").actor == "owner@acme.test"
    assert invoice.events.get(kind="generated").actor == "system"


def test_a_download_is_recorded(owner_client, entity, owner):
    invoice = finalize_invoice(make_draft(entity))
    owner_client.get(reverse("invoicing:pdf", args=[invoice.pk]))
    event = invoice.events.get(kind="downloaded")
    assert (event.user, event.detail) == (owner, f"{invoice.number}.pdf")


def test_voiding_is_recorded_on_both_documents(entity, owner):
    invoice = finalize_invoice(make_draft(entity))
    credit_note = void_invoice(invoice, "Wrong partner", by=owner)
    assert "voided" in kinds(invoice)
    assert kinds(credit_note) == ["finalized", "marked_paid"]  # settled by the void itself


def test_the_history_is_shown_on_the_invoice_page(owner_client, entity):
    invoice = finalize_invoice(make_draft(entity))
    page = owner_client.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()
    assert "Finalized" in page and "History" in page


def test_the_history_exports_as_csv(owner_client, entity):
    invoice = finalize_invoice(make_draft(entity))
    response = owner_client.get(reverse("invoicing:events", args=[invoice.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["invoice", "when (UTC)", "event", "who", "detail"]
    assert [row[2] for row in rows[1:]] == ["Generated", "Finalized"]
