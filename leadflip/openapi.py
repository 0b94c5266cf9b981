"""The API's OpenAPI 3.1 document (/api/v1/openapi.json) and its reference page
(/api/v1/docs). Written by hand next to the views it describes; tests/api/test_openapi.py
checks that it is valid and names exactly the endpoints the URLconf has."""

import json

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from distribution.models import DistributionTransaction
from invoicing.models import Invoice

BEARER = [{"apiKey": []}]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors() -> dict:
    return {
        "400": _json(_ref("Invalid"), "Bad input: each field's problem; nothing written."),
        "401": _json(_ref("Error"), "Missing or invalid API key."),
    }


def _idempotency() -> dict:
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": (
            "Send the same key again (within 24 hours) to get the first answer instead of "
            "doing it twice; the answer then has the header Idempotent-Replayed: true. A "
            "second request while the first runs waits for it; the key with another request "
            "is refused with 422."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    }


def _post(summary: str, body: dict, answers: dict) -> dict:
    return {
        "summary": summary,
        "security": BEARER,
        "parameters": [_idempotency()],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            **answers,
            **_errors(),
            "409": _json(_ref("Error"), "It cannot be done as things stand."),
            "422": _json(_ref("Error"), "The Idempotency-Key was used for another request."),
        },  # fmt: skip
    }


def _batch() -> dict:
    item = {
        "type": "object",
        "required": ["assignment", "lead"],
        "additionalProperties": False,
        "properties": {"assignment": ID, "lead": STRING, "delivered_at": MOMENT},
    }
    operation = _post(
        "Record up to 10,000 deliveries, each on its own",
        {"type": "array", "items": item, "minItems": 1, "maxItems": 10_000},
        {"200": _json(_ref("BatchResults"), "Each item's outcome, in the order given.")},
    )
    operation["description"] = (
        "The same checks and prices as POST /deliveries, per item: one refused stops no "
        "other. Also as NDJSON (one delivery per line, Content-Type: application/x-ndjson). "
        "A lead given again for an assignment is 'existing', with that delivery."
    )
    operation["requestBody"]["content"]["application/x-ndjson"] = {"schema": item}
    return operation


def _page(item: str) -> dict:
    return {
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": {"type": "array", "items": _ref(item)},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as ?cursor= for the next page; null on the last.",
            },
        },
    }


PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                 "maximum": 200, "default": 50}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
]  # fmt: skip
STRING = {"type": "string"}
MONEY = {"type": "string", "pattern": r"^-?\d+\.\d+$", "description": 'A decimal, e.g. "12.50".'}
MOMENT = {"type": "string", "format": "date-time"}
DAY = {"type": ["string", "null"], "format": "date"}
ID = {"type": "integer"}


def document() -> dict:
    cancel_reasons = [value for value, _label in DistributionTransaction.MANUAL_CANCEL_REASONS]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Leadflip Invoicing API",
            "version": "1",
            "description": (
                "For lead routers and the operator's own systems. Authenticate with an "
                "Entity's API key (Settings → API keys): the header "
                "'Authorization: Bearer <key>'. Bodies are JSON; every error is JSON."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/deliveries": {
                "get": {
                    "summary": "The deliveries of one lead",
                    "security": BEARER,
                    "parameters": [
                        {"name": "lead", "in": "query", "required": True, "schema": STRING},
                        *PAGING,
                    ],
                    "responses": {
                        "200": _json(_page("Delivery"), "A page of deliveries."),
                        **_errors(),
                    },  # fmt: skip
                },
                "post": _post(
                    "Record a delivery at the assignment's price of this moment",
                    {
                        "type": "object",
                        "required": ["assignment", "lead"],
                        "additionalProperties": False,
                        "properties": {"assignment": ID, "lead": STRING, "delivered_at": MOMENT},
                    },
                    {
                        "201": _json(_ref("Delivery"), "Recorded."),
                        "200": _json(
                            _ref("Delivery"),
                            "This lead was delivered through this "
                            "assignment before: that delivery.",
                        ),  # fmt: skip
                    },
                ),
            },
            "/deliveries/batch": {"post": _batch()},
            "/deliveries/{id}/cancel": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": ID}],
                "post": _post(
                    "Cancel a delivery (a credit follows on its invoice if it was billed)",
                    {
                        "type": "object",
                        "required": ["reason"],
                        "additionalProperties": False,
                        "properties": {"reason": {"enum": cancel_reasons}},
                    },
                    {
                        "200": _json(_ref("Delivery"), "Cancelled."),
                        "404": _json(_ref("Error"), "No such delivery."),
                    },
                ),
            },
            "/leads": {
                "post": _post(
                    "Record who supplied a lead and at what price",
                    {
                        "type": "object",
                        "required": ["lead", "supplier", "purchase_price"],
                        "additionalProperties": False,
                        "properties": {
                            "lead": STRING,
                            "supplier": ID,
                            "purchase_price": MONEY,
                            "received_at": MOMENT,
                        },
                    },  # fmt: skip
                    {
                        "201": _json(_ref("LeadSource"), "A new lead."),
                        "200": _json(_ref("LeadSource"), "The lead existed."),
                    },
                ),
            },
            "/returns": {
                "post": _post(
                    "Return leads on a partner's behalf, under its return policy",
                    {
                        "type": "object",
                        "required": ["partner", "leads", "reason"],
                        "additionalProperties": False,
                        "properties": {
                            "partner": ID,
                            "leads": {"type": "array", "items": STRING, "minItems": 1},
                            "reason": STRING,
                            "evidence": STRING,
                        },
                    },
                    {"201": _json(_ref("Returns"), "The returns recorded, and those refused.")},
                ),
            },
            "/invoices": {
                "get": {
                    "summary": "The Entity's invoices, credit notes and self-billed invoices",
                    "security": BEARER,
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"enum": [Invoice.DRAFT, Invoice.FINAL, Invoice.VOID]},
                        },
                        {
                            "name": "kind",
                            "in": "query",
                            "schema": {"enum": [Invoice.KIND_INVOICE, Invoice.KIND_CREDIT_NOTE]},
                        },
                        {"name": "partner", "in": "query", "schema": ID},
                        {
                            "name": "self_billed",
                            "in": "query",
                            "schema": {"enum": ["true", "false"]},
                        },
                        {
                            "name": "period_from",
                            "in": "query",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "period_to",
                            "in": "query",
                            "schema": {"type": "string", "format": "date"},
                        },
                        *PAGING,
                    ],  # fmt: skip
                    "responses": {
                        "200": _json(_page("Invoice"), "A page of invoices."),
                        **_errors(),
                    },  # fmt: skip
                },
            },
            "/invoices/{id}/pdf": _document_path(
                "The finalized invoice's locked PDF", "application/pdf"
            ),  # fmt: skip
            "/invoices/{id}/xml": _document_path(
                "Its XML e-invoice (XRechnung, Peppol BIS)", "application/xml"
            ),  # fmt: skip
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
    }


def _document_path(summary: str, media_type: str) -> dict:
    return {
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": ID}],
        "get": {
            "summary": summary,
            "security": BEARER,
            "responses": {
                "200": {
                    "description": "The file.",
                    "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
                },
                "404": _json(_ref("Error"), "No such finalized invoice, or no XML."),
                "409": _json(_ref("Error"), "Its documents are still being rendered."),
                **_errors(),
            },  # fmt: skip
        },
    }


SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": STRING}},
    "Invalid": {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {"type": "object", "additionalProperties": {"type": "array",
                                                                  "items": STRING}},
        },  # fmt: skip
    },
    "Delivery": {
        "type": "object",
        "properties": {
            "id": ID, "assignment": ID, "partner": ID, "lead": STRING, "price": MONEY,
            "currency": STRING, "delivered_at": MOMENT,
            "status": {"enum": ["delivered", "cancelled"]},
            "cancel_reason": {"type": ["string", "null"]}, "invoiced": {"type": "boolean"},
        },
    },
    "LeadSource": {
        "type": "object",
        "properties": {
            "lead": STRING, "supplier": ID, "purchase_price": MONEY, "currency": STRING,
            "received_at": MOMENT, "paid_out": {"type": "boolean"},
        },
    },
    "BatchResults": {
        "type": "object",
        "required": ["created", "existing", "refused", "results"],
        "properties": {
            "created": ID, "existing": ID, "refused": ID,
            "results": {"type": "array", "items": {
                "type": "object",
                "required": ["index", "status"],
                "properties": {
                    "index": ID,
                    "status": {"enum": ["created", "existing", "refused"]},
                    "id": ID, "price": MONEY, "currency": STRING,
                    "errors": {"type": "object",
                               "additionalProperties": {"type": "array", "items": STRING}},
                },
            }},
        },
    },  # fmt: skip
    "Returns": {
        "type": "object",
        "properties": {
            "returns": {"type": "array", "items": {"type": "object", "properties": {
                "id": ID, "lead": STRING, "delivery": ID, "reason": STRING,
                "status": {"enum": ["pending", "approved", "rejected"]},
                "submitted_at": MOMENT}}},
            "refused": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Invoice": {
        "type": "object",
        "properties": {
            "id": ID, "number": STRING, "kind": {"enum": ["invoice", "credit_note"]},
            "self_billed": {"type": "boolean"}, "status": {"enum": ["draft", "final", "void"]},
            "partner": {"type": "object", "properties": {"id": ID, "name": STRING}},
            "currency": STRING, "net": MONEY, "tax": MONEY, "total": MONEY,
            "amount_paid": MONEY, "issue_date": DAY, "due_date": DAY,
            "period": {"type": "array", "items": DAY},
            "payment_reference": STRING, "corrects": {"type": ["string", "null"]},
        },
    },
}  # fmt: skip


def document_view(request):
    return JsonResponse(document(), json_dumps_params={"indent": 1})


def reference(request):
    """The document as a page to read, without JavaScript; schemas as JSON."""
    spec = document()
    operations = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post"):
                continue
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation["summary"],
                    "parameters": [p | {"schema": _compact(p["schema"])} for p in parameters],
                    "body": json.dumps(body["schema"], indent=1) if body else "",
                    "responses": operation["responses"],
                }
            )
    schemas = {name: json.dumps(schema, indent=1)
               for name, schema in spec["components"]["schemas"].items()}  # fmt: skip
    return render(
        request,
        "api/reference.html",
        {"spec": spec, "operations": operations, "schemas": schemas,
         "json_url": reverse("api:openapi")},
    )  # fmt: skip


def _compact(schema: dict) -> str:
    return json.dumps(schema, separators=(", ", ": "))
