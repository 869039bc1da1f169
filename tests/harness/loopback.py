"""An HTTP server on a free loopback port, served from a thread for the length of a block: the one
shape of every server the harness and the tests start themselves (stubs, proxies, endpoints)."""

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kvtable.local.process import LOOPBACK


@contextmanager
def loopback_server(
    handler: type[BaseHTTPRequestHandler],
    server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
    *,
    tls: ssl.SSLContext | None = None,
) -> Iterator[ThreadingHTTPServer]:
    """The server, started on LOOPBACK (its port in `server_address[1]`), over TLS with `tls` (the server's
    context), and stopped and closed on exit even when the block fails."""
    server = server_class((LOOPBACK, 0), handler)
    if tls is not None:
        # Each accepted connection does its handshake in its handler's thread, on its first read.
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def send_body(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, **headers: str
) -> None:
    """Answer with `body` whole: its status, Content-Type and Content-Length, and any other headers."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)
