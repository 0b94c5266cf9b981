import logging
from html import escape

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from distribution.models import DistributionTransaction, Lead
from distribution.services import DeliveryError
from entities import csv_export
from entities.confirm import confirmation
from entities.decorators import entity_required, role_required
from entities.languages import format_date, format_number
from entities.mail import MailNotConfigured
from entities.models import Membership
from entities.numbers import amount as format_amount
from partners.models import Partner

from . import (
    accounting,
    billing,
    channels,
    corrections,
    deadlines,
    onboarding,
    oss,
    payments,
    runs,
    template_review,
    templating,
)
from .banking import printed_reference
from .channels import email as email_channel
from .channels import peppol
from .documents import (
    documents_pending,
    has_xml,
    pdf_from_html,
    render_draft_pdf,
    store_documents,
    stored_document,
)
from .dunning.reminders import late_costs_of
from .events import events_csv, record_event
from .exchange_rates import conversion_needed
from .forms import (
    AllowanceForm,
    CancelDeliveryForm,
    CreditForm,
    ExchangeRateForm,
    InvoiceFilterForm,
    NotesForm,
    PaidForm,
    PaymentForm,
    PayoutLineForm,
    PeriodForm,
    QuarterForm,
    ReductionForm,
    RunForm,
    SelectionForm,
    SetOffForm,
    VoidForm,
    previous_month,
)
from .lead_list import lead_list_csv, lead_list_filename
from .models import (
    BillingRun,
    Dispatch,
    Invoice,
    InvoiceDocument,
    InvoiceEvent,
    InvoiceLine,
    InvoicingError,
)
from .payouts import add_payout_line, generate_payout_drafts, preview_payouts
from .readiness import blockers, quick_count
from .tasks import follow_dispatch
from .taxes import TaxTreatment
from .totals import list_totals

logger = logging.getLogger(__name__)


def get_invoice_for_user(request, pk: int) -> Invoice:
    """The current Entity's invoice, or 404: another tenant's invoice does not exist here."""
    return get_object_or_404(Invoice.objects.select_related("partner", "entity", "corrects"), pk=pk)


def _default_period(request) -> dict:
    start, end = previous_month(billing.local_today(request.entity))
    return {"start": start, "end": end}


def _filtered_invoices(request) -> tuple[InvoiceFilterForm, object]:
    filters = InvoiceFilterForm(request.GET, entity=request.entity)
    invoices = Invoice.objects.select_related("partner").order_by(*InvoiceFilterForm.SORTS[""])
    return filters, filters.filter(invoices)


@entity_required
def invoice_list(request):
    today = billing.local_today(request.entity)
    filters, invoices = _filtered_invoices(request)
    totals = list_totals(request.entity, invoices, filters.kept_totals_filter())
    paginator = Paginator(invoices, 50)
    # The totals count the same documents: no second COUNT(*) over the filtered set.
    paginator.count = sum(row["count"] for row in totals)
    page = paginator.get_page(request.GET.get("page"))
    for invoice in page:
        invoice.state = invoice.payment_status(today)
    query = request.GET.copy()
    query.pop("page", None)
    unsorted = query.copy()
    unsorted.pop("sort", None)
    sort = filters.cleaned_data.get("sort", "") if filters.is_valid() else ""
    return render(
        request,
        "invoicing/invoice_list.html",
        {
            "page": page,
            "filters": filters,
            "totals": totals,
            "period_form": PeriodForm(initial=_default_period(request)),
            "run_form": RunForm(initial=_default_period(request), auto_id="run_%s"),
            "partner_options": _partner_options(filters),
            "runs": [(run, runs.progress(run)) for run in BillingRun.objects.all()[:3]],
            "query": query.urlencode(),
            "sort_links": {
                column: f"?{unsorted.urlencode()}&sort={'-' if sort == column else ''}{column}"
                for column in ("number", "partner", "issued", "due", "total")
            },
            "sort": sort,
            "late_reverse_charge": deadlines.late_reverse_charge_drafts(request.entity, today),
            "to_fix": quick_count(request.entity, *_default_period(request).values()),
            "onboarding": onboarding.open_checklist(request.entity),
            "partners_to_fix": Partner.objects.filter(is_active=True)
            .exclude(invoicing_problems=[])
            .count(),
        },
    )


def _partner_options(filters: InvoiceFilterForm) -> str:
    """The partner filter's <option>s, joined by hand: an Entity can have thousands of
    partners, and a template loop, Django's widget templates or even format_html() per option
    took a large share of the page's time."""
    selected = filters.cleaned_data.get("partner") if filters.is_valid() else None
    return mark_safe(  # each name is escaped below
        "".join(
            f'<option value="{value}"{" selected" if value == selected else ""}>'
            f"{escape(str(name))}</option>"
            for value, name in [("", _("All partners")), *filters.partners]
        )
    )


@entity_required
def export_csv(request):
    """The filtered invoices as CSV, for the accountant."""
    _query, invoices = _filtered_invoices(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invoices.csv"'
    writer = csv_export.writer(response)
    writer.writerow(
        ["type", "number", "status", "partner", "partner VAT ID", "period start", "period end",
         "issue date", "due date", "currency", "net", "VAT category", "VAT rate", "VAT", "total",
         "paid", "open", "paid on", "corrects"]
    )  # fmt: skip
    for invoice in invoices.select_related("corrects").iterator(chunk_size=2000):
        # The partner's side as frozen on the document: the supplier is the seller of a
        # self-billed one; a draft has no snapshot yet.
        counterparty = invoice.seller if invoice.self_billed else invoice.buyer
        writer.writerow(
            [
                invoice.title,
                invoice.number,
                invoice.get_status_display(),
                invoice.partner.name,
                counterparty.get("vat_id", "") if invoice.is_final else invoice.partner.vat_id,
                invoice.period_start,
                invoice.period_end,
                invoice.issue_date or "",
                invoice.due_date or "",
                invoice.currency,
                invoice.subtotal,
                invoice.tax_category,
                invoice.tax_rate,
                invoice.tax_amount,
                invoice.total,
                invoice.amount_paid,
                invoice.open_balance if invoice.status == Invoice.FINAL else 0,
                invoice.paid_at or "",
                invoice.corrects.number if invoice.corrects else "",
            ]
        )
    return response


@entity_required
def preview(request):
    form = PeriodForm(request.GET if "start" in request.GET else _default_period(request))
    context = {"form": form}
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        previews = billing.preview_period(request.entity, start, end)
        payouts = preview_payouts(request.entity, start, end)
        context.update(
            start=start,
            end=end,
            previews=previews,
            payouts=payouts,
            preview_totals=billing.grand_totals(previews),
            payout_totals=billing.grand_totals(payouts),
            drafts=len(previews) + len(payouts),
            summary=billing.period_summary(request.entity, start, end),
            leads=sum(p.leads for p in previews),
        )
    return render(request, "invoicing/preview.html", context)


@require_POST
@role_required("finance")
def generate(request):
    form = PeriodForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("invoicing:preview")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    result = billing.generate_drafts(request.entity, start, end, by=request.user)
    paid = generate_payout_drafts(request.entity, start, end, by=request.user)
    if result.transactions_billed == 0 and paid.leads_paid == 0:
        messages.info(
            request,
            _(
                "Nothing new in this period: every delivery is on an invoice and every supplied "
                "lead on a payout."
            ),
        )
    else:
        created = result.drafts_created + paid.drafts_created
        updated = result.drafts_updated + paid.drafts_updated
        messages.success(
            request,
            " ".join(
                [
                    ngettext(
                        "{count} draft created, {updated} updated:",
                        "{count} drafts created, {updated} updated:",
                        created,
                    ).format(count=format_number(created), updated=format_number(updated)),
                    ngettext(
                        "{count} delivery billed,",
                        "{count} deliveries billed,",
                        result.transactions_billed,
                    ).format(count=format_number(result.transactions_billed)),
                    ngettext(
                        "{count} supplied lead on payouts.",
                        "{count} supplied leads on payouts.",
                        paid.leads_paid,
                    ).format(count=format_number(paid.leads_paid)),
                    _("Review each draft, then finalize."),
                ]
            ),
        )
    return redirect(reverse("invoicing:index") + "?status=draft")


def _render_detail(request, invoice, status=200, **forms):
    today = billing.local_today(request.entity)
    context = {
        "invoice": invoice,
        "lines": list(invoice.lines.select_related("assignment")),
        "payment_reference": printed_reference(invoice.payment_reference),
        "state": invoice.payment_status(today),
        "credit_form": forms.get("credit_form") or CreditForm(),
        "payout_line_form": forms.get("payout_line_form") or PayoutLineForm(),
        "notes_form": forms.get("notes_form") or NotesForm(initial={"notes": invoice.notes}),
        "paid_form": forms.get("paid_form") or PaidForm(initial={"paid_on": today}),
        "payment_form": forms.get("payment_form")
        or PaymentForm(initial={"paid_on": today, "amount": invoice.open_balance}),
        "void_form": forms.get("void_form") or VoidForm(),
        "reduction_form": forms.get("reduction_form") or ReductionForm(auto_id="reduce_%s"),
        "payments": list(invoice.payments.select_related("settled_against")),
        "events": list(invoice.events.all()),
        "credit_notes": list(invoice.credit_notes.order_by("pk")),
        "dispatches": list(invoice.dispatches.all()),
        "reminders": list(invoice.reminders.all()),
        "late_costs": late_costs_of(invoice, today),
    }
    documents = {d.kind: d for d in invoice.documents.defer("content")}
    context["document"] = documents.get(InvoiceDocument.PDF)
    context["xml_document"] = documents.get(InvoiceDocument.XML)
    context["documents_pending"] = documents_pending(invoice)
    context["lists_leads"] = invoice.billed_leads.exists()
    if invoice.is_final:
        context["send_channel"] = channels.channel_for(invoice).code
    if invoice.is_draft and not invoice.is_credit_note:
        context["allowance_form"] = forms.get("allowance_form") or AllowanceForm(
            initial={
                "reason": invoice.allowance_reason,
                "percent": invoice.allowance_percent,
                "amount": invoice.allowance_amount
                if invoice.allowance_amount and invoice.allowance_percent is None
                else None,
            },
            auto_id="allowance_%s",
        )
    if invoice.is_draft and not invoice.is_credit_note:
        national = conversion_needed(
            invoice.entity.country, invoice.currency, invoice.tax_category, invoice.period_end
        )
        if national:
            context["national_currency"] = national
            context["rate_form"] = forms.get("rate_form") or ExchangeRateForm(
                initial={"rate": invoice.exchange_rate, "day": invoice.exchange_rate_date}
                if invoice.exchange_rate_entered_by
                else {},
                auto_id="rate_%s",
            )
    if invoice.is_credit_note and invoice.is_final:
        context["settlement"] = payments.credit_note_settlement(invoice)
        if invoice.open_balance > 0:
            context["set_off_form"] = forms.get("set_off_form") or SetOffForm(
                credit_note=invoice,
                initial={"paid_on": today},
                auto_id="set_off_%s",
            )
    formats = dict(Partner.EINVOICE_FORMAT_CHOICES)
    if invoice.is_final:
        context["einvoice_format_label"] = formats.get(invoice.einvoice_format, "PDF only")
        context["treatment_label"] = TaxTreatment(invoice.tax_category, invoice.tax_rate).label
    else:
        context["einvoice_format_label"] = formats[billing.einvoice_format_for(invoice)]
        treatment = billing.draft_tax_treatment(invoice, invoice.partner, invoice.corrects)
        context["treatment_label"] = treatment.label
        context["treatment_reason"] = treatment.reason
        context["problems"] = billing.missing_invoicing_details(invoice)
        if invoice.self_billed and not invoice.is_credit_note:
            context["deliveries"] = Lead.objects.filter(payout_invoice_id=invoice.pk).count()
        else:
            field = "credit_note_id" if invoice.is_credit_note else "invoice_id"
            context["deliveries"] = billing.transactions_on([invoice], field).count()
    return render(request, "invoicing/invoice_detail.html", context, status=status)


@entity_required
def invoice_detail(request, pk):
    return _render_detail(request, get_invoice_for_user(request, pk))


def _fail(request, invoice, error: InvoicingError):
    messages.error(request, str(error))
    return redirect("invoicing:detail", invoice.pk)


@require_POST
@role_required("finance")
def add_credit(request, pk):
    invoice = get_invoice_for_user(request, pk)
    form = CreditForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, invoice, status=400, credit_form=form)
    try:
        billing.add_credit(invoice, **form.cleaned_data, by=request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(request, _("Credit added."))
    return redirect("invoicing:detail", invoice.pk)


@require_POST
@role_required("finance")
def add_payout(request, pk):
    invoice = get_invoice_for_user(request, pk)
    form = PayoutLineForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, invoice, status=400, payout_line_form=form)
    try:
        add_payout_line(invoice, **form.cleaned_data, by=request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(request, _("Payout line added."))
    return redirect("invoicing:detail", invoice.pk)


@require_POST
@role_required("finance")
def remove_credit(request, pk, line_pk):
    invoice = get_invoice_for_user(request, pk)
    line = get_object_or_404(InvoiceLine, pk=line_pk, invoice=invoice)
    try:
        billing.remove_credit(line, by=request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(request, _("Line removed."))
    return redirect("invoicing:detail", invoice.pk)


@require_POST
@role_required("finance")
def update_notes(request, pk):
    invoice = get_invoice_for_user(request, pk)
    form = NotesForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, invoice, status=400, notes_form=form)
    try:
        billing.update_notes(invoice, form.cleaned_data["notes"], by=request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(request, _("Notes saved."))
    return redirect("invoicing:detail", invoice.pk)


@require_POST
@role_required("finance")
def allowance(request, pk):
    invoice = get_invoice_for_user(request, pk)
    form = AllowanceForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, invoice, status=400, allowance_form=form)
    data = form.cleaned_data
    try:
        billing.set_allowance(
            invoice, data["reason"], data["amount"], data["percent"], by=request.user
        )
    except InvoicingError as error:
        return _fail(request, invoice, error)
    removed = data["amount"] is None and data["percent"] is None
    messages.success(request, _("Allowance removed.") if removed else _("Allowance saved."))
    return redirect("invoicing:detail", invoice.pk)


@require_POST
@role_required("finance")
def exchange_rate(request, pk):
    invoice = get_invoice_for_user(request, pk)
    form = ExchangeRateForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, invoice, status=400, rate_form=form)
    rate, day = form.cleaned_data["rate"], form.cleaned_data["day"]
    try:
        billing.enter_exchange_rate(invoice, rate, day, by=request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(
        request, _("Exchange rate saved.") if rate else _("The rule of Settings applies.")
    )
    return redirect("invoicing:detail", invoice.pk)


@require_http_methods(["GET", "POST"])
@role_required("finance")
def delete_draft(request, pk):
    invoice = get_invoice_for_user(request, pk)
    if request.method == "GET":
        return confirmation(
            request,
            title=_("Delete {invoice}?").format(invoice=invoice),
            message=_("The draft and its lines are deleted; its deliveries can be billed again."),
            button=_("Delete the draft"),
            back=reverse("invoicing:detail", args=[invoice.pk]),
        )
    try:
        released = billing.delete_draft(invoice)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(
        request,
        ngettext(
            "Draft deleted; {count} delivery can be billed again.",
            "Draft deleted; {count} deliveries can be billed again.",
            released,
        ).format(count=format_number(released)),
    )
    return redirect("invoicing:index")


@require_POST
@role_required("finance")
def finalize(request, pk):
    invoice = get_invoice_for_user(request, pk)
    try:
        invoice = billing.finalize_invoice(invoice, request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    if documents_pending(invoice):
        messages.warning(
            request,
            _("{title} {number} is finalized, but rendering its PDF failed.").format(
                title=invoice.title, number=invoice.number
            )
            + " "
            + DOCUMENTS_PENDING,
        )
    else:
        messages.success(
            request,
            _("{title} {number} finalized. Its PDF is locked.").format(
                title=invoice.title, number=invoice.number
            ),
        )
    return redirect("invoicing:detail", invoice.pk)


@require_http_methods(["GET", "POST"])
@role_required("finance")
def void(request, pk):
    invoice = get_invoice_for_user(request, pk)
    form = VoidForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return _render_detail(request, invoice, status=400, void_form=form)
    if request.method == "GET":
        return confirmation(
            request,
            title=_("Void invoice {number}?").format(number=invoice.number),
            message=_("This cannot be undone."),
            consequences=[
                _("A credit note for all of it not yet credited is issued and numbered."),
                _("The invoice is marked Void; its deliveries can be billed again."),
                _("Reason printed on the credit note: {reason}").format(
                    reason=form.cleaned_data["reason"]
                ),
            ],
            button=_("Void and issue the credit note"),
            back=reverse("invoicing:detail", args=[invoice.pk]),
            fields={"reason": form.cleaned_data["reason"]},
        )
    try:
        credit_note = corrections.void_invoice(invoice, form.cleaned_data["reason"], request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(
        request,
        _(
            "Invoice {number} is void; credit note {credit_note} issued. "
            "Its deliveries can be billed again."
        ).format(number=invoice.number, credit_note=credit_note.number),
    )
    return redirect("invoicing:detail", credit_note.pk)


@require_http_methods(["GET", "POST"])
@role_required("finance")
def reduce_price(request, pk):
    """Reduce a finalized invoice's price by a credit note, after a confirmation."""
    invoice = get_invoice_for_user(request, pk)
    form = ReductionForm(
        request.POST if request.method == "POST" else request.GET, auto_id="reduce_%s"
    )
    if not form.is_valid():
        return _render_detail(request, invoice, status=400, reduction_form=form)
    data = form.cleaned_data
    by = (
        _("{amount} (net)").format(amount=format_amount(data["amount"], invoice.currency))
        if data["amount"] is not None
        else _("{percent} of what is not credited yet").format(
            percent=f"{format_number(data['percent'], 0, 2)} %"
        )
    )
    if request.method == "GET":
        return confirmation(
            request,
            title=_("Reduce the price of {number} by {by}?").format(number=invoice.number, by=by),
            message=_("This cannot be undone."),
            consequences=[
                _("A credit note is issued and numbered, with the invoice's tax treatment."),
                _("Reason printed on it: {reason}").format(reason=data["reason"]),
            ],
            button=_("Issue the credit note"),
            back=reverse("invoicing:detail", args=[invoice.pk]),
            fields={k: "" if v is None else str(v) for k, v in data.items()},
        )
    try:
        credit_note = corrections.reduce_price(invoice, **data, by=request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(
        request,
        _("Credit note {credit_note} issued for {number}.").format(
            credit_note=credit_note.number, number=invoice.number
        ),
    )
    return redirect("invoicing:detail", credit_note.pk)


@entity_required
def download_pdf(request, pk):
    return _download(request, get_invoice_for_user(request, pk), InvoiceDocument.PDF)


@entity_required
def download_xml(request, pk):
    invoice = get_invoice_for_user(request, pk)
    if invoice.is_final and not has_xml(invoice):
        raise Http404(_("This invoice's format is PDF only."))
    return _download(request, invoice, InvoiceDocument.XML)


@entity_required
def draft_pdf(request, pk):
    """The draft's PDF as finalizing it today would make it, marked DRAFT, without a number;
    made now and never kept."""
    invoice = get_invoice_for_user(request, pk)
    if invoice.is_final:
        return redirect("invoicing:pdf", invoice.pk)
    response = HttpResponse(
        render_draft_pdf(billing.draft_as_issued(invoice)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="draft-{invoice.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _download(request, invoice, kind):
    """A locked document, never one made up now: without it, the page says why."""
    if not invoice.is_final:
        messages.error(request, _("A draft has no documents yet: finalize it first."))
        return redirect("invoicing:detail", invoice.pk)
    document = stored_document(invoice, kind)
    if document is None:
        messages.error(request, DOCUMENTS_PENDING)
        return redirect("invoicing:detail", invoice.pk)
    return document_response(document, request.user)


DOCUMENTS_PENDING = gettext_lazy(
    "Its documents are not rendered yet, so it cannot be downloaded or sent. They are "
    "rendered again within minutes; or use “Render documents now”."
)


@require_POST
@role_required("finance")
def render_documents(request, pk):
    """Render the missing documents of a finalized invoice now (with its own template)."""
    invoice = get_invoice_for_user(request, pk)
    if not invoice.is_final:
        raise Http404(_("A draft has no documents."))
    try:
        store_documents(invoice)
    except Exception:
        logger.exception("Invoice %s: rendering its documents failed", invoice.pk)
        messages.error(
            request,
            _(
                "Rendering its documents failed again; the error is logged. They are retried "
                "every few minutes; if it keeps failing, contact support."
            ),
        )
    else:
        messages.success(request, _("Its documents are rendered and locked."))
    return redirect("invoicing:detail", invoice.pk)


def document_response(document: InvoiceDocument, by) -> HttpResponse:
    """The document as a download; the download is recorded in the audit trail."""
    record_event(document.invoice, InvoiceEvent.DOWNLOADED, by, document.filename)
    response = HttpResponse(bytes(document.content), content_type=document.mimetype)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response


@entity_required
def oss_return(request):
    """The quarter's supplies taxed in other member states, as the OSS return wants them."""
    entity = request.entity
    today = billing.local_today(entity)
    last = (today.month - 1) // 3 or 4  # the quarter just ended
    form = QuarterForm(request.GET or {"year": today.year - (last == 4), "quarter": last})
    rows, problem = [], ""
    if form.is_valid():
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        try:
            rows = oss.oss_return(entity, year, quarter)
        except oss.ReturnError as error:
            problem = str(error)
        if request.GET.get("format") == "csv" and not problem:
            response = HttpResponse(
                oss.oss_return_csv(rows), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="oss-{year}-q{quarter}.csv"'
            return response
    return render(
        request,
        "invoicing/oss_return.html",
        {"form": form, "rows": rows, "problem": problem},
        status=200 if form.is_valid() else 400,
    )


@entity_required
def lead_list(request, pk):
    """The invoice's listed leads as CSV, the one attached to its e-invoice."""
    invoice = get_invoice_for_user(request, pk)
    if not invoice.billed_leads.exists():
        raise Http404(_("This invoice lists no leads one by one."))
    response = HttpResponse(lead_list_csv(invoice), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{lead_list_filename(invoice)}"'
    return response


@entity_required
def events_export(request, pk):
    invoice = get_invoice_for_user(request, pk)
    response = HttpResponse(events_csv(invoice), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="events-{invoice.pk}.csv"'
    return response


@require_POST
@role_required("finance")
def record_payment(request, pk):
    invoice = get_invoice_for_user(request, pk)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, invoice, status=400, payment_form=form)
    try:
        payments.record_payment(invoice, **form.cleaned_data, by=request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(request, _("Payment recorded."))
    return redirect("invoicing:detail", invoice.pk)


@require_POST
@role_required("finance")
def set_off(request, pk):
    """Set an open credit note off against another open invoice of its partner."""
    credit_note = get_invoice_for_user(request, pk)
    form = SetOffForm(request.POST, credit_note=credit_note, auto_id="set_off_%s")
    if not form.is_valid():
        return _render_detail(request, credit_note, status=400, set_off_form=form)
    data = form.cleaned_data
    try:
        payments.set_off(
            credit_note, data["invoice"], data["amount"], data["paid_on"], request.user
        )
    except InvoicingError as error:
        return _fail(request, credit_note, error)
    amount = format_amount(data["amount"], credit_note.currency)
    messages.success(
        request,
        _("{amount} of {credit_note} set off against {invoice}.").format(
            amount=amount, credit_note=credit_note, invoice=data["invoice"]
        ),
    )
    return redirect("invoicing:detail", credit_note.pk)


@require_POST
@role_required("finance")
def mark_paid(request, pk):
    invoice = get_invoice_for_user(request, pk)
    form = PaidForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, invoice, status=400, paid_form=form)
    try:
        payments.mark_paid(invoice, form.cleaned_data["paid_on"], by=request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(request, _("{invoice} marked paid.").format(invoice=invoice))
    return redirect("invoicing:detail", invoice.pk)


@require_POST
@role_required("finance")
def mark_unpaid(request, pk):
    invoice = get_invoice_for_user(request, pk)
    try:
        payments.mark_unpaid(invoice, by=request.user)
    except InvoicingError as error:
        return _fail(request, invoice, error)
    messages.success(request, _("{invoice} marked unpaid.").format(invoice=invoice))
    return redirect("invoicing:detail", invoice.pk)


@require_http_methods(["GET", "POST"])
@role_required("finance")
def cancel_delivery(request, pk):
    """Cancel a delivery from the Distribution Logs page."""
    txn = get_object_or_404(DistributionTransaction.objects.select_related("lead"), pk=pk)
    form = CancelDeliveryForm(request.POST if request.method == "POST" else request.GET)
    back = request.POST.get("next", "") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("distribution:logs")
    if request.method == "GET" and form.is_valid():
        reason = dict(DistributionTransaction.CANCEL_REASON_CHOICES)[form.cleaned_data["reason"]]
        return confirmation(
            request,
            title=_("Cancel the delivery of lead {lead}?").format(lead=txn.lead.external_id),
            message=_("Reason: {reason}. A cancellation cannot be taken back.").format(
                reason=reason
            ),
            consequences=[
                _("Not yet invoiced: it is not billed."),
                _("On a draft: it leaves the draft, which is recomputed."),
                _("On a finalized invoice: it goes onto a credit note draft for that invoice."),
            ],
            button=_("Cancel the delivery"),
            back=back,
            fields={"reason": form.cleaned_data["reason"], "next": back},
        )
    if not form.is_valid():
        messages.error(request, _("Choose a reason for the cancellation."))
    else:
        try:
            changed = corrections.cancel_delivery(txn, form.cleaned_data["reason"], by=request.user)
        except (InvoicingError, DeliveryError) as error:
            messages.error(request, str(error))
        else:
            if changed is not None and changed.is_credit_note:
                done = _(
                    "Delivery of lead {lead} cancelled; it is on credit note draft #{pk} for "
                    "{invoice}."
                ).format(lead=txn.lead.external_id, pk=changed.pk, invoice=changed.corrects)
            else:
                done = _("Delivery of lead {lead} cancelled.").format(lead=txn.lead.external_id)
            messages.success(request, done)
    return redirect(back)


@require_http_methods(["GET", "POST"])
@role_required("finance")
def send(request, pk):
    """Send the invoice to the partner the way its delivery setting says: by email (with a
    preview of the email), over Peppol, or in the portal (again, if asked explicitly)."""
    invoice = get_invoice_for_user(request, pk)
    if request.method == "GET":
        again = "again" in request.GET
        channel = channels.channel_for(invoice)
        to = channel.recipient(invoice)
        email = None
        try:
            if channel.code == Dispatch.EMAIL:
                email = email_channel.preview_message(invoice)
            else:
                channel.check(invoice)
        except (InvoicingError, MailNotConfigured) as error:
            return _fail(request, invoice, error)
        title = {
            Dispatch.EMAIL: (
                _("Send {invoice} again to {to}?") if again else _("Send {invoice} to {to}?")
            ),
            Dispatch.PEPPOL: (
                _("Send {invoice} again over Peppol to {to}?")
                if again
                else _("Send {invoice} over Peppol to {to}?")
            ),
            Dispatch.PORTAL: _("Publish {invoice} in the partner portal?"),
        }[channel.code]
        message = {
            Dispatch.EMAIL: _(
                "This email goes out; its text is the one in Settings for this kind of document."
            ),
            Dispatch.PEPPOL: _(
                "Its Peppol BIS e-invoice goes to your access point, which checks it and sends "
                "it to the partner's. If the partner turns out not to be on Peppol and its "
                "delivery is automatic, it is emailed instead."
            ),
            Dispatch.PORTAL: _("The partner's users see it in the portal; no email goes out."),
        }[channel.code]
        return confirmation(
            request,
            title=title.format(invoice=invoice, to=to or _("the partner")),
            message=message,
            email=email,
            button=_("Send it again") if again else _("Send it"),
            back=reverse("invoicing:detail", args=[invoice.pk]),
            fields={"again": "1"} if again else {},
        )
    try:
        dispatch = channels.queue_sending(invoice, request.user, again="again" in request.POST)
    except (InvoicingError, MailNotConfigured) as error:
        return _fail(request, invoice, error)
    messages.success(
        request, _("{invoice} is being sent to {to}.").format(invoice=invoice, to=dispatch.to)
    )
    return redirect("invoicing:detail", invoice.pk)


@csrf_exempt
@require_POST
def peppol_webhook(request, token):
    """The access point's news of a document (delivered, failed), signed with the webhook's
    secret. Only the document id is read from it: the state is asked from the access point."""
    try:
        dispatch = peppol.dispatch_of_webhook(
            token, request.body, request.headers.get("X-Signature", "")
        )
    except (peppol.WebhookRefused, ValueError):
        return HttpResponseForbidden("bad signature")
    if dispatch is not None:
        follow_dispatch.delay(dispatch.pk)
    return HttpResponse("ok")


@require_http_methods(["GET", "POST"])
@role_required("finance")
def selected(request):
    """Finalize or email the invoices ticked in the list, after a confirmation."""
    form = SelectionForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("invoicing:index")
    action, invoices = form.cleaned_data["action"], form.cleaned_data["invoices"]
    ids = [str(invoice.pk) for invoice in invoices]
    if action == SelectionForm.FINALIZE:
        drafts = invoices.filter(status=Invoice.DRAFT)
        if request.method == "GET":
            return confirmation(
                request,
                title=_counted(
                    ngettext("Finalize {count} draft?", "Finalize {count} drafts?", drafts.count()),
                    drafts.count(),
                ),
                message=_(
                    "Each gets the next number, is frozen and its PDF locked. This cannot be "
                    "undone; a draft that cannot be finalized yet stays a draft, with the reason."
                ),
                consequences=[f"{d} · {d.partner.name}" for d in drafts.select_related("partner")]
                + _left_out(
                    ngettext(
                        "Left out: {count} document, already finalized.",
                        "Left out: {count} documents, already finalized.",
                        invoices.count() - drafts.count(),
                    ),
                    invoices.count() - drafts.count(),
                ),
                button=_counted(
                    ngettext("Finalize {count} draft", "Finalize {count} drafts", drafts.count()),
                    drafts.count(),
                ),
                back=reverse("invoicing:index"),
                fields={"action": action, "invoices": ids},
            )
        finalized, problems = billing.finalize_drafts(drafts, request.user)
        done = len(finalized)
        if done:
            messages.success(
                request,
                _counted(
                    ngettext("{count} invoice finalized.", "{count} invoices finalized.", done),
                    done,
                ),
            )
    else:
        finals = invoices.filter(status=Invoice.FINAL)
        if request.method == "GET":
            return confirmation(
                request,
                title=_counted(
                    ngettext("Send {count} invoice?", "Send {count} invoices?", finals.count()),
                    finals.count(),
                ),
                message=_(
                    "Each goes to its partner the way its delivery setting says: by email with "
                    "its PDF and the text in Settings for its kind, over Peppol, or in the "
                    "partner portal. One already sent is left out."
                ),
                consequences=[
                    _delivery_line(invoice, channels.channel_for(invoice))
                    for invoice in finals.select_related("partner")
                ]
                + _left_out(
                    ngettext(
                        "Left out: {count} draft, finalize before sending.",
                        "Left out: {count} drafts, finalize before sending.",
                        invoices.count() - finals.count(),
                    ),
                    invoices.count() - finals.count(),
                ),
                button=_counted(
                    ngettext("Send {count} invoice", "Send {count} invoices", finals.count()),
                    finals.count(),
                ),
                back=reverse("invoicing:index"),
                fields={"action": action, "invoices": ids},
            )
        done, problems = channels.queue_invoices(finals, request.user)
        if done:
            messages.success(
                request,
                _counted(
                    ngettext("{count} invoice being sent.", "{count} invoices being sent.", done),
                    done,
                ),
            )
    for problem in problems[:10]:
        messages.warning(request, problem)
    if not (done or problems):
        messages.info(request, _("Nothing to do for the invoices ticked."))
    return redirect("invoicing:index")


def _counted(text: str, count: int) -> str:
    """`text`, from ngettext, with the count written in the active language."""
    return text.format(count=format_number(count))


def _left_out(text: str, count: int) -> list[str]:
    return [_counted(text, count)] if count else []


def _delivery_line(invoice, channel) -> str:
    """ "RE-2026-0001 → Peppol: 0208:0403019261", for a confirmation."""
    to = channel.recipient(invoice) or _("no address")
    return f"{invoice} → {dict(Dispatch.CHANNEL_CHOICES)[channel.code]}: {to}"


@require_http_methods(["GET", "POST"])
@role_required("finance")
def send_period(request):
    """Send every finalized, unsent invoice of a billing period, each by its partner's
    delivery setting."""
    form = PeriodForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, _("Pick the period whose invoices to send."))
        return redirect("invoicing:index")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if request.method == "GET":
        count = channels.unsent_invoices(request.entity, start, end).count()
        period = f"{format_date(start)} – {format_date(end)}"
        return confirmation(
            request,
            title=ngettext(
                "Send {count} invoice of {period}?", "Send {count} invoices of {period}?", count
            ).format(count=format_number(count), period=period),
            message=_(
                "Every finalized invoice of the period that was not sent yet goes to its "
                "partner the way its delivery setting says: by email to its billing address, "
                "over Peppol, or in the partner portal."
            ),
            button=_counted(
                ngettext("Send {count} invoice", "Send {count} invoices", count), count
            ),
            back=reverse("invoicing:index"),
            fields={"start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"},
        )
    queued, skipped = channels.queue_period(request.entity, start, end, request.user)
    if queued:
        messages.success(
            request,
            _counted(
                ngettext("{count} invoice being sent.", "{count} invoices being sent.", queued),
                queued,
            ),
        )
    else:
        messages.info(request, _("No finalized, unsent invoice in this period."))
    for reason in skipped[:10]:
        messages.warning(request, _("Not sent: {reason}").format(reason=reason))
    return redirect("invoicing:index")


@require_POST
@role_required("finance")
def start_run(request):
    """Bill a period in the background; the invoices page shows its progress."""
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("invoicing:index")
    data = form.cleaned_data
    try:
        run, queued = runs.start_run(
            request.entity, data["start"], data["end"], data["mode"], by=request.user
        )
    except InvoicingError as error:
        messages.error(request, str(error))
        return redirect("invoicing:index")
    if queued:
        period = f"{format_date(data['start'])} – {format_date(data['end'])}"
        messages.success(request, _("Billing {period} started.").format(period=period))
    elif run.status == BillingRun.WAITING_FOR_RETURNS:
        messages.info(request, runs.progress(run)["status_label"])
    else:
        messages.info(request, _("This period is being billed already; its progress is below."))
    return redirect("invoicing:index")


@entity_required
def run_status(request, pk):
    """A run's progress as JSON, for the progress bar."""
    return JsonResponse(runs.progress(get_object_or_404(BillingRun, pk=pk)))


# The Entity's invoice template


@entity_required
def invoice_template(request):
    """Edit the Liquid template of the Entity's invoice PDFs, with a live preview. Saving
    checks it against a sample of every kind of document; only an owner saves."""
    entity = request.entity
    source = entity.invoice_template or templating.default_template()
    problems = []
    if request.method == "POST":
        if request.membership.role != Membership.OWNER:
            raise PermissionDenied(_("Only an owner of this account can change the template."))
        if "reset" in request.POST:
            entity.invoice_template = ""
            entity.save(update_fields=["invoice_template"])
            messages.success(request, _("The default template is used again for new invoices."))
            return redirect("invoicing:template")
        source = request.POST.get("template", "")
        problems = template_review.template_problems(source, entity)
        if not problems:
            default = source.strip() == templating.default_template().strip()
            entity.invoice_template = "" if default else source
            entity.save(update_fields=["invoice_template"])
            messages.success(
                request,
                _("Template saved. Invoices finalized from now on use it; issued PDFs stay."),
            )
            return redirect("invoicing:template")
    return render(
        request,
        "invoicing/template_editor.html",
        {
            "source": source,
            "problems": problems,
            "cases": templating.SAMPLE_CASES,
            "languages": settings.LANGUAGES,
            "is_default": not entity.invoice_template,
        },
        status=400 if problems else 200,
    )


@require_POST
@role_required("finance")
def invoice_template_preview(request):
    """The template rendered on a sample invoice, as JSON {html} or {error}, or as a PDF
    when format=pdf."""
    case = request.POST.get("case", "invoice")
    if case not in dict(templating.SAMPLE_CASES):
        case = "invoice"
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    as_pdf = request.POST.get("format") == "pdf"
    try:
        html = templating.render_sample(
            request.POST.get("template", ""), request.entity, case, language
        )
    except templating.TemplateProblem as problem:
        if as_pdf:
            return HttpResponse(str(problem), status=400, content_type="text/plain")
        return JsonResponse({"error": str(problem)})
    if as_pdf:
        pdf = pdf_from_html(html)
        return HttpResponse(pdf, content_type="application/pdf")
    return JsonResponse({"html": html})


@entity_required
def readiness(request):
    """Before finalizing a period: everything to fix, each with its link."""
    form = PeriodForm(request.GET if "start" in request.GET else _default_period(request))
    context = {"form": form}
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        context.update(start=start, end=end, blockers=blockers(request.entity, start, end))
    return render(request, "invoicing/readiness.html", context)


@entity_required
def accounting_export(request):
    """The period's documents as a download: DATEV, the FEC or a journal CSV."""
    form = PeriodForm(request.GET)
    kind = request.GET.get("format", "csv")
    if not form.is_valid() or kind not in accounting.FORMATS:
        messages.error(request, _("Choose a period and a format for the accounting export."))
        return redirect("invoicing:index")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        found = accounting.export(request.entity, kind, start, end)
    except InvoicingError as error:
        messages.error(request, str(error))
        return redirect("invoicing:index")
    response = HttpResponse(found.content, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response
