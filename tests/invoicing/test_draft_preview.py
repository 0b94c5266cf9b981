"""A draft's PDF can be looked at before finalizing: as it would be issued today, marked
DRAFT, without a number, and nothing about the draft changes."""

from django.urls import reverse

from invoicing.models import Invoice, InvoiceDocument, NumberSequence

from ..factories import make_draft, make_final
from .test_views import pdf_text


def test_the_preview_shows_the_draft_as_it_would_be_issued(owner_client, entity, partner):
    draft = make_draft(entity, partner, leads=3)
    response = owner_client.get(reverse("invoicing:draft_pdf", args=[draft.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert partner.legal_name in text and entity.legal_name in text
    assert "30.00" in text


def test_the_preview_is_marked_draft(owner_client, entity, partner):
    draft = make_draft(entity, partner)
    text = pdf_text(owner_client.get(reverse("invoicing:draft_pdf", args=[draft.pk])).content)
    assert "DRAFT" in text


def test_the_preview_takes_no_number_and_keeps_nothing(owner_client, entity, partner):
    draft = make_draft(entity, partner)
    owner_client.get(reverse("invoicing:draft_pdf", args=[draft.pk]))
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.seller) == (Invoice.DRAFT, "", {})
    assert not NumberSequence.objects.exists()
    assert not InvoiceDocument.objects.filter(invoice=draft).exists()


def test_a_viewer_may_preview_a_draft(viewer_client, entity, partner):
    draft = make_draft(entity, partner)
    response = viewer_client.get(reverse("invoicing:draft_pdf", args=[draft.pk]))
    assert response.status_code == 200


def test_a_finalized_invoice_has_its_locked_pdf_instead(owner_client, entity, partner):
    invoice = make_final(entity, partner)
    response = owner_client.get(reverse("invoicing:draft_pdf", args=[invoice.pk]))
    assert response.url == reverse("invoicing:pdf", args=[invoice.pk])


def test_the_draft_page_links_the_preview(owner_client, entity, partner):
    draft = make_draft(entity, partner)
    page = owner_client.get(reverse("invoicing:detail", args=[draft.pk])).content.decode()
    assert reverse("invoicing:draft_pdf", args=[draft.pk]) in page
