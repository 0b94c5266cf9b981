from datetime import date, timedelta
from decimal import Decimal

from django import forms

from distribution.models import DistributionTransaction

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


class NotesForm(forms.Form):
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


class PaidForm(forms.Form):
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Paid on")


class CancelDeliveryForm(forms.Form):
    reason = forms.ChoiceField(choices=DistributionTransaction.CANCEL_REASON_CHOICES)


class InvoiceFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", "All"),
        ("draft", "Draft"),
        ("open", "Open"),
        ("overdue", "Overdue"),
        ("paid", "Paid"),
    ]
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    q = forms.CharField(required=False, label="Number or partner")
