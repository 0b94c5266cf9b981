"""Forms of lead returns: the operator's queue and decisions, and a partner's request."""

from django import forms
from django.utils.translation import gettext_lazy as _

from distribution.models import LeadReturn
from partners.models import Partner

from .returns import MAX_PER_SUBMISSION, parse_lead_ids

MAX_DECIDED = 1000
MAX_CSV_BYTES = 1024 * 1024


class ReturnFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), *LeadReturn.STATUS_CHOICES],
        required=False,
    )
    partner = forms.ModelChoiceField(
        label=_("Partner"), queryset=None, required=False, empty_label=_("All partners")
    )
    q = forms.CharField(label=_("Lead or reason"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(is_buyer=True).order_by("name")


class DecisionForm(forms.Form):
    """Returns ticked in the queue, and the decision on them."""

    ACCEPT, REJECT = "accept", "reject"
    action = forms.ChoiceField(choices=[(ACCEPT, _("Accept")), (REJECT, _("Reject"))])
    note = forms.CharField(
        label=_("Note to the partner"),
        required=False,
        max_length=500,
        help_text=_("Required for a rejection: the partner reads it."),
    )
    returns = forms.ModelMultipleChoiceField(
        queryset=None, error_messages={"required": _("Tick the returns first.")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Scoped to the request's Entity: another tenant's id is not a choice. Decided ones
        # are (another operator may have been quicker): the decision leaves them out.
        self.fields["returns"].queryset = LeadReturn.objects.all()

    def clean_returns(self):
        returns = self.cleaned_data["returns"]
        if len(returns) > MAX_DECIDED:
            raise forms.ValidationError(
                _("At most {count} returns at a time.").format(count=MAX_DECIDED)
            )
        return returns

    def clean(self):
        data = super().clean()
        if data.get("action") == self.REJECT and not data.get("note", "").strip():
            self.add_error("note", _("Say why the returns are rejected; the partner reads it."))
        return data


class ReturnRequestForm(forms.Form):
    """A partner's request: lead ids typed or pasted, or a CSV file of them, a reason and
    what it found."""

    leads = forms.CharField(
        label=_("Lead ids"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "L-1001\nL-1002"}),
        help_text=_("One per line, or separated by commas."),
    )
    file = forms.FileField(
        label=_("Or a CSV file of lead ids"),
        required=False,
        help_text=_("The first column holds the lead ids, as in the leads download."),
    )
    reason = forms.ChoiceField(label=_("Reason"))
    evidence = forms.CharField(
        label=_("What you found"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("Choose a reason")), *((r, r) for r in reasons)]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload is None:
            return []
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(_("The file is too large: at most 1 MB."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                _("Save the file as CSV in UTF-8 and upload it again.")
            ) from None
        # The first column: the leads download puts the lead id there.
        return parse_lead_ids(
            "\n".join(line.replace(";", ",").split(",")[0] for line in text.splitlines())
        )

    def clean(self):
        data = super().clean()
        ids = list(dict.fromkeys(parse_lead_ids(data.get("leads", "")) + (data.get("file") or [])))
        if not ids and not self.has_error("file"):
            self.add_error("leads", _("Give the ids of the leads to return."))
        elif len(ids) > MAX_PER_SUBMISSION:
            self.add_error(
                "leads",
                _("At most {count} leads at a time.").format(count=MAX_PER_SUBMISSION),
            )
        data["lead_ids"] = ids
        return data
