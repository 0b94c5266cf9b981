import hashlib
import re
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .crypto import EncryptedText
from .languages import country_name
from .national_mentions import clean_register_number, clean_siret
from .network import non_public_address
from .number_patterns import can_collide, validate_number_pattern
from .peppol_ids import SCHEME_CHOICES, clean_peppol_id, suggested_peppol_id

# Country names follow the reader's language (CLDR, through Babel).
_country = lazy(country_name, str)

COUNTRY_CHOICES = [
    ("AT", _country("AT")),
    ("BE", _country("BE")),
    ("BG", _country("BG")),
    ("HR", _country("HR")),
    ("CY", _country("CY")),
    ("CZ", _country("CZ")),
    ("DK", _country("DK")),
    ("EE", _country("EE")),
    ("FI", _country("FI")),
    ("FR", _country("FR")),
    ("DE", _country("DE")),
    ("GR", _country("GR")),
    ("HU", _country("HU")),
    ("IE", _country("IE")),
    ("IT", _country("IT")),
    ("LV", _country("LV")),
    ("LT", _country("LT")),
    ("LU", _country("LU")),
    ("MT", _country("MT")),
    ("NL", _country("NL")),
    ("PL", _country("PL")),
    ("PT", _country("PT")),
    ("RO", _country("RO")),
    ("SK", _country("SK")),
    ("SI", _country("SI")),
    ("ES", _country("ES")),
    ("SE", _country("SE")),
    ("MC", _country("MC")),
    ("AU", _country("AU")),
    ("CA", _country("CA")),
    ("CH", _country("CH")),
    ("GB", _country("GB")),
    ("IL", _country("IL")),
    ("IN", _country("IN")),
    ("IM", _country("IM")),
    ("JP", _country("JP")),
    ("NO", _country("NO")),
    ("NZ", _country("NZ")),
    ("SG", _country("SG")),
    ("AE", _country("AE")),
    ("US", _country("US")),
]
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)
# Countries that are not member states but belong to one's VAT area. Art. 7(1) VAT
# Directive: transactions with Monaco are treated as with France (Monaco applies French VAT
# and its businesses have French VAT IDs); the Isle of Man shares the United Kingdom's VAT
# area (Customs and Excise Agreement 1979), outside the EU's since 2021.
VAT_AREAS = {"MC": "FR", "IM": "GB"}


EU_VAT_AREA = EU_COUNTRIES | {
    country for country, area in VAT_AREAS.items() if area in EU_COUNTRIES
}


def vat_country(country: str) -> str:
    """The country whose VAT applies to a party established in `country`."""
    return VAT_AREAS.get(country, country)


CURRENCY_CHOICES = [
    ("EUR", "EUR"),
    ("USD", "USD"),
    ("GBP", "GBP"),
    ("CHF", "CHF"),
    ("SEK", "SEK"),
    ("DKK", "DKK"),
    ("PLN", "PLN"),
    ("CZK", "CZK"),
    ("HUF", "HUF"),
    ("JPY", "JPY"),
]
# ISO 4217 minor units: how many decimals an amount in the currency has.
MINOR_UNITS = {"JPY": 0}


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


PAYMENT_TERMS_CHOICES = [(7, _("Net 7")), (14, _("Net 14")), (30, _("Net 30"))]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """An operator's login. Partners log into the portal with a separate account."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the pages. Empty: the browser's language."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self):
        return self.email


class Account(models.Model):
    """The tenant: one operator company, with one or more legal Entities."""

    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # When its owner confirmed the email address it signed up with; an Account made by an
    # administrator (create_account, the admin) is confirmed from the start. Until then
    # nothing is invoiced.
    verified_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    require_two_factor = models.BooleanField(
        _("require two-factor login"),
        default=False,
        help_text=_("Every member logs in with a code from an authenticator app as well."),
    )

    def __str__(self):
        return self.name


# The email that goes with each kind of document, in the Entity's words (Settings). On a
# self-billed document the partner is the supplier, whom the Entity pays: its mail is a
# payout notice, not a request to pay.
# Marked for translation: a text the operator has not changed goes out in the partner's
# language (Entity.email_text).
DEFAULT_EMAIL_TEXTS = {
    "invoice": (
        gettext_noop("Invoice {number} from {company}"),
        gettext_noop(
            """Hello {partner},

please find attached invoice {number} of {issue_date} for {period}, over {total}.
{payment_line}
{portal_line}
Kind regards
{company}
"""
        ),
    ),
    "credit_note": (
        gettext_noop("Credit note {number} from {company}"),
        gettext_noop(
            """Hello {partner},

please find attached credit note {number} of {issue_date}, over {total}. It corrects
invoice {corrects}.
{payment_line}
{portal_line}
Kind regards
{company}
"""
        ),
    ),
    "self_billed": (
        gettext_noop("Self-billed invoice {number}: your payout from {company}"),
        gettext_noop(
            """Hello {partner},

under our self-billing agreement we have issued the attached self-billed invoice {number}
of {issue_date} on your behalf, for the leads you supplied in {period}.
{payment_line}
{portal_line}
Kind regards
{company}
"""
        ),
    ),
    "self_billed_credit_note": (
        gettext_noop("Self-billed credit note {number} from {company}"),
        gettext_noop(
            """Hello {partner},

under our self-billing agreement we have issued the attached self-billed credit note
{number} of {issue_date} on your behalf, over {total}. It corrects self-billed invoice
{corrects}.
{payment_line}
{portal_line}
Kind regards
{company}
"""
        ),
    ),
}
DEFAULT_EMAIL_SUBJECT, DEFAULT_EMAIL_BODY = DEFAULT_EMAIL_TEXTS["invoice"]
EMAIL_PLACEHOLDERS = (
    "document", "document_lower", "number", "partner", "company", "seller", "total",
    "open_amount", "issue_date", "due_date", "period", "corrects", "payment_line",
    "portal_line", "portal_url",
)  # fmt: skip


# Plain {name} placeholders, filled by fill_email_template: no Python format syntax, so
# no text can fail when an email is built (`{total:d}` once left invoices stuck in sending).
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def validate_email_template(text: str) -> None:
    known = ", ".join("{" + p + "}" for p in EMAIL_PLACEHOLDERS)
    for name in PLACEHOLDER.findall(text):
        if name not in EMAIL_PLACEHOLDERS:
            raise ValidationError(
                _("Unknown placeholder {{{name}}}. Use: {known}").format(name=name, known=known)
            )
    if stray := re.search(r"[{}][^{}\s]*\}?", PLACEHOLDER.sub("", text)):
        raise ValidationError(
            _("“{text}” is not a placeholder: use braces only around one of {known}.").format(
                text=stray.group(), known=known
            )
        )


def fill_email_template(text: str, values: dict[str, str]) -> str:
    """The text with each {placeholder} replaced by its value; anything else stays."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


class PeppolParticipant(models.Model):
    """A business reachable on the Peppol network: its participant identifier
    (entities.peppol_ids), the endpoint ID of its e-invoices (BT-34, BT-49)."""

    peppol_scheme = models.CharField(
        _("Peppol ID scheme"), max_length=4, choices=SCHEME_CHOICES, blank=True
    )
    peppol_id = models.CharField(
        _("Peppol ID"),
        max_length=60,
        blank=True,
        help_text=_(
            "As the Peppol directory lists it, e.g. 0208 and the Belgian enterprise number "
            "0403019261. Empty: the one its VAT ID suggests, when an e-invoice needs it."
        ),
    )

    class Meta:
        abstract = True

    @property
    def peppol_participant(self) -> tuple[str, str] | None:
        """(scheme, value): the one entered, or the one the VAT ID suggests."""
        if self.peppol_id:
            return self.peppol_scheme, self.peppol_id
        return suggested_peppol_id(self.country, self.vat_id)

    def clean(self):
        if errors := self.peppol_errors():
            raise ValidationError(errors)

    def peppol_errors(self) -> dict:
        """Check and normalise the Peppol ID; the errors by field."""
        try:
            self.peppol_id = clean_peppol_id(self.peppol_scheme, self.peppol_id)
        except ValidationError as error:
            return {"peppol_id" if self.peppol_scheme else "peppol_scheme": error.messages}
        return {}


class Entity(PeppolParticipant):
    """A legal seller of an Account: the party that issues invoices."""

    account = models.ForeignKey(Account, models.CASCADE, related_name="entities")
    name = models.CharField(_("display name"), max_length=100)
    legal_name = models.CharField(_("legal name"), max_length=200)
    street = models.CharField(_("street"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(
        _("state or province"),
        max_length=100,
        blank=True,
        help_text=_("Required in the United States and Canada: the two-letter code (NY, ON)."),
    )
    country = models.CharField(_("country"), max_length=2, choices=COUNTRY_CHOICES)
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=40, blank=True)
    tax_office = models.CharField(_("tax office"), max_length=100, blank=True)
    # What the Entity's country requires on its invoices beyond the VAT Directive
    # (national_mentions): register, legal form, directors, capital, French payment terms.
    legal_form = models.CharField(
        _("legal form"),
        max_length=60,
        blank=True,
        help_text=_("As registered: GmbH, SAS, BV, SRL, Einzelunternehmen."),
    )
    register_court = models.CharField(
        _("register court or registry"),
        max_length=100,
        blank=True,
        help_text=_(
            "Amtsgericht Köln; Handelsgericht Wien; the city of the RCS (Lyon); the "
            "court of the seat in Belgium (Bruxelles); Registro Mercantil de Madrid."
        ),
    )
    register_number = models.CharField(
        _("register number"),
        max_length=60,
        blank=True,
        help_text=_(
            "HRB 12345; FN 123456a; the SIREN in France; the enterprise number in "
            "Belgium; the KvK number in the Netherlands; the REA number in Italy."
        ),
    )
    managing_directors = models.CharField(
        _("managing directors"),
        max_length=200,
        blank=True,
        help_text=_("All of them, as printed: Anna Becker, Jan Vogt."),
    )
    share_capital = models.DecimalField(
        _("share capital"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("In the default currency; printed in France and Italy."),
    )
    siret = models.CharField(
        _("SIRET"), max_length=17, blank=True, help_text=_("France: the establishment's SIRET.")
    )
    late_payment_penalty = models.CharField(
        _("late-payment penalty rate"),
        max_length=200,
        blank=True,
        help_text=_(
            "France (L441-10 Code de commerce): e.g. “taux directeur de la BCE majoré "
            "de 10 points”; at least three times the legal interest rate.",
        ),
    )
    early_payment_discount = models.CharField(
        _("early payment discount"),
        max_length=200,
        blank=True,
        help_text=_(
            "France: the discount for early payment; leave empty to print “none”.",
        ),
    )
    vat_on_debits = models.BooleanField(
        _("VAT on debits"),
        default=False,
        help_text=_(
            "France: you opted to pay VAT on invoicing (option pour le paiement de la "
            "taxe d'après les débits); the invoice says so.",
        ),
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    bank_name = models.CharField(_("bank name"), max_length=100, blank=True)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    default_currency = models.CharField(
        _("default currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR"
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        default=14,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
    )
    STANDARD_RATE = "standard"
    REDUCED_RATE = "reduced"
    VAT_RATE_CHOICES = [
        (STANDARD_RATE, _("Standard rate of the Entity's country")),
        (REDUCED_RATE, _("Reduced rate of the Entity's country")),
    ]
    vat_rate_kind = models.CharField(
        _("VAT rate"),
        max_length=10,
        choices=VAT_RATE_CHOICES,
        default=STANDARD_RATE,
        help_text=_(
            "Charged on domestic invoices, at the rate in force in the billing period. "
            "Lead services are taxed at the standard rate everywhere in the EU."
        ),
    )
    reduced_rate_basis = models.CharField(
        _("legal basis of the reduced rate"),
        max_length=200,
        blank=True,
        help_text=_(
            "Only with the reduced rate: the provision that allows it for what you sell "
            "(e.g. § 12 Abs. 2 Nr. 7 UStG). Printed on every domestic invoice.",
        ),
    )
    # Where leads sold to consumers in other member states are taxed (invoicing.oss).
    SELLER_COUNTRY = "seller"
    ABOVE_THRESHOLD = "threshold"
    CONSUMER_COUNTRY = "consumer"
    B2C_PLACE_OF_SUPPLY_CHOICES = [
        (SELLER_COUNTRY, _("Your country's VAT: leads qualified by people (Art. 45)")),
        (
            ABOVE_THRESHOLD,
            _("Electronically supplied: the consumer's VAT above EUR 10,000 a year (Art. 59c)"),
        ),
        (CONSUMER_COUNTRY, _("Electronically supplied: the consumer's VAT from the first euro")),
    ]
    b2c_place_of_supply = models.CharField(
        _("VAT for consumers in other member states"),
        max_length=10,
        choices=B2C_PLACE_OF_SUPPLY_CHOICES,
        default=SELLER_COUNTRY,
        help_text=_(
            "Leads delivered automatically, without people qualifying them, can be "
            "electronically supplied services (Art. 7 Regulation 282/2011): their VAT is then "
            "the consumer's country's, declared in the quarterly OSS return."
        ),
    )
    # Art. 91(2) VAT Directive: the latest ECB rate; § 16(6) UStG also allows the monthly
    # average (invoicing.exchange_rates).
    ECB_DAILY = "ecb_daily"
    ECB_MONTHLY_AVERAGE = "ecb_monthly_average"
    EXCHANGE_RATE_RULE_CHOICES = [
        (ECB_DAILY, _("Latest ECB reference rate on or before the supply date")),
        (ECB_MONTHLY_AVERAGE, _("Average of the ECB reference rates of the supply month")),
    ]
    exchange_rate_rule = models.CharField(
        _("exchange rate for VAT"),
        max_length=20,
        choices=EXCHANGE_RATE_RULE_CHOICES,
        default=ECB_DAILY,
        help_text=_(
            "An invoice in another currency than your national one states its VAT in "
            "the national currency too, at this rate; an operator can enter one on a draft."
        ),
    )
    contact_name = models.CharField(
        _("contact name"),
        max_length=100,
        blank=True,
        help_text=_("Billing contact named on e-invoices."),
    )
    # Numbering: one pattern and one gap-free sequence per kind of document. Spain requires
    # their own series for corrections and self-billing; the others accept it.
    invoice_number_format = models.CharField(
        _("invoice number format"),
        max_length=60,
        validators=[validate_number_pattern],
        default="RE-{YYYY}-{seq:05}",
        help_text=_(
            "Tokens: {YYYY} year of issue, {YY} its last two digits, {MM} month, "
            "{seq} counter, {seq:05} counter with 5 digits."
        ),
    )
    invoice_numbers_reset_yearly = models.BooleanField(
        _("invoice numbers restart every year"), default=False
    )
    credit_note_number_format = models.CharField(
        _("credit note number format"),
        max_length=60,
        validators=[validate_number_pattern],
        default="CN-{YYYY}-{seq:05}",
        help_text=_("Credit notes have their own gap-free sequence. Same tokens as invoices."),
    )
    credit_note_numbers_reset_yearly = models.BooleanField(
        _("credit note numbers restart every year"), default=False
    )
    self_billed_number_format = models.CharField(
        _("self-billed invoice number format"),
        max_length=60,
        validators=[validate_number_pattern],
        default="AFF-{seq:06}",
        help_text=_("Invoices you issue on behalf of your lead suppliers (self-billing)."),
    )
    self_billed_numbers_reset_yearly = models.BooleanField(
        _("self-billed invoice numbers restart every year"), default=False
    )
    self_billed_credit_note_number_format = models.CharField(
        _("self-billed credit note number format"),
        max_length=60,
        validators=[validate_number_pattern],
        default="AFF-CN-{seq:06}",
    )
    self_billed_credit_note_numbers_reset_yearly = models.BooleanField(
        _("self-billed credit note numbers restart every year"), default=False
    )
    self_billing_terms = models.TextField(
        _("self-billing terms"),
        blank=True,
        help_text=_(
            "The self-billing clause your lead suppliers accept, shown to them in the "
            "partner portal."
        ),
    )
    self_billing_terms_version = models.CharField(
        _("version of the self-billing terms"),
        max_length=50,
        blank=True,
        help_text=_("Change it when the terms change: suppliers are asked to accept again."),
    )
    invoice_template = models.TextField(
        _("invoice template"),
        blank=True,
        help_text=_("Your own Liquid template for invoice PDFs; empty for the default template."),
    )
    time_zone = models.CharField(_("time zone"), max_length=60, default="Europe/Berlin")
    # An archived Entity keeps its invoices readable and issues nothing new.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)
    # Its own VAT ID as VIES last answered for it (onboarding); cleared when it changes.
    vies_valid = models.BooleanField(null=True, editable=False)
    vies_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When an owner last saved its settings: the number formats have been looked at.
    settings_saved_at = models.DateTimeField(null=True, blank=True, editable=False)
    BILL_DRAFTS = "drafts"
    BILL_FINALIZE = "finalize"
    BILL_SEND = "send"
    BILLING_MODE_CHOICES = [
        (BILL_DRAFTS, _("Generate drafts only")),
        (BILL_FINALIZE, _("Generate and finalize")),
        (BILL_SEND, _("Generate, finalize and email")),
    ]
    billing_day = models.PositiveSmallIntegerField(
        _("monthly billing day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_(
            "Day of the month (1–28) on which last month is billed automatically. "
            "Leave empty to bill by hand."
        ),
    )
    billing_mode = models.CharField(
        _("billing mode"), max_length=10, choices=BILLING_MODE_CHOICES, default=BILL_DRAFTS
    )
    finalize_after_returns = models.BooleanField(
        _("finalize once the return window has closed"),
        default=False,
        help_text=_(
            "A billing run generates the drafts at once but finalizes them only when partners "
            "can no longer return the period's leads, so that returns land before the invoice."
        ),
    )
    # Reminders and credit control (invoicing.dunning).
    reminders_enabled = models.BooleanField(
        _("send payment reminders"),
        default=False,
        help_text=_("Emails each buyer whose invoice is overdue, in its language, every morning."),
    )
    friendly_reminder_days = models.PositiveSmallIntegerField(
        _("friendly reminder, days after the due date"),
        null=True,
        blank=True,
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Empty: no friendly reminder."),
    )
    first_reminder_days = models.PositiveSmallIntegerField(
        _("first reminder, days after the due date"),
        null=True,
        blank=True,
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Empty: none."),
    )
    final_reminder_days = models.PositiveSmallIntegerField(
        _("final reminder, days after the due date"),
        null=True,
        blank=True,
        default=28,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Empty: none."),
    )
    claim_late_payment_costs = models.BooleanField(
        _("claim the late-payment compensation and interest on the final reminder"),
        default=False,
        help_text=_(
            "From business buyers: the EUR 40 of the EU Late Payment Directive and the "
            "statutory interest of your country, computed to the day."
        ),
    )
    hold_deliveries_overdue_days = models.PositiveSmallIntegerField(
        _("pause a buyer's deliveries when an invoice is overdue by more than (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_("Empty: never for that. Deliveries resume by themselves once it is paid."),
    )
    hold_deliveries_over_limit = models.BooleanField(
        _("pause a buyer's deliveries when its open balance is over its credit limit"),
        default=False,
        help_text=_("The credit limit is set per partner."),
    )
    SKR03 = "SKR03"
    SKR04 = "SKR04"
    CHART_CHOICES = [(SKR03, "SKR03"), (SKR04, "SKR04")]
    chart_of_accounts = models.CharField(
        _("chart of accounts"),
        max_length=5,
        choices=CHART_CHOICES,
        default=SKR03,
        help_text=_("DATEV's standard chart your books follow: it decides the accounts of "
                    "the DATEV export."),
    )  # fmt: skip
    datev_consultant_number = models.PositiveIntegerField(
        _("DATEV consultant number"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1001), MaxValueValidator(9999999)],
        help_text=_("Your tax adviser's Beraternummer, for the DATEV export."),
    )
    datev_client_number = models.PositiveIntegerField(
        _("DATEV client number"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99999)],
        help_text=_("Your Mandantennummer at your tax adviser."),
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1 for a fiscal year that is the calendar year."),
    )
    invoice_email_subject = models.CharField(
        _("invoice email subject"),
        max_length=200,
        default=DEFAULT_EMAIL_SUBJECT,
        validators=[validate_email_template],
    )
    invoice_email_body = models.TextField(
        _("invoice email body"), default=DEFAULT_EMAIL_BODY, validators=[validate_email_template]
    )
    credit_note_email_subject = models.CharField(
        _("credit note email subject"),
        max_length=200,
        default=DEFAULT_EMAIL_TEXTS["credit_note"][0],
        validators=[validate_email_template],
    )
    credit_note_email_body = models.TextField(
        _("credit note email body"),
        default=DEFAULT_EMAIL_TEXTS["credit_note"][1],
        validators=[validate_email_template],
    )
    self_billed_email_subject = models.CharField(
        _("self-billed invoice email subject"),
        max_length=200,
        default=DEFAULT_EMAIL_TEXTS["self_billed"][0],
        validators=[validate_email_template],
    )
    self_billed_email_body = models.TextField(
        _("self-billed invoice email body"),
        default=DEFAULT_EMAIL_TEXTS["self_billed"][1],
        validators=[validate_email_template],
    )
    self_billed_credit_note_email_subject = models.CharField(
        _("self-billed credit note email subject"),
        max_length=200,
        default=DEFAULT_EMAIL_TEXTS["self_billed_credit_note"][0],
        validators=[validate_email_template],
    )
    self_billed_credit_note_email_body = models.TextField(
        _("self-billed credit note email body"),
        default=DEFAULT_EMAIL_TEXTS["self_billed_credit_note"][1],
        validators=[validate_email_template],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_in_eu(self) -> bool:
        return vat_country(self.country) in EU_COUNTRIES

    def email_text(self, document_kind: str) -> tuple[str, str]:
        """The subject and body of the email that goes with a kind of document. A text left
        as it came is sent in the active language (the partner's); one the operator wrote
        is sent as written."""
        subject = getattr(self, f"{document_kind}_email_subject")
        body = getattr(self, f"{document_kind}_email_body")
        default_subject, default_body = DEFAULT_EMAIL_TEXTS[document_kind]
        return (
            gettext(subject) if subject == default_subject else subject,
            gettext(body) if body.replace("\r\n", "\n") == default_body else body,
        )

    def numbering(self, document_kind: str) -> tuple[str, bool]:
        """The number pattern of a kind of document and whether its counter restarts every
        year. Kinds: see DOCUMENT_KINDS."""
        return (
            getattr(self, f"{document_kind}_number_format"),
            getattr(self, f"{document_kind}_numbers_reset_yearly"),
        )

    def clean(self):
        errors = self.peppol_errors()
        try:
            self.register_number = clean_register_number(self.country, self.register_number)
        except ValidationError as error:
            errors["register_number"] = error.messages
        if self.siret and self.country == "FR":
            try:
                self.siret = clean_siret(self.siret, self.register_number)
            except ValidationError as error:
                errors["siret"] = error.messages
        valid = {}  # kind: (pattern, label), for the patterns that parse
        for kind, label in DOCUMENT_KINDS:
            pattern, yearly = self.numbering(kind)
            try:
                validate_number_pattern(pattern)
            except ValidationError:
                continue  # the field's own validator says why
            if yearly and "{YY" not in pattern:
                errors[f"{kind}_number_format"] = _(
                    "Numbers that restart every year need the year in them ({YYYY} or {YY}); "
                    "otherwise a number would repeat."
                )
            # Compared by what they produce: RE-{seq:005} and RE-{seq:05} are the same.
            for other, other_label in valid.values():
                if can_collide(pattern, other):
                    errors[f"{kind}_number_format"] = (
                        f"{label} numbers need a pattern of their own: this one can produce "
                        f"the same numbers as the one for {other_label.lower()}."
                    )
                    break
            valid[kind] = (pattern, label)
        if errors:
            raise ValidationError(errors)


DOCUMENT_KINDS = [
    ("invoice", _("Invoices")),
    ("credit_note", _("Credit notes")),
    ("self_billed", _("Self-billed invoices")),
    ("self_billed_credit_note", _("Self-billed credit notes")),
]


class SmtpSettings(models.Model):
    """The mail server an Account sends its invoices through. The password is stored
    encrypted (entities.crypto)."""

    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"
    SECURITY_CHOICES = [(STARTTLS, "STARTTLS"), (SSL, "SSL/TLS"), (NONE, _("None (not encrypted)"))]

    account = models.OneToOneField(Account, models.CASCADE, related_name="smtp")
    host = models.CharField(_("server"), max_length=200)
    port = models.PositiveIntegerField(
        _("port"), default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(
        _("encryption"), max_length=10, choices=SECURITY_CHOICES, default=STARTTLS
    )
    username = models.CharField(_("user name"), max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    password = EncryptedText("password_encrypted")
    from_email = models.EmailField(_("sender address"))
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SMTP settings"
        verbose_name_plural = "SMTP settings"

    def __str__(self):
        return f"{self.host}:{self.port}"

    @property
    def sender(self) -> str:
        from email.utils import formataddr

        return formataddr((self.from_name, self.from_email)) if self.from_name else self.from_email


def new_webhook_token() -> str:
    return secrets.token_urlsafe(24)


class AccessPointSettings(models.Model):
    """The Peppol access point an Account sends its e-invoices through: which provider, its
    API address and key, and the secret its webhooks are signed with. The key and the secret
    are stored encrypted (entities.crypto)."""

    E_INVOICE_BE = "e_invoice_be"
    PROVIDER_CHOICES = [(E_INVOICE_BE, "e-invoice.be")]

    account = models.OneToOneField(Account, models.CASCADE, related_name="access_point")
    provider = models.CharField(
        _("provider"), max_length=20, choices=PROVIDER_CHOICES, default=E_INVOICE_BE
    )
    base_url = models.URLField(_("API address"), default="https://api.e-invoice.be")
    api_key_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    api_key = EncryptedText("api_key_encrypted")
    webhook_secret = EncryptedText("webhook_secret_encrypted")
    # The last part of the webhook address the access point calls: which Account it is for.
    webhook_token = models.CharField(
        max_length=40, unique=True, default=new_webhook_token, editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.get_provider_display()} ({self.base_url})"

    def address_problem(self) -> str:
        """Why the product may not call this API address, or "": its host is not on the
        public internet. ALLOW_PRIVATE_ACCESS_POINT_HOSTS lifts the check for an access
        point on the installation's own network (and for the tests' stub)."""
        if settings.ALLOW_PRIVATE_ACCESS_POINT_HOSTS:
            return ""
        host = urlsplit(self.base_url).hostname or ""
        try:
            address = non_public_address(host)
        except LookupError:
            return gettext("The access point {host} cannot be found: check its address.").format(
                host=host
            )
        if address:
            return gettext(
                "The access point {host} is on a private network ({address}); only access "
                "points on the internet can be used."
            ).format(host=host, address=address)
        return ""


class Membership(models.Model):
    OWNER = "owner"
    FINANCE = "finance"
    VIEWER = "viewer"
    ROLE_CHOICES = [(OWNER, _("Owner")), (FINANCE, _("Finance")), (VIEWER, _("Viewer"))]

    user = models.ForeignKey(User, models.CASCADE, related_name="memberships")
    account = models.ForeignKey(Account, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=ROLE_CHOICES, default=VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="one_membership_per_account")
        ]

    def __str__(self):
        return f"{self.user} in {self.account} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in (self.OWNER, self.FINANCE)


class Invitation(models.Model):
    """An owner's invitation to join the Account with a role. The link in its email carries
    a token of which only the hash is stored; it can be used once, before it expires, unless
    revoked."""

    account = models.ForeignKey(Account, models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(
        _("role"), max_length=10, choices=Membership.ROLE_CHOICES, default=Membership.VIEWER
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    PENDING, ACCEPTED, REVOKED, EXPIRED = "pending", "accepted", "revoked", "expired"
    STATUS_LABELS = {
        PENDING: _("pending"),
        ACCEPTED: _("accepted"),
        REVOKED: _("revoked"),
        EXPIRED: _("expired"),
    }

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} to {self.account} ({self.role})"

    def status(self, now) -> str:
        if self.accepted_at:
            return self.ACCEPTED
        if self.revoked_at:
            return self.REVOKED
        return self.EXPIRED if now >= self.expires_at else self.PENDING

    def get_status_display(self, now) -> str:
        return self.STATUS_LABELS[self.status(now)]


class AccountEvent(models.Model):
    """The Account's audit trail: its team, its Entities and its security, who changed what
    and when. Rows are only ever added."""

    INVITED = "invited"
    INVITATION_REVOKED = "invitation_revoked"
    JOINED = "joined"
    ROLE_CHANGED = "role_changed"
    REMOVED = "removed"
    ENTITY_ADDED = "entity_added"
    ENTITY_ARCHIVED = "entity_archived"
    ENTITY_RESTORED = "entity_restored"
    SIGNED_UP = "signed_up"
    VERIFIED = "verified"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    TWO_FACTOR_OPTIONAL = "two_factor_optional"
    TWO_FACTOR_ON = "two_factor_on"
    TWO_FACTOR_OFF = "two_factor_off"
    PASSWORD_CHANGED = "password_changed"
    SESSIONS_ENDED = "sessions_ended"
    RETURNS_REQUESTED = "returns_requested"
    RETURNS_DECIDED = "returns_decided"
    KIND_CHOICES = [
        (INVITED, _("Member invited")),
        (INVITATION_REVOKED, _("Invitation revoked")),
        (JOINED, _("Member joined")),
        (ROLE_CHANGED, _("Role changed")),
        (REMOVED, _("Member removed")),
        (ENTITY_ADDED, _("Entity added")),
        (ENTITY_ARCHIVED, _("Entity archived")),
        (ENTITY_RESTORED, _("Entity restored")),
        (SIGNED_UP, _("Account created")),
        (VERIFIED, _("Email address confirmed")),
        (TWO_FACTOR_REQUIRED, _("Two-factor login required")),
        (TWO_FACTOR_OPTIONAL, _("Two-factor login made optional")),
        (TWO_FACTOR_ON, _("Member turned two-factor login on")),
        (TWO_FACTOR_OFF, _("Member turned two-factor login off")),
        (PASSWORD_CHANGED, _("Member changed their password")),
        (SESSIONS_ENDED, _("Member logged out other browsers")),
        (RETURNS_REQUESTED, _("Lead returns requested")),
        (RETURNS_DECIDED, _("Lead returns decided")),
    ]

    account = models.ForeignKey(Account, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=KIND_CHOICES)
    # Who did it, as written at the time: the user may be removed later.
    actor = models.CharField(max_length=254, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.account}: {self.kind} {self.detail}"


class LoginSession(models.Model):
    """A browser an operator is logged in with, for the list on the Security page, where
    each can be logged out. Made at login, removed at logout (entities.login_sessions)."""

    user = models.ForeignKey(User, models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self):
        return f"{self.user} from {self.ip_address}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKey(models.Model):
    """A key for the JSON API, valid for one Entity. Only its hash is stored."""

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(entity="entity")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, entity: Entity, name: str) -> tuple["ApiKey", str]:
        """Create a key and return it with its secret, which is shown once and never stored."""
        secret = "lf_" + secrets.token_urlsafe(32)
        key = cls.objects.create(
            entity=entity, name=name, prefix=secret[:10], key_hash=hash_api_key(secret)
        )
        return key, secret


class IdempotentRequest(models.Model):
    """A POST to the API sent with an Idempotency-Key: the same key again within a day gets
    the stored answer instead of doing it twice (a client retrying after a lost answer).
    The row commits with the work and its answer, never before."""

    KEPT_HOURS = 24

    api_key = models.ForeignKey(ApiKey, models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)  # set before the row commits
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedManager(entity="api_key__entity")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="one_request_per_key")
        ]

    def __str__(self):
        return f"{self.key} ({self.status or 'running'})"
