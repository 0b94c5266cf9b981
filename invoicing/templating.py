"""The invoice PDF's HTML, from a Liquid template each Entity may edit.

Operators edit their own template (as FirstPromoter's customers do), so it runs sandboxed:

- Liquid sees only `invoice_data()`: plain dicts and strings of the one invoice, never a
  model, the settings or another tenant. There is no template loader (no include or render
  of files), undefined names are errors, and loops and output are bounded.
- Output is HTML-escaped unless a template asks otherwise.
- WeasyPrint fetches no file and no URL for it: only inline `data:` resources (see
  `pdf_url_fetcher`).
- Legal mentions (number, parties, VAT IDs, reverse charge, self-billing, the tax note) are
  checked in the rendered text. A custom template that drops one is refused when saved
  (template_review checks them on the PDF, as a reader sees it), and should it still miss
  one on a real invoice, that invoice is rendered with the default template instead.
- Rendering is bounded in time, range sizes, filter results and output (sandbox).
"""

import hashlib
import logging
import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from liquid import DictLoader, StrictUndefined
from liquid.exceptions import LiquidError, TemplateNotFoundError
from weasyprint.urls import URLFetcher

from entities.addresses import city_lines
from entities.languages import (
    DEFAULT_LANGUAGE,
    country_name,
    currency_sign,
    format_date,
    format_number,
)
from entities.models import Entity, vat_country
from entities.number_patterns import format_document_number
from entities.numbers import iban
from partners.models import Partner

from .amounts import invoice_totals, line_net_amount
from .banking import epc_qr, payment_reference, printed_reference
from .document_text import (
    corrects,
    exchange_rate_notice,
    in_language,
    labels,
    legal_mentions,
    line_description,
    national_invoice_mentions,
    payment_text,
    self_billing_statement,
)
from .models import Invoice, InvoiceLine, TemplateVersion
from .sandbox import BoundedEnvironment
from .small_business import small_business_note
from .taxes import (
    EXEMPT,
    NOT_SUBJECT,
    NOT_SUBJECT_CODE,
    OUTSIDE_EU_NOTE,
    PRIVATE_SUPPLIER_NOTE,
    REVERSE_CHARGE,
    REVERSE_CHARGE_NOTE,
    SELF_BILLING_REVERSE_CHARGE_NOTE,
    STANDARD,
    ZERO,
)
from .templatetags.money import money, unit_price
from .vat_rates import standard_rate

logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE_PATH = Path(settings.BASE_DIR) / "templates" / "invoicing" / "invoice.liquid"


ENVIRONMENT = BoundedEnvironment(autoescape=True, undefined=StrictUndefined, loader=DictLoader({}))


class TemplateProblem(Exception):
    """A template that does not parse, fails to render, or drops a legal mention."""


@lru_cache(maxsize=1)
def default_template() -> str:
    return DEFAULT_TEMPLATE_PATH.read_text()


def template_version(entity: Entity) -> TemplateVersion:
    """The Entity's template as it is now (its own, or the default), stored once per text:
    finalize records it on the invoice."""
    source = entity.invoice_template if entity.invoice_template.strip() else default_template()
    digest = hashlib.sha256(source.encode()).hexdigest()
    version, _created = TemplateVersion.objects.get_or_create(
        entity=entity, sha256=digest, defaults={"source": source}
    )
    return version


def render_invoice_html(invoice: Invoice, lines=None) -> str:
    """The HTML of the invoice's PDF, from the template version it was finalized with (a
    draft or a sample: the Entity's template now, or the default). A custom template that
    fails on this invoice, or leaves out one of its legal mentions, gives way to the
    default template, which prints them all."""
    with in_language(invoice):
        return _render_invoice_html(invoice, invoice_data(invoice, lines))


def _render_invoice_html(invoice: Invoice, data: dict) -> str:
    if invoice.template_version_id:
        source = invoice.template_version.source
    else:
        source = invoice.entity.invoice_template
    if source.strip() and source != default_template():
        try:
            return render_checked(source, data)
        except TemplateProblem as problem:
            logger.error(
                "Invoice %s: the Entity's template failed (%s); the default template is used.",
                invoice.pk,
                problem,
            )
    return render(default_template(), data)


@lru_cache(maxsize=64)
def parse(source: str):
    """A parsed template, kept per process: a billing run renders the same one a thousand
    times."""
    return ENVIRONMENT.from_string(source)


def render(source: str, data: dict) -> str:
    """The template's HTML for the invoice data; raises TemplateProblem, whatever went
    wrong in it."""
    try:
        return parse(source).render(**data)
    except LiquidError as error:
        raise TemplateProblem(describe_error(error)) from error
    except Exception as error:  # a filter's own failure, a recursion, …: still a problem
        logger.warning("A template failed to render: %r", error)
        raise TemplateProblem("the template cannot be rendered (the error is logged)") from error


def render_checked(source: str, data: dict) -> str:
    """Render `source` with the invoice data and check its legal mentions in the text of
    the HTML (saving a template checks them on the rendered PDF: template_review)."""
    html = render(source, data)
    check_mentions(html, data)
    return html


def check_mentions(html: str, data: dict) -> None:
    """Raise TemplateProblem, in the active language, for what the HTML leaves out."""
    if missing := missing_mentions(html_text(html), data):
        raise TemplateProblem(
            _("The template leaves out what the invoice must say: {missing}.").format(
                missing="; ".join(missing)
            )
        )


def describe_error(error: LiquidError) -> str:
    """A Liquid error in one line, with the line of the template it is on."""
    message = str(error).splitlines()[0]
    if isinstance(error, TemplateNotFoundError):
        message = "a template cannot include or render other templates or files"
    token = getattr(error, "token", None)
    if token is not None:
        line = token.source.count("\n", 0, token.start_index) + 1
        return f"Line {line}: {message}"
    return message


def required_mentions(data: dict) -> list[tuple[str, str]]:
    """What the invoice must show (EU VAT Directive Art. 226, 226(10a), 226(11a)), as
    (what it is, in words for the operator, in the active language; the text that must
    appear, in the document's)."""
    invoice, seller, buyer = data["invoice"], data["seller"], data["buyer"]

    def need(label: str, text, **values) -> tuple[str, str]:
        return label.format(text=text, **values), text

    required = [
        need(_("the number {text}"), invoice["number"]),
        need(_("the issue date {text}"), invoice["issue_date"]),
        need(_("the start of the service period {text}"), invoice["period_start"]),
        need(_("the end of the service period {text}"), invoice["period_end"]),
    ]
    for party, party_labels in (
        (seller, (_("the seller's name {text}"), _("the seller's street {text}"),
                  _("the seller's postcode {text}"), _("the seller's city {text}"),
                  _("the seller's state {text}"))),
        (buyer, (_("the buyer's name {text}"), _("the buyer's street {text}"),
                 _("the buyer's postcode {text}"), _("the buyer's city {text}"),
                 _("the buyer's state {text}"))),
    ):  # fmt: skip
        fields = ("name", "street", "postcode", "city", "region")
        for field, label in zip(fields, party_labels, strict=True):
            if field != "region" or party["region"]:
                required.append(need(label, party[field]))
    if invoice["vat_invoice"]:
        if seller["vat_id"]:
            required.append(need(_("the seller's VAT ID {text}"), seller["vat_id"]))
        if buyer["vat_id"]:
            required.append(need(_("the buyer's VAT ID {text}"), buyer["vat_id"]))
        required += [
            need(_("the taxable amount {text}"), invoice["subtotal"]),
            need(_("the VAT rate {text} %"), invoice["tax_rate"]),
            need(_("the VAT amount {text}"), invoice["tax_amount"]),
        ]
    required.append(need(_("the total {text}"), invoice["total"]))
    for line in data["lines"]:
        number = line["number"]
        required += [
            need(_("what line {number} is for, “{text}”"), line["description"], number=number),
            need(_("the quantity of line {number}, {text}"), line["quantity"], number=number),
            need(_("the unit price of line {number}, {text}"), line["unit_price"], number=number),
        ]
    if invoice["allowance"]:
        required += [
            need(_("the allowance {text}"), invoice["allowance"]),
            need(_("the allowance's reason “{text}”"), invoice["allowance_reason"]),
        ]
    if invoice["tax_currency"]:
        required += [
            need(
                _("the VAT in {currency}, {text}"),
                invoice["tax_amount_in_tax_currency"],
                currency=invoice["tax_currency"],
            ),
            need(_("the exchange rate {text}"), invoice["exchange_rate"]),
            need(_("the rate's source and date, “{text}”"), invoice["exchange_rate_source"]),
        ]
    for mention in data["seller"]["legal_mentions"] + data["buyer"]["legal_mentions"]:
        required.append(need(_("the issuer's legal mention “{text}”"), mention))
    for mention in invoice["mentions"]:
        required.append(need(_("the mention “{text}”"), mention))
    if invoice["reverse_charge"]:
        required.append(need(_("the words “{text}”"), data["label"]["reverse_charge"]))
    if invoice["self_billed"]:
        required.append(need(_("the word “{text}”"), data["label"]["self_billing"]))
    if invoice["tax_note"]:
        required.append(need(_("the tax note “{text}”"), invoice["tax_note"]))
    return [(label, text) for label, text in required if str(text).strip()]


def missing_mentions(text: str, data: dict) -> list[str]:
    """What a rendered invoice must show and its text does not: in words for the operator.
    Mentions are compared as words, whole and in order, without the punctuation around
    them and without marks that stand alone (“12.50” is not in “112.50”, and “Leads ·
    Solar” is in “Leads Solar”)."""
    shown = f" {' '.join(words(text))} "
    return [
        label
        for label, needle in required_mentions(data)
        if f" {' '.join(words(str(needle)))} " not in shown
    ]


PUNCTUATION = "".join(c for c in map(chr, range(0x2070)) if unicodedata.category(c)[0] == "P")


def words(text: str) -> list[str]:
    """The words of a text, case-folded, without the punctuation at their ends; marks that
    stand alone (·, –, :) are no words."""
    stripped = (word.strip(PUNCTUATION) for word in normalize(text).casefold().split())
    return [word for word in stripped if word]


def html_text(html: str) -> str:
    """The text of HTML: no tags, no style or head, no comments, spaces collapsed."""
    html = re.sub(r"(?is)<(head|style|script|template)\b.*?</\1\s*>|<!--.*?-->", " ", html)
    return normalize(unescape(re.sub(r"<[^>]+>", " ", html)))


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def pdf_url_fetcher() -> URLFetcher:
    """WeasyPrint's fetcher for invoice HTML: inline data only, never a file or the network."""
    return URLFetcher(allowed_protocols={"data"})


# The data a template sees


def invoice_data(invoice: Invoice, lines=None) -> dict:
    """Everything a template may print, as plain values already formatted for reading, in
    the invoice's language (call it inside `in_language(invoice)`). `lines` replaces the
    stored lines (a sample invoice has none in the database)."""
    currency = invoice.currency
    category = invoice.tax_category
    seller, buyer = dict(invoice.seller), dict(invoice.buyer)
    annex = []
    if lines is None:
        lines = list(invoice.lines.all())
        if invoice.pk and invoice.billed_leads.exists():
            annex = _annex(invoice.billed_leads.all(), invoice.entity.time_zone, currency)
    return {
        "label": labels(),
        "invoice": {
            "title": invoice.title,
            "language": invoice.language,
            "number": invoice.number,
            "is_credit_note": invoice.is_credit_note,
            "self_billed": invoice.self_billed,
            "issue_date": format_date(invoice.issue_date),
            "due_date": format_date(invoice.due_date),
            "period_start": format_date(invoice.period_start),
            "period_end": format_date(invoice.period_end),
            "currency": currency,
            "currency_sign": currency_sign(currency),
            "subtotal": money(invoice.subtotal, currency),
            # A discount on the whole invoice (BG-20), before VAT.
            "line_total": money(invoice.subtotal + invoice.allowance_amount, currency),
            "allowance": money(invoice.allowance_amount, currency)
            if invoice.allowance_amount
            else "",
            "allowance_percent": format_number(invoice.allowance_percent, 0, 2)
            if invoice.allowance_percent is not None
            else "",
            "allowance_reason": invoice.allowance_reason,
            "tax_amount": money(invoice.tax_amount, currency),
            # Art. 230: the VAT in the national currency, with the rate, its date and source.
            "tax_currency": invoice.tax_currency,
            "tax_amount_in_tax_currency": money(
                invoice.tax_amount_in_tax_currency, invoice.tax_currency
            )
            if invoice.tax_currency
            else "",
            "exchange_rate": format_number(invoice.exchange_rate, 0, 8)
            if invoice.tax_currency
            else "",
            "exchange_rate_date": format_date(invoice.exchange_rate_date),
            "exchange_rate_source": invoice.exchange_rate_source,
            "exchange_rate_notice": exchange_rate_notice(invoice) if invoice.tax_currency else "",
            "total": money(invoice.total, currency),
            "tax_category": category,
            "tax_rate": format_number(invoice.tax_rate, 0, 2),
            # FirstPromoter's name: VAT is mentioned at all (not on a type A invoice).
            "vat_invoice": category in (STANDARD, REVERSE_CHARGE),
            "reverse_charge": category == REVERSE_CHARGE,
            "outside_vat": category == NOT_SUBJECT,
            "exempt": category == EXEMPT,
            # A small business (E) is identified by its VAT ID where it has one.
            "names_vat_ids": category in (STANDARD, REVERSE_CHARGE, EXEMPT),
            "tax_note": invoice.tax_note,
            "notes": invoice.notes,
            "corrects_number": invoice.corrects.number if invoice.is_credit_note else "",
            "corrects_date": format_date(invoice.corrects.issue_date)
            if invoice.is_credit_note
            else "",
            "corrects": corrects(invoice) if invoice.is_credit_note else "",
            "self_billing_statement": self_billing_statement(invoice)
            if invoice.self_billed
            else "",
            "payment_terms_days": buyer.get("payment_terms_days", ""),
            "payment_text": payment_text(invoice),
            "payment_reference": printed_reference(invoice.payment_reference),
            # A data: URI of the EPC QR code's SVG, or "" (banking.qr).
            "epc_qr": epc_qr(invoice),
            # What the seller's country asks for beyond Art. 226 (France: late payment).
            "mentions": national_invoice_mentions(invoice),
        },
        "seller": _party(seller, issues=not invoice.self_billed),
        "buyer": _party(buyer, issues=invoice.self_billed),
        "lines": [
            {
                "number": number,
                "description": line_description(_get(line, "description")),
                "kind": _get(line, "kind"),
                "is_credit": _get(line, "kind") == InvoiceLine.CREDIT,
                "quantity": format_number(_get(line, "quantity")),
                "unit_price": unit_price(_get(line, "unit_price")),
                "amount": money(_get(line, "net_amount"), currency),
            }
            for number, line in enumerate(lines, start=1)
        ],
        "annex": annex,
    }


PARTY_KEYS = [
    "name", "street", "postcode", "city", "region", "country", "country_name", "vat_id",
    "tax_number", "tax_office", "email", "phone", "bank_name", "iban", "bic", "buyer_reference",
    "register_number",
]  # fmt: skip


def _party(details: dict, issues: bool) -> dict:
    """A party's details; `issues` for the business that issues the document, which names
    what its country asks of it (its register, directors, capital)."""
    party = {key: str(details.get(key) or "") for key in PARTY_KEYS}
    party["legal_mentions"] = legal_mentions(details) if issues else []
    party["iban"] = iban(party["iban"])
    if party["country"]:
        # The name in the document's language: Deutschland, Allemagne.
        party["country_name"] = country_name(party["country"])
    # The lines after the street in the country's order ("Chicago, IL 60606"), as a list
    # for an address block and as one line for a sender line.
    party["city_lines"] = city_lines(
        party["country"], party["postcode"], party["city"], party["region"]
    )
    party["city_line"] = " ".join(party["city_lines"])
    return party


def _get(line, name):
    return line[name] if isinstance(line, dict) else getattr(line, name)


def _annex(billed_leads, time_zone: str, currency: str) -> list[dict]:
    """The leads grouped by delivery day and price, each group one paragraph of lead ids."""
    tz = ZoneInfo(time_zone)
    groups: dict[tuple, list[str]] = {}
    for lead_id, delivered_at, price in (
        billed_leads.order_by("delivered_at", "pk")
        .values_list("lead_external_id", "delivered_at", "unit_price")
        .iterator(5000)
    ):
        groups.setdefault((delivered_at.astimezone(tz).date(), price), []).append(lead_id)
    return [
        {
            "day": format_date(day),
            "unit_price": unit_price(price),
            "count": len(ids),
            "head": ngettext(
                "%(day)s · %(count)s lead at %(price)s %(currency)s",
                "%(day)s · %(count)s leads at %(price)s %(currency)s",
                len(ids),
            )
            % {
                "day": format_date(day),
                "count": format_number(len(ids)),
                "price": unit_price(price),
                "currency": currency_sign(currency),
            },
            "leads": ", ".join(ids),
        }
        for (day, price), ids in groups.items()
    ]


# Sample invoices: the live preview and the checks on saving a template


SAMPLE_CASES = [
    ("invoice", gettext_lazy("Invoice with VAT")),
    ("reverse_charge", gettext_lazy("Invoice with reverse charge")),
    ("outside_eu", gettext_lazy("Invoice outside EU VAT")),
    ("credit_note", gettext_lazy("Credit note")),
    ("self_billed_a", gettext_lazy("Self-billed invoice, type A (no VAT)")),
    ("self_billed_b", gettext_lazy("Self-billed invoice, type B (reverse charge)")),
    ("self_billed_c", gettext_lazy("Self-billed invoice, type C (VAT)")),
    ("self_billed_small_business", gettext_lazy("Self-billed invoice, small business (no VAT)")),
]


def sample_invoice(
    entity: Entity, case: str, language: str = DEFAULT_LANGUAGE
) -> tuple[Invoice, list[InvoiceLine]]:
    """An unsaved invoice of the Entity in `language`, as finalize would have made it, for
    one of the SAMPLE_CASES. Nothing is written to the database."""
    with translation.override(language):
        invoice, lines = _sample_invoice(entity, case)
    invoice.language = language
    return invoice, lines


def _sample_invoice(entity: Entity, case: str) -> tuple[Invoice, list[InvoiceLine]]:
    from .billing import entity_as_buyer, seller_details

    today = date.today()
    period_start = today.replace(day=1) - timedelta(days=1)
    period_start = period_start.replace(day=1)
    period_end = today.replace(day=1) - timedelta(days=1)
    self_billed = case.startswith("self_billed")
    currency = entity.default_currency
    partner = {
        "name": "Sample Leads GmbH",
        "kind": "company",
        "street": "Musterstraße 1",
        "postcode": "10115",
        "city": "Berlin",
        "country": "DE",
        "vat_id": "DE123456789",
        "tax_number": "",
        "email": "billing@sample-leads.example",
        "payment_terms_days": 14,
        "buyer_reference": "PO-4711",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
    }
    rate = standard_rate(vat_country(entity.country), period_end) if entity.is_in_eu else ZERO
    category, tax_rate, note, code = STANDARD, rate, "", ""
    if case in ("reverse_charge", "self_billed_b"):
        partner.update(country="AT", vat_id="ATU13585627")
        category, tax_rate = REVERSE_CHARGE, ZERO
        note = _(SELF_BILLING_REVERSE_CHARGE_NOTE if self_billed else REVERSE_CHARGE_NOTE)
    elif case == "outside_eu":
        partner.update(
            street="233 S Wacker Dr", postcode="60606", city="Chicago", region="IL",
            country="US", vat_id="",
        )  # fmt: skip
        category, tax_rate, note = NOT_SUBJECT, ZERO, _(OUTSIDE_EU_NOTE)
    elif case == "self_billed_a":
        partner.update(kind="individual", name="Alex Sample", vat_id="", tax_number="")
        category, tax_rate = NOT_SUBJECT, ZERO
        note = _(PRIVATE_SUPPLIER_NOTE).format(date=format_date(period_start))
    elif case == "self_billed_small_business":
        partner.update(name="Sample Webdesign", vat_id="", tax_number="06/123/45678")
        category, tax_rate = EXEMPT, ZERO
        note = small_business_note("DE")
    if category == NOT_SUBJECT:
        code = NOT_SUBJECT_CODE
    kind = Invoice.KIND_CREDIT_NOTE if case == "credit_note" else Invoice.KIND_INVOICE
    invoice = Invoice(
        entity=entity,
        kind=kind,
        self_billed=self_billed,
        status=Invoice.FINAL,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        issue_date=today,
        due_date=today + timedelta(days=14),
        tax_category=category,
        tax_rate=tax_rate,
        tax_note=note,
        tax_exemption_code=code,
    )
    invoice.number = format_document_number(entity.numbering(invoice.document_kind)[0], 42, today)
    invoice.payment_reference = payment_reference(invoice, ident=42)
    if self_billed:
        invoice.seller = partner
        invoice.buyer = entity_as_buyer(entity, Partner(payment_terms_days=14))
    else:
        invoice.seller = seller_details(entity)
        invoice.buyer = partner
    if kind == Invoice.KIND_CREDIT_NOTE:
        invoice.corrects = Invoice(number="RE-SAMPLE-41", issue_date=period_end)
        invoice.notes = _("Credits 2 cancelled leads.")
    description = "Leads supplied" if self_billed else "Leads · Solar DE · Premium"
    lines = [
        InvoiceLine(kind=InvoiceLine.SUPPLIED if self_billed else InvoiceLine.DELIVERIES,
                    description=description, quantity=120, unit_price=Decimal("12.50")),
        InvoiceLine(kind=InvoiceLine.CREDIT, description=_("Credit: disputed lead"),
                    quantity=-2, unit_price=Decimal("12.50")),
    ]  # fmt: skip
    for line in lines:
        line.net_amount = line_net_amount(line.quantity, line.unit_price, currency)
    totals = invoice_totals([line.net_amount for line in lines], tax_rate, currency)
    invoice.subtotal, invoice.tax_amount, invoice.total = (
        totals.subtotal,
        totals.tax_amount,
        totals.total,
    )
    return invoice, lines


def render_sample(source: str, entity: Entity, case: str, language: str) -> str:
    """The template's HTML for a sample invoice in `language`; raises TemplateProblem."""
    invoice, lines = sample_invoice(entity, case, language)
    with in_language(invoice):
        data = invoice_data(invoice, lines)
        html = render(source, data)
    check_mentions(html, data)  # in the operator's words
    return html
