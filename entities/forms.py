import re
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban

from .addresses import normalize_region, region_problem
from .mail import host_problem
from .models import COUNTRY_CHOICES, AccessPointSettings, Entity, Membership, SmtpSettings, User
from .vat import normalize_vat_id, vat_id_problem

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(available_timezones()) if "/" in tz]


def clean_iban_value(value: str) -> str:
    iban = stdnum_iban.compact(value)
    if iban and not stdnum_iban.is_valid(iban):
        raise forms.ValidationError(_("This IBAN is not valid: check the digits."))
    return iban


def clean_bic_value(value: str) -> str:
    bic = stdnum_bic.compact(value)
    if bic and not stdnum_bic.is_valid(bic):
        raise forms.ValidationError(_("A BIC has 8 or 11 characters, e.g. COBADEFFXXX."))
    return bic


# Characters that XML, PDFs and mail headers cannot carry (tabs and line breaks aside).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class PrintableTextMixin:
    """No control character in any text field: pasted into a name, one made every later
    invoice's e-invoice fail to render."""

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str) and CONTROL_CHARACTER.search(value):
                self.add_error(
                    name, _("This contains an invisible control character: type it again.")
                )
        return data


MAX_COPIES = 5


def clean_email_list(value: str) -> str:
    """Addresses separated by commas (or semicolons, or spaces), each checked, at most
    MAX_COPIES; stored as "a@example.com, b@example.com"."""
    addresses = [a for a in re.split(r"[,;\s]+", value or "") if a]
    for address in addresses:
        try:
            validate_email(address)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("{address} is not an email address.").format(address=address)
            ) from None
    if len(addresses) > MAX_COPIES:
        raise forms.ValidationError(_("At most {count} addresses.").format(count=MAX_COPIES))
    return ", ".join(dict.fromkeys(addresses))


def check_region(form: forms.ModelForm, data: dict) -> None:
    """The state or province, as a code where the country has them (IL, ON)."""
    if "region" not in form.fields:
        return
    country = data.get("country", "")
    data["region"] = normalize_region(data.get("region", ""), country)
    if problem := region_problem(data["region"], country):
        form.add_error("region", problem)


def time_zone_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Time zone"),
        choices=TIME_ZONE_CHOICES,
        initial="Europe/Berlin",
        help_text=_("Billing periods and issue dates follow this time zone."),
    )


class SellerVatIdMixin:
    """An Entity's VAT ID: normalised, and checked against its country."""

    def clean_vat_id(self):
        return normalize_vat_id(self.cleaned_data["vat_id"])

    def check_vat_id(self, data: dict) -> None:
        vat_id, country = data.get("vat_id"), data.get("country")
        if vat_id and country and (problem := vat_id_problem(vat_id, country)):
            self.add_error("vat_id", problem)


class EntityForm(SellerVatIdMixin, PrintableTextMixin, forms.ModelForm):
    """The seller details printed on every invoice the Entity issues."""

    time_zone = time_zone_field()

    class Meta:
        model = Entity
        fields = [
            "name",
            "legal_name",
            "street",
            "postcode",
            "city",
            "region",
            "country",
            "vat_id",
            "tax_number",
            "tax_office",
            "legal_form",
            "register_court",
            "register_number",
            "managing_directors",
            "share_capital",
            "siret",
            "late_payment_penalty",
            "early_payment_discount",
            "vat_on_debits",
            "peppol_scheme",
            "peppol_id",
            "contact_name",
            "email",
            "phone",
            "bank_name",
            "iban",
            "bic",
            "default_currency",
            "payment_terms_days",
            "vat_rate_kind",
            "reduced_rate_basis",
            "exchange_rate_rule",
            "b2c_place_of_supply",
            "invoice_number_format",
            "invoice_numbers_reset_yearly",
            "credit_note_number_format",
            "credit_note_numbers_reset_yearly",
            "self_billed_number_format",
            "self_billed_numbers_reset_yearly",
            "self_billed_credit_note_number_format",
            "self_billed_credit_note_numbers_reset_yearly",
            "billing_day",
            "billing_mode",
            "finalize_after_returns",
            "reminders_enabled",
            "friendly_reminder_days",
            "first_reminder_days",
            "final_reminder_days",
            "claim_late_payment_costs",
            "hold_deliveries_overdue_days",
            "hold_deliveries_over_limit",
            "chart_of_accounts",
            "datev_consultant_number",
            "datev_client_number",
            "fiscal_year_start_month",
            "invoice_email_subject",
            "invoice_email_body",
            "credit_note_email_subject",
            "credit_note_email_body",
            "self_billed_email_subject",
            "self_billed_email_body",
            "self_billed_credit_note_email_subject",
            "self_billed_credit_note_email_body",
            "self_billing_terms_version",
            "self_billing_terms",
            "time_zone",
        ]
        help_texts = {
            "tax_number": _("German Steuernummer; printed when no VAT ID is given."),
            "payment_terms_days": _("Default for new partners."),
        }

    # The settings page shows the fields in these sections, with a link to each at the top.
    SECTIONS = [
        ("seller", _("Seller details"), ["name", "legal_name", "street", "postcode", "city",
                                      "region", "country", "contact_name", "email", "phone",
                                      "time_zone"]),
        ("legal", _("Company register"), ["legal_form", "register_court", "register_number",
                                       "managing_directors", "share_capital", "siret",
                                       "late_payment_penalty", "early_payment_discount",
                                       "vat_on_debits"]),
        ("peppol", _("Peppol"), ["peppol_scheme", "peppol_id"]),
        ("tax", _("Tax"), ["vat_id", "tax_number", "tax_office", "vat_rate_kind",
                        "reduced_rate_basis", "exchange_rate_rule", "b2c_place_of_supply"]),
        ("payment", _("Bank and payment terms"), ["bank_name", "iban", "bic", "default_currency",
                                               "payment_terms_days"]),
        ("numbering", _("Numbering"), ["invoice_number_format", "invoice_numbers_reset_yearly",
                                    "credit_note_number_format",
                                    "credit_note_numbers_reset_yearly",
                                    "self_billed_number_format", "self_billed_numbers_reset_yearly",
                                    "self_billed_credit_note_number_format",
                                    "self_billed_credit_note_numbers_reset_yearly"]),
        ("schedule", _("Billing schedule"), ["billing_day", "billing_mode",
                                            "finalize_after_returns"]),
        ("reminders", _("Reminders and credit control"), ["reminders_enabled",
                                                       "friendly_reminder_days",
                                                       "first_reminder_days",
                                                       "final_reminder_days",
                                                       "claim_late_payment_costs",
                                                       "hold_deliveries_overdue_days",
                                                       "hold_deliveries_over_limit"]),
        ("accounting", _("Accounting exports"), ["chart_of_accounts", "datev_consultant_number",
                                              "datev_client_number", "fiscal_year_start_month"]),
        ("emails", _("Emails"), ["invoice_email_subject", "invoice_email_body",
                              "credit_note_email_subject", "credit_note_email_body",
                              "self_billed_email_subject", "self_billed_email_body",
                              "self_billed_credit_note_email_subject",
                              "self_billed_credit_note_email_body"]),
        ("self-billing", _("Self-billing terms"), ["self_billing_terms_version",
                                                "self_billing_terms"]),
    ]  # fmt: skip

    def sections(self):
        """(anchor, title, bound fields) per section, and whether it has errors."""
        return [
            (anchor, title, [self[name] for name in names], any(self[n].errors for n in names))
            for anchor, title, names in self.SECTIONS
        ]

    def clean_iban(self):
        return clean_iban_value(self.cleaned_data["iban"])

    def clean_bic(self):
        return clean_bic_value(self.cleaned_data["bic"])

    def check_reminder_days(self, data):
        """Each level later than the one before it; at least one when reminders are on."""
        names = ["friendly_reminder_days", "first_reminder_days", "final_reminder_days"]
        days = [(name, data.get(name)) for name in names if data.get(name)]
        for (_before, earlier), (name, later) in zip(days, days[1:], strict=False):
            if later <= earlier:
                self.add_error(name, _("Later than the level before it, please."))
        if data.get("reminders_enabled") and not days:
            self.add_error("reminders_enabled", _("Give at least one level its days."))

    def clean(self):
        data = super().clean()
        self.check_vat_id(data)
        check_region(self, data)
        self.check_reminder_days(data)
        if data.get("vat_rate_kind") == Entity.REDUCED_RATE and not data.get("reduced_rate_basis"):
            # A lead service is standard-rated: the reduced rate needs the law that allows it.
            self.add_error(
                "reduced_rate_basis",
                _("Give the provision that allows the reduced rate; it is printed on the invoice."),
            )
        return data


class NewEntityForm(SellerVatIdMixin, forms.ModelForm):
    """A further legal seller of the Account: what identifies it; the rest (bank, numbers,
    texts) is set in its Settings afterwards."""

    time_zone = time_zone_field()

    class Meta:
        model = Entity
        fields = ["name", "legal_name", "street", "postcode", "city", "country", "vat_id",
                  "default_currency", "time_zone"]  # fmt: skip

    def clean(self):
        data = super().clean()
        self.check_vat_id(data)
        return data


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Membership.ROLE_CHOICES,
        initial=Membership.FINANCE,
        help_text=_(
            "Owner: everything, including settings and the team. Finance: invoices, partners "
            "and profiles. Viewer: reads only."
        ),
    )


class NewPasswordMixin:
    """Two password fields that must match and pass the installation's password rules."""

    def check_passwords(self, data: dict, user=None) -> None:
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            try:
                validate_password(data["password1"], user)
            except forms.ValidationError as error:
                self.add_error("password1", error)


class NewMemberForm(NewPasswordMixin, forms.Form):
    """A newcomer accepting an invitation: name and password (the email is the invited one)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        self.check_passwords(data)
        return data


class SignUpForm(NewPasswordMixin, forms.Form):
    """A new operator: its login, its company and the country its first Entity is in."""

    email = forms.EmailField(label=_("Email address"), help_text=_("You log in with it."))
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)
    company = forms.CharField(
        label=_("Company"), max_length=200, help_text=_("Its legal name, as on your invoices.")
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=[("", "")] + COUNTRY_CHOICES,
        help_text=_("Where the company is established: it decides the VAT on its invoices."),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("This address already has a login: log in, or reset its password.")
            )
        return email

    def clean(self):
        data = super().clean()
        self.check_passwords(data, User(email=data.get("email", "")))
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.ROLE_CHOICES)


def secret_field(label, help_text) -> forms.CharField:
    """A write-only secret: never shown again, empty keeps the stored one (SecretsMixin)."""
    return forms.CharField(
        label=label,
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=help_text,
    )


class SecretsMixin:
    """Saves the SECRETS typed in onto the model's encrypted attributes; one left empty
    keeps what is stored."""

    SECRETS: tuple[str, ...] = ()

    def save(self, commit=True):
        for name in self.SECRETS:
            if self.cleaned_data[name]:
                setattr(self.instance, name, self.cleaned_data[name])
        return super().save(commit)


class SmtpForm(SecretsMixin, forms.ModelForm):
    """The Account's mail server. The password is write-only: empty keeps the stored one."""

    SECRETS = ("password",)
    password = secret_field(
        _("Password"), _("Stored encrypted. Leave empty to keep the current password.")
    )

    class Meta:
        model = SmtpSettings
        fields = ["host", "port", "security", "username", "password", "from_email", "from_name"]

    def clean_host(self):
        host = self.cleaned_data["host"].strip()
        if problem := host_problem(host):
            raise forms.ValidationError(problem)
        return host


class HttpsURLField(forms.URLField):
    """An address typed without its scheme is https://."""

    def __init__(self, **kwargs):
        super().__init__(assume_scheme="https", **kwargs)


class AccessPointForm(SecretsMixin, forms.ModelForm):
    """The Account's Peppol access point. The API key and the webhook secret are write-only:
    empty keeps the stored one."""

    SECRETS = ("api_key", "webhook_secret")
    api_key = secret_field(
        _("API key"),
        _(
            "From your access point's dashboard. Stored encrypted. Leave empty to keep "
            "the current key."
        ),
    )
    webhook_secret = secret_field(
        _("Webhook secret"),
        _(
            "The secret the access point signs its status messages with. Leave empty "
            "to keep the current one."
        ),
    )

    class Meta:
        model = AccessPointSettings
        fields = ["provider", "base_url", "api_key", "webhook_secret"]
        field_classes = {"base_url": HttpsURLField}
        help_texts = {
            "base_url": _("The access point's API, e.g. its test system while you try it out.")
        }

    def clean(self):
        data = super().clean()
        if not (data.get("api_key") or self.instance.api_key):
            self.add_error("api_key", _("Give the API key of your access point account."))
        if data.get("base_url"):
            self.instance.base_url = data["base_url"]
            if problem := self.instance.address_problem():
                self.add_error("base_url", problem)
        return data


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses this key, e.g. “Lead router production”."),
    )
