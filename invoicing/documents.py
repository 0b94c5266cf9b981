"""Documents of a finalized invoice: its PDF and, where the partner's format asks for one, its
XML e-invoice. They print the amounts stored on the invoice, never recomputing them, and are
written once, locked with their SHA-256.

| partner's format   | PDF                                  | XML                        |
|--------------------|--------------------------------------|----------------------------|
| PDF only           | PDF/A-3                              | —                          |
| ZUGFeRD/Factur-X   | PDF/A-3 with `factur-x.xml` embedded | the same CII, EN 16931     |
| XRechnung CII      | visual PDF/A-3                       | CII, XRechnung 3.0         |
| XRechnung UBL      | visual PDF/A-3                       | UBL 2.1, XRechnung 3.0     |
"""

import copy
import hashlib
import io
import logging
import os
import re
import threading
from datetime import timedelta
from functools import lru_cache

import facturx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope
from lxml import etree
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration

from partners.models import Partner

from .einvoice import cii, ubl
from .einvoice.model import build_document
from .models import Invoice, InvoiceDocument
from .templating import pdf_url_fetcher, render_invoice_html

logger = logging.getLogger(__name__)

XML_MIMETYPE = "application/xml"
FACTURX_FILENAME = "factur-x.xml"  # the name the Factur-X specification gives it


def document_basename(invoice: Invoice) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", invoice.number or f"draft-{invoice.pk}")


def render_visual_pdf(invoice: Invoice, factur_x: bytes | None = None) -> bytes:
    """The PDF a person reads, from the Entity's invoice template (see templating); with
    `factur_x`, that XML embedded as a Factur-X invoice. An invoice with a line per lead
    shows a summary per assignment and price, then the leads as an annex of compact lists: a
    table row per lead would make a 10,000-lead invoice take minutes and gigabytes."""
    html = render_invoice_html(invoice)
    if factur_x is None:
        return pdf_from_html(html, pdf_variant="pdf/a-3b")
    facturx.xml_check_xsd(factur_x, flavor="factur-x", level="en16931")
    attachment = Attachment(
        file_obj=io.BytesIO(factur_x),
        name=FACTURX_FILENAME,
        description="Factur-X XML file",
        relationship="Data",
    )
    return pdf_from_html(
        html, pdf_variant="pdf/a-3b", attachments=[attachment], finisher=_make_factur_x
    )


# Across every page of a draft's preview, so that it is never taken for an invoice.
DRAFT_WATERMARK = """<style>
body::after { content: "DRAFT"; position: fixed; top: 95mm; left: 15mm; width: 180mm;
  text-align: center; font-size: 110pt; font-weight: bold; color: rgba(190, 30, 30, 0.18);
  transform: rotate(-35deg); z-index: 1000; }
</style>"""


def render_draft_pdf(preview: Invoice) -> bytes:
    """The PDF of a draft as it would be issued today (billing.draft_as_issued): no number,
    marked DRAFT on every page, no Factur-X. Never stored or sent."""
    html = render_invoice_html(preview)
    head_end = html.lower().find("</head>")
    if head_end == -1:
        return pdf_from_html(DRAFT_WATERMARK + html)
    return pdf_from_html(html[:head_end] + DRAFT_WATERMARK + html[head_end:])


def pdf_from_html(html: str, **options) -> bytes:
    """WeasyPrint's PDF of invoice HTML, fetching nothing (see pdf_url_fetcher); `options`
    go to write_pdf."""
    html, stylesheets = split_stylesheets(html)
    document = HTML(string=html, url_fetcher=pdf_url_fetcher())
    return document.write_pdf(font_config=font_config(), stylesheets=stylesheets, **options)


STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.DOTALL)
MAX_KEPT_STYLESHEETS = 32


def split_stylesheets(html: str) -> tuple[str, list[CSS]]:
    """The HTML without its plain `<style>` elements, and their stylesheets parsed.

    Every invoice of an Entity has the same stylesheet, and WeasyPrint would parse and
    compile it again for each (a tenth of the time of a PDF), so the parsed ones are kept
    per thread, like the font configuration they belong to. WeasyPrint applies them as user
    stylesheets, which differs from the document's own only where `!important` meets
    `!important` in a style attribute."""
    sheets = STYLE_ELEMENT.findall(html)
    if not sheets:
        return html, []
    kept = _per_thread().stylesheets
    if len(kept) > MAX_KEPT_STYLESHEETS:
        kept.clear()
    parsed = []
    for text in sheets:
        if text not in kept:
            kept[text] = CSS(string=text, url_fetcher=pdf_url_fetcher(), font_config=font_config())
        parsed.append(kept[text])
    return STYLE_ELEMENT.sub("", html), parsed


def _make_factur_x(document, pdf) -> None:
    """Turn WeasyPrint's PDF/A-3 with the XML attached into a Factur-X PDF, as the factur-x
    package would, without parsing and writing the whole PDF again (that took a sixth of
    rendering an invoice): its XMP gains the Factur-X extension schema and properties, and
    the XML is listed once in /AF (WeasyPrint lists an attachment twice)."""
    associated = pdf.catalog["AF"]
    associated[:] = list(dict.fromkeys(associated))
    metadata = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
    xmp = etree.fromstring(b"".join(metadata.stream))
    rdf = xmp.find(f"{{{RDF}}}RDF")
    for description in _factur_x_descriptions():
        rdf.append(copy.deepcopy(description))
    metadata.stream = [_XMP_HEAD + etree.tostring(xmp, encoding="utf-8") + _XMP_TAIL]


RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XMP_HEAD = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_XMP_TAIL = b'\n<?xpacket end="r"?>'


@lru_cache(maxsize=1)
def _factur_x_descriptions() -> list:
    """The XMP descriptions the factur-x package writes for an EN 16931 invoice: the PDF/A
    extension schema of the `fx` properties, and the properties themselves."""
    xmp = etree.fromstring(facturx.generate_xmp_bytes("factur-x", "en16931", None, {}))
    descriptions = [
        description
        for description in xmp.iter(f"{{{RDF}}}Description")
        if any(
            child.tag.startswith(("{http://www.aiim.org/pdfa/ns/extension/", "{urn:factur-x"))
            for child in description
        )
    ]
    for description in descriptions:
        description.set(f"{{{RDF}}}about", "")  # like WeasyPrint's own descriptions
    return descriptions


_thread = threading.local()


def _per_thread():
    """This thread's font configuration and parsed stylesheets. Per thread and per process:
    Pango's font maps are not to be shared across either."""
    if getattr(_thread, "pid", None) != os.getpid():
        _thread.pid, _thread.fonts, _thread.stylesheets = os.getpid(), FontConfiguration(), {}
    return _thread


def font_config() -> FontConfiguration:
    """This thread's font configuration, made once (a Fontconfig set-up costs ~3 ms a PDF)."""
    return _per_thread().fonts


def render_xml(invoice: Invoice) -> bytes | None:
    """The invoice's XML e-invoice in the partner's format, or None for PDF only."""
    fmt = invoice.einvoice_format
    if fmt == Partner.EINVOICE_FACTURX:
        return cii.serialize(build_document(invoice))
    if fmt == Partner.EINVOICE_XRECHNUNG_CII:
        return cii.serialize(build_document(invoice, xrechnung=True))
    if fmt == Partner.EINVOICE_XRECHNUNG_UBL:
        return ubl.serialize(build_document(invoice, xrechnung=True))
    if fmt == Partner.EINVOICE_PEPPOL:
        return ubl.serialize(build_document(invoice, peppol=True))
    return None


def render_pdf(invoice: Invoice, xml: bytes | None = None) -> bytes:
    """The invoice's PDF; for Factur-X with `xml` (rendered here if not given) embedded."""
    if invoice.einvoice_format != Partner.EINVOICE_FACTURX:
        return render_visual_pdf(invoice)
    return render_visual_pdf(invoice, xml or render_xml(invoice))


def _document(invoice: Invoice, kind: str, content: bytes) -> InvoiceDocument:
    filename, mimetype = {
        InvoiceDocument.PDF: (f"{document_basename(invoice)}.pdf", "application/pdf"),
        InvoiceDocument.XML: (f"{document_basename(invoice)}.xml", XML_MIMETYPE),
    }[kind]
    return InvoiceDocument(
        invoice=invoice,
        kind=kind,
        filename=filename,
        mimetype=mimetype,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _store(invoice: Invoice, kind: str, render) -> InvoiceDocument:
    existing = InvoiceDocument.objects.filter(invoice=invoice, kind=kind).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            document = _document(invoice, kind, render())
            document.save()
            return document
    except IntegrityError:  # rendered at the same moment by another worker: keep the first
        return InvoiceDocument.objects.get(invoice=invoice, kind=kind)


def store_pdf(invoice: Invoice, xml: bytes | None = None) -> InvoiceDocument:
    """Render the finalized invoice's PDF once and lock it. Idempotent."""
    if not invoice.is_final:
        raise ValueError(_("Only a finalized invoice has a locked PDF."))
    return _store(invoice, InvoiceDocument.PDF, lambda: render_pdf(invoice, xml))


def store_xml(invoice: Invoice) -> InvoiceDocument | None:
    """Write the finalized invoice's XML e-invoice once, if its format has one. Idempotent."""
    if not invoice.is_final:
        raise ValueError(_("Only a finalized invoice has an e-invoice."))
    if not has_xml(invoice):
        return None
    return _store(invoice, InvoiceDocument.XML, lambda: render_xml(invoice))


# The frozen e-invoice formats without an XML of their own (drafts have none yet).
WITHOUT_XML = ("", Partner.EINVOICE_PDF)


def has_xml(invoice: Invoice) -> bool:
    """Whether the invoice's format has an XML e-invoice of its own."""
    return invoice.einvoice_format not in WITHOUT_XML


def stored_document(invoice: Invoice, kind: str) -> InvoiceDocument | None:
    """The invoice's locked document of this kind, or None: nothing is rendered here. A
    finalized invoice is seen, sent and downloaded only with the documents it was locked
    with; those still missing are rendered by store_documents (right after finalizing, by
    the sweep, or when someone asks again)."""
    return InvoiceDocument.objects.filter(invoice=invoice, kind=kind).first()


def documents_pending(invoice: Invoice) -> bool:
    """A finalized invoice still without its PDF, or without the XML its format has."""
    if not invoice.is_final:
        return False
    kinds = set(InvoiceDocument.objects.filter(invoice=invoice).values_list("kind", flat=True))
    return InvoiceDocument.PDF not in kinds or (
        has_xml(invoice) and InvoiceDocument.XML not in kinds
    )


def store_documents(invoice: Invoice) -> list[InvoiceDocument]:
    """Render and lock the documents of a just-finalized invoice, written in one transaction:
    a billing run finalizing on every core waits on commits as much as it renders.
    Idempotent; if some are stored already, the missing ones are added one by one."""
    if not invoice.is_final:
        raise ValueError(_("Only a finalized invoice has locked documents."))
    if InvoiceDocument.objects.filter(invoice=invoice).exists():
        xml = store_xml(invoice)
        pdf = store_pdf(invoice, bytes(xml.content) if xml else None)
        return [d for d in (xml, pdf) if d is not None]
    xml = render_xml(invoice) if has_xml(invoice) else None
    documents = [_document(invoice, InvoiceDocument.XML, xml)] if xml else []
    documents.append(_document(invoice, InvoiceDocument.PDF, render_pdf(invoice, xml)))
    try:
        with transaction.atomic():
            return InvoiceDocument.objects.bulk_create(documents)
    except IntegrityError:  # rendered at the same moment by another worker: keep the first
        return list(InvoiceDocument.objects.filter(invoice=invoice).order_by("-kind"))


def render_missing_documents(limit: int = 200) -> int:
    """Render the documents still missing on invoices finalized more than
    DOCUMENTS_RETRY_AFTER_SECONDS ago (a worker that died between the commit and rendering;
    a rendering that failed), each with the template version it was finalized with.
    Idempotent. Returns how many invoices now have all their documents."""
    older_than = timedelta(seconds=settings.DOCUMENTS_RETRY_AFTER_SECONDS)
    pdf = InvoiceDocument.objects.filter(invoice=OuterRef("pk"), kind=InvoiceDocument.PDF)
    xml = InvoiceDocument.objects.filter(invoice=OuterRef("pk"), kind=InvoiceDocument.XML)
    with_xml = ~Q(einvoice_format__in=WITHOUT_XML)
    missing = (
        Invoice.objects.filter(
            status__in=[Invoice.FINAL, Invoice.VOID],
            finalized_at__lt=timezone.now() - older_than,
        )
        .filter(~Exists(pdf) | (with_xml & ~Exists(xml)))
        .select_related("entity", "partner", "corrects", "template_version")
        .order_by("finalized_at")[:limit]
    )
    rendered = 0
    for invoice in missing:
        try:
            with scope(entity=invoice.entity):
                store_documents(invoice)
        except Exception:
            logger.exception("Invoice %s: rendering its documents failed again", invoice.pk)
        else:
            rendered += 1
    return rendered
