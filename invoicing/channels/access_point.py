"""The Account's Peppol access point, through e-invoice.be's official Python SDK
(`e-invoice-api`, https://api.e-invoice.be/docs): participant lookup, validation, handing
over a UBL document and asking for its state. Every network or API error comes out as
TemporaryError (try again later) or PermanentError / Rejected (in words, not retried).

The SDK's own retries are off (max_retries=0): the Celery task retries with backoff, and a
retry first asks for the state of the document already handed over, so nothing is sent twice.
"""

import hashlib
import hmac
import json

import e_invoice_api
from django.conf import settings
from lxml import etree

from entities.models import AccessPointSettings, Account

from . import PermanentError, Rejected, TemporaryError

# The access point's document states (e_invoice_api.types.DocumentState): a draft is not
# sent yet; in transit is handed to the Peppol network; sent is delivered to the receiver's
# access point.
DRAFT, TRANSIT, SENT, RECEIVED, FAILED = "DRAFT", "TRANSIT", "SENT", "RECEIVED", "FAILED"

UBL_NAMESPACES = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "CreditNote",
}


def settings_of(account: Account) -> AccessPointSettings | None:
    """The Account's access point, or None when it has none with an API key."""
    try:
        access_point = account.access_point
    except AccessPointSettings.DoesNotExist:
        return None
    return access_point if access_point.api_key else None


def client(access_point: AccessPointSettings) -> e_invoice_api.EInvoice:
    return e_invoice_api.EInvoice(
        api_key=access_point.api_key,
        base_url=access_point.base_url,
        timeout=settings.PEPPOL_TIMEOUT,
        max_retries=0,
    )


def document_type(xml: bytes) -> str:
    """The Peppol document type identifier of a UBL document: root element and
    customization (what the receiver's SMP lists as what it accepts)."""
    root = etree.fromstring(xml)
    namespace, _, local = root.tag[1:].partition("}")
    customization = root.findtext(
        "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}CustomizationID"
    )
    return f"{namespace}::{local}##{customization}::2.1"


def is_reachable(access_point: AccessPointSettings, participant: str, doc_type: str) -> bool:
    """Whether the participant ("0208:0403019261") is registered on Peppol for the document
    type, by the SMP lookup of the access point."""
    answer = _call(lambda api: api.lookup.retrieve(peppol_id=participant), access_point)
    for endpoint in answer.service_metadata.endpoints:
        if any(kind.value == doc_type for kind in endpoint.document_types):
            return True
    return False


def validation_problems(access_point: AccessPointSettings, filename: str, xml: bytes) -> list[str]:
    """The access point's own validation (the Peppol rules) of the document: its errors, in
    words with the rule, empty when it passes."""
    answer = _call(
        lambda api: api.validate.validate_ubl(file=(filename, xml, "application/xml")),
        access_point,
    )
    if answer.is_valid:
        return []
    return [
        f"[{issue.rule_id}] {issue.message}" if issue.rule_id else issue.message
        for issue in answer.issues
        if issue.type == "error"
    ] or ["the access point found the document invalid"]


def hand_over(access_point: AccessPointSettings, filename: str, xml: bytes) -> str:
    """Create the document at the access point (not sent yet); its id."""
    answer = _call(
        lambda api: api.documents.ubl.create_from_ubl(file=(filename, xml, "application/xml")),
        access_point,
    )
    return answer.id


def send(access_point: AccessPointSettings, document_id: str, receiver: str, sender: str) -> str:
    """Send the created document over Peppol from `sender` to `receiver` (scheme:value);
    the document's state after it."""
    receiver_scheme, _, receiver_id = receiver.partition(":")
    sender_scheme, _, sender_id = sender.partition(":")
    answer = _call(
        lambda api: api.documents.send(
            document_id,
            receiver_peppol_scheme=receiver_scheme,
            receiver_peppol_id=receiver_id,
            sender_peppol_scheme=sender_scheme or None,
            sender_peppol_id=sender_id or None,
        ),
        access_point,
    )
    return answer.state or TRANSIT


def state(access_point: AccessPointSettings, document_id: str) -> tuple[str, str]:
    """The document's state, and for a failed one the access point's reason in words."""
    answer = _call(lambda api: api.documents.retrieve(document_id), access_point)
    if answer.state != FAILED:
        return answer.state or DRAFT, ""
    timeline = _call(lambda api: api.documents.retrieve_timeline(document_id), access_point)
    reasons = [
        _reason(event.details)
        for event in timeline.events
        if event.event_type in ("send_failed", "mlr_received", "imr_received")
    ]
    return FAILED, (reasons[-1] if reasons else "") or "the access point reports it failed"


def _reason(details: dict | None) -> str:
    if not details:
        return ""
    for key in ("reason", "message", "error", "description"):
        if details.get(key):
            return str(details[key])
    return json.dumps(details, sort_keys=True)


def signature_is_valid(secret: str, body: bytes, signature: str) -> bool:
    """Whether `signature` (the X-Signature header, "sha256=<hex>") is the HMAC-SHA256 of
    the webhook event with the webhook's secret. e-invoice.be signs the event serialised
    with sorted keys; the raw body is accepted as well, for a sender that signs what it
    sends byte for byte."""
    if not secret or not signature.startswith("sha256="):
        return False
    try:
        event = json.loads(body)
    except ValueError:
        return False
    candidates = [body, json.dumps(event, sort_keys=True).encode()]
    for message in candidates:
        expected = "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, signature):
            return True
    return False


def document_id_of(event: dict) -> str:
    """The document a webhook event is about."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    document = data.get("document") or event.get("document") or {}
    for candidate in (
        data.get("document_id"),
        document.get("id") if isinstance(document, dict) else None,
        event.get("document_id"),
        data.get("id"),
    ):
        if candidate:
            return str(candidate)
    return ""


def _call(request, access_point: AccessPointSettings):
    """One API call, its errors sorted into ours. The address is checked at every call,
    not only when it is saved: a name can come to resolve to a private address later."""
    if problem := access_point.address_problem():
        raise PermanentError(problem)
    try:
        return request(client(access_point))
    except e_invoice_api.APIConnectionError as error:  # includes timeouts
        raise TemporaryError(f"the access point did not answer ({error})") from error
    except e_invoice_api.AuthenticationError as error:
        raise PermanentError(
            "the access point refused the API key: check it in Settings → Peppol"
        ) from error
    except e_invoice_api.PermissionDeniedError as error:
        raise PermanentError(f"the access point refused it: {_detail(error)}") from error
    except (e_invoice_api.RateLimitError, e_invoice_api.InternalServerError) as error:
        raise TemporaryError(f"the access point is busy ({error.status_code})") from error
    except e_invoice_api.NotFoundError as error:
        raise PermanentError(f"the access point does not know it: {_detail(error)}") from error
    except (e_invoice_api.BadRequestError, e_invoice_api.UnprocessableEntityError) as error:
        raise Rejected(f"the access point refused the document: {_detail(error)}") from error
    except e_invoice_api.APIStatusError as error:
        raise TemporaryError(f"the access point answered {error.status_code}") from error


def _detail(error: e_invoice_api.APIStatusError) -> str:
    """The words in an error answer: FastAPI's `detail`, a string or a list of problems."""
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("detail") or body.get("message") or error.message
    if isinstance(detail, list):
        return "; ".join(
            str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail
        )
    return str(detail)
