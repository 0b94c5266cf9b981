from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from distribution.models import Assignment
from entities.models import Entity
from partners.models import Partner

MONEY = {"max_digits": 14, "decimal_places": 2}


class InvoicingError(Exception):
    """A billing step cannot be done; the message says why, in words for the operator."""


class NumberSequence(models.Model):
    """The last number issued for one Entity and kind of document.

    Numbers are taken under a row lock on this row inside the finalize transaction, so they are
    gap-free: a PostgreSQL sequence would leave gaps on rollback.
    """

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="number_sequences")
    kind = models.CharField(max_length=20)
    last_number = models.PositiveIntegerField(default=0)

    objects = ScopedManager(entity="entity")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "kind"], name="one_sequence_per_kind")
        ]

    def __str__(self):
        return f"{self.entity} {self.kind}: {self.last_number}"


class InvoiceQuerySet(models.QuerySet):
    def overdue(self, today: date):
        return self.filter(status=Invoice.FINAL, paid_at__isnull=True, due_date__lt=today)

    def open(self, today: date):
        return self.filter(status=Invoice.FINAL, paid_at__isnull=True, due_date__gte=today)


class Invoice(models.Model):
    """An invoice to a partner for one billing period and currency.

    A draft has no number and may change. Finalizing gives it a number, freezes the seller's
    and buyer's details and the amounts, and locks its PDF; from then on only its payment
    fields change.
    """

    DRAFT = "draft"
    FINAL = "final"
    STATUS_CHOICES = [(DRAFT, "Draft"), (FINAL, "Final")]

    KIND_INVOICE = "invoice"
    KIND_CHOICES = [(KIND_INVOICE, "Invoice")]

    entity = models.ForeignKey(Entity, models.PROTECT, related_name="invoices")
    partner = models.ForeignKey(Partner, models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=20, choices=KIND_CHOICES, default=KIND_INVOICE)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3)

    number = models.CharField(max_length=60, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    seller = models.JSONField(default=dict, blank=True, help_text="Frozen at finalize.")
    buyer = models.JSONField(default=dict, blank=True, help_text="Frozen at finalize.")

    tax_category = models.CharField(max_length=2, blank=True)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    tax_note = models.CharField(max_length=200, blank=True)
    tax_exemption_reason = models.CharField(max_length=200, blank=True)
    tax_exemption_code = models.CharField(max_length=30, blank=True)
    einvoice_format = models.CharField(
        max_length=20, blank=True, help_text="The partner's e-invoice format, frozen at finalize."
    )
    subtotal = models.DecimalField(default=0, **MONEY)
    tax_amount = models.DecimalField(default=0, **MONEY)
    total = models.DecimalField(default=0, **MONEY)

    notes = models.TextField(blank=True, help_text="Printed on the invoice.")
    paid_at = models.DateField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(models.Manager.from_queryset(InvoiceQuerySet), entity="entity")

    class Meta:
        ordering = ["-period_start", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "kind", "number"],
                condition=~Q(number=""),
                name="unique_number_per_entity_and_kind",
            ),
            # One open draft per partner, period and currency: generating again fills the
            # same draft, also when two runs race.
            models.UniqueConstraint(
                fields=["entity", "partner", "currency", "period_start", "period_end"],
                condition=Q(status="draft"),
                name="one_draft_per_partner_period_currency",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number="") | (Q(status="final") & ~Q(number="")),
                name="number_only_when_final",
            ),
        ]
        indexes = [
            models.Index(fields=["entity", "status", "due_date"], name="invoice_by_status_due"),
        ]

    def __str__(self):
        return self.number or f"Draft #{self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.DRAFT

    @property
    def is_final(self) -> bool:
        return self.status == self.FINAL

    def payment_status(self, today: date) -> str:
        """'draft', 'paid', 'overdue' or 'open'."""
        if self.is_draft:
            return "draft"
        if self.paid_at:
            return "paid"
        if self.due_date and self.due_date < today:
            return "overdue"
        return "open"

    def delete(self, *args, **kwargs):
        if not self.is_draft:
            raise InvoicingError("A finalized invoice is a record and cannot be deleted.")
        return super().delete(*args, **kwargs)


class InvoiceLine(models.Model):
    DELIVERIES = "deliveries"
    CREDIT = "credit"
    KIND_CHOICES = [(DELIVERIES, "Deliveries"), (CREDIT, "Manual credit")]

    invoice = models.ForeignKey(Invoice, models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=12, choices=KIND_CHOICES, default=DELIVERIES)
    assignment = models.ForeignKey(
        Assignment, models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(max_length=200)
    quantity = models.IntegerField(help_text="Number of leads; negative on a credit.")
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    net_amount = models.DecimalField(**MONEY)

    objects = ScopedManager(entity="invoice__entity")

    class Meta:
        ordering = ["-kind", "id"]  # deliveries first, then credits

    def __str__(self):
        return self.description


class InvoiceDocument(models.Model):
    """A rendered file of a finalized invoice. Written once, never changed."""

    PDF = "pdf"
    XML = "xml"
    KIND_CHOICES = [(PDF, "PDF"), (XML, "XML e-invoice")]

    invoice = models.ForeignKey(Invoice, models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    filename = models.CharField(max_length=200)
    mimetype = models.CharField(max_length=100)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(entity="invoice__entity")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind"], name="one_document_per_kind")
        ]

    def __str__(self):
        return self.filename
