"""The Entity's editable invoice template (Liquid): sandboxed, checked for legal mentions,
previewed live."""

from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from invoicing.documents import split_stylesheets
from invoicing.models import InvoiceDocument
from invoicing.template_review import template_problems
from invoicing.templating import default_template

from ..factories import make_final

MINIMAL = """<html><body>
<h1>{{ invoice.title }} {{ invoice.number }}</h1>
{% if invoice.self_billed %}<p>{{ label.self_billing }}</p>{% endif %}
<p>Issued {{ invoice.issue_date }}, for {{ invoice.period_start }} to {{ invoice.period_end }}</p>
<p>{{ seller.name }}, {{ seller.street }}, {{ seller.city_line }}
{% if invoice.vat_invoice %}{{ seller.vat_id }}{% endif %}</p>
<p>{{ buyer.name }}, {{ buyer.street }}, {{ buyer.city_line }}
{% if invoice.vat_invoice %}{{ buyer.vat_id }}{% endif %}</p>
{% for line in lines %}<p>{{ line.description }}: {{ line.quantity }} × {{ line.unit_price }}
= {{ line.amount }}</p>{% endfor %}
{% if invoice.vat_invoice %}<p>Net {{ invoice.subtotal }}, VAT {{ invoice.tax_rate }} %
{{ invoice.tax_amount }}</p>{% endif %}
{% if invoice.reverse_charge %}<p>{{ label.reverse_charge }}</p>{% endif %}
<p>{{ invoice.tax_note }}</p>
<p>{{ seller.legal_mentions | join: " · " }} {{ buyer.legal_mentions | join: " · " }}</p>
<p>Total {{ invoice.total }} {{ invoice.currency }}</p>
</body></html>"""

# The ways a template could hide a mention from its reader, each around the total.
HIDING = {
    "display none": '<p style="display:none">Total {{ invoice.total }}</p>',
    "no font size": '<p style="font-size:0">Total {{ invoice.total }}</p>',
    "a tiny font": '<p style="font-size:2pt">Total {{ invoice.total }}</p>',
    "off the page": '<p style="position:absolute;left:-300mm">Total {{ invoice.total }}</p>',
    "below the page": '<p style="position:absolute;top:400mm">Total {{ invoice.total }}</p>',
    "a template element": "<template>Total {{ invoice.total }}</template>",
    "white on white": '<p style="color:#fff">Total {{ invoice.total }}</p>',
    "almost white": '<p style="color:#f4f4f4">Total {{ invoice.total }}</p>',
    "no opacity": '<p style="opacity:0.02">Total {{ invoice.total }}</p>',
    "hidden": '<p style="visibility:hidden">Total {{ invoice.total }}</p>',
    "clipped away": '<div style="height:0;overflow:hidden"><p>Total {{ invoice.total }}</p></div>',
    "under a box": '<div style="position:relative"><p>Total {{ invoice.total }}</p>'
    '<div style="position:absolute;top:0;left:0;width:100%;height:40px;background:#fff"></div>'
    "</div>",
}
TOTAL = "<p>Total {{ invoice.total }} {{ invoice.currency }}</p>"


ONE_PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def pdf_text(invoice) -> str:
    pdf = bytes(invoice.documents.get(kind=InvoiceDocument.PDF).content)
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_the_default_template_passes_every_sample(entity):
    assert template_problems(default_template(), entity) == []


def test_a_template_with_every_mention_passes(entity):
    assert template_problems(MINIMAL, entity) == []


def test_a_finalized_invoice_uses_the_entitys_template(entity):
    entity.invoice_template = MINIMAL.replace("<h1>", "<h1>Rechnung ")
    entity.save()
    assert "Rechnung Invoice" in pdf_text(make_final(entity))


def test_a_template_that_drops_the_reverse_charge_mention_is_refused(entity):
    source = MINIMAL.replace("<p>{{ label.reverse_charge }}</p>", "")
    source = source.replace("{{ invoice.tax_note }}", "")
    problems = template_problems(source, entity)
    assert any("the words “Reverse charge”" in p for p in problems)


def test_a_template_that_drops_self_billing_is_refused(entity):
    problems = template_problems(MINIMAL.replace("<p>{{ label.self_billing }}</p>", ""), entity)
    assert any("Self-billing" in p for p in problems)


def test_a_template_that_writes_a_mention_in_english_only_is_refused(entity):
    source = MINIMAL.replace("{{ invoice.title }}", "Invoice")
    problems = template_problems(source.replace("{{ label.self_billing }}", "Self-billing"), entity)
    # German self-billed invoices say "Gutschrift" in their notes too; French ones do not
    # say "Autofacturation" but in the title and the mention this template drops.
    assert [p for p in problems if "(English)" in p] == []
    assert any("(Français)" in p and "“Autofacturation”" in p for p in problems)


def test_a_mention_hidden_in_a_comment_does_not_count(entity):
    source = MINIMAL.replace("<p>{{ label.reverse_charge }}</p>", "<!-- Reverse charge -->")
    source = source.replace("{{ invoice.tax_note }}", "")
    assert any("the words “Reverse charge”" in p for p in template_problems(source, entity))


@pytest.mark.parametrize("trick", HIDING)
def test_a_mention_the_reader_cannot_see_is_refused(entity, trick):
    problems = template_problems(MINIMAL.replace(TOTAL, HIDING[trick]), entity)
    # Where VAT is charged, the total is the only place its amount stands.
    assert problems[0].startswith("Invoice with VAT (English):")
    assert "the total 1,755.25" in problems[0]


def test_small_grey_text_on_a_tinted_background_is_readable(entity):
    shown = '<p style="font-size:6.5pt;color:#666;background:#eee">Total {{ invoice.total }}</p>'
    assert template_problems(MINIMAL.replace(TOTAL, shown), entity) == []


def test_each_article_226_mention_is_checked(entity):
    source = MINIMAL.replace("{{ buyer.street }}, ", "").replace("{{ line.quantity }} × ", "")
    problems = template_problems(source, entity)
    assert "the buyer's street Musterstraße 1" in problems[0]
    assert "the quantity of line 1, 120" in problems[0]


def test_a_syntax_error_names_its_line(entity):
    problems = template_problems("<html>\n<body>\n{% if %}\n</body></html>", entity)
    assert problems[0].startswith("Invoice with VAT (English): Line 3:")


def test_a_template_cannot_read_the_settings(entity):
    problems = template_problems(MINIMAL + "{{ settings.SECRET_KEY }}", entity)
    assert "'settings' is undefined" in problems[0]


def test_a_template_cannot_include_files(entity):
    problems = template_problems("{% include '/etc/passwd' %}" + MINIMAL, entity)
    assert "cannot include or render other templates or files" in problems[0]


def test_values_are_html_escaped(entity):
    from invoicing.templating import invoice_data, render_checked, sample_invoice

    invoice, lines = sample_invoice(entity, "invoice")
    lines[0].description = "<script>alert(1)</script>"
    html = render_checked(MINIMAL, invoice_data(invoice, lines))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_pdf_loads_no_local_file(entity, tmp_path):
    image = tmp_path / "secret.png"
    # If WeasyPrint fetched it, the PDF would contain an image.
    image.write_bytes(ONE_PIXEL_PNG)
    entity.invoice_template = MINIMAL.replace("<body>", f'<body><img src="file://{image}">')
    entity.save()
    pdf = bytes(make_final(entity).documents.get(kind=InvoiceDocument.PDF).content)
    assert b"/Subtype /Image" not in pdf
    assert not PdfReader(BytesIO(pdf)).pages[0].images


def test_a_stylesheet_imports_no_local_file(entity, tmp_path):
    imported = tmp_path / "page.css"
    imported.write_text("@page { size: A5 landscape }")
    style = f'<style>@import url("file://{imported}");</style>'
    entity.invoice_template = MINIMAL.replace("<body>", style + "<body>")
    entity.save()
    pdf = bytes(make_final(entity).documents.get(kind=InvoiceDocument.PDF).content)
    page = PdfReader(BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


def test_the_templates_stylesheet_sets_the_page(entity):
    entity.invoice_template = MINIMAL.replace(
        "<body>", "<style>@page { size: A5 landscape }</style><body>"
    )
    entity.save()
    pdf = bytes(make_final(entity).documents.get(kind=InvoiceDocument.PDF).content)
    page = PdfReader(BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 420)


def test_a_stylesheet_is_parsed_once_for_all_invoices_using_it():
    html = "<html><head><style>h1 { color: red }</style></head><body><h1>A</h1></body></html>"
    first_html, first = split_stylesheets(html)
    _, second = split_stylesheets(html.replace(">A<", ">B<"))
    assert "<style>" not in first_html
    assert second[0] is first[0]


def test_every_page_is_headed_with_the_invoice_number_and_page_count(entity):
    invoice = make_final(entity)
    assert f"Invoice {invoice.number} · page 1 of 1" in pdf_text(invoice)


def test_an_invoice_falls_back_to_the_default_when_the_template_fails(entity):
    entity.invoice_template = "<p>{{ invoice.number }}</p>"  # saved before a rule existed
    entity.save()
    text = pdf_text(make_final(entity))
    assert "Payable within" in text  # the default template's wording


def test_the_editor_refuses_to_save_a_template_without_the_legal_mentions(owner_client, entity):
    response = owner_client.post(reverse("invoicing:template"), {"template": "<p>Hello</p>"})
    assert response.status_code == 400
    assert "The template was not saved" in response.content.decode()
    entity.refresh_from_db()
    assert entity.invoice_template == ""


def test_the_editor_saves_a_good_template(owner_client, entity):
    response = owner_client.post(reverse("invoicing:template"), {"template": MINIMAL})
    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.invoice_template == MINIMAL


def test_finance_cannot_change_the_template(finance_client, entity):
    response = finance_client.post(reverse("invoicing:template"), {"template": MINIMAL})
    assert response.status_code == 403


def test_the_preview_renders_a_sample_invoice(owner_client, entity):
    response = owner_client.post(
        reverse("invoicing:template_preview"), {"template": MINIMAL, "case": "self_billed_b"}
    )
    html = response.json()["html"]
    assert "Self-billing" in html and "Reverse charge" in html


def test_the_preview_shows_the_sample_in_the_language_asked(owner_client, entity):
    response = owner_client.post(
        reverse("invoicing:template_preview"),
        {"template": MINIMAL, "case": "self_billed_b", "language": "de"},
    )
    html = response.json()["html"]
    assert "Gutschrift" in html and "Steuerschuldnerschaft des Leistungsempfängers" in html


def test_the_preview_reports_errors_with_their_line(owner_client, entity):
    response = owner_client.post(
        reverse("invoicing:template_preview"), {"template": "a\n{{ nope }}", "case": "invoice"}
    )
    assert response.json()["error"] == "Line 2: 'nope' is undefined"


def test_the_sample_can_be_seen_as_a_pdf(owner_client, entity):
    response = owner_client.post(
        reverse("invoicing:template_preview"),
        {"template": MINIMAL, "case": "credit_note", "format": "pdf"},
    )
    assert response["Content-Type"] == "application/pdf"
    assert "Credit note" in PdfReader(BytesIO(response.content)).pages[0].extract_text()


def test_a_viewer_cannot_render_previews(viewer_client, entity):
    response = viewer_client.post(
        reverse("invoicing:template_preview"), {"template": MINIMAL, "case": "invoice"}
    )
    assert response.status_code == 403


# Rendering is bounded: what a template makes, and how long it takes

BIG = '{% assign a = "xxxxxxxxxx" %}'
ATTACKS = {
    "a huge range joined": "{{ (1..3000000) | join: ',' }}",
    "a huge range in a variable": "{% assign n = 3000000 %}{{ (1..n) | join: ',' }}",
    "nested replace": BIG + "{% assign b = a | replace: 'x', a %}{% assign c = b | replace: "
    "'x', b %}{% assign d = c | replace: 'x', c %}{% assign e = d | replace: 'x', d %}{{ e }}",
    "replace in one expression": BIG + "{{ a | replace: 'x', a | replace: 'x', a | replace: "
    "'x', a | replace: 'x', a | replace: 'x', a | replace: 'x', a }}",
    "appending to itself": BIG
    + "{% for i in (1..60) %}{% assign a = a | append: a %}{% endfor %}{{ a }}",
    "multiplying a number": "{% assign x = 99999999 %}{% for i in (1..5000) %}"
    "{% assign x = x | times: x %}{% endfor %}{{ x }}",
    "loops one after another": "{% for i in (1..300) %}{% for j in (1..5000) %}{% endfor %}"
    "{% endfor %}",
    "a long loop doing nothing": "{% for i in (1..10000) %}{% for j in (1..20) %}{% if i == j %}"
    "{% endif %}{% endfor %}{% endfor %}" * 10,
    "uniq on many items": "{{ (1..9000) | join: ',' | split: ',' | uniq | size }}",
    "strip_html on a long text": BIG
    + "{% for i in (1..15) %}{% assign a = a | append: a %}{% endfor %}"
    "{{ a | append: '<b>' | strip_html }}",
    "strip_html that breaks its parser": "{{ '<![<![>' | strip_html }}",
    "a date out of range": "{{ '99999999999999' | date: '%Y' }}",
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_template_cannot_take_unbounded_time_or_memory(entity, attack):
    import time
    import tracemalloc

    from invoicing.templating import TemplateProblem, invoice_data, render, sample_invoice

    invoice, lines = sample_invoice(entity, "invoice")
    data = invoice_data(invoice, lines)
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(TemplateProblem):
        render(MINIMAL + ATTACKS[attack], data)
    seconds = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 10 and peak < 200_000_000  # bounds with room for a slow machine


def test_a_bounded_template_still_renders_a_large_annex(entity):
    from invoicing.templating import invoice_data, render, sample_invoice

    invoice, lines = sample_invoice(entity, "invoice")
    data = invoice_data(invoice, lines)
    data["annex"] = [{"day": "2026-10-01", "unit_price": "1.00", "count": 20_000,
                      "leads": ", ".join(f"L-{n:07}" for n in range(20_000))}]  # fmt: skip
    source = MINIMAL + "{% for g in annex %}{{ g.leads | split: ', ' | join: ' ' }}{% endfor %}"
    assert "L-0019999" in render(source, data)
