from django import forms
from django.db.models import Q
from django_scopes.forms import SafeModelChoiceField

from partners.models import Partner

from .models import Assignment, DistributionProfile, DistributionTransaction


class ProfileForm(forms.ModelForm):
    class Meta:
        model = DistributionProfile
        fields = ["name", "base_price", "currency"]
        help_texts = {
            "base_price": "Charged per delivered lead unless an assignment overrides it. "
            "A change applies to deliveries from now on, never to recorded ones.",
        }


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["partner", "name", "price_override", "is_active"]
        field_classes = {"partner": SafeModelChoiceField}
        help_texts = {
            "price_override": "Leave empty to charge the profile's base price.",
            "is_active": "A paused assignment takes no deliveries.",
        }
        labels = {"is_active": "Active"}

    def __init__(self, *args, entity, **kwargs):
        super().__init__(*args, **kwargs)
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
                "This assignment has recorded deliveries, so its partner stays. "
                "Pause it and assign the new partner separately."
            )
        return partner


class LogFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Lead id")
    partner = SafeModelChoiceField(
        queryset=Partner.objects.none(), required=False, empty_label="All partners"
    )
    profile = SafeModelChoiceField(
        queryset=DistributionProfile.objects.none(), required=False, empty_label="All profiles"
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "All"), *DistributionTransaction.STATUS_CHOICES]
    )
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, entity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(entity=entity)
        self.fields["profile"].queryset = DistributionProfile.objects.filter(entity=entity)
