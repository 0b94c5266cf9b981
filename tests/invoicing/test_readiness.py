"""Readiness before finalizing (issue 22): one page lists what would stop or spoil the
period's invoices, each with the link that fixes it; the invoice list shows the count."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse

from distribution.models import ReturnPolicy
from invoicing.billing import generate_drafts, local_today
from invoicing.documents import render_xml
from invoicing.forms import previous_month
from invoicing.models import BankEntry, Dispatch
from invoicing.readiness import as_final, blockers, schema_problem
from invoicing.returns import submit_returns
from partners.checks import refresh_invoicing_problems

from ..bank_files import Booking, camt053
from ..factories import (
    OCTOBER,
    deliver,
    make_assignment,
    make_draft,
    make_final,
    make_partner,
    make_profile,
)


def texts(entity) -> list[str]:
    return [b.text for b in blockers(entity, *OCTOBER)]


def test_a_ready_period_has_nothing_to_fix(entity, partner):
    make_final(entity, partner)
    assert texts(entity) == []


def test_drafts_left_are_listed(entity, partner):
    make_draft(entity, partner)
    assert "1 draft of the period is not finalized yet." in texts(entity)


def test_a_draft_that_cannot_be_finalized_says_why_and_links_the_fix(entity):
    partner = make_partner(entity, street="")
    draft = make_draft(entity, partner)
    [found] = [b for b in blockers(entity, *OCTOBER) if "street" in b.text]
    assert partner.name in found.text
    assert found.url == reverse("invoicing:detail", args=[draft.pk])


def test_an_xrechnung_draft_without_leitweg_id_is_listed(entity):
    partner = make_partner(entity, einvoice_format="xrechnung_cii", buyer_reference="")
    make_draft(entity, partner)
    assert any("Leitweg-ID" in text for text in texts(entity))


def test_a_drafts_e_invoice_is_checked_against_its_xsd(entity):
    partner = make_partner(entity, einvoice_format="peppol", peppol_scheme="9930",
                           peppol_id="DE111111125")  # fmt: skip
    draft = make_draft(entity, partner)
    xml = render_xml(as_final(draft))
    assert schema_problem(xml, draft) == ""
    assert not any("schema" in text for text in texts(entity))
    broken = xml.replace(b"<cbc:IssueDate>", b"<cbc:IssueDay>").replace(
        b"</cbc:IssueDate>", b"</cbc:IssueDay>"
    )
    assert "IssueDay" in schema_problem(broken, draft)


def test_a_failed_send_is_listed(entity, partner):
    invoice = make_final(entity, partner)
    Dispatch.objects.create(invoice=invoice, to="x@partner.test", status=Dispatch.FAILED)
    assert f"{invoice.number}: sending it failed." in texts(entity)


def test_unmatched_bank_credits_are_listed(entity):
    from invoicing.banking.statements import import_statement

    import_statement(entity, "s.xml", camt053(entity.iban, [Booking("9.00", text="?")]), "x")
    assert "1 bank credit is not matched to an invoice." in texts(entity)
    assert BankEntry.objects.count() == 1


def test_waiting_returns_are_listed(entity, partner):
    profile = make_profile(entity)
    ReturnPolicy.objects.create(profile=profile)
    [txn] = deliver(make_assignment(profile, partner), 1)
    submit_returns(partner, [txn.lead.external_id], "Duplicate", "", "portal")
    assert "1 lead return waits for your decision." in texts(entity)


def test_the_page_lists_them_with_their_links(finance_client, entity, partner):
    make_draft(entity, partner)
    page = finance_client.get(
        reverse("invoicing:readiness"), {"start": "2026-10-01", "end": "2026-10-31"}
    ).content.decode()
    assert "1 draft of the period is not finalized yet." in page and "Review the drafts" in page


def test_the_invoice_list_shows_the_count_for_last_month(finance_client, entity):
    start, end = previous_month(local_today(entity))
    partner = make_partner(entity, street="")
    refresh_invoicing_problems(partner)
    moment = datetime.combine(start + timedelta(days=9), time(12), ZoneInfo(entity.time_zone))
    deliver(make_assignment(make_profile(entity), partner), 1, moment)
    generate_drafts(entity, start, end)
    page = finance_client.get(reverse("invoicing:index")).content.decode()
    assert "1 to fix" in page
