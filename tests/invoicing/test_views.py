import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pypdf import PdfReader

from distribution.models import DistributionTransaction
from invoicing.models import Invoice, InvoiceLine
from invoicing.payments import mark_overdue_invoices

from ..factories import (
    backdate,
    deliver,
    make_assignment,
    make_draft,
    make_final,
    make_partner,
    make_profile,
)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_operator_bills_a_month_end_to_end(client, owner, entity):
    partner = make_partner(
        entity,
        name="Solar Leads Munich",
        legal_name="Solar Leads München GmbH",
        street="Leopoldstraße 5",
        postcode="80802",
        city="München",
        vat_id="DE811193231",
    )
    assignment = make_assignment(make_profile(entity, "12.50", name="Solar DE"), partner, "15.00")
    deliver(assignment, 4, datetime(2026, 10, 7, 9, tzinfo=ZoneInfo("Europe/Berlin")))

    response = client.post(
        reverse("login"), {"username": "owner@acme.test", "password": "correct-horse-42"}
    )
    assert response.status_code == 302

    preview = client.get(reverse("invoicing:preview"), {"start": "2026-10-01", "end": "2026-10-31"})
    assert preview.status_code == 200
    assert "Solar Leads Munich" in preview.content.decode()
    assert "60.00" in preview.content.decode()

    response = client.post(
        reverse("invoicing:generate"), {"start": "2026-10-01", "end": "2026-10-31"}
    )
    assert response.status_code == 302
    draft = Invoice.objects.get()

    client.post(
        reverse("invoicing:add_credit", args=[draft.pk]),
        {"description": "Credit: disputed lead", "leads": 1, "unit_price": "15.00"},
    )
    response = client.post(reverse("invoicing:finalize", args=[draft.pk]))
    assert response.status_code == 302

    invoice = Invoice.objects.get()
    assert invoice.status == Invoice.FINAL
    assert str(invoice.subtotal) == "45.00"
    assert str(invoice.total) == "53.55"  # 45.00 + 19 % VAT 8.55

    response = client.get(reverse("invoicing:pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in [
        invoice.number,
        "Acme Leads GmbH",
        "Solar Leads München GmbH",
        "DE811193231",
        "DE136695976",
        "45.00",
        "8.55",
        "53.55",
        "Credit: disputed lead",
        "2026-10-01",
        "DE89 3704 0044 0532 0130 00",
    ]:
        assert expected in text, expected


def test_the_list_filters_by_status(owner_client, entity):
    draft = make_draft(entity)
    final = make_final(entity)
    response = owner_client.get(reverse("invoicing:index"), {"status": "draft"})
    assert f"Draft #{draft.pk}" in response.content.decode()
    assert final.number not in response.content.decode()
    response = owner_client.get(reverse("invoicing:index"), {"status": "open"})
    assert final.number in response.content.decode()


def test_the_list_shows_an_empty_state(owner_client, entity):
    response = owner_client.get(reverse("invoicing:index"))
    assert response.status_code == 200
    assert "No invoices yet" in response.content.decode()


def test_the_preview_defaults_to_the_previous_month(owner_client, entity):
    response = owner_client.get(reverse("invoicing:preview"))
    assert response.status_code == 200
    start = response.context["start"]
    assert start.day == 1 and response.context["end"] < date.today()


def test_the_preview_rejects_a_reversed_period(owner_client, entity):
    response = owner_client.get(
        reverse("invoicing:preview"), {"start": "2026-10-31", "end": "2026-10-01"}
    )
    assert "must start on or before" in response.content.decode()


def test_a_draft_shows_what_blocks_finalizing(owner_client, entity):
    draft = make_draft(entity)
    draft.partner.street = ""
    draft.partner.save()
    response = owner_client.get(reverse("invoicing:detail", args=[draft.pk]))
    assert "Fill in the street." in response.content.decode()


def test_finalize_refuses_with_a_message_and_changes_nothing(owner_client, entity):
    draft = make_draft(entity)
    draft.partner.street = ""
    draft.partner.save()
    response = owner_client.post(reverse("invoicing:finalize", args=[draft.pk]), follow=True)
    assert "Cannot finalize yet" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Invoice.DRAFT and draft.number == ""


def test_a_bad_credit_shows_field_errors(owner_client, entity):
    draft = make_draft(entity)
    response = owner_client.post(
        reverse("invoicing:add_credit", args=[draft.pk]),
        {"description": "", "leads": 0, "unit_price": "-1"},
    )
    assert response.status_code == 400
    assert not InvoiceLine.objects.filter(kind=InvoiceLine.CREDIT).exists()


def test_a_credit_larger_than_the_invoice_is_refused(owner_client, entity):
    draft = make_draft(entity, leads=1, price="10.00")
    response = owner_client.post(
        reverse("invoicing:add_credit", args=[draft.pk]),
        {"description": "Goodwill", "leads": 2, "unit_price": "10.00"},
        follow=True,
    )
    assert "cannot be negative" in response.content.decode()
    assert not InvoiceLine.objects.filter(kind=InvoiceLine.CREDIT).exists()


def test_deleting_a_draft_releases_its_deliveries(owner_client, entity):
    draft = make_draft(entity, leads=3)
    owner_client.post(reverse("invoicing:delete", args=[draft.pk]))
    assert not Invoice.objects.exists()
    assert DistributionTransaction.objects.filter(invoice_id__isnull=True).count() == 3


def test_marking_paid_and_unpaid(owner_client, entity):
    invoice = make_final(entity)
    owner_client.post(
        reverse("invoicing:mark_paid", args=[invoice.pk]), {"paid_on": invoice.issue_date}
    )
    invoice.refresh_from_db()
    assert invoice.paid_at == invoice.issue_date
    owner_client.post(reverse("invoicing:mark_unpaid", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.paid_at is None


def test_an_invoice_past_its_due_date_shows_overdue(owner_client, entity):
    invoice = backdate(make_final(entity), days=15)
    response = owner_client.get(reverse("invoicing:detail", args=[invoice.pk]))
    assert response.context["state"] == "overdue"


def test_the_overdue_filter_lists_what_the_daily_task_recorded(owner_client, entity):
    invoice = backdate(make_final(entity), days=15)
    mark_overdue_invoices(entity)
    response = owner_client.get(reverse("invoicing:index"), {"status": "overdue"})
    assert invoice.number in response.content.decode()


def test_cancelling_from_the_logs_takes_the_lead_off_its_draft(owner_client, entity):
    draft = make_draft(entity, leads=2, price="10.00")
    txn = DistributionTransaction.objects.filter(invoice_id=draft.pk).first()
    owner_client.post(reverse("invoicing:cancel_delivery", args=[txn.pk]), {"reason": "rejected"})
    txn.refresh_from_db()
    draft.refresh_from_db()
    assert txn.status == DistributionTransaction.CANCELLED and txn.invoice_id is None
    assert str(draft.subtotal) == "10.00"


def test_cancelling_a_lead_on_a_finalized_invoice_puts_it_on_a_credit_note(owner_client, entity):
    invoice = make_final(entity)
    txn = DistributionTransaction.objects.filter(invoice_id=invoice.pk).first()
    response = owner_client.post(
        reverse("invoicing:cancel_delivery", args=[txn.pk]), {"reason": "rejected"}, follow=True
    )
    assert "credit note draft" in response.content.decode()
    txn.refresh_from_db()
    assert txn.status == DistributionTransaction.CANCELLED
    assert Invoice.objects.get(pk=txn.credit_note_id).corrects == invoice


@pytest.mark.parametrize("name", ["invoicing:index", "invoicing:preview"])
def test_a_viewer_can_read(viewer_client, entity, name):
    assert viewer_client.get(reverse(name)).status_code == 200


def test_a_viewer_sees_no_write_buttons(viewer_client, entity):
    draft = make_draft(entity)
    page = viewer_client.get(reverse("invoicing:detail", args=[draft.pk])).content.decode()
    assert "Finalize invoice" not in page and "Delete draft" not in page
