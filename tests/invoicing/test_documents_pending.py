"""No invoice without its locked documents: one finalized without them (the process died
after the commit, or rendering failed) cannot be downloaded, sent or seen in the portal,
says "documents pending", and gets them from the sweep with the template of its day."""

import pytest
from django.test import Client
from django.urls import reverse

from entities.models import ApiKey, Entity
from invoicing.billing import _finalize, finalize_invoice
from invoicing.channels import queue_sending
from invoicing.documents import documents_pending, render_missing_documents
from invoicing.models import InvoiceDocument, InvoicingError

from ..factories import make_draft
from ..portal.test_portal import make_portal_user, portal_client
from .test_invoice_template import MINIMAL, pdf_text


@pytest.fixture
def undocumented(entity, partner):
    """A finalized invoice whose process died between the commit and rendering its PDF."""
    return _finalize(make_draft(entity, partner))


def test_an_invoice_without_its_pdf_is_pending(undocumented):
    assert documents_pending(undocumented)


def test_it_cannot_be_sent(smtp, undocumented):
    with pytest.raises(InvoicingError, match="documents are still being rendered"):
        queue_sending(undocumented)


def test_it_cannot_be_downloaded_and_its_page_says_why(owner_client, undocumented):
    response = owner_client.get(reverse("invoicing:pdf", args=[undocumented.pk]), follow=True)
    page = response.content.decode()
    assert "Documents pending" in page and "not rendered yet" in page
    assert "Render documents now" in page
    assert not InvoiceDocument.objects.filter(invoice=undocumented).exists()


def test_it_is_not_in_the_portal(entity, partner, undocumented):
    client = portal_client(make_portal_user(partner))
    assert undocumented.number not in client.get(reverse("portal:invoices")).content.decode()
    pdf = reverse("portal:invoice_pdf", args=[undocumented.pk])
    assert client.get(pdf).status_code == 404


def test_the_api_says_it_is_pending(entity, undocumented):
    key = ApiKey.issue(entity, "router")[1]
    url = f"/api/v1/invoices/{undocumented.pk}/pdf"
    response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 409
    assert "still being rendered" in response.json()["error"]


def test_the_sweep_renders_what_is_missing_once(undocumented, settings):
    settings.DOCUMENTS_RETRY_AFTER_SECONDS = 0
    assert render_missing_documents() == 1
    assert not documents_pending(undocumented)
    assert render_missing_documents() == 0
    assert InvoiceDocument.objects.filter(invoice=undocumented).count() == 2  # Factur-X: + XML


def test_the_sweep_leaves_invoices_finalized_a_moment_ago(undocumented):
    assert render_missing_documents() == 0


def test_the_retry_renders_them_now(finance_client, undocumented):
    finance_client.post(reverse("invoicing:render_documents", args=[undocumented.pk]))
    assert not documents_pending(undocumented)


def test_documents_rendered_later_use_the_template_of_the_day(entity, partner, settings):
    entity.invoice_template = MINIMAL.replace("<h1>", "<h1>Template of the day ")
    entity.save()
    invoice = _finalize(make_draft(entity, partner))
    entity.invoice_template = MINIMAL.replace("<h1>", "<h1>Template of later ")
    entity.save()
    settings.DOCUMENTS_RETRY_AFTER_SECONDS = 0
    render_missing_documents()
    text = pdf_text(invoice)
    assert "Template of the day" in text and "Template of later" not in text


def test_a_finalize_whose_rendering_fails_says_so(finance_client, entity, partner):
    # A control character, which XML cannot carry, in the seller's name.
    Entity.objects.filter(pk=entity.pk).update(legal_name="Acme\x01 Leads GmbH")
    draft = make_draft(entity, partner)
    response = finance_client.post(reverse("invoicing:finalize", args=[draft.pk]), follow=True)
    page = response.content.decode()
    assert "is finalized, but rendering its PDF failed" in page
    draft.refresh_from_db()
    assert draft.is_final and documents_pending(draft)


def test_finalizing_still_locks_the_documents_at_once(entity, partner):
    assert not documents_pending(finalize_invoice(make_draft(entity, partner)))


def test_a_run_waiting_for_documents_finishes_once_the_sweep_has_them(entity, partner, settings):
    from invoicing import runs
    from invoicing.models import BillingRun
    from invoicing.tasks import render_missing_documents_task

    settings.DOCUMENTS_RETRY_AFTER_SECONDS = 0
    invoice = _finalize(make_draft(entity, partner))
    run = BillingRun.objects.create(
        entity=entity, period_start=invoice.period_start, period_end=invoice.period_end,
        mode="finalize", status=BillingRun.RUNNING, invoice_ids=[invoice.pk],
    )  # fmt: skip
    assert runs.progress(run)["done"] == 0
    render_missing_documents_task()
    run.refresh_from_db()
    assert run.status == BillingRun.DONE
