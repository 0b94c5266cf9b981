"""Publishing events to the Entity's endpoints, and posting one delivery.

Each post is signed like Stripe's: the header `Leadflip-Signature: t=<unix time>,v1=<hex>`
holds HMAC-SHA256 of "<t>.<body>" with the endpoint's secret, so the receiver can check who
sent it and refuse a replay (a `t` older than a few minutes). Endpoints must be on the
public internet (ALLOW_PRIVATE_WEBHOOK_HOSTS lifts that for a self-hosted installation), and
a redirect is never followed: the product never reaches its own network for a customer."""

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from entities.models import Entity

from .models import TEST_EVENT, Delivery, Endpoint

SIGNATURE_HEADER = "Leadflip-Signature"
TIMEOUT_SECONDS = 10
MAX_ANSWER = 500
REDIRECT = "{code}: redirects are not followed; give the final URL"


class TemporaryError(Exception):
    """The endpoint may take it later: no answer, a timeout, 408, 429 or a 5xx."""


class PermanentError(Exception):
    """Trying again changes nothing: a refused address or a 4xx answer."""


def publish(entity: Entity, event: str, data: dict) -> list[Delivery]:
    """Record the event for each of the Entity's active endpoints that subscribes to it;
    they are posted once the current transaction commits."""
    endpoints = [
        endpoint
        for endpoint in Endpoint.objects.filter(entity=entity, is_active=True)
        if event in endpoint.events or event == TEST_EVENT
    ]
    deliveries = [
        Delivery.objects.create(endpoint=endpoint, event=event, payload={})
        for endpoint in endpoints
    ]
    for delivery in deliveries:
        delivery.payload = {
            "id": str(delivery.event_id),
            "type": event,
            "created": timezone.now().isoformat(timespec="seconds"),
            "entity": entity.pk,
            "data": data,
        }
        delivery.save(update_fields=["payload"])
        transaction.on_commit(lambda pk=delivery.pk: queue_delivery(pk))
    return deliveries


def send_test_event(endpoint: Endpoint) -> Delivery:
    delivery = Delivery.objects.create(endpoint=endpoint, event=TEST_EVENT, payload={})
    delivery.payload = {
        "id": str(delivery.event_id),
        "type": TEST_EVENT,
        "created": timezone.now().isoformat(timespec="seconds"),
        "entity": endpoint.entity_id,
        "data": {"message": "A test event from Leadflip Invoicing."},
    }
    delivery.save(update_fields=["payload"])
    transaction.on_commit(lambda: queue_delivery(delivery.pk))
    return delivery


def queue_delivery(delivery_id: int) -> None:
    from .tasks import deliver_webhook

    deliver_webhook.delay(delivery_id)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def url_problem(url: str) -> str:
    """Why the product may not post to this URL, or ""."""
    return resolve(url)[1]


def resolve(url: str) -> tuple[str, str]:
    """The address to post the URL to, and why it may not be posted to ("" if it may).
    The post goes to this very address: a name that resolves again to another one (DNS
    rebinding) cannot steer it into a private network."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "", _("Give an http or https URL.")
    allowed = settings.ALLOW_PRIVATE_WEBHOOK_HOSTS
    if parts.scheme != "https" and not allowed:
        return "", _("Give an https URL: events carry your business data.")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        return "", _("{host} cannot be found: check the name.").format(host=parts.hostname)
    addresses = [info[4][0] for info in infos]
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        address = getattr(address, "ipv4_mapped", None) or address
        if not address.is_global and not allowed:
            return "", _("{host} is on a private network ({address}); give a public URL.").format(
                host=parts.hostname, address=address
            )
    return addresses[0], ""


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # SNI, cert


def post(delivery: Delivery) -> int:
    """Post the delivery once, to the address checked; its answer's status code (a
    redirect is never followed). Raises TemporaryError or PermanentError."""
    endpoint = delivery.endpoint
    address, problem = resolve(endpoint.url)
    if problem:
        raise PermanentError(problem)
    parts = urlsplit(endpoint.url)
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Leadflip-Webhooks/1",
        "Leadflip-Event": delivery.event,
        "Leadflip-Delivery": str(delivery.event_id),
        SIGNATURE_HEADER: signature(endpoint.secret, int(time.time()), body),
    }
    https = parts.scheme == "https"
    connection = (_PinnedHTTPS if https else _PinnedHTTP)(
        parts.hostname, parts.port or (443 if https else 80), address, TIMEOUT_SECONDS
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        code, reason = response.status, response.reason
    except (OSError, http.client.HTTPException) as error:
        raise TemporaryError(f"no answer: {error}") from error
    finally:
        connection.close()
    if 200 <= code < 300:
        return code
    if 300 <= code < 400:
        raise PermanentError(REDIRECT.format(code=code), code)
    if code in (408, 429) or code >= 500:
        raise TemporaryError(f"{code} {reason}", code)
    raise PermanentError(f"{code} {reason}", code)


def attempt(delivery_id: int) -> Delivery:
    """Post the delivery and record the outcome. Raises TemporaryError for the task to try
    again; a permanent failure is recorded as failed."""
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.status == Delivery.DELIVERED:
        return delivery
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    try:
        code = post(delivery)
    except TemporaryError as error:
        _record(delivery, Delivery.PENDING, error)
        raise
    except PermanentError as error:
        _record(delivery, Delivery.FAILED, error)
        return delivery
    if 200 <= code < 300:
        delivery.status, delivery.response_code = Delivery.DELIVERED, code
        delivery.answer, delivery.delivered_at = str(code), timezone.now()
    else:
        delivery.status, delivery.response_code = Delivery.FAILED, code
        delivery.answer = REDIRECT.format(code=code)
    delivery.save()
    return delivery


def give_up(delivery_id: int, why: str) -> None:
    Delivery.objects.filter(pk=delivery_id).update(status=Delivery.FAILED, answer=why[:MAX_ANSWER])


def _record(delivery: Delivery, status: str, error: Exception) -> None:
    message, *rest = error.args or ("",)
    delivery.status = status
    delivery.response_code = rest[0] if rest else None
    delivery.answer = str(message)[:MAX_ANSWER]
    delivery.save()
