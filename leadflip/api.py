"""The JSON API for lead routers: record and cancel deliveries with an Entity's API key.

Views parse and check the request, then call the same service functions as the operator UI.
Every error is JSON: `{"error": "..."}`, or for bad input `{"errors": {"field": ["..."]}}`
with status 400 and nothing written.
"""

import base64
import binascii
import hashlib
import json
import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_scopes import scope, scopes_disabled

from distribution import batch
from distribution.models import (
    Assignment,
    DistributionTransaction,
    LeadReturn,
)
from distribution.returns import offered_reasons, policies_for
from distribution.services import (
    DeliveryError,
    lead_id_problem,
    parse_delivery_time,
    record_delivery,
    record_lead_source,
    record_plain_delivery,
)
from entities.models import ApiKey, Entity, IdempotentRequest, hash_api_key
from invoicing.announcements import invoice_json
from invoicing.corrections import cancel_delivery
from invoicing.documents import has_xml, stored_document
from invoicing.models import Invoice, InvoicingError
from invoicing.returns import MAX_PER_SUBMISSION, submit_returns
from invoicing.views import document_response
from partners.models import Partner

MAX_BODY_BYTES = 64 * 1024
# A batch of 10,000 deliveries, each with a long lead id and a time; under Django's 2.5 MB.
MAX_BATCH_BYTES = 2 * 1024 * 1024
# The largest purchase price a lead's DecimalField(12, 4) holds.
MAX_PRICE = Decimal("99999999.9999")
# last_used_at is informative; writing it on every request would cost a row update each.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def error(status: int, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def invalid(errors: dict[str, str]) -> JsonResponse:
    return JsonResponse({"errors": {f: [m] for f, m in errors.items()}}, status=400)


def api_view(method: str, many: bool = False):
    """One HTTP method, a valid API key, and for POST a JSON object body (with `many`, a
    JSON array or NDJSON: one object per line, up to MAX_BATCH_BYTES). The view runs in
    the key's Entity scope and gets the Entity (and the body for POST)."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != method:
                return error(405, f"Use {method}.", Allow=method)
            key = authenticate(request)
            if key is None:
                return error(
                    401,
                    "Missing or invalid API key. Send the header 'Authorization: Bearer <key>'.",
                    WWW_Authenticate='Bearer realm="api"',
                )
            request.api_key = key
            if method == "GET":
                with scope(entity=key.entity):
                    return view(request, key.entity, *args, **kwargs)
            ndjson = many and request.content_type == "application/x-ndjson"
            if request.content_type != "application/json" and not ndjson:
                also = " or as NDJSON ('application/x-ndjson')" if many else ""
                return error(
                    415, f"Send the body as JSON with 'Content-Type: application/json'{also}."
                )
            most = MAX_BATCH_BYTES if many else MAX_BODY_BYTES
            too_large = error(413, f"The body is too large: at most {most:,} bytes.")
            try:
                if int(request.headers.get("Content-Length") or 0) > most:
                    return too_large
                raw = request.body
            except (ValueError, RequestDataTooBig):
                return too_large
            if len(raw) > most:
                return too_large
            try:
                if ndjson:
                    body = [json.loads(line, parse_constant=_no_constant)
                            for line in raw.splitlines() if line.strip()]  # fmt: skip
                else:
                    body = json.loads(raw or b"{}", parse_constant=_no_constant)
            except (ValueError, UnicodeDecodeError, RecursionError):
                return error(400, "The body is not valid JSON" + (" lines." if ndjson else "."))
            if many and not isinstance(body, list):
                return error(400, "The body must be a JSON array of deliveries.")
            if not many and not isinstance(body, dict):
                return error(400, "The body must be a JSON object.")
            if may_hold_bad_text(raw) and (problem := text_problem(body)):
                return error(400, problem)
            with scope(entity=key.entity):
                if "Idempotency-Key" in request.headers:
                    return idempotent(request, key, raw, lambda: view(request, key.entity, body,
                                                                      *args, **kwargs))  # fmt: skip
                return view(request, key.entity, body, *args, **kwargs)

        return wrapper

    return decorator


def by_method(**views):
    """One URL for several methods, each its own api_view (GET lists, POST records)."""

    @csrf_exempt
    def dispatch(request, *args, **kwargs):
        view = views.get(request.method)
        if view is None:
            return error(405, f"Use {' or '.join(views)}.", Allow=", ".join(views))
        return view(request, *args, **kwargs)

    return dispatch


IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


def idempotent(request, key: ApiKey, raw: bytes, run) -> JsonResponse:
    """A POST with an Idempotency-Key: done once; the same key again within a day answers
    as the first time did (with Idempotent-Replayed: true). The key with another request is
    refused (422). An answer of 5xx is not kept, so that a retry tries again."""
    name = request.headers["Idempotency-Key"]
    if not IDEMPOTENCY_KEY.match(name):
        return error(400, "Give the Idempotency-Key as 1 to 255 printable ASCII characters.")
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode() + raw).hexdigest()
    since = timezone.now() - timedelta(hours=IdempotentRequest.KEPT_HOURS)
    IdempotentRequest.objects.filter(api_key=key, key=name, created_at__lt=since).delete()
    with transaction.atomic():
        # The key, the work and the answer commit together: a crash in between leaves
        # neither, and a second request with the key waits here until the first is done.
        try:
            with transaction.atomic():
                stored = IdempotentRequest.objects.create(
                    api_key=key, key=name, request_hash=digest
                )
        except IntegrityError:
            stored = None
        if stored is not None:
            response = run()
            if response.status_code >= 500:
                stored.delete()  # not kept: a retry tries again
            else:
                stored.status, stored.body = response.status_code, response.content
                stored.save(update_fields=["status", "body"])
            return response
    earlier = IdempotentRequest.objects.filter(api_key=key, key=name).first()
    if earlier is None or earlier.request_hash != digest:
        return error(422, "This Idempotency-Key was used for another request.")
    response = HttpResponse(
        bytes(earlier.body), status=earlier.status, content_type="application/json"
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")  # NaN and Infinity


def may_hold_bad_text(raw: bytes) -> bool:
    """Whether a JSON body can hold text text_problem refuses: NUL and lone surrogates come
    only as \\u escapes, or as UTF-8 bytes of U+D800-U+DFFF (led by 0xED), which json.loads
    lets through. Most bodies have neither, and walking a batch of 10,000 costs 40 ms."""
    return b"\\u" in raw or b"\xed" in raw


def text_problem(value) -> str:
    """Why a JSON value cannot be stored: text PostgreSQL refuses (NUL) or that is not
    Unicode (a lone surrogate from a \\ud800 escape), in any string or key inside it."""
    if isinstance(value, str):
        if "\x00" in value:
            return "Text cannot contain the NUL character."
        try:
            value.encode()
        except UnicodeEncodeError:
            return "Text must be valid Unicode (it contains a lone surrogate)."
        return ""
    if isinstance(value, dict):
        return next((p for item in value.items() for p in map(text_problem, item) if p), "")
    if isinstance(value, list):
        return next((p for p in map(text_problem, value) if p), "")
    return ""


def parse_id(value) -> int | None:
    """A database id given as a JSON integer or a string of ASCII digits, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < MAX_ID else None
    if isinstance(value, str) and ID.fullmatch(value):
        return int(value) if int(value) < MAX_ID else None
    return None


ID = re.compile(r"[0-9]{1,19}")
MAX_ID = 2**63


def authenticate(request) -> ApiKey | None:
    """The active key the request carries, or None. Keys are looked up by their hash."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    with scopes_disabled():  # the key decides the scope
        key = find_key(hash_api_key(secret.strip()))
        now = timezone.now()
        if key and (key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


# The key lookup of every request, as SQL written once: building it with the ORM took a
# sixth of a delivery request's time, and the delivery API must sustain 500 requests a
# second on two cores. The row becomes model instances through Model.from_db, so any field
# not selected here is deferred and loads on access, never silently empty. SQLite (the local
# demo) returns dates and decimals as text that only the ORM converts, so it takes the ORM's
# way.


def _columns(model, alias: str) -> tuple[list[str], str]:
    fields = [f.attname for f in model._meta.concrete_fields]
    columns = ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)
    return fields, columns


ENTITY_FIELDS, ENTITY_COLUMNS = _columns(Entity, "e")
KEY_FIELDS = ["id", "entity_id", "name", "prefix", "last_used_at"]
KEY_SQL = f"""
SELECT k.id, k.entity_id, k.name, k.prefix, k.last_used_at, {ENTITY_COLUMNS}
FROM entities_apikey k JOIN entities_entity e ON e.id = k.entity_id
WHERE k.key_hash = %s AND k.revoked_at IS NULL
"""


def find_key(key_hash: str) -> ApiKey | None:
    """The active key with this hash, with its Entity."""
    if connection.vendor != "postgresql":
        keys = ApiKey.objects.select_related("entity")
        return keys.filter(key_hash=key_hash, revoked_at__isnull=True).first()
    with connection.cursor() as cursor:
        cursor.execute(KEY_SQL, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    key = ApiKey.from_db(connection.alias, KEY_FIELDS, row[: len(KEY_FIELDS)])
    key.entity = Entity.from_db(connection.alias, ENTITY_FIELDS, row[len(KEY_FIELDS) :])
    return key


def find_assignment(pk: int, entity: Entity) -> Assignment | None:
    """The Entity's assignment `pk` with its profile."""
    assignments = Assignment.objects.select_related("profile__entity")
    return assignments.filter(pk=pk, profile__entity=entity).first()


def api_actor(request) -> str:
    """Who did it, for the audit trail."""
    return f"API key '{request.api_key.name}' ({request.api_key.prefix}…)"


def delivery_json(txn: DistributionTransaction) -> dict:
    return {
        "id": txn.pk,
        "assignment": txn.assignment_id,
        "partner": txn.partner_id,
        "lead": txn.lead.external_id,
        "price": str(txn.price),
        "currency": txn.currency,
        "delivered_at": txn.delivered_at.isoformat(),
        "status": txn.status,
        "cancel_reason": txn.cancel_reason or None,
        "invoiced": txn.invoice_id is not None,
    }


@api_view("POST")
def deliveries(request, entity, body):
    """Record one delivery: {"assignment": id, "lead": "external id", "delivered_at": "…"}.

    201 with the delivery; 200 with the existing one if this lead was already delivered
    through this assignment.
    """
    errors, parsed = delivery_problems(body)
    assignment_id, lead, delivered_at = parsed or (parse_id(body.get("assignment")), "", None)
    # The common case in one statement; None when the assignment is unknown, paused or
    # tiered, which the lookup below tells apart.
    if not errors and (
        recorded := record_plain_delivery(entity, assignment_id, lead, delivered_at)
    ):
        txn, created = recorded
        return JsonResponse(delivery_json(txn), status=201 if created else 200)
    assignment = None
    if "assignment" not in errors:
        assignment = find_assignment(assignment_id, entity)
        if assignment is None:
            errors["assignment"] = f"No assignment {assignment_id} in {entity.name}."
        elif not assignment.is_active:
            errors["assignment"] = "This assignment is paused and takes no deliveries."
    if errors:
        return invalid(errors)
    try:
        txn, created = record_delivery(assignment, lead, delivered_at)
    except DeliveryError as exc:
        return invalid({"assignment": str(exc)})
    return JsonResponse(delivery_json(txn), status=201 if created else 200)


def delivery_problems(body) -> tuple[dict, tuple | None]:
    """The field problems of one delivery given as JSON, or its assignment id, lead id and
    time."""
    if not isinstance(body, dict):
        return {"delivery": "Give each delivery as a JSON object."}, None
    errors = {}
    assignment_id = parse_id(body.get("assignment"))
    if body.get("assignment") in (None, ""):
        errors["assignment"] = "This field is required."
    elif assignment_id is None:
        errors["assignment"] = "Give the assignment's id as an integer."
    if problem := lead_problem(body.get("lead")):
        errors["lead"] = problem
    delivered_at = parse_time(body, "delivered_at", errors)
    for field in sorted(set(body) - {"assignment", "lead", "delivered_at"}):
        errors[field] = "Unknown field."
    if errors:
        return errors, None
    return {}, (assignment_id, str(body["lead"]).strip(), delivered_at)


@api_view("POST", many=True)
def deliveries_batch(request, entity, body):
    """Record up to 10,000 deliveries: a JSON array (or NDJSON lines) of what POST
    /deliveries takes. Each is recorded or refused on its own; the answer lists each
    item's outcome in order: "created", "existing" (that lead was delivered through that
    assignment before) or "refused" with its errors."""
    if not body:
        return error(400, "Send at least one delivery.")
    if len(body) > batch.MAX_ITEMS:
        return error(400, f"At most {batch.MAX_ITEMS:,} deliveries in one request.")
    results: list[dict | None] = [None] * len(body)
    items, positions = [], []
    for index, delivery in enumerate(body):
        errors, parsed = delivery_problems(delivery)
        if errors:
            results[index] = {"index": index, "status": "refused",
                              "errors": {f: [m] for f, m in errors.items()}}  # fmt: skip
        else:
            items.append(batch.Item(*parsed))
            positions.append(index)
    for index, outcome in zip(positions, batch.record_deliveries(entity, items), strict=True):
        if outcome.status == "refused":
            results[index] = {"index": index, "status": "refused",
                              "errors": {"assignment": [outcome.problem]}}  # fmt: skip
        else:
            results[index] = {
                "index": index,
                "status": outcome.status,
                "id": outcome.delivery_id,
                "price": str(outcome.price),
                "currency": outcome.currency,
            }
    counts = {status: 0 for status in ("created", "existing", "refused")}
    for result in results:
        counts[result["status"]] += 1
    return JsonResponse({**counts, "results": results})


@api_view("POST")
def returns(request, entity, body):
    """Return leads on a partner's behalf: {"partner": id, "leads": ["external id", …],
    "reason": "one of the policy's reasons", "evidence": "optional"}. The same rules as in
    the partner portal. 201 with each return recorded (waiting, or accepted at once) and why
    the others were refused; 409 when none could be."""
    errors = {}
    partner = find_partner(body, "partner", entity, errors, "the partner's id")
    leads = body.get("leads")
    if not isinstance(leads, list) or not leads:
        errors["leads"] = "Give the lead ids as a non-empty list."
    elif len(leads) > MAX_PER_SUBMISSION:
        errors["leads"] = f"At most {MAX_PER_SUBMISSION} leads per request."
    elif problem := next(filter(None, map(lead_problem, leads)), ""):
        errors["leads"] = problem
    for name, limit in (("reason", 100), ("evidence", 2000)):
        value = body.get(name, "")
        if not isinstance(value, str):
            errors[name] = "Give it as a string."
        elif len(value) > limit:
            errors[name] = f"At most {limit:,} characters."
    if "reason" not in errors and not body.get("reason", "").strip():
        errors["reason"] = "This field is required."
    for field in sorted(set(body) - {"partner", "leads", "reason", "evidence"}):
        errors[field] = "Unknown field."
    if partner is not None and "reason" not in errors:
        reasons = sorted(offered_reasons(policies_for(partner.assignments.all()).values()))
        if body["reason"].strip() not in reasons:
            errors["reason"] = (
                f"Choose one of: {', '.join(reasons)}."
                if reasons
                else "No profile of this partner takes returns (it has no return policy)."
            )
    if errors:
        return invalid(errors)
    ids = list(dict.fromkeys(str(lead).strip() for lead in leads))
    try:
        outcome = submit_returns(
            partner, ids, body["reason"], body.get("evidence", ""), api_actor(request)
        )
    except InvoicingError as exc:
        return invalid({"leads": str(exc)})
    answer = {"returns": [return_json(r) for r in outcome.returns], "refused": outcome.refused}
    return JsonResponse(answer, status=201 if outcome.returns else 409)


def return_json(lead_return: LeadReturn) -> dict:
    lead_return.refresh_from_db(fields=["status"])  # an automatic approval decided it
    return {
        "id": lead_return.pk,
        "lead": lead_return.delivery.lead.external_id,
        "delivery": lead_return.delivery_id,
        "reason": lead_return.reason,
        "status": lead_return.status,
        "submitted_at": lead_return.submitted_at.isoformat(),
    }


def find_partner(body: dict, field: str, entity, errors: dict, what: str) -> Partner | None:
    """The Entity's partner whose id `body[field]` gives, or None with the reason in
    errors[field]."""
    partner_id = parse_id(body.get(field))
    if body.get(field) in (None, ""):
        errors[field] = "This field is required."
    elif partner_id is None:
        errors[field] = f"Give {what} as an integer."
    elif (partner := Partner.objects.filter(pk=partner_id, entity=entity).first()) is None:
        errors[field] = f"No partner {partner_id} in {entity.name}."
    else:
        return partner
    return None


def lead_problem(lead) -> str:
    """Why a JSON value cannot be a lead's id (distribution's rule, given text), or ""."""
    if lead is None or (isinstance(lead, str) and not lead.strip()):
        return "This field is required."
    if not isinstance(lead, str | int) or isinstance(lead, bool):
        return "Give the lead's id as a string."
    return lead_id_problem(str(lead).strip())


def parse_time(body: dict, field: str, errors: dict):
    """An optional ISO 8601 time with its UTC offset, not in the future."""
    raw = body.get(field)
    if raw in (None, ""):
        return None
    value, problem = parse_delivery_time(raw if isinstance(raw, str) else "")
    if problem:
        errors[field] = problem
    return value


@api_view("POST")
def lead_source(request, entity, body):
    """Record who supplied a lead and at what price:
    {"lead": "external id", "supplier": partner id, "purchase_price": "2.50",
    "received_at": "…"}. 201 when the lead is new, 200 when it existed."""
    errors = {}
    if problem := lead_problem(body.get("lead")):
        errors["lead"] = problem
    supplier = find_partner(body, "supplier", entity, errors, "the supplier's partner id")
    if supplier is not None and not supplier.is_supplier:
        errors["supplier"] = f"{supplier.name} is not marked as a lead supplier."
    price = None
    try:
        raw_price = body.get("purchase_price")
        if isinstance(raw_price, bool) or not isinstance(raw_price, str | int | float):
            raise InvalidOperation
        price = Decimal(str(raw_price))
        if not price.is_finite() or not 0 <= price <= MAX_PRICE or price.as_tuple().exponent < -4:
            raise InvalidOperation
    except InvalidOperation:
        errors["purchase_price"] = (
            f'Give a price from 0 to {MAX_PRICE:,}, with at most 4 decimals, e.g. "2.50".'
        )
    received_at = parse_time(body, "received_at", errors)
    for field in sorted(set(body) - {"lead", "supplier", "purchase_price", "received_at"}):
        errors[field] = "Unknown field."
    if errors:
        return invalid(errors)
    try:
        lead, created = record_lead_source(entity, str(body["lead"]), supplier, price, received_at)
    except DeliveryError as exc:
        return error(409, str(exc))
    return JsonResponse(
        {
            "lead": lead.external_id,
            "supplier": lead.supplier_id,
            "purchase_price": str(lead.purchase_price),
            "currency": lead.purchase_currency,
            "received_at": lead.created_at.isoformat(),
            "paid_out": lead.payout_invoice_id is not None,
        },
        status=201 if created else 200,
    )


@api_view("POST")
def cancel(request, entity, body, pk):
    """Cancel a delivery: {"reason": "rejected" | "refunded" | "revoked"}."""
    txn = (
        DistributionTransaction.objects.select_related("lead").filter(pk=pk, entity=entity).first()
    )
    if txn is None:
        return error(404, f"No delivery {pk} in {entity.name}.")
    reasons = dict(DistributionTransaction.MANUAL_CANCEL_REASONS)
    if not isinstance(body.get("reason"), str) or body["reason"] not in reasons:
        return invalid({"reason": "Choose one of: " + ", ".join(reasons) + "."})
    if txn.is_cancelled:
        return error(409, "This delivery is already cancelled.")
    try:
        cancel_delivery(txn, body["reason"], by=api_actor(request))
    except (InvoicingError, DeliveryError) as exc:
        return error(409, str(exc))
    txn.refresh_from_db()
    return JsonResponse(delivery_json(txn))


@api_view("GET")
def invoice_document(request, entity, pk, kind):
    """A finalized invoice's locked PDF or XML e-invoice."""
    invoice = Invoice.objects.filter(pk=pk, entity=entity, status=Invoice.FINAL).first()
    if invoice is None:
        return error(404, f"No finalized invoice {pk} in {entity.name}.")
    if kind == "xml" and not has_xml(invoice):
        return error(404, f"Invoice {invoice.number} has no XML: its format is PDF only.")
    document = stored_document(invoice, kind)
    if document is None:
        return error(
            409, f"Invoice {invoice.number}'s documents are still being rendered; try again soon."
        )
    return document_response(document, api_actor(request))


MAX_PAGE = 200


def page_of(request, rows, errors: dict):
    """A page of `rows` (a queryset ordered by id) after the request's cursor, and the
    cursor of the next page (None on the last): {"data": [...], "next_cursor": ...}."""
    try:
        limit = int(request.GET.get("limit", 50))
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError
    except ValueError:
        errors["limit"] = f"Give a number from 1 to {MAX_PAGE}."
        limit = 0
    after = 0
    if cursor := request.GET.get("cursor"):
        try:
            after = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            errors["cursor"] = "Give the next_cursor of the page before, as it came."
    if errors:
        return [], None
    found = list(rows.filter(pk__gt=after).order_by("pk")[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    next_cursor = None
    if more:
        next_cursor = base64.urlsafe_b64encode(str(found[-1].pk).encode()).decode().rstrip("=")
    return found, next_cursor


INVOICE_FILTERS = {"status", "kind", "partner", "self_billed", "period_from", "period_to",
                   "limit", "cursor"}  # fmt: skip


@api_view("GET")
def list_invoices(request, entity):
    """The Entity's invoices, credit notes and self-billed invoices, oldest first, a page
    at a time; filters: status, kind, partner, self_billed, period_from, period_to."""
    errors = {name: "Unknown filter." for name in sorted(set(request.GET) - INVOICE_FILTERS)}
    rows = Invoice.objects.filter(entity=entity).select_related("partner", "corrects")
    choices = {
        "status": [Invoice.DRAFT, Invoice.FINAL, Invoice.VOID],
        "kind": [Invoice.KIND_INVOICE, Invoice.KIND_CREDIT_NOTE],
        "self_billed": ["true", "false"],
    }
    for name, allowed in choices.items():
        if (value := request.GET.get(name)) is not None:
            if value not in allowed:
                errors[name] = f"Choose one of: {', '.join(allowed)}."
            elif name == "self_billed":
                rows = rows.filter(self_billed=value == "true")
            else:
                rows = rows.filter(**{name: value})
    if (value := request.GET.get("partner")) is not None:
        if (partner_id := parse_id(value)) is None:
            errors["partner"] = "Give the partner's id as an integer."
        else:
            rows = rows.filter(partner_id=partner_id)
    for name, lookup in (("period_from", "period_start__gte"), ("period_to", "period_end__lte")):
        if (value := request.GET.get(name)) is not None:
            try:
                rows = rows.filter(**{lookup: date.fromisoformat(value)})
            except ValueError:
                errors[name] = "Give a date as YYYY-MM-DD."
    found, next_cursor = page_of(request, rows, errors)
    if errors:
        return invalid(errors)
    return JsonResponse({"data": [invoice_json(i) for i in found], "next_cursor": next_cursor})


@api_view("GET")
def list_deliveries(request, entity):
    """The deliveries of one lead (?lead=external id), oldest first, a page at a time."""
    errors = {name: "Unknown filter." for name in sorted(set(request.GET) - {"lead", "limit",
                                                                            "cursor"})}  # fmt: skip
    lead = request.GET.get("lead", "").strip()
    if not lead:
        errors["lead"] = "Give the lead's id: ?lead=…"
    rows = DistributionTransaction.objects.filter(entity=entity, lead__external_id=lead)
    found, next_cursor = page_of(request, rows.select_related("lead"), errors)
    if errors:
        return invalid(errors)
    return JsonResponse({"data": [delivery_json(t) for t in found], "next_cursor": next_cursor})


deliveries_endpoint = by_method(GET=list_deliveries, POST=deliveries)
