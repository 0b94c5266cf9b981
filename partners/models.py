from django.contrib.auth.hashers import check_password, make_password
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_scopes import ScopedManager

from entities.models import COUNTRY_CHOICES, CURRENCY_CHOICES, EU_COUNTRIES, Entity


class Partner(models.Model):
    """A buyer of leads: the party an Entity invoices."""

    COMPANY = "company"
    INDIVIDUAL = "individual"
    KIND_CHOICES = [(COMPANY, "Company"), (INDIVIDUAL, "Individual")]

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="partners")
    name = models.CharField("display name", max_length=200)
    kind = models.CharField(max_length=10, choices=KIND_CHOICES, default=COMPANY)
    legal_name = models.CharField(max_length=200)
    street = models.CharField(max_length=200)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES)
    vat_id = models.CharField("VAT ID", max_length=20, blank=True)
    email = models.EmailField("billing email", blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        "payment terms (days)",
        default=14,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
    )
    currency = models.CharField(
        max_length=3,
        choices=CURRENCY_CHOICES,
        blank=True,
        help_text="Leave empty to use the Entity's default currency.",
    )
    # The last VIES answer for the VAT ID. Only an explicit "invalid" makes an ID invalid; an
    # outage leaves the status as it was.
    VIES_UNCHECKED = "unchecked"
    VIES_VALID = "valid"
    VIES_INVALID = "invalid"
    VIES_STATUS_CHOICES = [
        (VIES_UNCHECKED, "Not checked yet"),
        (VIES_VALID, "Valid"),
        (VIES_INVALID, "Invalid"),
    ]
    vies_status = models.CharField(
        "VIES status", max_length=10, choices=VIES_STATUS_CHOICES, default=VIES_UNCHECKED
    )
    vies_checked_at = models.DateTimeField("VIES checked at", null=True, blank=True)
    vies_request_identifier = models.CharField(
        "VIES consultation number", max_length=40, blank=True
    )
    vies_last_error = models.CharField(
        "last VIES problem", max_length=200, blank=True, help_text="Cleared by the next answer."
    )

    EINVOICE_PDF = "pdf"
    EINVOICE_FACTURX = "facturx"
    EINVOICE_XRECHNUNG_CII = "xrechnung_cii"
    EINVOICE_XRECHNUNG_UBL = "xrechnung_ubl"
    EINVOICE_FORMAT_CHOICES = [
        (EINVOICE_PDF, "PDF only"),
        (EINVOICE_FACTURX, "ZUGFeRD / Factur-X (PDF with embedded XML)"),
        (EINVOICE_XRECHNUNG_CII, "XRechnung (CII XML) with a visual PDF"),
        (EINVOICE_XRECHNUNG_UBL, "XRechnung (UBL XML) with a visual PDF"),
    ]
    einvoice_format = models.CharField(
        "e-invoice format",
        max_length=20,
        choices=EINVOICE_FORMAT_CHOICES,
        blank=True,
        help_text="Leave empty for the default: ZUGFeRD / Factur-X in the EU, PDF elsewhere.",
    )
    buyer_reference = models.CharField(
        "buyer reference / Leitweg-ID",
        max_length=100,
        blank=True,
        help_text="Printed as the buyer reference (BT-10). Public buyers in Germany require "
        "their Leitweg-ID here for XRechnung.",
    )
    PER_ASSIGNMENT = "assignment"
    PER_LEAD = "lead"
    LINE_ITEM_CHOICES = [
        (PER_ASSIGNMENT, "One line per assignment and price"),
        (PER_LEAD, "One line per lead (lead id, date, price)"),
    ]
    line_items = models.CharField(
        "invoice lines", max_length=10, choices=LINE_ITEM_CHOICES, default=PER_ASSIGNMENT
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def billing_currency(self) -> str:
        return self.currency or self.entity.default_currency

    @property
    def is_in_eu(self) -> bool:
        return self.country in EU_COUNTRIES

    @property
    def effective_einvoice_format(self) -> str:
        if self.einvoice_format:
            return self.einvoice_format
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
        return f"Net {self.payment_terms_days}"


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
