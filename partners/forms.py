from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entities.forms import (
    PrintableTextMixin,
    check_region,
    clean_bic_value,
    clean_email_list,
    clean_iban_value,
)
from entities.languages import LANGUAGE_CHOICES, default_language
from entities.models import PAYMENT_TERMS_CHOICES
from entities.national_mentions import clean_register_number
from entities.peppol_ids import suggested_peppol_id
from entities.vat import normalize_vat_id, vat_id_problem

from .checks import needs_postcode, refresh_invoicing_problems
from .models import Partner, SelfBillingAgreement

CUSTOM_TERMS = "custom"


class VatIdMixin:
    """A partner's VAT ID: normalised, checked against its country, and unconfirmed again
    (until VIES answers) whenever it changes."""

    def clean_vat_id(self):
        return normalize_vat_id(self.cleaned_data["vat_id"])

    def check_vat_id(self, data: dict) -> None:
        """The VAT ID fits the country and is not the Entity's own; the postcode is there
        where the country has postcodes."""
        vat_id, country = data.get("vat_id"), data.get("country")
        if vat_id and country and (problem := vat_id_problem(vat_id, country)):
            self.add_error("vat_id", problem)
        entity = self.instance.entity
        if vat_id and entity.vat_id and vat_id == entity.vat_id:
            self.add_error(
                "vat_id",
                _("{vat_id} is your own VAT ID ({name}): give the partner's.").format(
                    vat_id=vat_id, name=entity.legal_name
                ),
            )
        if "postcode" in self.fields and needs_postcode(country) and not data.get("postcode"):
            self.add_error("postcode", _("Addresses in this country have a postcode: fill it in."))
        check_region(self, data)

    def save(self, commit=True):
        if "vat_id" in self.changed_data:
            self.instance.vies_status = Partner.VIES_UNCHECKED
            self.instance.vies_checked_at = None
            self.instance.vies_request_identifier = ""
            self.instance.vies_last_error = ""
        partner = super().save(commit)
        if commit:
            refresh_invoicing_problems(partner)
        return partner


class PartnerForm(PrintableTextMixin, VatIdMixin, forms.ModelForm):
    """A partner's billing details. Payment terms are Net 7/14/30 or a custom number of days."""

    terms = forms.ChoiceField(
        label=_("Payment terms"),
        choices=[(str(days), label) for days, label in PAYMENT_TERMS_CHOICES]
        + [(CUSTOM_TERMS, _("Custom"))],
    )
    custom_days = forms.IntegerField(
        label=_("Custom terms (days)"), min_value=0, max_value=365, required=False
    )

    class Meta:
        model = Partner
        fields = [
            "name",
            "kind",
            "legal_name",
            "street",
            "postcode",
            "city",
            "region",
            "country",
            "vat_id",
            "tax_number",
            "registration_number",
            "email",
            "cc_emails",
            "language",
            "is_buyer",
            "is_supplier",
            "vat_status",
            "not_a_business_declared_on",
            "iban",
            "bic",
            "currency",
            "einvoice_format",
            "delivery",
            "peppol_scheme",
            "peppol_id",
            "buyer_reference",
            "line_items",
            "credit_limit",
            "no_reminders",
            "debtor_number",
            "creditor_number",
            "is_active",
        ]
        widgets = {"not_a_business_declared_on": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "vat_id": _("Required for reverse charge within the EU. Greece starts with EL."),
            "legal_name": _("As printed on invoices; for an individual, the full name."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields([*self.Meta.fields[:13], "terms", "custom_days"])
        country = self.instance.country if self.instance.pk else ""
        by_country = dict(LANGUAGE_CHOICES)[default_language(country)] if country else ""
        self.fields["language"].choices = [
            ("", f"Its country's language ({by_country})" if by_country else "Its country's")
        ] + list(LANGUAGE_CHOICES)
        self.fields["vat_status"].required = False  # a buyer's is never asked for
        self.fields["delivery"].required = False  # left out: kept as it is (automatic when new)
        days = self.instance.payment_terms_days if self.instance.pk else 14
        standard = {d for d, _ in PAYMENT_TERMS_CHOICES}
        self.initial.setdefault("terms", str(days) if days in standard else CUSTOM_TERMS)
        if days not in standard:
            self.initial.setdefault("custom_days", days)

    def _account_taken(self, field: str, message: str):
        number = self.cleaned_data[field]
        others = Partner.objects.filter(entity=self.instance.entity, **{field: number})
        if number is not None and others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(message)
        return number

    # The form has no entity field, so Django's own check of the per-Entity constraints
    # leaves these out.
    def clean_debtor_number(self):
        return self._account_taken("debtor_number", _("Another partner has this debtor account."))

    def clean_creditor_number(self):
        return self._account_taken(
            "creditor_number", _("Another partner has this creditor account.")
        )

    def clean(self):
        data = super().clean()
        if data.get("terms") == CUSTOM_TERMS:
            if data.get("custom_days") is None:
                self.add_error("custom_days", _("Enter the number of days for custom terms."))
            else:
                self.instance.payment_terms_days = data["custom_days"]
        elif data.get("terms"):
            self.instance.payment_terms_days = int(data["terms"])
        self.check_vat_id(data)
        if data.get("registration_number") and data.get("country"):
            try:
                data["registration_number"] = clean_register_number(
                    data["country"], data["registration_number"]
                )
            except forms.ValidationError as error:
                self.add_error("registration_number", error)
        if not (data.get("is_buyer") or data.get("is_supplier")):
            self.add_error("is_buyer", _("A partner buys leads, supplies them, or both."))
        if not data.get("vat_status"):
            data["vat_status"] = Partner.VAT_REGISTERED
        if data.get("is_supplier"):
            self.check_vat_status(data)
        self.check_delivery(data)
        if data.get("einvoice_format", "").startswith("xrechnung"):
            # XRechnung requires the buyer reference (BR-DE-15), the buyer's electronic
            # address (PEPPOL-EN16931-R010) and its postcode.
            for field, message in [
                ("buyer_reference", _("XRechnung needs a buyer reference (the Leitweg-ID).")),
                ("email", _("XRechnung needs the partner's email as its electronic address.")),
                ("postcode", _("XRechnung needs the partner's postcode.")),
            ]:
                if not data.get(field):
                    self.add_error(field, message)
        return data

    def check_delivery(self, data: dict) -> None:
        """Peppol carries Peppol BIS documents to a Peppol ID: a partner delivered over
        Peppol has one, and no other e-invoice format chosen."""
        if not data.get("delivery"):
            data["delivery"] = self.instance.delivery
        if data["delivery"] != Partner.DELIVERY_PEPPOL:
            return
        chosen = data.get("einvoice_format")
        if chosen and chosen != Partner.EINVOICE_PEPPOL:
            self.add_error(
                "delivery",
                _(
                    "Peppol carries Peppol BIS e-invoices: set the e-invoice format to Peppol "
                    "or leave it empty, or choose another delivery."
                ),
            )
        if not (
            data.get("peppol_id") or suggested_peppol_id(data.get("country"), data.get("vat_id"))
        ):
            self.add_error("peppol_id", _("Delivery over Peppol needs the partner's Peppol ID."))

    def check_vat_status(self, data: dict) -> None:
        """A supplier's VAT status fits its details (partners.checks.vat_status_problems)."""
        declared = data.get("not_a_business_declared_on")
        if data.get("vat_status") == Partner.PRIVATE_PERSON:
            if data.get("vat_id"):
                self.add_error(
                    "vat_id",
                    _("A private individual has no VAT ID: remove it, or choose a business."),
                )
            if not declared:
                self.add_error(
                    "not_a_business_declared_on",
                    _(
                        "Enter the date the supplier declared that it does not supply leads as a "
                        "business."
                    ),
                )
        elif not (data.get("vat_id") or data.get("tax_number")):
            self.add_error(
                "tax_number", _("A business supplier needs its VAT ID or its tax number.")
            )
        if declared and declared > timezone.localdate():
            self.add_error(
                "not_a_business_declared_on", _("The declaration cannot be in the future.")
            )

    def clean_cc_emails(self):
        return clean_email_list(self.cleaned_data["cc_emails"])

    def clean_iban(self):
        return clean_iban_value(self.cleaned_data["iban"])

    def clean_bic(self):
        return clean_bic_value(self.cleaned_data["bic"])


class AgreementForm(forms.ModelForm):
    """An operator records a supplier's acceptance of the self-billing terms, e.g. signed on
    paper or in the supplier contract."""

    class Meta:
        model = SelfBillingAgreement
        fields = ["terms_version", "accepted_at", "accepted_by"]
        widgets = {"accepted_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def clean_accepted_at(self):
        accepted_at = self.cleaned_data["accepted_at"]
        if accepted_at > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(_("An acceptance cannot lie in the future."))
        return accepted_at


class PartnerSearchForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    country = forms.ChoiceField(required=False, label=_("Country"))
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Inactive"))],
    )
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=[("", _("All")), ("buyer", _("Buyers")), ("supplier", _("Suppliers"))],
    )
    details = forms.ChoiceField(
        required=False,
        label=_("Invoicing details"),
        choices=[("", _("All")), ("incomplete", _("Incomplete"))],
    )

    def __init__(self, *args, countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("All")), *countries]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Invite to the portal"))
