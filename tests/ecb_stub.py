"""A local ECB: serves the euro reference rates as the ECB's eurofxref XML files do
(www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml). Tests set `rates`."""

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender>
		<gesmes:name>European Central Bank</gesmes:name>
	</gesmes:Sender>
	<Cube>
{days}
	</Cube>
</gesmes:Envelope>
"""


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class EcbStub:
    """rates: "2026-10-30" → {"USD": "1.1650", …}, newest first as the ECB lists them."""

    def __init__(self):
        self.rates: dict[str, dict[str, str]] = {}
        self.requests = 0
        self._server = make_server("127.0.0.1", 0, self.app, handler_class=_Quiet)
        port = self._server.server_port
        self.url = f"http://127.0.0.1:{port}/stats/eurofxref/eurofxref-hist-90d.xml"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def app(self, environ, start_response):
        self.requests += 1
        days = "\n".join(
            f"\t\t<Cube time='{day}'>\n"
            + "".join(
                f"\t\t\t<Cube currency='{code}' rate='{rate}'/>\n" for code, rate in rates.items()
            )
            + "\t\t</Cube>"
            for day, rates in sorted(self.rates.items(), reverse=True)
        )
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [ENVELOPE.format(days=days).encode()]
