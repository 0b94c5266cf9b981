import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django_scopes import ScopedManager

from distribution.models import Assignment
from entities.models import Entity
from entities.numbers import amount as format_amount
from partners.models import Partner

MONEY = {"max_digits": 14, "decimal_places": 2}


class InvoicingError(Exception):
    """A billing step cannot be done; the message says why, in words for the operator."""


class NumberSequence(models.Model):
    """The last number issued for one Entity and kind of document (and year, for numbers
    that restart every year; 0 for those that never do).

    Numbers are taken under a row lock on this row inside the finalize transaction, so they are
    gap-free: a PostgreSQL sequence would leave gaps on rollback.
    """

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="number_sequences")
    kind = models.CharField(max_length=30)
    year = models.PositiveSmallIntegerField(default=0)
    last_number = models.PositiveIntegerField(default=0)

    objects = ScopedManager(entity="entity")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "kind", "year"], name="one_sequence_per_kind_and_year"
            )
        ]

    def __str__(self):
        return f"{self.entity} {self.kind} {self.year or ''}: {self.last_number}"


class InvoiceQuerySet(models.QuerySet):
    """Payment states for lists and filters. `is_overdue` is recorded by a daily task (and
    on every payment change), so these filters use a stored column. The same states are
    computed in SQL by the triggers that keep InvoiceTotal (migration 0014): a change here
    needs a migration there (tests/invoicing/test_totals.py compares the two)."""

    def overdue(self):
        return self.filter(status=Invoice.FINAL, paid_at__isnull=True, is_overdue=True)

    def open(self):
        return self.filter(status=Invoice.FINAL, paid_at__isnull=True, is_overdue=False)

    def paid(self):
        return self.filter(status=Invoice.FINAL, paid_at__isnull=False)


class TemplateVersion(models.Model):
    """The text of an invoice template as it was used to finalize invoices: the Entity's
    own, or the default of that release. An invoice names the version it was finalized
    with, so that its documents, rendered again after a crash, are the ones of the day.
    Written once per text, never changed."""

    entity = models.ForeignKey(Entity, models.PROTECT, related_name="template_versions")
    sha256 = models.CharField(max_length=64)
    source = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "sha256"], name="one_version_per_text")
        ]

    def __str__(self):
        return f"{self.entity} template {self.sha256[:8]}"


class Invoice(models.Model):
    """An invoice to a partner for one billing period and currency.

    A draft has no number and may change. Finalizing gives it a number, freezes the seller's
    and buyer's details and the amounts, and locks its PDF; from then on only its payment
    fields change.
    """

    DRAFT = "draft"
    FINAL = "final"
    VOID = "void"
    STATUS_CHOICES = [(DRAFT, _("Draft")), (FINAL, _("Final")), (VOID, _("Void"))]

    KIND_INVOICE = "invoice"
    KIND_CREDIT_NOTE = "credit_note"
    KIND_CHOICES = [(KIND_INVOICE, _("Invoice")), (KIND_CREDIT_NOTE, _("Credit note"))]

    entity = models.ForeignKey(Entity, models.PROTECT, related_name="invoices")
    partner = models.ForeignKey(Partner, models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=20, choices=KIND_CHOICES, default=KIND_INVOICE)
    # Self-billing: the Entity issues the invoice on behalf of the partner, who supplied the
    # leads and is paid for them. The partner is then the seller and the Entity the buyer.
    self_billed = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=DRAFT)
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3)

    corrects = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        help_text=_("The invoice a credit note corrects."),
    )

    number = models.CharField(max_length=60, blank=True)
    # The structured reference the buyer quotes when paying (banking.references): ISO 11649
    # "RF…", or a Belgian seller's structured communication. Set at finalize.
    payment_reference = models.CharField(max_length=35, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    seller = models.JSONField(default=dict, blank=True, help_text=_("Frozen at finalize."))
    buyer = models.JSONField(default=dict, blank=True, help_text=_("Frozen at finalize."))

    tax_category = models.CharField(max_length=2, blank=True)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    # The language its text is written in: the partner's, frozen at finalize.
    language = models.CharField(max_length=5, default="en")
    tax_note = models.CharField(max_length=400, blank=True)
    tax_exemption_reason = models.CharField(max_length=200, blank=True)
    tax_exemption_code = models.CharField(max_length=30, blank=True)
    # The member state whose VAT is charged (S), for the OSS return; '' without VAT.
    tax_country = models.CharField(max_length=2, blank=True)
    # An invoice in another currency than the seller's national one states its VAT in the
    # national currency too (Art. 230): BT-6 and BT-111, at the rate, date and source here.
    # An operator may enter the rate on a draft (exchange_rate_entered_by); otherwise
    # finalize takes it by the Entity's rule (invoicing.exchange_rates).
    tax_currency = models.CharField(_("VAT accounting currency"), max_length=3, blank=True)
    tax_amount_in_tax_currency = models.DecimalField(
        _("VAT in the accounting currency"), null=True, blank=True, **MONEY
    )
    exchange_rate = models.DecimalField(
        max_digits=18,
        decimal_places=8,
        null=True,
        blank=True,
        help_text=_("1 unit of the invoice's currency in the VAT accounting currency."),
    )
    exchange_rate_date = models.DateField(null=True, blank=True)
    exchange_rate_source = models.CharField(max_length=200, blank=True)
    exchange_rate_entered_by = models.CharField(max_length=200, blank=True)
    einvoice_format = models.CharField(
        max_length=20,
        blank=True,
        help_text=_("The partner's e-invoice format, frozen at finalize."),
    )
    template_version = models.ForeignKey(
        TemplateVersion,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The template its PDF is rendered with, frozen at finalize."),
    )
    subtotal = models.DecimalField(default=0, **MONEY)
    # A discount on the whole draft (BG-20), taken off the lines before VAT: subtotal is
    # the lines' sum less it. By amount, or by a percentage of the lines (BT-94). A credit
    # note's is the same share of its lines as its invoice's.
    allowance_amount = models.DecimalField(default=0, **MONEY)
    allowance_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    allowance_reason = models.CharField(max_length=200, blank=True)
    tax_amount = models.DecimalField(default=0, **MONEY)
    total = models.DecimalField(default=0, **MONEY)

    notes = models.TextField(blank=True, help_text=_("Printed on the invoice."))
    amount_paid = models.DecimalField(default=0, **MONEY)
    paid_at = models.DateField(null=True, blank=True, help_text=_("When it was paid in full."))
    is_overdue = models.BooleanField(
        default=False, help_text=_("Recorded daily from the due date.")
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    # PROTECT: who finalized an invoice is part of the record; a user who did is
    # deactivated, never deleted.
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(models.Manager.from_queryset(InvoiceQuerySet), entity="entity")

    class Meta:
        ordering = ["-period_start", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "kind", "self_billed", "number"],
                condition=~Q(number=""),
                name="unique_number_per_entity_and_kind",
            ),
            # One open draft per partner, period and currency: generating again fills the
            # same draft, also when two runs race.
            models.UniqueConstraint(
                fields=[
                    "entity",
                    "partner",
                    "self_billed",
                    "currency",
                    "period_start",
                    "period_end",
                ],
                condition=Q(status="draft", kind="invoice"),
                name="one_draft_per_partner_period_currency",
            ),
            # Late cancellations collect on one open credit note per invoice.
            models.UniqueConstraint(
                fields=["corrects"],
                condition=Q(status="draft"),
                name="one_open_credit_note_per_invoice",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number="")
                | (Q(status__in=["final", "void"]) & ~Q(number="")),
                name="number_only_when_final",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", corrects__isnull=True)
                | Q(kind="credit_note", corrects__isnull=False),
                name="a_credit_note_corrects_an_invoice",
            ),
        ]
        indexes = [
            models.Index(fields=["entity", "status", "due_date"], name="invoice_by_status_due"),
            # The invoices list: drafts (no issue date) first, then the newest issued, one
            # page at a time (PostgreSQL puts NULLs first in a descending index).
            models.Index(
                fields=["entity", "-issue_date", "-number", "-id"], name="invoice_list_by_issue"
            ),
            # The list's totals read only this index (an index-only scan) where an Entity
            # has a share of the table; over most of it, a sequential scan is cheaper.
            models.Index(
                fields=["entity"],
                include=[
                    "self_billed",
                    "currency",
                    "kind",
                    "status",
                    "paid_at",
                    "total",
                    "amount_paid",
                ],
                name="invoice_totals",
            ),
            # The dashboard: a year of invoices by the month they bill, and the payouts
            # still owed to suppliers (a few among many paid ones).
            models.Index(fields=["entity", "period_start"], name="invoice_by_period"),
            models.Index(
                fields=["entity", "due_date"],
                condition=Q(self_billed=True, status="final", paid_at=None),
                name="unpaid_payouts",
            ),
        ]

    def __str__(self):
        if self.number:
            return self.number
        return f"Draft {self.title.lower()} #{self.pk}"

    @property
    def document_kind(self) -> str:
        """Which of the Entity's number sequences this document takes its number from."""
        if self.self_billed:
            return "self_billed_credit_note" if self.is_credit_note else "self_billed"
        return self.kind

    @property
    def title(self) -> str:
        """What the document is called on itself and in lists."""
        if self.self_billed:
            if self.is_credit_note:
                return pgettext("document title", "Self-billed credit note")
            return pgettext("document title", "Self-billed invoice")
        if self.is_credit_note:
            return pgettext("document title", "Credit note")
        return pgettext("document title", "Invoice")

    @property
    def is_draft(self) -> bool:
        return self.status == self.DRAFT

    @property
    def is_final(self) -> bool:
        """Finalized and numbered: a record, whether still valid or voided since."""
        return self.status in (self.FINAL, self.VOID)

    @property
    def is_void(self) -> bool:
        return self.status == self.VOID

    @property
    def line_total(self):
        """The sum of the lines (BT-106), before the allowance."""
        return self.subtotal + self.allowance_amount

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.KIND_CREDIT_NOTE

    @property
    def open_balance(self):
        return self.total - self.amount_paid

    @property
    def awaits_transfer(self) -> bool:
        """A payout in a SEPA transfer file the bank may still run: what it pays is fixed."""
        return (
            self.self_billed
            and not self.paid_at
            and TransferredPayout.objects.filter(
                invoice_id=self.pk, transfer__withdrawn_at=None
            ).exists()
        )

    def refuse_while_in_transfer(self) -> None:
        if self.awaits_transfer:
            raise InvoicingError(
                _(
                    "{number} is in a SEPA transfer file: withdraw the file first, or record "
                    "the payment once the bank has run it."
                ).format(number=self.number)
            )

    def payment_status(self, today: date) -> str:
        """'draft', 'void', 'paid', 'overdue', 'partially paid' or 'open'."""
        if self.is_draft:
            return "draft"
        if self.is_void:
            return "void"
        if self.paid_at:
            return "paid"
        # A credit note owes the partner: it is never overdue, only still open to refund.
        if self.due_date and self.due_date < today and not self.is_credit_note:
            return "overdue"
        if self.amount_paid:
            return "partially paid"
        return "open"

    def delete(self, *args, **kwargs):
        if not self.is_draft:
            raise InvoicingError(_("A finalized invoice is a record and cannot be deleted."))
        return super().delete(*args, **kwargs)


# Finalized, and money still open on it.
UNPAID = models.Q(status=Invoice.FINAL, paid_at__isnull=True, total__gt=models.F("amount_paid"))


def unpaid_invoices(kind: str = "invoice", **filters):
    """Finalized documents to buyers (not self-billed) with money still open: invoices the
    buyer owes, or with `kind` "credit_note" credit notes owed to it."""
    return Invoice.objects.filter(UNPAID, kind=kind, self_billed=False, **filters)


class InvoiceTotal(models.Model):
    """A change to the totals of an Entity's invoices, by what the invoice list filters on.

    PostgreSQL writes these rows itself (triggers of migration 0014): every statement that
    inserts, updates or deletes invoices adds one row per group it changed, with the change
    (counts and amounts of rows removed from a group are negative). The sums over an
    Entity's rows are its totals; `invoicing.totals.fold` merges the rows now and then. The
    invoice list reads its totals here: adding up 100,000 invoices on every page view took
    longer than the whole page may. Rows are only ever added (and folded), never updated,
    so writers of invoices never wait for one another here.
    """

    STATES = ["draft", "open", "overdue", "paid", "void"]  # the list's payment states

    # No constraint: deleting an Entity deletes its invoices, whose trigger then adds rows.
    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+", db_constraint=False)
    self_billed = models.BooleanField()
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=20)
    state = models.CharField(max_length=10)
    count = models.BigIntegerField()
    total = models.DecimalField(max_digits=18, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=18, decimal_places=2)

    objects = ScopedManager(entity="entity")

    def __str__(self):
        return f"{self.kind} {self.state} {self.currency}: {self.count}"


class Payment(models.Model):
    """Money received for an invoice (or refunded for a credit note), in full or in part.

    Payments are records, written once (the database refuses changes and deletes): a
    payment taken back, e.g. a bounced transfer, gets a reversal, a payment of the negative
    amount that names the one it reverses.
    """

    invoice = models.ForeignKey(Invoice, models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    paid_on = models.DateField()
    reverses = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    set_off = models.BooleanField(
        default=False,
        help_text=_("Settled against the invoice it corrects, not paid: no money moved."),
    )
    settled_against = models.ForeignKey(
        Invoice,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "A credit note set off against another open invoice of the partner: the "
            "other document, which records the same amount naming this one."
        ),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    bank_entry = models.ForeignKey(
        "BankEntry",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        help_text=_("The bank statement entry this payment was matched to."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(entity="invoice__entity")

    class Meta:
        ordering = ["paid_on", "pk"]

    def __str__(self):
        if self.reverses_id:
            return f"{self.amount} on {self.paid_on} (reverses a payment)"
        return f"{self.amount} on {self.paid_on}"


class InvoiceEvent(models.Model):
    """The audit trail: every state change, adjustment, download, email and payment of an
    invoice, with who did it and when. Append-only: the database refuses to change an event,
    and to delete one unless it belongs to a draft that is being deleted."""

    GENERATED = "generated"
    CREDIT_ADDED = "credit_added"
    CREDIT_REMOVED = "credit_removed"
    LINE_ADDED = "line_added"
    NOTES_CHANGED = "notes_changed"
    EXCHANGE_RATE_ENTERED = "exchange_rate_entered"
    ALLOWANCE_CHANGED = "allowance_changed"
    FINALIZED = "finalized"
    DOWNLOADED = "downloaded"
    EMAILED = "emailed"
    PEPPOL = "peppol"
    PORTAL = "portal"
    PAYMENT_RECORDED = "payment_recorded"
    MARKED_PAID = "marked_paid"
    MARKED_UNPAID = "marked_unpaid"
    BECAME_OVERDUE = "became_overdue"
    DELIVERY_CANCELLED = "delivery_cancelled"
    CREDIT_NOTE_ISSUED = "credit_note_issued"
    VOIDED = "voided"
    PAYMENT_SENT = "payment_sent"
    TRANSFER_WITHDRAWN = "transfer_withdrawn"
    REMINDED = "reminded"
    KIND_CHOICES = [
        (GENERATED, _("Generated")),
        (CREDIT_ADDED, _("Credit added")),
        (CREDIT_REMOVED, _("Credit removed")),
        (LINE_ADDED, _("Line added")),
        (NOTES_CHANGED, _("Notes changed")),
        (EXCHANGE_RATE_ENTERED, _("Exchange rate entered")),
        (ALLOWANCE_CHANGED, _("Allowance changed")),
        (FINALIZED, _("Finalized")),
        (DOWNLOADED, _("Downloaded")),
        (EMAILED, _("Emailed")),
        (PEPPOL, _("Peppol")),
        (PORTAL, _("Published in the portal")),
        (PAYMENT_RECORDED, _("Payment recorded")),
        (MARKED_PAID, _("Marked paid")),
        (MARKED_UNPAID, _("Marked unpaid")),
        (BECAME_OVERDUE, _("Became overdue")),
        (DELIVERY_CANCELLED, _("Delivery cancelled")),
        (CREDIT_NOTE_ISSUED, _("Credit note issued")),
        (VOIDED, _("Voided")),
        (PAYMENT_SENT, _("Payment sent (SEPA file)")),
        (TRANSFER_WITHDRAWN, _("SEPA file withdrawn")),
        (REMINDED, _("Payment reminder sent")),
    ]

    # CASCADE only ever deletes the events of a draft: the database refuses to delete those
    # of a finalized invoice (migration 0015).
    invoice = models.ForeignKey(Invoice, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=KIND_CHOICES)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(
        max_length=200, help_text=_("Who, in words: the user's email, an API key, the scheduler.")
    )
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedManager(entity="invoice__entity")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.actor}"


class InvoiceLine(models.Model):
    DELIVERIES = "deliveries"
    CREDIT = "credit"
    SUPPLIED = "supplied"  # leads a supplier brought, on its self-billed invoice
    PAYOUT = "payout"  # a manual payout line, e.g. a bonus
    REDUCTION = "reduction"  # a credit note's reduction of the price, by amount (Art. 90)
    KIND_CHOICES = [
        (DELIVERIES, _("Deliveries")),
        (CREDIT, _("Manual credit")),
        (SUPPLIED, _("Supplied leads")),
        (PAYOUT, _("Manual payout")),
        (REDUCTION, _("Price reduction")),
    ]

    invoice = models.ForeignKey(Invoice, models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=12, choices=KIND_CHOICES, default=DELIVERIES)
    assignment = models.ForeignKey(
        Assignment, models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(max_length=200)
    # Invoices finalized before 2026-12 had a line per lead for partners who wanted one;
    # since, those leads are BilledLeads and the lines are per assignment and price.
    lead_external_id = models.CharField(max_length=100, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    quantity = models.IntegerField(help_text=_("Number of leads; negative on a credit."))
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    net_amount = models.DecimalField(**MONEY)

    objects = ScopedManager(entity="invoice__entity")

    class Meta:
        # Descending kind: supplied leads and manual payouts on a self-billed invoice;
        # deliveries, then manual credits on an invoice to a buyer.
        ordering = ["-kind", "id"]

    def __str__(self):
        return self.description


class ExchangeRate(models.Model):
    """A euro reference rate of the European Central Bank: 1 EUR = `per_euro` `currency` on
    the day. Stored daily by invoicing.tasks.fetch_exchange_rates; reference data, the same
    for every tenant."""

    currency = models.CharField(max_length=3)
    day = models.DateField()
    per_euro = models.DecimalField(max_digits=18, decimal_places=6)
    fetched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "currency"]
        constraints = [models.UniqueConstraint(fields=["currency", "day"], name="one_rate_per_day")]

    def __str__(self):
        return f"{self.day}: 1 EUR = {self.per_euro} {self.currency}"


class BilledLead(models.Model):
    """A lead on an invoice to a partner who wants its leads listed one by one: the PDF's
    annex and the CSV attached to the e-invoice (BG-24). The invoice's lines stay one per
    assignment and price, each amount rounded once: a line per lead would round every
    lead's price (1,000 leads at 0.3333 would bill 330.00, not 333.30). Frozen with its
    invoice at finalize, like the lines (migration 0022)."""

    invoice = models.ForeignKey(Invoice, models.CASCADE, related_name="billed_leads")
    line = models.ForeignKey(InvoiceLine, models.CASCADE, related_name="billed_leads")
    lead_external_id = models.CharField(_("lead ID"), max_length=100)
    delivered_at = models.DateTimeField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)

    objects = ScopedManager(entity="invoice__entity")

    class Meta:
        ordering = ["delivered_at", "pk"]

    def __str__(self):
        return self.lead_external_id


class InvoiceDocument(models.Model):
    """A rendered file of a finalized invoice. Written once, never changed."""

    PDF = "pdf"
    XML = "xml"
    KIND_CHOICES = [(PDF, _("PDF")), (XML, _("XML e-invoice"))]

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


class Dispatch(models.Model):
    """One sending of a finalized invoice to its partner through one channel (email, the
    partner portal, Peppol), with what the other side answered.

    At most one dispatch per invoice is queued or sending at a time (a database constraint),
    and a sent invoice is only sent again when someone asks for it explicitly. Peppol goes
    on after "sent" (handed to the access point): delivered to the partner's access point,
    or rejected with its reason.
    """

    EMAIL = "email"
    PORTAL = "portal"
    PEPPOL = "peppol"
    CHANNEL_CHOICES = [(EMAIL, _("Email")), (PORTAL, _("Partner portal")), (PEPPOL, _("Peppol"))]

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    FAILED = "failed"
    STATUS_CHOICES = [
        (QUEUED, _("Queued")),
        (SENDING, _("Sending")),
        (SENT, _("Sent")),
        (DELIVERED, _("Delivered")),
        (REJECTED, _("Rejected")),
        (FAILED, _("Failed")),
    ]
    GONE_OUT = (SENT, DELIVERED)  # the partner has it, or its access point is passing it on

    invoice = models.ForeignKey(Invoice, models.PROTECT, related_name="dispatches")
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNEL_CHOICES, default=EMAIL)
    # An email address, or a Peppol participant ID ("0208:0123456789").
    to = models.CharField(_("recipient"), max_length=254)
    # The idempotency key: the Message-ID of every attempt of this dispatch, so that the
    # mail servers and the partner can tell a repeated attempt from a second invoice.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The access point's id of the document: once it is set, a retry sends that document
    # instead of handing over a second one.
    external_id = models.CharField(max_length=100, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(_("server's answer"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(entity="invoice__entity")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=["queued", "sending"]),
                name="one_dispatch_in_flight_per_invoice",
            )
        ]

    def __str__(self):
        return f"{self.invoice} to {self.to} by {self.channel}: {self.status}"


class BillingRun(models.Model):
    """Billing one period of an Entity, by the scheduler or by hand. One per Entity and
    period: starting it again continues or reports the same run, so nothing is billed or
    finalized twice. Progress is read from the invoices themselves."""

    PENDING = "pending"
    RUNNING = "running"
    WAITING_FOR_RETURNS = "returns"
    DONE = "done"
    FAILED = "failed"
    STATUS_CHOICES = [
        (PENDING, _("Waiting")),
        (RUNNING, _("Running")),
        (WAITING_FOR_RETURNS, _("Drafts ready, waiting for returns")),
        (DONE, _("Done")),
        (FAILED, _("Failed")),
    ]

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="billing_runs")
    period_start = models.DateField()
    period_end = models.DateField()
    mode = models.CharField(max_length=10, choices=Entity.BILLING_MODE_CHOICES)
    scheduled = models.BooleanField(default=False, help_text=_("Started by the monthly schedule."))
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING)
    drafts_created = models.PositiveIntegerField(default=0)
    deliveries_billed = models.PositiveIntegerField(default=0)
    invoice_ids = models.JSONField(default=list, help_text=_("The period's invoices it works on."))
    errors = models.JSONField(default=dict, help_text=_("Invoice id → why it was not finalized."))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Entity.finalize_after_returns: the run finalizes from then on (tasks.resume_billing_runs).
    finalize_after = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "period_start", "period_end"], name="one_run_per_period"
            )
        ]

    def __str__(self):
        return f"Billing {self.period_start} – {self.period_end} ({self.status})"


class CreditTransfer(models.Model):
    """A SEPA credit transfer file (pain.001) that pays suppliers' self-billed invoices from
    one of the Entity's bank accounts on one execution date: made here, uploaded by the
    operator to its bank. The file is kept as it was downloaded."""

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="credit_transfers")
    execution_date = models.DateField(_("execution date"))
    debtor_iban = models.CharField(max_length=34)
    message_id = models.CharField(max_length=35)
    # The file's one payment information block: a bank booking the file as one debit names
    # it (or the message id) on the statement.
    payment_info_id = models.CharField(max_length=35, blank=True)
    content = models.BinaryField()
    total = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)
    # Withdrawn before the bank ran it: its payouts left it and are due again.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    count = models.PositiveIntegerField(default=0)

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"SEPA {self.execution_date:%Y-%m-%d} ({self.message_id})"

    @property
    def filename(self) -> str:
        return f"sepa-payouts-{self.execution_date:%Y-%m-%d}-{self.pk}.xml"


class TransferredPayout(models.Model):
    """A self-billed invoice in a credit transfer file: its payment is sent. An invoice is
    in one file at most; withdrawing the file (before the bank ran it) deletes these rows,
    which frees the invoices for the next file."""

    transfer = models.ForeignKey(CreditTransfer, models.CASCADE, related_name="payouts")
    invoice = models.OneToOneField(Invoice, models.PROTECT, related_name="transfer")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    # As written in the file: the bank statement's debit names it, which marks the payout paid.
    end_to_end_id = models.CharField(max_length=35, blank=True)

    objects = ScopedManager(entity="invoice__entity")

    def __str__(self):
        return f"{self.invoice} in {self.transfer}"


class BankStatement(models.Model):
    """A bank statement file uploaded for one of the Entity's bank accounts (CAMT.053,
    CAMT.054 or MT940), kept as it was uploaded. The same file uploaded twice is refused;
    entries already imported from another file are skipped."""

    CAMT053 = "camt.053"
    CAMT054 = "camt.054"
    MT940 = "mt940"
    FORMAT_CHOICES = [
        (CAMT053, _("CAMT.053 statement")),
        (CAMT054, _("CAMT.054 notification")),
        (MT940, _("MT940 statement")),
    ]

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="bank_statements")
    format = models.CharField(_("format"), max_length=10, choices=FORMAT_CHOICES)
    statement_id = models.CharField(_("statement"), max_length=140, blank=True)
    account_iban = models.CharField(_("account"), max_length=34)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    entries_count = models.PositiveIntegerField(_("entries"), default=0)
    new_entries = models.PositiveIntegerField(_("new entries"), default=0)
    imported_by = models.CharField(max_length=254, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "sha256"], name="one_upload_per_file")
        ]

    def __str__(self):
        return self.statement_id or self.filename


class BankEntry(models.Model):
    """One booked credit or debit of a bank statement, and what it was matched to: the
    payments it recorded (`payments`), or the invoices a person is asked to choose from
    (`suggestions`). An entry is imported once per account, by the bank's reference."""

    MATCHED = "matched"
    TO_CONFIRM = "to_confirm"
    UNMATCHED = "unmatched"
    IGNORED = "ignored"
    STATUS_CHOICES = [
        (MATCHED, _("Matched")),
        (TO_CONFIRM, _("To confirm")),
        (UNMATCHED, _("Unmatched")),
        (IGNORED, _("Ignored")),
    ]

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="bank_entries")
    statement = models.ForeignKey(BankStatement, models.PROTECT, related_name="entries")
    account_iban = models.CharField(max_length=34)
    reference = models.CharField(
        max_length=200, help_text=_("The bank's reference for the entry, unique per account.")
    )
    booked_on = models.DateField(_("booked"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(max_length=3)
    is_credit = models.BooleanField(help_text=_("Money in; a debit is money out."))
    counterparty_name = models.CharField(_("from or to"), max_length=200, blank=True)
    counterparty_iban = models.CharField(max_length=34, blank=True)
    remittance = models.CharField(_("remittance information"), max_length=500, blank=True)
    creditor_reference = models.CharField(max_length=35, blank=True)
    end_to_end_id = models.CharField(max_length=35, blank=True)
    batch_id = models.CharField(max_length=35, blank=True)
    is_reversal = models.BooleanField(default=False, help_text=_("Takes back an earlier booking."))
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES)
    # Why it has its status, as a code and its facts, so each reader sees it in their
    # own language (`describe`).
    BY_REFERENCE = "reference"
    BY_NUMBER = "number"
    BY_PAYER = "payer"
    BY_END_TO_END = "end_to_end"
    BY_BATCH = "batch"
    CONFIRMED = "confirmed"
    REVERSAL = "reversal"
    UNKNOWN = "unknown"
    NO_PAYOUT = "no_payout"
    PART_PAYMENT = "part_payment"
    OVERPAYMENT = "overpayment"
    PAYOUTS_DIFFER = "payouts_differ"
    NOT_RECORDED = "not_recorded"
    NAMES_SETTLED = "names_settled"
    REASON_TEXTS = {
        BY_REFERENCE: _("matched automatically by the payment reference"),
        BY_NUMBER: _("matched automatically by the invoice number"),
        BY_PAYER: _("matched automatically by the payer's IBAN and the amount"),
        BY_END_TO_END: _("matched automatically by the transfer's end-to-end id"),
        BY_BATCH: _("matched automatically by the transfer file's id"),
        CONFIRMED: _("confirmed by {user}"),
        REVERSAL: _("A reversal of an earlier booking: check it by hand."),
        UNKNOWN: _("Names no open invoice, and the payer is unknown."),
        NO_PAYOUT: _("Names no payout in a transfer file."),
        PART_PAYMENT: _("Part payment: {amount} of the {open} open."),
        OVERPAYMENT: _("Overpayment: {amount}, but only {open} is open."),
        PAYOUTS_DIFFER: _("Pays {amount}, but the payouts it names are open for {open}."),
        NOT_RECORDED: _("Could not be recorded: {error}"),
        NAMES_SETTLED: _("Names {number}, which is already paid or void: a second payment?"),
    }
    reason = models.CharField(max_length=20, blank=True)
    reason_facts = models.JSONField(default=dict)
    suggestions = models.ManyToManyField(Invoice, blank=True, related_name="+")
    decided_by = models.CharField(max_length=254, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["-booked_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "account_iban", "reference"], name="one_entry_per_reference"
            )
        ]
        indexes = [models.Index(fields=["entity", "status", "booked_on"])]

    def __str__(self):
        sign = "" if self.is_credit else "-"
        return f"{self.booked_on} {sign}{self.amount} {self.currency} {self.counterparty_name}"

    def describe(self) -> str:
        """Why the entry has its status, in the active language."""
        if not self.reason:
            return ""
        facts = dict(self.reason_facts)
        for name in ("amount", "open"):
            if name in facts:
                facts[name] = format_amount(Decimal(facts[name]), self.currency)
        return str(self.REASON_TEXTS[self.reason]).format(**facts)


class Reminder(models.Model):
    """A payment reminder emailed for an overdue invoice, at one level, with what it said
    was open and, on a final reminder that claims them, the late-payment costs."""

    FRIENDLY = "friendly"
    FIRST = "first"
    FINAL = "final"
    LEVEL_CHOICES = [
        (FRIENDLY, _("Friendly reminder")),
        (FIRST, _("First reminder")),
        (FINAL, _("Final reminder")),
    ]

    invoice = models.ForeignKey(Invoice, models.PROTECT, related_name="reminders")
    level = models.CharField(_("level"), max_length=10, choices=LEVEL_CHOICES)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    sent_on = models.DateField(help_text=_("The day it was sent, in the Entity's time zone."))
    to = models.CharField(_("recipient"), max_length=254)
    days_overdue = models.PositiveIntegerField()
    open_amount = models.DecimalField(**MONEY)
    compensation = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text=_("The fixed EUR 40, if claimed.")
    )
    interest = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    interest_rate = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    objects = ScopedManager(entity="invoice__entity")

    class Meta:
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="one_reminder_per_level")
        ]

    def __str__(self):
        return f"{self.get_level_display()} for {self.invoice}"

    @property
    def claimed(self):
        return self.compensation + self.interest
