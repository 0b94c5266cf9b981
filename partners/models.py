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
    def payment_terms_label(self) -> str:
        return f"Net {self.payment_terms_days}"
