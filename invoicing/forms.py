from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from distribution.models import DistributionTransaction
from entities.dates import DateField
from entities.models import Entity
from entities.numbers import DecimalField
from entities.numbers import amount as format_amount
from partners.models import Partner

from .models import Invoice
from .payments import open_invoices_to_set_off

MAX_PERIOD_DAYS = 366
MAX_SELECTED = 50  # one page of the invoice list


def previous_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


class PeriodForm(forms.Form):
    start = DateField(
        label=_("From"),
    )
    end = DateField(
        label=_("To (inclusive)"),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period must start on or before its last day."))
            if (end - start).days >= MAX_PERIOD_DAYS:
                raise forms.ValidationError(_("A billing period can be at most a year."))
        return data


class CreditForm(forms.Form):
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        initial="Credit: disputed lead",
        help_text=_("Printed on the invoice."),
    )
    leads = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1, label=_("Leads"))
    unit_price = DecimalField(
        min_value=Decimal("0.01"), max_digits=12, decimal_places=4, label=_("Price per lead")
    )


class PayoutLineForm(forms.Form):
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        initial="Bonus",
        help_text=_("Printed on the self-billed invoice."),
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000, initial=1)
    unit_price = DecimalField(
        min_value=Decimal("0.01"), max_digits=12, decimal_places=4, label=_("Unit price")
    )


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


class ExchangeRateForm(forms.Form):
    """An operator's own rate for the VAT in the national currency; empty to use the rule."""

    rate = DecimalField(
        label=_("Exchange rate"),
        required=False,
        min_value=Decimal("0.000001"),
        max_digits=18,
        decimal_places=8,
        help_text=_(
            "1 unit of the invoice's currency in the national currency. Leave empty "
            "for the rule of your Settings."
        ),
    )
    day = DateField(label=_("Rate of"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("rate") and not data.get("day"):
            self.add_error("day", _("Give the day of the rate."))
        return data


class QuarterForm(forms.Form):
    year = forms.IntegerField(
        label=_("Year"), min_value=2021, max_value=2100
    )  # OSS began on 2021-07-01
    quarter = forms.TypedChoiceField(
        label=_("Quarter"), choices=[(q, f"Q{q}") for q in range(1, 5)], coerce=int
    )


class PaidForm(forms.Form):
    paid_on = DateField(label=_("Paid on"))


class CancelDeliveryForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=DistributionTransaction.MANUAL_CANCEL_REASONS
    )


class PaymentForm(forms.Form):
    amount = DecimalField(
        label=_("Amount"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    paid_on = DateField(label=_("Paid on"))


class SetOffForm(forms.Form):
    """An open credit note set off against another open invoice of its partner."""

    invoice = forms.ModelChoiceField(
        queryset=None, label=_("Against invoice"), empty_label=_("Choose an open invoice…")
    )
    amount = DecimalField(
        label=_("Amount"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("Empty: as much as both have open."),
    )
    paid_on = DateField(label=_("On"))

    def clean(self):
        data = super().clean()
        if data.get("invoice") and not data.get("amount"):
            data["amount"] = min(self.credit_note.open_balance, data["invoice"].open_balance)
        return data

    def __init__(self, *args, credit_note, **kwargs):
        super().__init__(*args, **kwargs)
        self.credit_note = credit_note
        field = self.fields["invoice"]
        field.queryset = open_invoices_to_set_off(credit_note)
        field.label_from_instance = lambda invoice: _("{number} · {amount} open").format(
            number=invoice.number, amount=format_amount(invoice.open_balance, invoice.currency)
        )


class AmountOrPercentForm(forms.Form):
    """A net amount or a percentage, for a price reduction or an allowance."""

    percent_label = _("Or percent")

    amount = DecimalField(
        label=_("Net amount"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2,
        required=False,
    )  # fmt: skip
    percent = DecimalField(
        label=_("Or percent"), min_value=Decimal("0.01"), max_value=Decimal("100"),
        max_digits=5, decimal_places=2, required=False,
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["percent"].label = self.percent_label


class ReductionForm(AmountOrPercentForm):
    """A price reduction after the fact, by a net amount or a percentage."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=150,
        help_text=_("Printed on the credit note, e.g. “Agreed discount, 5 %”."),
    )
    field_order = ["reason", "amount", "percent"]

    def clean(self):
        data = super().clean()
        if (data.get("amount") is None) == (data.get("percent") is None):
            raise forms.ValidationError(_("Give the reduction as a net amount or as a percentage."))
        return data


class AllowanceForm(AmountOrPercentForm):
    """A discount on the whole draft before VAT (BG-20): an amount or a percentage of the
    lines; both empty removes it."""

    percent_label = _("Or percent of the lines")

    reason = forms.CharField(
        label=_("Reason"), max_length=200, required=False,
        help_text=_("Printed on the invoice, e.g. “Volume discount”."),
    )  # fmt: skip
    field_order = ["reason", "amount", "percent"]

    def clean(self):
        data = super().clean()
        if data.get("amount") is not None and data.get("percent") is not None:
            raise forms.ValidationError(_("Give the allowance as an amount or as a percentage."))
        given = data.get("amount") is not None or data.get("percent") is not None
        if given and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why the allowance is given."))
        return data


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Printed on the credit note, e.g. “Billed to the wrong entity”."),
    )


class SelectionForm(forms.Form):
    """Invoices ticked in the list, and what to do with them."""

    FINALIZE, SEND = "finalize", "send"
    action = forms.ChoiceField(choices=[(FINALIZE, _("Finalize")), (SEND, _("Send"))])
    invoices = forms.ModelMultipleChoiceField(
        queryset=None, error_messages={"required": _("Tick the invoices first.")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The Entity's invoices only (the manager is scoped to the request's Entity): another
        # tenant's id is "not one of the available choices".
        self.fields["invoices"].queryset = Invoice.objects.all()

    def clean_invoices(self):
        invoices = self.cleaned_data["invoices"]
        if len(invoices) > MAX_SELECTED:
            raise forms.ValidationError(
                _("At most {count} invoices at a time.").format(count=MAX_SELECTED)
            )
        return invoices


class InvoiceFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", _("All")),
        ("draft", _("Draft")),
        ("open", _("Open")),
        ("partially_paid", _("Partially paid")),
        ("overdue", _("Overdue")),
        ("paid", _("Paid")),
        ("void", _("Void")),
    ]
    # Column → ordering; the first is the list's own: drafts (no issue date yet) on top,
    # then the newest issued, by number (index invoice_list_by_issue).
    SORTS = {
        "": [F("issue_date").desc(nulls_first=True), "-number", "-id"],
        "number": ["number", "id"],
        "-number": ["-number", "-id"],
        "partner": ["partner__name", "-id"],
        "-partner": ["-partner__name", "-id"],
        "issued": ["issue_date", "number", "id"],
        "-issued": ["-issue_date", "-number", "-id"],
        "due": ["due_date", "id"],
        "-due": ["-due_date", "-id"],
        "total": ["total", "id"],
        "-total": ["-total", "-id"],
    }
    TYPE_CHOICES = [
        ("", _("All")),
        ("invoice", _("Invoices to buyers")),
        ("credit_note", _("Credit notes")),
        ("self_billed", _("Self-billed (payouts)")),
    ]
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=TYPE_CHOICES, required=False)
    partner = forms.IntegerField(label=_("Partner"), required=False)
    start = DateField(required=False, label=_("Period from"))
    end = DateField(required=False, label=_("Period to"))
    q = forms.CharField(required=False, label=_("Number or partner"), max_length=100)
    sort = forms.ChoiceField(choices=[(key, key) for key in SORTS], required=False)

    def __init__(self, *args, entity, **kwargs):
        super().__init__(*args, **kwargs)
        # Plain (id, name) pairs, not field choices: an Entity can have thousands of partners
        # to list on every page, and Django normalizes every choice it is given.
        self.partners = list(
            Partner.objects.filter(entity=entity).order_by("name").values_list("pk", "name")
        )

    def clean_partner(self):
        partner = self.cleaned_data["partner"]
        if partner is not None and partner not in {pk for pk, _ in self.partners}:
            raise forms.ValidationError(_("Select one of your partners."))
        return partner

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
        elif status == "partially_paid":  # open or overdue, with some of it paid
            invoices = invoices.filter(
                status=Invoice.FINAL, paid_at__isnull=True, amount_paid__gt=0
            )
        elif status == "overdue":
            invoices = invoices.overdue()
        elif status == "paid":
            invoices = invoices.paid()
        elif status == "void":
            invoices = invoices.filter(status=Invoice.VOID)
        invoices = invoices.filter(type_condition(data["type"]))
        if data["partner"]:
            invoices = invoices.filter(partner_id=data["partner"])
        if data["start"]:  # periods that overlap the range
            invoices = invoices.filter(period_end__gte=data["start"])
        if data["end"]:
            invoices = invoices.filter(period_start__lte=data["end"])
        if query := data["q"].strip():
            # The number, or the partner's name (partners are few: their ids first).
            named = [pk for pk, name in self.partners if query.casefold() in name.casefold()]
            invoices = invoices.filter(Q(number__icontains=query) | Q(partner_id__in=named))
        return invoices.order_by(*self.SORTS[data["sort"]])

    def kept_totals_filter(self) -> Q | None:
        """The same filter as a condition on InvoiceTotal (which records payment state and
        type), or None when it also filters by partner, period or number."""
        if not self.is_valid():
            return Q()
        data = self.cleaned_data
        if data["partner"] or data["start"] or data["end"] or data["q"].strip():
            return None
        if data["status"] == "partially_paid":  # not a state the kept totals record
            return None
        state = Q(state=data["status"]) if data["status"] else Q()
        return state & type_condition(data["type"])


def type_condition(value: str) -> Q:
    """The list's type filter, on anything with `kind` and `self_billed`."""
    if value == "self_billed":
        return Q(self_billed=True)
    if value == "invoice":
        return Q(kind=Invoice.KIND_INVOICE, self_billed=False)
    return Q(kind=value) if value else Q()


class RunForm(PeriodForm):
    mode = forms.ChoiceField(choices=Entity.BILLING_MODE_CHOICES, label=_("What to do"))
