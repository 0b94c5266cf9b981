"""Paying suppliers by SEPA credit transfer: the payouts due, the transfer files made, a
file's download, and withdrawing a file the bank has not run."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from entities.confirm import confirmation
from entities.dates import DateField
from entities.decorators import entity_required, role_required
from entities.languages import format_date
from entities.numbers import amount as format_amount
from entities.numbers import iban

from .banking import sepa
from .billing import local_today
from .models import CreditTransfer, Invoice, InvoicingError


class TransferForm(forms.Form):
    execution_date = DateField(label=gettext_lazy("Execution date"))
    payouts = forms.ModelMultipleChoiceField(
        queryset=None, error_messages={"required": gettext_lazy("Tick the payouts first.")}
    )

    def __init__(self, *args, entity, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        # Scoped to the Entity; one not due by the execution date is left out later.
        self.fields["payouts"].queryset = Invoice.objects.filter(self_billed=True)

    def clean_execution_date(self):
        day = self.cleaned_data["execution_date"]
        if day < local_today(self.entity):
            raise forms.ValidationError(_("A bank executes a transfer today or later."))
        return day


@entity_required
def payouts(request):
    entity = request.entity
    today = local_today(entity)
    due = sepa.payouts_due(entity, today)
    transfers = Paginator(CreditTransfer.objects.all(), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "invoicing/payouts.html",
        {
            "due": due,
            "later": sepa.payouts_due(entity).exclude(pk__in=due.values("pk")),
            "transfers": transfers,
            "today": today,
            "has_iban": bool(entity.iban),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required("finance")
def create_transfer(request):
    """Ask (GET), then make (POST) the transfer file for the ticked payouts."""
    form = TransferForm(
        request.POST if request.method == "POST" else request.GET, entity=request.entity
    )
    back = reverse("invoicing:payouts")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    day, ticked = form.cleaned_data["execution_date"], form.cleaned_data["payouts"]
    payable = list(sepa.payouts_due(request.entity, day).filter(pk__in=ticked))
    if request.method == "GET":
        if not payable:
            messages.error(request, _("None of these payouts is due and unpaid by that date."))
            return redirect(back)
        total = sum(invoice.open_balance for invoice in payable)
        count = len(payable)
        return confirmation(
            request,
            title=ngettext(
                "Pay {count} supplier by SEPA transfer?",
                "Pay {count} suppliers by SEPA transfer?",
                count,
            ).format(count=count),
            message=_(
                "A pain.001 file pays {total} on {date} from {iban}. Upload it to your bank; "
                "the payouts count as payment sent until the bank statement shows them paid."
            ).format(
                total=format_amount(total, "EUR"),
                date=format_date(day),
                iban=iban(request.entity.iban),
            ),
            consequences=[
                f"{invoice.number} · {invoice.seller.get('name', '')} · "
                f"{format_amount(invoice.open_balance, 'EUR')}"
                for invoice in payable
            ],
            button=_("Make the transfer file"),
            back=back,
            fields={
                "execution_date": day.isoformat(),
                "payouts": [str(invoice.pk) for invoice in payable],
            },
        )
    try:
        transfer = sepa.create_transfer(request.entity, payable, day, request.user)
    except InvoicingError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(
        request,
        _("Transfer file made: {total} on {date}. Download it below and upload it to your bank.")
        .format(total=format_amount(transfer.total, "EUR"), date=format_date(day)),
    )  # fmt: skip
    return redirect(back)


@role_required("finance")  # a bank-ready file with every supplier's IBAN in it
def transfer_file(request, pk):
    transfer = get_object_or_404(CreditTransfer, pk=pk)
    if transfer.withdrawn_at:
        # Its payouts may be in a newer file: uploading this one too would pay them twice.
        messages.error(request, _("This transfer file is withdrawn: it is not to be uploaded."))
        return redirect("invoicing:payouts")
    response = HttpResponse(bytes(transfer.content), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{transfer.filename}"'
    return response


@require_http_methods(["GET", "POST"])
@role_required("finance")
def withdraw_transfer(request, pk):
    transfer = get_object_or_404(CreditTransfer, pk=pk)
    if request.method == "GET":
        return confirmation(
            request,
            title=_("Withdraw the transfer file of {date}?").format(
                date=format_date(transfer.execution_date)
            ),
            message=_(
                "Only if your bank has not run it: delete it at the bank too. Its payouts are "
                "then due again and go into the next file."
            ),
            button=_("Withdraw the file"),
            back=reverse("invoicing:payouts"),
        )
    try:
        count = sepa.withdraw_transfer(transfer, request.user)
    except InvoicingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext(
                "Transfer file withdrawn: {count} payout is due again.",
                "Transfer file withdrawn: {count} payouts are due again.",
                count,
            ).format(count=count),
        )
    return redirect("invoicing:payouts")
