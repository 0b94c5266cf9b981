from django.contrib.auth.hashers import check_password, make_password
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from entities.languages import LANGUAGE_CHOICES, default_language
from entities.models import (
    COUNTRY_CHOICES,
    CURRENCY_CHOICES,
    EU_COUNTRIES,
    Entity,
    PeppolParticipant,
    vat_country,
)


class Partner(PeppolParticipant):
    """A business partner of an Entity: a buyer of leads (the Entity invoices it), a supplier
    of leads (the Entity pays it and issues self-billed invoices on its behalf), or both."""

    COMPANY = "company"
    INDIVIDUAL = "individual"
    KIND_CHOICES = [(COMPANY, _("Company")), (INDIVIDUAL, _("Individual"))]

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="partners")
    name = models.CharField(_("display name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=KIND_CHOICES, default=COMPANY)
    legal_name = models.CharField(_("legal name"), max_length=200)
    street = models.CharField(_("street"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(
        _("state or province"),
        max_length=100,
        blank=True,
        help_text=_("Required in the United States and Canada: the two-letter code (IL, ON)."),
    )
    country = models.CharField(_("country"), max_length=2, choices=COUNTRY_CHOICES)
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    tax_number = models.CharField(
        _("tax number"),
        max_length=40,
        blank=True,
        help_text=_(
            "A supplier's own tax number, printed on self-billed invoices when it has no VAT ID."
        ),
    )
    registration_number = models.CharField(
        _("company registration number"),
        max_length=40,
        blank=True,
        help_text=_(
            "In France its SIREN (9 digits), which French invoices name since the 2026 "
            "reform; in Belgium its enterprise number; in the Netherlands its KvK number."
        ),
    )
    # A supplier's VAT status decides the tax on its self-billed invoices (taxes.py), not
    # whether a VAT ID was typed: a German GmbH with only a Steuernummer is registered.
    VAT_REGISTERED = "registered"
    SMALL_BUSINESS = "small_business"
    PRIVATE_PERSON = "private"
    VAT_STATUS_CHOICES = [
        (VAT_REGISTERED, _("VAT-registered business")),
        (SMALL_BUSINESS, _("Small business, exempt from VAT (e.g. § 19 UStG, art. 293 B CGI)")),
        (PRIVATE_PERSON, _("Private individual, not acting as a business")),
    ]
    vat_status = models.CharField(
        _("VAT status as a supplier"),
        max_length=20,
        choices=VAT_STATUS_CHOICES,
        default=VAT_REGISTERED,
        help_text=_(
            "Decides the VAT on its self-billed invoices. A business with only a "
            "national tax number is VAT-registered."
        ),
    )
    not_a_business_declared_on = models.DateField(
        _("declared not acting as a business on"),
        null=True,
        blank=True,
        help_text=_(
            "For a private individual: the date of its declaration that it does not "
            "supply leads as a business. Its self-billed invoices need it on record."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=LANGUAGE_CHOICES,
        blank=True,
        help_text=_("Of its invoices, emails and portal. Leave empty for its country's language."),
    )
    email = models.EmailField(_("billing email"), blank=True)
    cc_emails = models.CharField(
        _("copies to"),
        max_length=500,
        blank=True,
        help_text=_(
            "Further addresses that get a copy of every invoice email, separated by commas."
        ),
    )
    is_buyer = models.BooleanField(
        _("buys leads"), default=True, help_text=_("You invoice this partner for leads delivered.")
    )
    is_supplier = models.BooleanField(
        _("supplies leads"),
        default=False,
        help_text=_(
            "An affiliate or lead supplier you pay: you issue self-billed invoices on its behalf."
        ),
    )
    iban = models.CharField(
        _("IBAN"), max_length=34, blank=True, help_text=_("Where you pay a supplier's payouts.")
    )
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    credit_limit = models.DecimalField(
        _("credit limit"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("The most it may owe you at once, in its currency. Empty: no limit."),
    )
    # Personal accounts in the Entity's books, as DATEV numbers them with four-digit
    # accounts (debtors 10000-69999, creditors 70000-99999). Given at the first export.
    debtor_number = models.PositiveIntegerField(
        _("debtor account"),
        null=True,
        blank=True,
        validators=[MinValueValidator(10000), MaxValueValidator(69999)],
        help_text=_("Its account in your books, 10000–69999. Empty: the next free one is given "
                    "at the first accounting export."),
    )  # fmt: skip
    creditor_number = models.PositiveIntegerField(
        _("creditor account"),
        null=True,
        blank=True,
        validators=[MinValueValidator(70000), MaxValueValidator(99999)],
        help_text=_("For a supplier, 70000–99999. Empty: the next free one is given at the first "
                    "accounting export."),
    )  # fmt: skip
    no_reminders = models.BooleanField(
        _("no payment reminders"),
        default=False,
        help_text=_("Never send this partner a payment reminder, e.g. while you agree terms."),
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        default=14,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        choices=CURRENCY_CHOICES,
        blank=True,
        help_text=_("Leave empty to use the Entity's default currency."),
    )
    # The last VIES answer for the VAT ID. Only an explicit "invalid" makes an ID invalid; an
    # outage leaves the status as it was.
    VIES_UNCHECKED = "unchecked"
    VIES_VALID = "valid"
    VIES_INVALID = "invalid"
    VIES_STATUS_CHOICES = [
        (VIES_UNCHECKED, _("Not checked yet")),
        (VIES_VALID, _("Valid")),
        (VIES_INVALID, _("Invalid")),
    ]
    vies_status = models.CharField(
        _("VIES status"), max_length=10, choices=VIES_STATUS_CHOICES, default=VIES_UNCHECKED
    )
    vies_checked_at = models.DateTimeField(_("VIES checked at"), null=True, blank=True)
    vies_request_identifier = models.CharField(
        _("VIES consultation number"), max_length=40, blank=True
    )
    vies_last_error = models.CharField(
        _("last VIES problem"),
        max_length=200,
        blank=True,
        help_text=_("Cleared by the next answer."),
    )

    EINVOICE_PDF = "pdf"
    EINVOICE_FACTURX = "facturx"
    EINVOICE_XRECHNUNG_CII = "xrechnung_cii"
    EINVOICE_XRECHNUNG_UBL = "xrechnung_ubl"
    EINVOICE_PEPPOL = "peppol"
    EINVOICE_FORMAT_CHOICES = [
        (EINVOICE_PDF, _("PDF only")),
        (EINVOICE_FACTURX, _("ZUGFeRD / Factur-X (PDF with embedded XML)")),
        (EINVOICE_XRECHNUNG_CII, _("XRechnung (CII XML) with a visual PDF")),
        (EINVOICE_XRECHNUNG_UBL, _("XRechnung (UBL XML) with a visual PDF")),
        (EINVOICE_PEPPOL, _("Peppol BIS Billing 3.0 (UBL XML) with a visual PDF")),
    ]
    einvoice_format = models.CharField(
        _("e-invoice format"),
        max_length=20,
        choices=EINVOICE_FORMAT_CHOICES,
        blank=True,
        help_text=_(
            "Leave empty for the default: Peppol between Belgian businesses, ZUGFeRD / "
            "Factur-X elsewhere in the EU, PDF outside it."
        ),
    )
    DELIVERY_AUTOMATIC = "automatic"
    DELIVERY_PEPPOL = "peppol"
    DELIVERY_EMAIL = "email"
    DELIVERY_PORTAL = "portal"
    DELIVERY_CHOICES = [
        (
            DELIVERY_AUTOMATIC,
            _("Automatic: Peppol when the partner is reachable there, else email"),
        ),
        (DELIVERY_PEPPOL, _("Peppol")),
        (DELIVERY_EMAIL, _("Email")),
        (DELIVERY_PORTAL, _("Partner portal only")),
    ]
    delivery = models.CharField(
        _("delivery"),
        max_length=10,
        choices=DELIVERY_CHOICES,
        default=DELIVERY_AUTOMATIC,
        help_text=_("How its finalized invoices reach it."),
    )
    buyer_reference = models.CharField(
        _("buyer reference / Leitweg-ID"),
        max_length=100,
        blank=True,
        help_text=_(
            "Printed as the buyer reference (BT-10). Public buyers in Germany require "
            "their Leitweg-ID here for XRechnung."
        ),
    )
    PER_ASSIGNMENT = "assignment"
    PER_LEAD = "lead"
    LINE_ITEM_CHOICES = [
        (PER_ASSIGNMENT, _("One line per assignment and price")),
        # The amounts stay those of the lines per assignment and price (invoicing.BilledLead).
        (PER_LEAD, _("One line per assignment and price, and every lead listed (annex and CSV)")),
    ]
    line_items = models.CharField(
        _("invoice lines"), max_length=10, choices=LINE_ITEM_CHOICES, default=PER_ASSIGNMENT
    )
    is_active = models.BooleanField(_("active"), default=True)
    # What is missing or wrong for invoicing, checked on every change of the partner and
    # every VIES answer (partners.checks.refresh_invoicing_problems), for lists and counts.
    invoicing_problems = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "debtor_number"],
                condition=models.Q(debtor_number__isnull=False),
                name="one_partner_per_debtor_account",
                violation_error_message=_("Another partner has this debtor account."),
            ),
            models.UniqueConstraint(
                fields=["entity", "creditor_number"],
                condition=models.Q(creditor_number__isnull=False),
                name="one_partner_per_creditor_account",
                violation_error_message=_("Another partner has this creditor account."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def billing_currency(self) -> str:
        return self.currency or self.entity.default_currency

    @property
    def is_in_eu(self) -> bool:
        return vat_country(self.country) in EU_COUNTRIES

    @property
    def document_language(self) -> str:
        """The language its documents are written in."""
        return self.language or default_language(self.country)

    @property
    def effective_einvoice_format(self) -> str:
        """The format chosen, else: Peppol between Belgian businesses (structured B2B
        invoices over Peppol are required in Belgium since 2026-01-01, loi du 6 février
        2024) and for a partner who receives over Peppol, Factur-X elsewhere in the EU, PDF
        outside it."""
        if self.einvoice_format:
            return self.einvoice_format
        if self.delivery == self.DELIVERY_PEPPOL:
            return self.EINVOICE_PEPPOL
        if self.country == "BE" and self.kind == self.COMPANY and self.entity.country == "BE":
            return self.EINVOICE_PEPPOL
        return self.EINVOICE_FACTURX if self.is_in_eu else self.EINVOICE_PDF

    def get_effective_einvoice_format_display(self) -> str:
        return dict(self.EINVOICE_FORMAT_CHOICES)[self.effective_einvoice_format]

    @property
    def wants_xrechnung(self) -> bool:
        return self.effective_einvoice_format in (
            self.EINVOICE_XRECHNUNG_CII,
            self.EINVOICE_XRECHNUNG_UBL,
        )

    @property
    def has_vies_valid_vat_id(self) -> bool:
        return bool(self.vat_id) and self.vies_status == self.VIES_VALID

    @property
    def payment_terms_label(self) -> str:
        return gettext("Net {days}").format(days=self.payment_terms_days)

    @property
    def roles_label(self) -> str:
        if self.is_buyer and self.is_supplier:
            return gettext("buyer and supplier")
        if self.is_buyer or self.is_supplier:
            return gettext("buyer") if self.is_buyer else gettext("supplier")
        return gettext("no role")

    @property
    def cc_list(self) -> list[str]:
        return [address.strip() for address in self.cc_emails.split(",") if address.strip()]

    def current_agreement(self) -> "SelfBillingAgreement | None":
        return self.self_billing_agreements.order_by("-accepted_at", "-pk").first()


class SelfBillingAgreement(models.Model):
    """A supplier's acceptance that the Entity issues invoices on its behalf (Art. 224 VAT
    Directive): which version of the terms, when, and by whom. Kept for audits; a later
    acceptance adds a record, none is ever changed."""

    partner = models.ForeignKey(
        Partner, models.PROTECT, related_name="self_billing_agreements", verbose_name=_("partner")
    )
    terms_version = models.CharField(_("version of the terms"), max_length=50)
    accepted_at = models.DateTimeField(_("accepted on"))
    accepted_by = models.CharField(
        _("accepted by"),
        max_length=200,
        help_text=_("The supplier's person who accepted, with name or email."),
    )
    recorded_by = models.CharField(
        _("recorded by"),
        max_length=200,
        help_text=_("Who recorded it: an operator's email or the partner portal."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(entity="partner__entity")

    class Meta:
        ordering = ["-accepted_at", "-pk"]

    def __str__(self):
        accepted = f"{self.accepted_at:%Y-%m-%d} by {self.accepted_by}"
        return f"Terms {self.terms_version}, accepted {accepted}"


class ChangeRequest(models.Model):
    """Changes a partner asked for in the portal to the details that decide the tax on its
    invoices (TAX_FIELDS). They wait for an operator: until one approves them, drafts and
    finalized invoices use the partner's approved details (a partner that moved itself
    from DE to US turned the operator's 19 % draft into "No VAT"). One open request per
    partner; a new one replaces it."""

    TAX_FIELDS = ["legal_name", "country", "vat_id", "tax_number", "kind", "vat_status"]

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REPLACED = "replaced"
    STATUS_CHOICES = [
        (PENDING, _("Pending review")),
        (APPROVED, _("Approved")),
        (REJECTED, _("Rejected")),
        (REPLACED, _("Replaced by a later request")),
    ]

    partner = models.ForeignKey(Partner, models.CASCADE, related_name="change_requests")
    changes = models.JSONField(help_text=_("Field → the value asked for."))
    previous = models.JSONField(help_text=_("Field → the value when it was asked for."))
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING)
    requested_by = models.CharField(max_length=200)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True, help_text=_("Why, when rejected."))

    objects = ScopedManager(entity="partner__entity")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"], condition=Q(status="pending"), name="one_open_change_request"
            )
        ]

    def __str__(self):
        return f"{self.partner}: {', '.join(self.changes)} ({self.status})"

    def described(self) -> list[tuple[str, str, str]]:
        """(field label, from, to) per change, for the pages."""
        labels = {f.name: f.verbose_name for f in Partner._meta.fields}
        return [
            (str(labels.get(name, name)).capitalize(), self.previous.get(name, ""), value)
            for name, value in self.changes.items()
        ]


class PartnerUser(models.Model):
    """A login to the partner portal. Separate from operator logins (entities.User): it never
    grants access to the operator UI, and an operator login never grants portal access."""

    partner = models.ForeignKey(Partner, models.CASCADE, related_name="portal_users")
    email = models.EmailField(unique=True)
    password = models.CharField(max_length=128, blank=True)
    is_active = models.BooleanField(default=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    last_login = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(entity="partner__entity")

    def __str__(self):
        return self.email

    def set_password(self, raw_password: str) -> None:
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        return bool(self.password) and check_password(raw_password, self.password)

    @property
    def has_password(self) -> bool:
        return bool(self.password)
