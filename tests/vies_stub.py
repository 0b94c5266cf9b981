"""A local VIES: a SOAP server on loopback that answers checkVatApprox as the real service
does, with the envelopes its WSDL describes. Tests set each VAT ID's answer."""

import itertools
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from lxml import etree

TYPES = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"
ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"

RESPONSE = """<env:Envelope xmlns:env="{envelope}"><env:Header/><env:Body>
<ns2:checkVatApproxResponse xmlns:ns2="{types}">
<ns2:countryCode>{country}</ns2:countryCode><ns2:vatNumber>{number}</ns2:vatNumber>
<ns2:requestDate>2026-11-24+01:00</ns2:requestDate><ns2:valid>{valid}</ns2:valid>
<ns2:traderName>{name}</ns2:traderName><ns2:traderAddress>---</ns2:traderAddress>
<ns2:requestIdentifier>{identifier}</ns2:requestIdentifier>
</ns2:checkVatApproxResponse></env:Body></env:Envelope>"""

FAULT = """<env:Envelope xmlns:env="{envelope}"><env:Body><env:Fault>
<faultcode>env:Server</faultcode><faultstring>{code}</faultstring>
</env:Fault></env:Body></env:Envelope>"""


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class ViesStub:
    """answers: VAT ID → "valid", "invalid" or a fault code such as "MS_UNAVAILABLE"."""

    def __init__(self):
        self.answers: dict[str, str] = {}
        self.requests: list[dict] = []
        self._ids = itertools.count(1)
        self._server = make_server("127.0.0.1", 0, self.app, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}/taxation_customs/vies/services/checkVatService"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        request = etree.fromstring(body).find(f".//{{{TYPES}}}checkVatApprox")
        fields = {child.tag.split("}")[1]: child.text for child in request}
        self.requests.append(fields)
        vat_id = fields["countryCode"] + fields["vatNumber"]
        answer = self.answers.get(vat_id, "invalid")
        if answer in ("valid", "invalid"):
            status = "200 OK"
            xml = RESPONSE.format(
                envelope=ENVELOPE,
                types=TYPES,
                country=fields["countryCode"],
                number=fields["vatNumber"],
                valid="true" if answer == "valid" else "false",
                name="ACME TRADING" if answer == "valid" else "---",
                identifier=f"WAPIAAAAZ{next(self._ids):07d}",
            )
        else:
            status = "500 Internal Server Error"
            xml = FAULT.format(envelope=ENVELOPE, code=answer)
        start_response(status, [("Content-Type", "text/xml; charset=utf-8")])
        return [xml.encode()]
