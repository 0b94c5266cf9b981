from datetime import date, timedelta
from decimal import Decimal

from django import forms

from distribution.models import DistributionTransaction
from entities.models import Entity
from partners.models import Partner

from .models import Invoice

MAX_PERIOD_DAYS = 366


def previous_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


class PeriodForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError("The period must start on or before its last day.")
            if (end - start).days >= MAX_PERIOD_DAYS:
                raise forms.ValidationError("A billing period can be at most a year.")
        return data


class CreditForm(forms.Form):
    description = forms.CharField(
        max_length=200, initial="Credit: disputed lead", help_text="Printed on the invoice."
    )
    leads = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1, label="Leads")
    unit_price = forms.DecimalField(
        min_value=Decimal("0.01"), max_digits=12, decimal_places=4, label="Price per lead"
    )


class PayoutLineForm(forms.Form):
    description = forms.CharField(
        max_length=200, initial="Bonus", help_text="Printed on the self-billed invoice."
    )
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1)
    unit_price = forms.DecimalField(
        min_value=Decimal("0.01"), max_digits=12, decimal_places=4, label="Unit price"
    )


class NotesForm(forms.Form):
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


class PaidForm(forms.Form):
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Paid on")


class CancelDeliveryForm(forms.Form):
    reason = forms.ChoiceField(choices=DistributionTransaction.CANCEL_REASON_CHOICES)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal("0.01"), max_digits=14, decimal_places=2)
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Paid on")


class VoidForm(forms.Form):
    reason = forms.CharField(
        max_length=200, help_text="Printed on the credit note, e.g. “Billed to the wrong entity”."
    )


class InvoiceFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", "All"),
        ("draft", "Draft"),
        ("open", "Open"),
        ("overdue", "Overdue"),
        ("paid", "Paid"),
        ("void", "Void"),
    ]
    TYPE_CHOICES = [
        ("", "All"),
        ("invoice", "Invoices to buyers"),
        ("credit_note", "Credit notes"),
        ("self_billed", "Self-billed (payouts)"),
    ]
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    type = forms.ChoiceField(choices=TYPE_CHOICES, required=False)
    partner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    start = forms.DateField(
        required=False, label="Period from", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="Period to", widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(required=False, label="Number")

    def __init__(self, *args, entity, **kwargs):
        super().__init__(*args, **kwargs)
        # Plain choices: an Entity can have thousands of partners to list on every page.
        self.fields["partner"].choices = [
            ("", "All partners"),
            *Partner.objects.filter(entity=entity).order_by("name").values_list("pk", "name"),
        ]

    def filter(self, invoices):
        """The invoices that match the valid filters."""
        if not self.is_valid():
            return invoices
        data = self.cleaned_data
        status = data["status"]
        if status == "draft":
            invoices = invoices.filter(status=Invoice.DRAFT)
        elif status == "open":
            invoices = invoices.open()
        elif status == "overdue":
            invoices = invoices.overdue()
        elif status == "paid":
            invoices = invoices.paid()
        elif status == "void":
            invoices = invoices.filter(status=Invoice.VOID)
        if data["type"] == "self_billed":
            invoices = invoices.filter(self_billed=True)
        elif data["type"] == "invoice":
            invoices = invoices.filter(kind=Invoice.KIND_INVOICE, self_billed=False)
        elif data["type"]:
            invoices = invoices.filter(kind=data["type"])
        if data["partner"]:
            invoices = invoices.filter(partner_id=data["partner"])
        if data["start"]:  # periods that overlap the range
            invoices = invoices.filter(period_end__gte=data["start"])
        if data["end"]:
            invoices = invoices.filter(period_start__lte=data["end"])
        if query := data["q"].strip():
            invoices = invoices.filter(number__icontains=query)
        return invoices


class RunForm(PeriodForm):
    mode = forms.ChoiceField(choices=Entity.BILLING_MODE_CHOICES, label="What to do")
