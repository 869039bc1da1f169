"""A loopback HTTP/1.1 endpoint that answers DynamoDB's JSON protocol with fixed answers, records the
access key each request was signed with, counts the connections it accepts, and (like DynamoDB, which
closes connections left idle) can close a connection idle for longer than `idle_timeout`.

The answers follow DynamoDB's API reference: GetItem answers `{}` for a missing item and `{"Item": ...}`
otherwise (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html); answers
carry `x-amzn-RequestId` and `x-amz-crc32` as DynamoDB's do.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kvtable.local.process import LOOPBACK
from tests.harness.loopback import loopback_server, send_body

_CREDENTIAL = re.compile(r"Credential=([^/]+)/")


class DynamoDBStub:
    """What the stub saw: connections accepted and closed, requests, and the keys they were signed with."""

    def __init__(self, item: dict[str, Any] | None, idle_timeout: float | None) -> None:
        self.item, self.idle_timeout = item, idle_timeout
        self.connections = 0
        self._accepted = threading.Condition()
        self.closed_idle = threading.Semaphore(0)  # released once per connection closed for idleness
        self.requests: list[tuple[str, dict[str, str]]] = []  # (X-Amz-Target, headers)
        self.url = ""

    def accepted(self) -> None:
        with self._accepted:
            self.connections += 1
            self._accepted.notify_all()

    def wait_for_connections(self, count: int, timeout: float = 10) -> int:
        """The connections accepted, once at least `count` are (a client's connect returns before the
        server's accept loop counts it), or when `timeout` seconds have passed."""
        with self._accepted:
            self._accepted.wait_for(lambda: self.connections >= count, timeout)
            return self.connections

    @property
    def access_keys(self) -> list[str]:
        """The access key of each request's signature, in order."""
        keys = []
        for _, headers in self.requests:
            found = _CREDENTIAL.search(headers.get("authorization", ""))
            keys.append(found.group(1) if found else "")
        return keys


@contextmanager
def dynamodb_stub(
    item: dict[str, Any] | None = None,
    *,
    idle_timeout: float | None = None,
    tls: ssl.SSLContext | None = None,
) -> Iterator[DynamoDBStub]:
    """A running stub on a free loopback port, stopped on exit; over https with `tls` (the server's context)."""
    stub = DynamoDBStub(item, idle_timeout)
    timed_out: set[int] = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = idle_timeout  # the socket's timeout: a connection idle this long is closed

        def log_message(self, *_: object) -> None:  # quiet
            pass

        def log_error(self, format: str, *args: Any) -> None:
            # http.server ends a connection whose read timed out, and says so here.
            if format.startswith("Request timed out"):
                timed_out.add(id(self.request))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            target = self.headers.get("X-Amz-Target", "")
            stub.requests.append((target, {k.lower(): v for k, v in self.headers.items()}))
            answer = {"Item": stub.item} if target.endswith(".GetItem") and stub.item else {}
            body = json.dumps(answer).encode()
            headers = {
                "x-amzn-RequestId": f"STUB{len(stub.requests)}",
                "x-amz-crc32": str(zlib.crc32(body) & 0xFFFFFFFF),
            }
            send_body(self, 200, body, "application/x-amz-json-1.0", **headers)

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def process_request(self, request: Any, client_address: Any) -> None:
            stub.accepted()
            super().process_request(request, client_address)

        def shutdown_request(self, request: Any) -> None:
            super().shutdown_request(request)
            # Told only once the socket is closed, so a client's idle check can see it closed.
            if id(request) in timed_out:
                timed_out.discard(id(request))
                stub.closed_idle.release()

    with loopback_server(Handler, Server, tls=tls) as server:
        stub.url = f"{'https' if tls else 'http'}://{LOOPBACK}:{server.server_port}"
        yield stub
