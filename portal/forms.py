from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from entities.dates import DateField
from entities.forms import PrintableTextMixin, clean_bic_value, clean_email_list, clean_iban_value
from partners.forms import VatIdMixin
from partners.models import Partner


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(label=_("New password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        if data.get("password1"):
            validate_password(data["password1"])
        return data


class ResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
    )


class ProfileForm(PrintableTextMixin, VatIdMixin, forms.ModelForm):
    """What a partner may change about itself: contact and billing details."""

    class Meta:
        model = Partner
        fields = [
            "legal_name",
            "street",
            "postcode",
            "city",
            "region",
            "country",
            "vat_id",
            "tax_number",
            "email",
            "cc_emails",
            "iban",
            "bic",
            "peppol_scheme",
            "peppol_id",
        ]
        labels = {"email": _("Billing email")}
        help_texts = {"vat_id": _("With its country prefix; Greece uses EL.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.is_supplier:  # payout details concern suppliers only
            for name in ("tax_number", "iban", "bic"):
                del self.fields[name]

    def clean_cc_emails(self):
        return clean_email_list(self.cleaned_data["cc_emails"])

    def clean_iban(self):
        return clean_iban_value(self.cleaned_data["iban"])

    def clean_bic(self):
        return clean_bic_value(self.cleaned_data["bic"])

    def clean(self):
        data = super().clean()
        self.check_vat_id(data)
        return data


class LeadFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Lead id"))
    start = DateField(required=False, label=_("From"))
    end = DateField(required=False, label=_("To"))
