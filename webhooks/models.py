import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from entities.models import Entity

# The events an endpoint can subscribe to, and what each says.
EVENT_CHOICES = [
    ("invoice.finalized", _("An invoice is finalized")),
    ("credit_note.finalized", _("A credit note is finalized")),
    ("invoice.paid", _("An invoice is paid in full")),
    ("invoice.voided", _("An invoice is voided")),
    ("delivery.cancelled", _("A delivery is cancelled")),
    ("return.decided", _("A lead return is accepted or rejected")),
]
EVENTS = [name for name, _label in EVENT_CHOICES]
TEST_EVENT = "webhook.test"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """A URL of the operator's that receives the Entity's events it subscribes to, signed
    with its secret."""

    entity = models.ForeignKey(Entity, models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)

    objects = ScopedManager(entity="entity")

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.url


class Delivery(models.Model):
    """One event posted (or to be posted) to one endpoint, with every attempt's outcome:
    the endpoint's delivery log."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    STATUS_CHOICES = [
        (PENDING, _("Pending")),
        (DELIVERED, _("Delivered")),
        (FAILED, _("Failed")),
    ]

    endpoint = models.ForeignKey(Endpoint, models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event = models.CharField(_("event"), max_length=40)
    payload = models.JSONField()
    status = models.CharField(_("status"), max_length=10, choices=STATUS_CHOICES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response"), null=True, blank=True)
    answer = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(entity="endpoint__entity")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["endpoint", "-created_at"])]

    def __str__(self):
        return f"{self.event} to {self.endpoint}"
