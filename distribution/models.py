from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from entities.models import CURRENCY_CHOICES, Entity
from entities.numbers import amount
from partners.models import Partner

PRICE_FIELD = {
    "max_digits": 12,
    "decimal_places": 4,
    "validators": [MinValueValidator(Decimal("0"))],
}


class DistributionProfile(models.Model):
    """A routing profile: which partners get leads, and at what base price."""

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="profiles")
    name = models.CharField(_("name"), max_length=100)
    base_price = models.DecimalField(_("base price per lead"), **PRICE_FIELD)
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Assignment(models.Model):
    """A partner's place in a profile, with an optional price that overrides the base price."""

    profile = models.ForeignKey(
        DistributionProfile, models.CASCADE, related_name="assignments", verbose_name=_("profile")
    )
    partner = models.ForeignKey(
        Partner, models.PROTECT, related_name="assignments", verbose_name=_("partner")
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("E.g. the segment this partner buys.")
    )
    price_override = models.DecimalField(
        _("price per lead (override)"), null=True, blank=True, **PRICE_FIELD
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(entity="profile__entity")

    class Meta:
        ordering = ["profile__name", "name"]

    def __str__(self):
        return f"{self.profile.name} · {self.name}"

    @property
    def price(self) -> Decimal:
        """The per-lead price a delivery made now would carry."""
        if self.price_override is not None:
            return self.price_override
        return self.profile.base_price


class Lead(models.Model):
    """A lead the Entity routes. When a supplier (an affiliate) brought it, the lead carries
    that supplier and the purchase price agreed for it: the supplier's payout for a period is
    the sum of those prices, issued as a self-billed invoice.

    `payout_invoice_id` is set by the invoicing app when the lead is put on a payout; like
    the transactions' invoice_id, its foreign key is added by an invoicing migration."""

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="leads", db_index=False)
    external_id = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    supplier = models.ForeignKey(
        Partner, models.PROTECT, null=True, blank=True, db_index=False, related_name="+"
    )
    purchase_price = models.DecimalField(null=True, blank=True, **PRICE_FIELD)
    # db_default: the delivery path inserts leads in raw SQL (services.record_plain_delivery).
    purchase_currency = models.CharField(max_length=3, blank=True, db_default="")
    payout_invoice_id = models.BigIntegerField(null=True, blank=True, editable=False)
    # A buyer's accepted return passed back to the supplier: the lead is paid out no more,
    # and if its payout was finalized, the self-billed credit note that credits it.
    supply_returned_at = models.DateTimeField(null=True, blank=True, editable=False)
    payout_credit_note_id = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = ScopedManager(entity="entity")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "external_id"], name="unique_lead_per_entity"
            ),
            models.CheckConstraint(
                condition=Q(supplier__isnull=True)
                | (Q(purchase_price__isnull=False) & ~Q(purchase_currency="")),
                name="a_supplied_lead_has_a_purchase_price",
            ),
        ]
        indexes = [
            # The period's leads still to pay out, per supplier.
            models.Index(
                fields=["entity", "supplier", "created_at"],
                condition=Q(
                    supplier__isnull=False,
                    payout_invoice_id__isnull=True,
                    supply_returned_at__isnull=True,
                ),
                name="lead_unpaid_supply",
            ),
            # A supplier's leads of a time, for its return rate.
            models.Index(
                fields=["supplier", "created_at"],
                condition=Q(supplier__isnull=False),
                name="lead_by_supplier",
            ),
            models.Index(
                fields=["payout_invoice_id"],
                name="lead_by_payout",
                condition=Q(payout_invoice_id__isnull=False),
            ),
        ]

    def __str__(self):
        return self.external_id


class DistributionTransaction(models.Model):
    """One successful delivery of a lead to a partner, with the price that applied at that moment.

    `invoice_id` is set by the invoicing app when the delivery is put on an invoice; this app
    never reads invoices. The foreign-key constraint is added by an invoicing migration so that
    the dependency between the apps points one way. Foreign keys carry no automatic index: on a
    table of millions of rows every index slows the stamping of a month onto its invoices.
    """

    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    STATUS_CHOICES = [(DELIVERED, _("Delivered")), (CANCELLED, _("Cancelled"))]

    REASON_REJECTED = "rejected"
    REASON_REFUNDED = "refunded"
    REASON_REVOKED = "revoked"
    REASON_RETURNED = "returned"
    CANCEL_REASON_CHOICES = [
        (REASON_REJECTED, _("Rejected by partner")),
        (REASON_REFUNDED, _("Refunded")),
        (REASON_REVOKED, _("Revoked by automation")),
        (REASON_RETURNED, _("Returned by partner")),
    ]
    # Set only through an approved return (invoicing.returns), never by hand.
    MANUAL_CANCEL_REASONS = CANCEL_REASON_CHOICES[:3]

    entity = models.ForeignKey(Entity, models.CASCADE, db_index=False, related_name="+")
    partner = models.ForeignKey(Partner, models.PROTECT, db_index=False, related_name="+")
    assignment = models.ForeignKey(Assignment, models.PROTECT, db_index=False, related_name="+")
    lead = models.ForeignKey(Lead, models.PROTECT, db_index=False, related_name="transactions")
    price = models.DecimalField(max_digits=12, decimal_places=4)
    currency = models.CharField(max_length=3)
    delivered_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=DELIVERED)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=10, choices=CANCEL_REASON_CHOICES, blank=True)
    invoice_id = models.BigIntegerField(null=True, blank=True, editable=False)
    # The credit note that credits this delivery after its invoice was finalized.
    credit_note_id = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = ScopedManager(entity="entity")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "assignment"], name="one_delivery_per_lead_and_assignment"
            ),
        ]
        # Stamping a month of deliveries onto their invoices updates a million rows. No index
        # covers invoice_id (nor a predicate on it), and the table keeps 55 % of each page
        # free (fillfactor 45, migrations 0006 and 0008), so those updates are HOT: PostgreSQL
        # writes the new, 8 bytes wider, row version in the same page and touches no index.
        # An invoice's deliveries are found through its partner and period
        # (invoicing.billing.transactions_on).
        indexes = [
            models.Index(fields=["partner", "delivered_at"], name="txn_by_partner_date"),
            models.Index(
                fields=["credit_note_id"],
                name="txn_by_credit_note",
                condition=Q(credit_note_id__isnull=False),
            ),
            models.Index(fields=["entity", "-delivered_at"], name="txn_log_by_entity_date"),
        ]

    def __str__(self):
        return f"{self.lead} → {self.partner_id} at {self.price} {self.currency}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.CANCELLED


class PriceTier(models.Model):
    """A graduated volume price: from the lead after `starts_after` leads in the billing
    month, this price applies ("first 100 at 15.00, next 400 at 12.00, then 10.00" is three
    tiers starting after 0, 100 and 500). Tiers belong to an assignment, or to a profile for
    all its assignments; an assignment's own tiers win."""

    profile = models.ForeignKey(
        DistributionProfile, models.CASCADE, null=True, blank=True, related_name="tiers"
    )
    assignment = models.ForeignKey(
        Assignment, models.CASCADE, null=True, blank=True, related_name="tiers"
    )
    starts_after = models.PositiveIntegerField(help_text=_("Leads in the month before this price."))
    price = models.DecimalField(**PRICE_FIELD)

    class Meta:
        ordering = ["starts_after"]
        constraints = [
            models.CheckConstraint(
                condition=Q(profile__isnull=True) ^ Q(assignment__isnull=True),
                name="tier_of_a_profile_or_an_assignment",
            ),
            models.UniqueConstraint(
                fields=["profile", "starts_after"], name="one_tier_per_profile_start"
            ),
            models.UniqueConstraint(
                fields=["assignment", "starts_after"], name="one_tier_per_assignment_start"
            ),
        ]

    def __str__(self):
        return f"after {self.starts_after}: {self.price}"


class TierCounter(models.Model):
    """How many leads a partner has received in a month under one set of tiers. Locked and
    counted up in the same transaction that records a delivery, so concurrent deliveries
    each get their own place in the count."""

    partner = models.ForeignKey(Partner, models.CASCADE, related_name="+")
    tiers_of = models.CharField(max_length=30, help_text=_("'assignment:<id>' or 'profile:<id>'"))
    month = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "tiers_of", "month"], name="one_counter_per_month"
            )
        ]

    def __str__(self):
        return f"{self.tiers_of} {self.month:%Y-%m}: {self.count}"


class ReturnPolicy(models.Model):
    """The rules by which partners may return leads they bought: of a profile, or of one
    assignment, whose policy then replaces the profile's. Without a policy, leads are not
    returned (an operator can still cancel a delivery by hand)."""

    profile = models.OneToOneField(
        DistributionProfile, models.CASCADE, null=True, blank=True, related_name="return_policy"
    )
    assignment = models.OneToOneField(
        Assignment, models.CASCADE, null=True, blank=True, related_name="return_policy"
    )
    window_days = models.PositiveSmallIntegerField(
        _("return window (days)"),
        default=7,
        help_text=_("A lead can be returned for this many days after its delivery."),
    )
    cap_count = models.PositiveIntegerField(
        _("at most this many returns"),
        null=True,
        blank=True,
        help_text=_("Per partner and month of delivery. Leave empty for no limit."),
    )
    cap_percent = models.DecimalField(
        _("at most this share of delivered leads (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Per partner and month of delivery. Leave empty for no limit."),
    )
    DEFAULT_REASONS = [
        gettext_noop("Wrong contact details"),
        gettext_noop("Duplicate"),
        gettext_noop("Outside the area"),
        gettext_noop("Not interested"),
    ]
    reasons = models.TextField(
        _("reasons to choose from"),
        default="\n".join(DEFAULT_REASONS),
        help_text=_("One per line."),
    )
    evidence_required = models.BooleanField(
        _("evidence required"), default=False, help_text=_("The partner must say what it found.")
    )
    auto_approve_reasons = models.TextField(
        _("approve these reasons at once"),
        blank=True,
        help_text=_("One per line, from the reasons."),
    )
    auto_approve_partners = models.ManyToManyField(
        Partner,
        blank=True,
        related_name="+",
        verbose_name=_("approve every return of these partners at once"),
    )
    pass_back = models.BooleanField(
        _("pass accepted returns back to the lead's supplier"),
        default=False,
        help_text=_("The supplier is then not paid for the lead: its payout is corrected."),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(profile__isnull=True) ^ Q(assignment__isnull=True),
                name="return_policy_of_a_profile_or_an_assignment",
            ),
        ]

    def __str__(self):
        return f"returns within {self.window_days} days"

    @property
    def reason_list(self) -> list[str]:
        return [line.strip() for line in self.reasons.splitlines() if line.strip()]

    @property
    def auto_approve_reason_list(self) -> list[str]:
        return [line.strip() for line in self.auto_approve_reasons.splitlines() if line.strip()]


class LeadReturn(models.Model):
    """A partner's request to return a delivered lead, and the operator's decision on it.
    One per delivery: a lead is returned at most once, and a rejection is final. The rows
    are the returns' audit trail: who asked, when and why, who decided, when and why."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    STATUS_CHOICES = [
        (PENDING, _("Waiting for a decision")),
        (APPROVED, _("Accepted")),
        (REJECTED, _("Rejected")),
    ]

    # decided_by of a return the policy accepted at once.
    AUTOMATIC = "automatic approval"

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+")
    partner = models.ForeignKey(Partner, models.PROTECT, related_name="lead_returns")
    delivery = models.OneToOneField(
        DistributionTransaction, models.PROTECT, related_name="lead_return"
    )
    reason = models.CharField(_("reason"), max_length=100)
    evidence = models.TextField(_("evidence"), blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING)
    submitted_at = models.DateTimeField(default=timezone.now)
    # As written at the time: "partner portal: anna@buyer.test", "API key 'router'".
    submitted_by = models.CharField(max_length=254)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=254, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)
    passed_back = models.BooleanField(
        default=False, help_text=_("The lead's supplier was not paid for it.")
    )

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["entity", "status", "-submitted_at"], name="return_queue"),
            models.Index(fields=["partner", "status"], name="return_by_partner"),
        ]

    def __str__(self):
        return f"return of delivery {self.delivery_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.PENDING

    @property
    def decider(self) -> str:
        """Who decided, for the screen."""
        return _("automatically") if self.decided_by == self.AUTOMATIC else self.decided_by


class DeliveryHold(models.Model):
    """A pause of every delivery to a buyer, by credit control: an invoice overdue too long,
    or an open balance over the partner's credit limit. It ends by itself once the reason
    is gone (a payment, a credit note); the rows stay as the partner's history. What caused
    it is kept as facts, so that each reader sees it in their own language."""

    OVERDUE = "overdue"
    OVER_LIMIT = "over_limit"
    CAUSE_CHOICES = [(OVERDUE, _("An invoice overdue")), (OVER_LIMIT, _("Over the credit limit"))]

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+")
    partner = models.ForeignKey(Partner, models.CASCADE, related_name="delivery_holds")
    cause = models.CharField(_("cause"), max_length=10, choices=CAUSE_CHOICES)
    # OVERDUE: {"number", "days"}; OVER_LIMIT: {"balance", "limit", "currency"}
    facts = models.JSONField(default=dict)
    started_at = models.DateTimeField(_("paused"), default=timezone.now)
    ended_at = models.DateTimeField(_("resumed"), null=True, blank=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"], condition=Q(ended_at=None), name="one_open_hold_per_partner"
            )
        ]

    def __str__(self):
        return f"{self.partner} on hold since {self.started_at:%Y-%m-%d}"

    def describe(self) -> str:
        """Why, in the active language."""
        facts = self.facts
        if self.cause == self.OVERDUE:
            return gettext("Invoice {number} was {days} days overdue.").format(**facts)
        return gettext(
            "The open balance of {balance} was over the credit limit of {limit}."
        ).format(
            balance=amount(Decimal(facts["balance"]), facts["currency"]),
            limit=amount(Decimal(facts["limit"]), facts["currency"]),
        )


class DeliveryMonth(models.Model):
    """When an Entity's deliveries of one month (in its time zone) were last counted into
    DeliveryTally. `counted_at` is cleared when a delivery of the month changes afterwards,
    e.g. is cancelled, so that it is counted again (distribution.tallies)."""

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+")
    month = models.DateField(help_text=_("The month's first day."))
    counted_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "month"], name="one_count_per_month")
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} counted at {self.counted_at}"


class DeliveryTally(models.Model):
    """An Entity's deliveries of one month per partner, assignment and currency, as counted
    at DeliveryMonth.counted_at. The dashboard draws these: adding up a month of a million
    deliveries on every page view takes longer than the whole page may."""

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    partner = models.ForeignKey(Partner, models.CASCADE, related_name="+", db_index=False)
    assignment = models.ForeignKey(Assignment, models.CASCADE, related_name="+", db_index=False)
    currency = models.CharField(max_length=3)
    deliveries = models.PositiveIntegerField(help_text=_("All deliveries, cancelled ones too."))
    value = models.DecimalField(max_digits=18, decimal_places=4)
    cancelled = models.PositiveIntegerField()
    cancelled_value = models.DecimalField(max_digits=18, decimal_places=4)
    returned = models.PositiveIntegerField(help_text=_("Cancelled by an accepted return."))

    objects = ScopedManager(entity="entity")

    class Meta:
        indexes = [models.Index(fields=["entity", "month"], name="tally_by_entity_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.partner_id}/{self.assignment_id}: {self.deliveries}"

    @property
    def delivered_value(self) -> Decimal:
        """What the deliveries that stand are worth."""
        return self.value - self.cancelled_value


class DeliveryImport(models.Model):
    """A CSV file of deliveries uploaded on the Logs page, recorded in the background in
    batches (distribution.batch), with its progress and the lines it refused."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STATUS_CHOICES = [
        (QUEUED, _("Waiting")),
        (RUNNING, _("Importing")),
        (DONE, _("Done")),
        (FAILED, _("Failed")),
    ]
    # Refused lines kept to show; the counts include all of them.
    PROBLEMS_KEPT = 100

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="+")
    filename = models.CharField(max_length=200)
    content = models.BinaryField(help_text=_("The file, until it is imported."))
    uploaded_by = models.CharField(max_length=254)
    uploaded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=QUEUED)
    lines = models.PositiveIntegerField(default=0, help_text=_("Deliveries in the file."))
    done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    existing = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list)  # [{"line": 3, "problem": "…"}]
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.DONE:
            return 100
        return int(100 * self.done / self.lines) if self.lines else 0
