"""Per-lead invoices and currencies."""

from decimal import Decimal

from lxml import etree

from invoicing.amounts import format_amount, round_money
from invoicing.billing import finalize_invoice
from invoicing.documents import store_xml
from partners.models import Partner

from ..factories import make_draft, make_entity, make_final, make_partner


def test_a_per_lead_partner_gets_a_line_per_lead(entity):
    partner = make_partner(entity, line_items=Partner.PER_LEAD)
    draft = make_draft(entity, partner, leads=3, price="12.50")
    lines = list(draft.lines.all())
    assert [line.quantity for line in lines] == [1, 1, 1]
    assert all(line.lead_external_id and line.delivered_at for line in lines)
    assert draft.subtotal == Decimal("37.50")


def test_a_per_lead_xml_keeps_every_lead(entity):
    partner = make_partner(entity, line_items=Partner.PER_LEAD)
    invoice = make_final(entity, partner, leads=4)
    root = etree.fromstring(bytes(store_xml(invoice).content))
    names = root.xpath("//*[local-name()='SpecifiedTradeProduct']/*[local-name()='Name']/text()")
    leads = invoice.lines.values_list("lead_external_id", flat=True)
    assert len(names) == 4 and all(any(lead in name for name in names) for lead in leads)


def test_a_per_lead_pdf_summarises_and_lists_the_leads_in_an_annex(entity):
    import io

    from pypdf import PdfReader

    partner = make_partner(entity, line_items=Partner.PER_LEAD)
    invoice = make_final(entity, partner, leads=3)
    pdf = PdfReader(io.BytesIO(bytes(invoice.documents.get(kind="pdf").content)))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Annex: delivered leads" in text
    for lead in invoice.lines.values_list("lead_external_id", flat=True):
        assert lead in text


def test_yen_amounts_have_no_decimals(account):
    assert round_money(Decimal("1234.5"), "JPY") == Decimal("1235")
    assert format_amount(Decimal("1235"), "JPY") == "1235"
    assert format_amount(Decimal("12.5"), "EUR") == "12.50"


def test_a_yen_invoice_writes_amounts_without_decimals(account):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from invoicing.billing import generate_drafts
    from invoicing.models import Invoice

    from ..factories import deliver, make_assignment, make_profile

    seller = make_entity(account, name="JP", default_currency="JPY")
    partner = make_partner(seller)
    assignment = make_assignment(make_profile(seller, "1000.4", currency="JPY"), partner)
    deliver(assignment, 3, datetime(2026, 10, 15, 12, tzinfo=ZoneInfo("Europe/Berlin")))
    generate_drafts(seller, date(2026, 10, 1), date(2026, 10, 31))
    invoice = finalize_invoice(Invoice.objects.get(partner=partner))
    root = etree.fromstring(bytes(store_xml(invoice).content))
    total = root.xpath("//*[local-name()='GrandTotalAmount']/text()")
    assert total == ["3571"]  # 3001 net (3 × 1000.4 = 3001.2 → 3001) + 570 VAT
