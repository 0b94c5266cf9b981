"""An invoice in another currency than the seller's national one states its VAT in the
national currency too (Art. 230, 91(2) VAT Directive; § 14(4) no. 8, § 16(6) UStG)."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from entities.models import Entity
from invoicing.billing import enter_exchange_rate, finalize_invoice
from invoicing.corrections import void_invoice
from invoicing.documents import store_xml
from invoicing.exchange_rates import fetch_ecb_rates
from invoicing.models import ExchangeRate, InvoiceDocument, InvoicingError
from invoicing.national_currencies import national_currency
from invoicing.tasks import fetch_exchange_rates
from partners.models import Partner

from ..factories import deliver, make_assignment, make_draft, make_partner, make_profile
from .test_einvoice import CII, assert_cii_arithmetic

# October 2026 ends on a Saturday: the last rate before the supply date is Friday's.
OCTOBER_RATES = {
    "2026-10-29": {"USD": "1.1600", "PLN": "4.2500", "GBP": "0.8700"},
    "2026-10-30": {"USD": "1.1650", "PLN": "4.2600", "GBP": "0.8720"},
    "2026-11-02": {"USD": "1.1700", "PLN": "4.2700", "GBP": "0.8750"},
}


@pytest.fixture
def rates(db, ecb):
    ecb.rates = OCTOBER_RATES
    fetch_ecb_rates()
    return ecb


def usd_draft(entity, leads=10, price="10.00", **partner_fields):
    """A draft for October 2026 of leads sold in US dollars."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from invoicing.billing import generate_drafts
    from invoicing.models import Invoice

    partner = make_partner(entity, currency="USD", **partner_fields)
    assignment = make_assignment(make_profile(entity, price, currency="USD"), partner)
    deliver(assignment, leads, datetime(2026, 10, 15, 12, tzinfo=ZoneInfo("Europe/Berlin")))
    generate_drafts(entity, date(2026, 10, 1), date(2026, 10, 31))
    return Invoice.objects.get(partner=partner, status=Invoice.DRAFT)


def pdf_text(invoice) -> str:
    pdf = bytes(invoice.documents.get(kind=InvoiceDocument.PDF).content)
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    return " ".join(text.split())


# The ECB's rates


def test_the_ecbs_reference_rates_are_stored(db, ecb):
    ecb.rates = OCTOBER_RATES
    assert fetch_ecb_rates() == 9
    rate = ExchangeRate.objects.get(currency="USD", day=date(2026, 10, 30))
    assert rate.per_euro == Decimal("1.165000")


def test_fetching_again_stores_only_the_new_days(db, ecb):
    ecb.rates = dict(list(OCTOBER_RATES.items())[:2])
    fetch_ecb_rates()
    ecb.rates = OCTOBER_RATES
    assert fetch_ecb_rates() == 3


def test_the_daily_task_fetches_the_rates(db, ecb):
    ecb.rates = OCTOBER_RATES
    assert fetch_exchange_rates.apply().get() == 9
    assert ecb.requests == 1


def test_the_daily_task_is_scheduled_on_working_days(db, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["fetch-exchange-rates"]
    assert entry["task"] == "invoicing.tasks.fetch_exchange_rates"
    assert entry["schedule"].day_of_week == {1, 2, 3, 4, 5}


# National currencies


@pytest.mark.parametrize(
    "country, day, currency",
    [
        ("DE", date(2026, 10, 31), "EUR"),
        ("BG", date(2025, 12, 31), "BGN"),
        ("BG", date(2026, 1, 1), "EUR"),
        ("HR", date(2022, 12, 31), "HRK"),
        ("HR", date(2023, 1, 1), "EUR"),
        ("PL", date(2026, 10, 31), "PLN"),
        ("US", date(2026, 10, 31), None),
    ],
)
def test_the_national_currency_follows_the_date(country, day, currency):
    assert national_currency(country, day) == currency


# The conversion


def test_a_usd_invoice_of_a_german_seller_states_its_vat_in_euro(entity, rates):
    invoice = finalize_invoice(usd_draft(entity))
    assert (invoice.tax_amount, invoice.tax_currency) == (Decimal("19.00"), "EUR")
    # 19.00 USD at 1 USD = 1 / 1.1650 EUR, the ECB rate of Friday 2026-10-30
    assert invoice.exchange_rate == Decimal("0.85836910")
    assert invoice.exchange_rate_date == date(2026, 10, 30)
    assert invoice.tax_amount_in_tax_currency == Decimal("16.31")
    assert invoice.exchange_rate_source == "ECB reference rate of 2026-10-30"


def test_the_pdf_shows_the_vat_in_euro_with_the_rate_its_date_and_source(entity, rates):
    text = pdf_text(finalize_invoice(usd_draft(entity)))
    assert (
        "VAT in EUR: 16.31 EUR, at 1 USD = 0.8583691 EUR, ECB reference rate of 2026-10-30." in text
    )


def test_the_cii_carries_the_vat_accounting_currency_and_its_total(entity, rates):
    root = etree.fromstring(bytes(store_xml(finalize_invoice(usd_draft(entity))).content))
    settlement = "//ram:ApplicableHeaderTradeSettlement"
    assert root.xpath(f"{settlement}/ram:TaxCurrencyCode/text()", namespaces=CII) == ["EUR"]
    totals = root.xpath(f"{settlement}//ram:TaxTotalAmount", namespaces=CII)
    assert [(t.get("currencyID"), t.text) for t in totals] == [("USD", "19.00"), ("EUR", "16.31")]
    assert_cii_arithmetic(root)


def test_the_ubl_carries_the_vat_accounting_currency_and_its_total(entity, rates):
    invoice = finalize_invoice(
        usd_draft(
            entity,
            einvoice_format=Partner.EINVOICE_XRECHNUNG_UBL,
            buyer_reference="04011000-12345-03",
            email="ap@partner.test",
        )  # fmt: skip
    )
    root = etree.fromstring(bytes(store_xml(invoice).content))
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    assert root.xpath("cbc:TaxCurrencyCode/text()", namespaces=ns) == ["EUR"]
    amounts = root.xpath("*[local-name()='TaxTotal']/cbc:TaxAmount", namespaces=ns)
    assert [(a.get("currencyID"), a.text) for a in amounts] == [("USD", "19.00"), ("EUR", "16.31")]


def test_the_monthly_average_is_the_rule_when_chosen(entity, rates):
    entity.exchange_rate_rule = Entity.ECB_MONTHLY_AVERAGE
    entity.save()
    invoice = finalize_invoice(usd_draft(entity))
    # the average of 1.1600 and 1.1650 (November's rate is after the month)
    assert invoice.exchange_rate == Decimal("0.86021505")
    assert invoice.exchange_rate_source == (
        "average of the ECB reference rates of 2026-10 (to 2026-10-31)"
    )


def test_a_rate_entered_by_the_operator_wins(entity, rates, owner):
    draft = usd_draft(entity)
    enter_exchange_rate(draft, Decimal("0.85"), date(2026, 10, 31), by=owner)
    invoice = finalize_invoice(draft)
    assert (invoice.exchange_rate, invoice.tax_amount_in_tax_currency) == (
        Decimal("0.85"),
        Decimal("16.15"),
    )
    assert invoice.exchange_rate_source == f"rate of 2026-10-31 entered by {owner.email}"


def test_without_a_rate_the_invoice_waits(entity, ecb):
    draft = usd_draft(entity)
    with pytest.raises(InvoicingError, match="No ECB reference rate for USD in EUR"):
        finalize_invoice(draft)
    draft.refresh_from_db()
    assert draft.is_draft


def test_a_polish_seller_invoicing_in_euro_states_its_vat_in_zloty(account, rates):
    from ..factories import make_entity

    entity = make_entity(
        account, country="PL", vat_id="PL5260250995", postcode="00-001", city="Warszawa"
    )
    partner = make_partner(entity, country="PL", postcode="00-002", city="Warszawa")
    invoice = finalize_invoice(make_draft(entity, partner, 10, "10.00"))
    assert (invoice.tax_rate, invoice.tax_currency) == (Decimal("23.00"), "PLN")
    assert (invoice.exchange_rate, invoice.tax_amount_in_tax_currency) == (
        Decimal("4.260000"),
        Decimal("97.98"),
    )


def test_an_invoice_in_the_national_currency_converts_nothing(entity, ecb):
    invoice = finalize_invoice(make_draft(entity))
    assert (invoice.tax_currency, invoice.exchange_rate) == ("", None)


def test_a_reverse_charge_invoice_converts_nothing(entity, ecb):
    partner_fields = {"country": "AT", "postcode": "1010", "vat_id": "ATU13585627"}
    partner_fields |= {"vies_status": Partner.VIES_VALID}
    invoice = finalize_invoice(usd_draft(entity, **partner_fields))
    assert (invoice.tax_category, invoice.tax_currency) == ("AE", "")


def test_a_credit_note_keeps_the_rate_of_its_invoice(entity, rates):
    invoice = finalize_invoice(usd_draft(entity))
    ExchangeRate.objects.create(currency="USD", day=date(2026, 12, 1), per_euro=Decimal("2"))
    credit_note = void_invoice(invoice, "Wrong partner")
    assert (credit_note.exchange_rate, credit_note.tax_amount_in_tax_currency) == (
        invoice.exchange_rate,
        Decimal("16.31"),
    )


# The draft page


def test_the_draft_page_offers_to_enter_a_rate(owner_client, entity, ecb):
    draft = usd_draft(entity)
    page = owner_client.get(reverse("invoicing:detail", args=[draft.pk])).content.decode()
    assert "VAT in EUR" in page and "No ECB reference rate for USD in EUR" in page
    response = owner_client.post(
        reverse("invoicing:exchange_rate", args=[draft.pk]), {"rate": "0,86", "day": "2026-10-31"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.exchange_rate, draft.exchange_rate_date) == (Decimal("0.86"), date(2026, 10, 31))


def test_a_rate_needs_its_day(owner_client, entity, ecb):
    draft = usd_draft(entity)
    response = owner_client.post(reverse("invoicing:exchange_rate", args=[draft.pk]), {"rate": "1"})
    assert response.status_code == 400
    assert "Give the day of the rate." in response.content.decode()
