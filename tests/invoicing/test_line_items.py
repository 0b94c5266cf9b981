"""Per-lead invoices and currencies."""

from decimal import Decimal

from lxml import etree

from invoicing.amounts import format_amount, round_money
from invoicing.billing import finalize_invoice
from invoicing.documents import store_xml
from partners.models import Partner

from ..factories import make_draft, make_entity, make_final, make_partner


def test_a_per_lead_partner_gets_a_line_per_price_and_its_leads_listed(entity):
    partner = make_partner(entity, line_items=Partner.PER_LEAD)
    draft = make_draft(entity, partner, leads=3, price="12.50")
    assert [(line.quantity, line.net_amount) for line in draft.lines.all()] == [
        (3, Decimal("37.50"))
    ]
    listed = list(draft.billed_leads.all())
    assert len(listed) == 3 and all(lead.lead_external_id and lead.delivered_at for lead in listed)


def test_line_granularity_never_changes_the_amount(entity):
    per_assignment = make_draft(entity, make_partner(entity), leads=1000, price="0.3333")
    per_lead = make_draft(
        entity, make_partner(entity, line_items=Partner.PER_LEAD), leads=1000, price="0.3333"
    )
    assert per_lead.subtotal == per_assignment.subtotal == Decimal("333.30")


def test_a_per_lead_xml_attaches_the_leads_as_a_csv(entity):
    import base64

    partner = make_partner(entity, line_items=Partner.PER_LEAD)
    invoice = make_final(entity, partner, leads=4)
    root = etree.fromstring(bytes(store_xml(invoice).content))
    [attached] = root.xpath("//*[local-name()='AttachmentBinaryObject']")
    assert attached.get("mimeCode") == "text/csv"
    rows = base64.b64decode(attached.text).decode().splitlines()
    leads = invoice.billed_leads.values_list("lead_external_id", flat=True)
    assert rows[0] == "lead_id,delivered_at,line,unit_price,currency"
    assert [row.split(",")[0] for row in rows[1:]] == list(leads)


def test_a_per_lead_ubl_attaches_the_leads_as_a_csv(entity):
    partner = make_partner(
        entity, line_items=Partner.PER_LEAD, einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL,
        buyer_reference="04011000-12345-03",
    )  # fmt: skip
    root = etree.fromstring(bytes(store_xml(make_final(entity, partner, leads=2)).content))
    [attached] = root.xpath("//*[local-name()='EmbeddedDocumentBinaryObject']")
    assert attached.get("mimeCode") == "text/csv"


def test_a_per_lead_pdf_lists_the_leads_in_an_annex(entity):
    import io

    from pypdf import PdfReader

    partner = make_partner(entity, line_items=Partner.PER_LEAD)
    invoice = make_final(entity, partner, leads=3)
    pdf = PdfReader(io.BytesIO(bytes(invoice.documents.get(kind="pdf").content)))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Annex: delivered leads" in text
    for lead in invoice.billed_leads.values_list("lead_external_id", flat=True):
        assert lead in text


def test_yen_amounts_have_no_decimals(account):
    assert round_money(Decimal("1234.5"), "JPY") == Decimal("1235")
    assert format_amount(Decimal("1235"), "JPY") == "1235"
    assert format_amount(Decimal("12.5"), "EUR") == "12.50"


def test_a_yen_invoice_writes_amounts_without_decimals(account):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from invoicing.billing import generate_drafts
    from invoicing.models import ExchangeRate, Invoice

    from ..factories import deliver, make_assignment, make_profile

    # A German seller invoicing in yen states its VAT in euro too, at the ECB's rate.
    ExchangeRate.objects.create(currency="JPY", day=date(2026, 10, 30), per_euro=Decimal("172"))
    seller = make_entity(account, name="JP", default_currency="JPY")
    partner = make_partner(seller)
    assignment = make_assignment(make_profile(seller, "1000.4", currency="JPY"), partner)
    deliver(assignment, 3, datetime(2026, 10, 15, 12, tzinfo=ZoneInfo("Europe/Berlin")))
    generate_drafts(seller, date(2026, 10, 1), date(2026, 10, 31))
    invoice = finalize_invoice(Invoice.objects.get(partner=partner))
    root = etree.fromstring(bytes(store_xml(invoice).content))
    total = root.xpath("//*[local-name()='GrandTotalAmount']/text()")
    assert total == ["3571"]  # 3001 net (3 × 1000.4 = 3001.2 → 3001) + 570 VAT


def test_the_invoice_page_offers_the_listed_leads_as_csv(owner_client, entity):
    from django.urls import reverse

    partner = make_partner(entity, line_items=Partner.PER_LEAD)
    invoice = make_final(entity, partner, leads=2)
    page = owner_client.get(reverse("invoicing:detail", args=[invoice.pk])).content.decode()
    assert reverse("invoicing:lead_list", args=[invoice.pk]) in page
    csv = owner_client.get(reverse("invoicing:lead_list", args=[invoice.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    assert len(csv.content.decode().splitlines()) == 3


def test_an_invoice_with_lines_per_assignment_has_no_lead_list(owner_client, entity):
    from django.urls import reverse

    invoice = make_final(entity)
    assert owner_client.get(reverse("invoicing:lead_list", args=[invoice.pk])).status_code == 404
