"""A local RFC 3161 timestamp authority for the suite: a real HTTP server on 127.0.0.1 (a random
port, a thread) answering `application/timestamp-query` with tokens made by pyHanko's
DummyTimeStamper, its certificate issued by the test CA with the timeStamping extended key usage.

    with serve(ca) as url:
        pades.sign(pdf, key, field, timestamp_url=url)
"""

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from tracker.signatures import demo_ca
from tracker.signatures.keys import to_asn1


def stamper(ca: demo_ca.Issued) -> DummyTimeStamper:
    """A timestamper whose certificate `ca` issued for time stamping (and only that)."""
    issued = demo_ca.issue(
        ca, "Tracker Test TSA", "Cooperation Agreement Tracker demo", time_stamping=True
    )
    key = asn1_keys.PrivateKeyInfo.load(
        issued.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return DummyTimeStamper(
        tsa_cert=to_asn1(issued.certificate),
        tsa_key=key,
        certs_to_embed=[to_asn1(ca.certificate)],
    )


def _handler(timestamper: DummyTimeStamper, requests: list, out_of_service: bool):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if out_of_service:
                self.send_error(503, "out of service")
                return
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415, "expected application/timestamp-query")
                return
            try:
                request = tsp.TimeStampReq.load(body)
                response = timestamper.request_tsa_response(request).dump()
            except ValueError:
                self.send_error(400, "not a timestamp request")
                return
            requests.append(request)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, format, *args):  # noqa: A002  (quiet in the test output)
            pass

    return Handler


class Server:
    """The running authority: its URL and the requests it answered."""

    def __init__(self, url: str, requests: list):
        self.url, self.requests = url, requests


@contextlib.contextmanager
def serve(ca: demo_ca.Issued, *, out_of_service: bool = False):
    """Run a timestamp authority for the duration of the block; yields a `Server`.
    `out_of_service`: it answers every request with HTTP 503."""
    requests: list = []
    handler = _handler(stamper(ca), requests, out_of_service)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}/tsa", requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def unreachable_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port just released)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = httpd.server_address[1]
    httpd.server_close()
    return f"http://127.0.0.1:{port}/tsa"
