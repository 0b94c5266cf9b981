"""Bank statements: uploading a file, the entries it brought (to confirm first), and a
person's decision on an entry the matching left open: which invoices it pays, or why it is
ignored."""

from collections import Counter
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from entities.confirm import confirmation
from entities.decorators import entity_required, role_required
from entities.languages import format_date
from entities.numbers import amount as format_amount

from .banking import matching
from .banking.statements import check_size, import_statement
from .models import BankEntry, BankStatement, Invoice, InvoicingError, Payment


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Statement file"),
        help_text=gettext_lazy("CAMT.053, CAMT.054 (XML) or MT940, as your bank exports it."),
    )


class AssignForm(forms.Form):
    invoices = forms.ModelMultipleChoiceField(queryset=None, required=False)
    numbers = forms.CharField(
        label=gettext_lazy("Other invoice numbers"), required=False, max_length=500
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)

    def __init__(self, *args, entry, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        self.fields["invoices"].queryset = Invoice.objects.filter(
            self_billed=not entry.is_credit, currency=entry.currency
        )

    def clean(self):
        data = super().clean()
        chosen = list(data.get("invoices") or [])
        numbers = [n.strip() for n in data.get("numbers", "").replace(";", ",").split(",")]
        for number in filter(None, numbers):
            invoice = self.fields["invoices"].queryset.filter(number__iexact=number).first()
            if invoice is None:
                raise forms.ValidationError(
                    _("No invoice {number} in {currency}.").format(
                        number=number, currency=self.entry.currency
                    )
                )
            chosen.append(invoice)
        if not chosen:
            raise forms.ValidationError(_("Choose the invoices the entry pays."))
        data["chosen"] = list({invoice.pk: invoice for invoice in chosen}.values())
        return data


@entity_required
def statements(request):
    page = Paginator(BankStatement.objects.defer("content"), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "invoicing/statements.html",
        {
            "form": UploadForm(),
            "statements": page,
            "counts": Counter(BankEntry.objects.values_list("status", flat=True)),
            "has_iban": bool(request.entity.iban),
        },
    )


@require_POST
@role_required("finance")
def upload_statement(request):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("invoicing:statements")
    upload = form.cleaned_data["file"]
    try:
        check_size(upload.size)  # before reading it into memory
        statement = import_statement(request.entity, upload.name, upload.read(), request.user)
    except InvoicingError as error:
        messages.error(request, str(error))
        return redirect("invoicing:statements")
    messages.success(request, _import_summary(statement))
    return redirect(reverse("invoicing:bank_entries") + f"?statement={statement.pk}&status=all")


def _import_summary(statement: BankStatement) -> str:
    counts = Counter(statement.entries.values_list("status", flat=True))
    if not statement.new_entries:
        return _("Statement imported: its {count} entries were all imported before.").format(
            count=statement.entries_count
        )
    return _(
        "Statement imported: {new} new entries, {matched} matched and paid, {to_confirm} to "
        "confirm, {unmatched} unmatched."
    ).format(
        new=statement.new_entries,
        matched=counts[BankEntry.MATCHED],
        to_confirm=counts[BankEntry.TO_CONFIRM],
        unmatched=counts[BankEntry.UNMATCHED],
    )


@entity_required
def entries(request):
    status = request.GET.get("status", BankEntry.TO_CONFIRM)
    if status not in {value for value, _label in BankEntry.STATUS_CHOICES} | {"all"}:
        status = BankEntry.TO_CONFIRM
    shown = BankEntry.objects.select_related("statement").prefetch_related(
        "suggestions", Prefetch("payments", Payment.objects.select_related("invoice"))
    )
    if status != "all":
        shown = shown.filter(status=status)
    statement = None
    if request.GET.get("statement", "").isdigit():
        statement = get_object_or_404(BankStatement, pk=request.GET["statement"])
        shown = shown.filter(statement=statement)
    counts = Counter(
        (statement.entries if statement else BankEntry.objects).values_list("status", flat=True)
    )
    page = Paginator(shown, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "invoicing/bank_entries.html",
        {
            "entries": page,
            "status": status,
            "statement": statement,
            "tabs": [(value, label, counts[value]) for value, label in BankEntry.STATUS_CHOICES]
            + [("all", _("All"), sum(counts.values()))],
        },
    )


@entity_required
def entry_detail(request, pk):
    entry = get_object_or_404(BankEntry.objects.select_related("statement"), pk=pk)
    open_suggestions = [i for i in entry.suggestions.all() if i.open_balance > 0]
    return render(
        request,
        "invoicing/bank_entry.html",
        {
            "entry": entry,
            "suggestions": open_suggestions,
            "payments": entry.payments.select_related("invoice"),
            "decided": entry.status in (BankEntry.MATCHED, BankEntry.IGNORED),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required("finance")
def assign_entry(request, pk):
    """Ask (GET) with the invoices chosen, then record (POST) their payments."""
    entry = get_object_or_404(BankEntry, pk=pk)
    back = reverse("invoicing:bank_entry", args=[entry.pk])
    form = AssignForm(request.POST if request.method == "POST" else request.GET, entry=entry)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    chosen, note = form.cleaned_data["chosen"], form.cleaned_data["note"]
    if request.method == "GET":
        return confirmation(
            request,
            title=_("Record {amount} from this entry?").format(
                amount=format_amount(entry.amount, entry.currency)
            ),
            message=_(
                "The entry of {date} pays these invoices, the one due first first, each up to "
                "what it has open."
            ).format(date=format_date(entry.booked_on)),
            consequences=_allocation(entry, chosen),
            button=_("Record the payments"),
            back=back,
            fields={"invoices": [str(invoice.pk) for invoice in chosen], "note": note},
        )
    try:
        matching.assign(entry, chosen, request.user, note)
    except InvoicingError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(request, _("Payments recorded from the bank entry."))
    return redirect(reverse("invoicing:bank_entries"))


def _allocation(entry: BankEntry, invoices: list[Invoice]) -> list[str]:
    left, lines = entry.amount, []
    for invoice in matching.in_paying_order(invoices):
        part = min(left, invoice.open_balance)
        left -= part
        lines.append(
            _("{number} ({partner}): {part} of {open} open").format(
                number=invoice.number,
                partner=invoice.partner.legal_name,
                part=format_amount(part, entry.currency),
                open=format_amount(invoice.open_balance, entry.currency),
            )
        )
    if left > Decimal(0):
        lines.append(
            _("{amount} is left over: the invoices have less open.").format(
                amount=format_amount(left, entry.currency)
            )
        )
    return lines


@require_http_methods(["GET", "POST"])
@role_required("finance")
def ignore_entry(request, pk):
    """Ask (GET) with the note, then set the entry aside (POST)."""
    entry = get_object_or_404(BankEntry, pk=pk)
    data = request.POST if request.method == "POST" else request.GET
    note = data.get("note", "").strip()[:500]
    if not note:
        messages.error(request, _("Say why the entry is ignored."))
        return redirect("invoicing:bank_entry", pk=entry.pk)
    if request.method == "GET":
        return confirmation(
            request,
            title=_("Ignore this entry of {amount}?").format(
                amount=format_amount(entry.amount, entry.currency)
            ),
            message=_("It records no payment and leaves the lists to confirm."),
            consequences=[note],
            button=_("Ignore the entry"),
            back=reverse("invoicing:bank_entry", args=[entry.pk]),
            fields={"note": note},
        )
    try:
        matching.ignore(entry, note, request.user)
    except InvoicingError as error:
        messages.error(request, str(error))
        return redirect("invoicing:bank_entry", pk=entry.pk)
    messages.success(request, _("The entry is set aside as ignored."))
    return redirect("invoicing:bank_entries")
