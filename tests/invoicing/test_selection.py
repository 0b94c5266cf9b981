"""Drafts ticked in the invoice list are finalized together, and finalized invoices sent
together, each after a confirmation; one that cannot be is named, and the rest go on."""

from django.urls import reverse

from invoicing.models import Dispatch, Invoice

from ..factories import make_account, make_draft, make_entity, make_final, make_partner

SELECTED = reverse("invoicing:selected")


def test_the_list_offers_ticking_to_writers(owner_client, entity, partner):
    draft = make_draft(entity, partner)
    page = owner_client.get(reverse("invoicing:index")).content.decode()
    assert f'name="invoices" value="{draft.pk}" form="selection"' in page


def test_a_viewer_ticks_nothing(viewer_client, entity, partner):
    make_draft(entity, partner)
    page = viewer_client.get(reverse("invoicing:index")).content.decode()
    assert 'name="invoices"' not in page


def test_finalizing_the_ticked_drafts_asks_first(owner_client, entity):
    drafts = [make_draft(entity, make_partner(entity)) for _ in range(2)]
    page = owner_client.get(
        SELECTED, {"action": "finalize", "invoices": [d.pk for d in drafts]}
    ).content.decode()
    assert "Finalize 2 drafts?" in page
    assert not Invoice.objects.filter(status=Invoice.FINAL).exists()


def test_the_ticked_drafts_are_finalized(owner_client, entity):
    drafts = [make_draft(entity, make_partner(entity)) for _ in range(3)]
    response = owner_client.post(
        SELECTED, {"action": "finalize", "invoices": [d.pk for d in drafts]}, follow=True
    )
    assert "3 invoices finalized." in response.content.decode()
    assert Invoice.objects.filter(status=Invoice.FINAL).count() == 3


def test_a_draft_that_cannot_be_finalized_is_named_and_the_rest_go_on(owner_client, entity):
    good = make_draft(entity, make_partner(entity))
    bad = make_draft(entity, make_partner(entity, street=""))
    response = owner_client.post(
        SELECTED, {"action": "finalize", "invoices": [bad.pk, good.pk]}, follow=True
    )
    page = response.content.decode()
    assert "1 invoice finalized." in page and f"Draft invoice #{bad.pk}: Cannot finalize" in page
    good.refresh_from_db(), bad.refresh_from_db()
    assert (good.status, bad.status) == (Invoice.FINAL, Invoice.DRAFT)


def test_the_ticked_invoices_are_sent(
    smtp, owner_client, entity, django_capture_on_commit_callbacks
):
    invoices = [make_final(entity, make_partner(entity)) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(SELECTED, {"action": "send", "invoices": [i.pk for i in invoices]})
    assert len(smtp.inbox.messages) == 2
    assert Dispatch.objects.filter(status=Dispatch.SENT).count() == 2


def test_sending_the_ticked_lists_each_recipient_first(owner_client, entity, partner):
    invoice = make_final(entity, partner)
    page = owner_client.get(SELECTED, {"action": "send", "invoices": [invoice.pk]}).content
    assert f"{invoice.number} → Email: {partner.email}" in page.decode()


def test_drafts_ticked_for_sending_are_left_out(owner_client, entity, partner):
    draft = make_draft(entity, partner)
    page = owner_client.get(SELECTED, {"action": "send", "invoices": [draft.pk]}).content
    assert "Left out: 1 draft, finalize before sending." in page.decode()


def test_another_tenants_invoice_cannot_be_ticked(owner_client, entity):
    other = make_entity(make_account("Other"), name="Other", legal_name="Other GmbH")
    foreign = make_draft(other, make_partner(other))
    response = owner_client.post(
        SELECTED, {"action": "finalize", "invoices": [foreign.pk]}, follow=True
    )
    assert "not one of the available choices" in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.status == Invoice.DRAFT


def test_a_viewer_cannot_finalize_the_ticked(viewer_client, entity, partner):
    draft = make_draft(entity, partner)
    response = viewer_client.post(SELECTED, {"action": "finalize", "invoices": [draft.pk]})
    assert response.status_code == 403
