import re
from decimal import InvalidOperation

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from entities.dates import DateField
from entities.numbers import DecimalField, parse_decimal
from partners.models import Partner

from .models import Assignment, DistributionProfile, DistributionTransaction, ReturnPolicy
from .services import describe_tiers, set_tiers

TIERS_HELP = _(
    "Optional volume prices, one per line: 'after N leads: price' (or just 'N: price'), "
    "counted per partner and month. 'after 0 leads: 15.00', 'after 100 leads: 12.00', "
    "'after 500 leads: 10,00' bills the first 100 leads at 15.00, the next 400 at 12.00, "
    "then 10.00."
)
TIER_LINE = re.compile(r"(?:after\s+)?(\d+)(?:\s+leads?)?\s*:\s*(\S.*)", re.IGNORECASE)


class TiersField(forms.CharField):
    """Volume tiers typed as lines of 'after N leads: price'."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "0: 15.00\n100: 12.00"})

    def __init__(self, **kwargs):
        super().__init__(required=False, label=_("Volume tiers"), help_text=TIERS_HELP, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        tiers = []
        for number, line in enumerate(filter(None, (s.strip() for s in text.splitlines())), 1):
            match = TIER_LINE.fullmatch(line)
            try:
                if match is None:
                    raise ValueError(line)
                tier = (int(match[1]), parse_decimal(match[2]))
            except (ValueError, InvalidOperation):
                raise forms.ValidationError(
                    _(
                        "Line {number}: write 'after N leads: price', "
                        "e.g. 'after 100 leads: 12.00'."
                    ).format(number=number)
                ) from None
            if tier[1] < 0 or tier[1].as_tuple().exponent < -4:
                raise forms.ValidationError(
                    _("Line {number}: a price is zero or more, with at most 4 decimals.").format(
                        number=number
                    )
                )
            tiers.append(tier)
        starts = [start for start, _ in tiers]
        if tiers and starts[0] != 0:
            raise forms.ValidationError(_("The first tier starts after 0 leads."))
        if starts != sorted(set(starts)):
            raise forms.ValidationError(_("List the tiers by growing lead counts, each once."))
        return tiers


class ProfileForm(forms.ModelForm):
    class Meta:
        model = DistributionProfile
        fields = ["name", "base_price", "currency"]
        field_classes = {"base_price": DecimalField}
        help_texts = {
            "base_price": _(
                "Charged per delivered lead unless an assignment overrides it. "
                "A change applies to deliveries from now on, never to recorded ones."
            ),
        }

    tiers = TiersField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tiers"] = describe_tiers(self.instance.tiers.all())

    def save(self, commit=True):
        profile = super().save(commit)
        set_tiers(profile, self.cleaned_data["tiers"])
        return profile


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["partner", "name", "price_override", "is_active"]
        field_classes = {"partner": SafeModelChoiceField, "price_override": DecimalField}
        help_texts = {
            "price_override": _("Leave empty to charge the profile's base price."),
            "is_active": _("A paused assignment takes no deliveries."),
        }
        labels = {"is_active": "Active"}

    tiers = TiersField()

    def save(self, commit=True):
        assignment = super().save(commit)
        set_tiers(assignment, self.cleaned_data["tiers"])
        return assignment

    def __init__(self, *args, entity, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tiers"] = describe_tiers(self.instance.tiers.all())
        # Active partners, and the current one even if it was deactivated since.
        self.fields["partner"].queryset = Partner.objects.filter(entity=entity).filter(
            Q(is_active=True) | Q(pk=self.instance.partner_id)
        )

    def clean_partner(self):
        partner = self.cleaned_data["partner"]
        if (
            self.instance.pk
            and partner.pk != self.instance.partner_id
            and DistributionTransaction.objects.filter(assignment=self.instance).exists()
        ):
            raise forms.ValidationError(
                _(
                    "This assignment has recorded deliveries, so its partner stays. "
                    "Pause it and assign the new partner separately."
                )
            )
        return partner


class LogFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Lead id"))
    partner = SafeModelChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.none(),
        required=False,
        empty_label=_("All partners"),
    )
    profile = SafeModelChoiceField(
        label=_("Profile"),
        queryset=DistributionProfile.objects.none(),
        required=False,
        empty_label=_("All profiles"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *DistributionTransaction.STATUS_CHOICES],
    )
    start = DateField(required=False, label=_("From"))
    end = DateField(required=False, label=_("To"))

    def __init__(self, *args, entity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(entity=entity)
        self.fields["profile"].queryset = DistributionProfile.objects.filter(entity=entity)


class ReturnPolicyForm(forms.ModelForm):
    """The return rules of a profile or of one assignment."""

    class Meta:
        model = ReturnPolicy
        fields = [
            "window_days",
            "cap_count",
            "cap_percent",
            "reasons",
            "evidence_required",
            "auto_approve_reasons",
            "auto_approve_partners",
            "pass_back",
        ]
        widgets = {
            "reasons": forms.Textarea(attrs={"rows": 4}),
            "auto_approve_reasons": forms.Textarea(attrs={"rows": 2}),
            "auto_approve_partners": forms.CheckboxSelectMultiple,
        }
        field_classes = {"auto_approve_partners": SafeModelMultipleChoiceField}

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auto_approve_partners"].queryset = partners
        self.fields["auto_approve_partners"].required = False

    def clean_window_days(self):
        days = self.cleaned_data["window_days"]
        if not 1 <= days <= 365:
            raise forms.ValidationError(_("A return window is 1 to 365 days."))
        return days

    def clean_cap_percent(self):
        share = self.cleaned_data["cap_percent"]
        if share is not None and share > 100:
            raise forms.ValidationError(_("A share is at most 100 %."))
        return share

    def clean_reasons(self):
        reasons = [
            line.strip() for line in self.cleaned_data["reasons"].splitlines() if line.strip()
        ]
        if not reasons:
            raise forms.ValidationError(_("Give at least one reason partners can choose."))
        if too_long := [reason for reason in reasons if len(reason) > 100]:
            raise forms.ValidationError(
                _("A reason is at most 100 characters: “{reason}”.").format(reason=too_long[0])
            )
        return "\n".join(dict.fromkeys(reasons))

    def clean(self):
        data = super().clean()
        reasons = (data.get("reasons") or "").splitlines()
        automatic = [
            line.strip()
            for line in data.get("auto_approve_reasons", "").splitlines()
            if line.strip()
        ]
        if unknown := [reason for reason in automatic if reason not in reasons]:
            self.add_error(
                "auto_approve_reasons",
                _("“{reason}” is not one of the reasons above.").format(reason=unknown[0]),
            )
        data["auto_approve_reasons"] = "\n".join(dict.fromkeys(automatic))
        return data


class DeliveryImportForm(forms.Form):
    """A CSV file of deliveries: checked here as a whole (size, encoding, header), line by
    line when it is recorded."""

    MAX_BYTES = 20 * 1024 * 1024  # some 250,000 lines

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns assignment, lead and, if you like, delivered_at (ISO 8601 with its "
                    "UTC offset); a header line first."),
    )  # fmt: skip

    def clean_file(self):
        from .batch import UnreadableFile, count_lines

        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB: split it."))
        self.content = upload.read()
        try:
            self.lines = count_lines(self.content)
        except UnreadableFile as problem:
            raise forms.ValidationError(str(problem)) from None
        if not self.lines:
            raise forms.ValidationError(_("The file has no deliveries below its header."))
        return upload
