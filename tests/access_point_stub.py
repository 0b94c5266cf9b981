"""A local Peppol access point: an HTTP server on loopback that answers the e-invoice.be API
(the paths, JSON and multipart uploads its official SDK `e-invoice-api` uses) for lookup,
validation, creating a document from UBL, sending it and reading its state and timeline.
Tests decide who is registered on Peppol, what fails validation, what the network does with
a sent document, and can make an answer slow."""

import hashlib
import hmac
import itertools
import json
import threading
import time
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

BILLING = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
SELF_BILLING = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:selfbilling:3.0::2.1"
UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
ALL_DOCUMENT_TYPES = [
    f"{UBL}Invoice-2::Invoice##{BILLING}",
    f"{UBL}CreditNote-2::CreditNote##{BILLING}",
    f"{UBL}Invoice-2::Invoice##{SELF_BILLING}",
    f"{UBL}CreditNote-2::CreditNote##{SELF_BILLING}",
]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _now() -> str:
    return datetime.now(UTC).isoformat()


class AccessPointStub:
    def __init__(self, api_key: str = "test-api-key", webhook_secret: str = "whsec-test"):
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        # participant ("0208:0403019261") → the document types it receives
        self.participants: dict[str, list[str]] = {}
        self.validation_errors: list[dict] = []  # issues validate/ubl reports
        self.reject_on_send = ""  # a reason: the network refuses what is sent
        self.slow_send_seconds = 0.0  # answer a send this late (it still goes out)
        self.documents: dict[str, dict] = {}
        self.sent: list[tuple[str, str]] = []  # (document id, receiver), one per send
        self.requests: list[str] = []
        self._ids = itertools.count(1)
        self._server = make_server(
            "127.0.0.1", 0, self.app, server_class=_ThreadingServer, handler_class=_Quiet
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    # What the Peppol network does later -------------------------------------------------

    def deliver(self, document_id: str) -> None:
        """The receiver's access point confirms it."""
        document = self.documents[document_id]
        document["state"] = "SENT"
        document["events"].append({"event_type": "send_success", "timestamp": _now()})

    def refuse(self, document_id: str, reason: str) -> None:
        document = self.documents[document_id]
        document["state"] = "FAILED"
        document["events"].append(
            {"event_type": "send_failed", "timestamp": _now(), "details": {"reason": reason}}
        )

    def webhook(self, document_id: str, event_type: str = "document.sent") -> tuple[bytes, str]:
        """The body and X-Signature header of the webhook e-invoice.be sends: the event
        signed with sorted keys, HMAC-SHA256 with the webhook's secret."""
        event = {
            "id": f"evt_{next(self._ids)}",
            "type": event_type,
            "timestamp": _now(),
            "data": {"document_id": document_id},
        }
        signed = json.dumps(event, sort_keys=True).encode()
        digest = hmac.new(self.webhook_secret.encode(), signed, hashlib.sha256).hexdigest()
        return json.dumps(event).encode(), f"sha256={digest}"

    # The API -----------------------------------------------------------------------------

    def app(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.requests.append(f"{method} {path}")
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.api_key}":
            return self._answer(start_response, 401, {"detail": "Invalid API key"})
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/api/lookup":
            return self._answer(start_response, 200, self._lookup(query["peppol_id"]))
        if method == "POST" and path == "/api/validate/ubl":
            _name, _xml = self._upload(environ, body)
            return self._answer(start_response, 200, self._validation(_name))
        if method == "POST" and path == "/api/documents/ubl":
            name, xml = self._upload(environ, body)
            document_id = f"doc_{next(self._ids)}"
            self.documents[document_id] = {
                "id": document_id,
                "created_at": _now(),
                "state": "DRAFT",
                "file_name": name,
                "xml": xml,
                "events": [{"event_type": "document_created", "timestamp": _now()}],
            }
            return self._answer(start_response, 200, self._document(document_id))
        if len(parts) >= 3 and parts[:2] == ["api", "documents"] and parts[2] in self.documents:
            document_id = parts[2]
            if method == "POST" and parts[3:] == ["send"]:
                return self._send(start_response, document_id, query)
            if method == "GET" and parts[3:] == []:
                return self._answer(start_response, 200, self._document(document_id))
            if method == "GET" and parts[3:] == ["timeline"]:
                events = self.documents[document_id]["events"]
                return self._answer(
                    start_response, 200, {"document_id": document_id, "events": events}
                )
        return self._answer(start_response, 404, {"detail": "Not Found"})

    def _send(self, start_response, document_id: str, query: dict):
        document = self.documents[document_id]
        if document["state"] != "DRAFT":
            return self._answer(start_response, 400, {"detail": "Document has already been sent"})
        receiver = f"{query['receiver_peppol_scheme']}:{query['receiver_peppol_id']}"
        self.sent.append((document_id, receiver))
        document["events"].append({"event_type": "send_attempted", "timestamp": _now()})
        if self.reject_on_send:
            self.refuse(document_id, self.reject_on_send)
        else:
            document["state"] = "TRANSIT"
        if self.slow_send_seconds:
            time.sleep(self.slow_send_seconds)  # it went out; the answer comes too late
        return self._answer(start_response, 200, self._document(document_id))

    def _lookup(self, participant: str) -> dict:
        scheme, _, value = participant.partition(":")
        types = self.participants.get(participant, [])
        endpoints = (
            [
                {
                    "documentTypes": [{"scheme": "busdox-docid-qns", "value": t} for t in types],
                    "status": "success",
                    "url": f"https://smp.example/iso6523-actorid-upis::{participant}",
                }
            ]
            if types
            else []
        )
        return {
            "businessCard": {"entities": [], "queryTimeMs": 1.0, "status": "success"},
            "certificates": [],
            "dnsInfo": {
                "dnsRecords": [{"ip": "127.0.0.1"}] if types else [],
                "smlHostname": "edelivery.tech.ec.europa.eu",
                "status": "success" if types else "error",
            },
            "errors": [] if types else ["Participant not found in the SML"],
            "executionTimeMs": 2.0,
            "queryMetadata": {
                "identifierScheme": scheme,
                "identifierValue": value,
                "smlDomain": "edelivery.tech.ec.europa.eu",
                "timestamp": _now(),
                "version": "1",
            },
            "serviceMetadata": {
                "endpoints": endpoints,
                "queryTimeMs": 1.0,
                "status": "success" if types else "error",
            },
            "status": "success" if types else "error",
        }

    def _validation(self, name: str) -> dict:
        return {
            "id": f"val_{next(self._ids)}",
            "file_name": name,
            "is_valid": not self.validation_errors,
            "issues": [
                {"type": "error", "schematron": "PEPPOL-EN16931-UBL", **issue}
                for issue in self.validation_errors
            ],
        }

    def _document(self, document_id: str) -> dict:
        document = self.documents[document_id]
        return {k: document[k] for k in ("id", "created_at", "state")} | {
            "document_type": "INVOICE"
        }

    @staticmethod
    def _upload(environ, body: bytes) -> tuple[str, bytes]:
        header = f"Content-Type: {environ['CONTENT_TYPE']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(header + body)
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                return part.get_filename(), part.get_payload(decode=True)
        raise ValueError("no file in the upload")

    @staticmethod
    def _answer(start_response, status: int, payload: dict):
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json")])
        return [json.dumps(payload).encode()]
