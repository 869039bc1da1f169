"""A small keep-alive HTTP/1.1 client for one endpoint: a POST's bytes out, the status, headers and body
back. It does what DynamoDB's JSON protocol needs and nothing more, so a request costs a few system
calls and a few lines of Python; failures are the contract's own shapes (kvtable.schema.errors), worded as
botocore words them, so both transports report a fault alike. The standard library only: `ssl` is
imported when an https endpoint is first used, not before.

The protocol is sans-I/O and shared with the asyncio pool (kvtable/transport/async_http.py): an answer is
read by a parser (`answer_reads`) that says what it wants next (a line, so many bytes, or all up to the
close) and is handed those bytes by whichever pool does the I/O; the endpoint's settings, the proxy's
CONNECT and the wording of each failure are `Endpoint`'s, which both pools are."""

from __future__ import annotations

import base64
import contextlib
import select
import socket
import sys
from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, BinaryIO, Generic, NamedTuple, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

from kvtable.schema.errors import ConnectionFailedError, RequestTimeoutError, TlsFailedError

if TYPE_CHECKING:
    import ssl

_MAX_HEADER_LINES = 200
_MAX_LINE = 65536

# What a parser asks for next: all the bytes up to the connection's close, one line, or (a size >= 0)
# exactly that many bytes. It is sent what was read (fewer bytes, or an empty line, at the close).
TO_END = -1
LINE = -2
Result = TypeVar("Result")


class Closable(Protocol):
    """A pool's connection, as the shared code sees it."""

    def close(self) -> None:
        """Close it at once."""
        ...


Connection = TypeVar("Connection", bound=Closable)
Reads = Generator[int, bytes, Result]


class HttpAnswer(NamedTuple):
    """An HTTP answer: its status, its headers (names in lower case) and its body."""

    status: int
    headers: dict[str, str]
    body: bytes


class Origin(NamedTuple):
    """Where requests go: scheme, host, port, and the Host header they carry."""

    scheme: str
    host: str
    port: int
    host_header: str

    @classmethod
    def parse(cls, url: str) -> Origin:
        """The origin of an http or https URL, with the default port when none is given."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http or https URL: {url!r}")
        if parts.path not in ("", "/") or parts.query:
            raise ValueError(f"an endpoint URL with a path or query ({url}) is not supported here")
        default = 443 if parts.scheme == "https" else 80
        port = parts.port or default
        host = parts.hostname
        shown = f"[{host}]" if ":" in host else host
        # The Host header (and so the signature) names the port only when it is not the default.
        return cls(parts.scheme, host, port, shown if port == default else f"{shown}:{port}")


class Endpoint(Generic[Connection]):
    """One endpoint's connection settings (timeouts, TLS, proxy), what they mean on the wire, and the idle
    connections kept (most recent last), with no I/O: the pool of either kind, sync or asyncio, does that."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_idle: int = 10,
        verify: bool | str = True,
        proxy_url: str | None = None,
    ) -> None:
        self.url = url
        self.origin = Origin.parse(url)
        self.connect_timeout, self.read_timeout, self.max_idle = connect_timeout, read_timeout, max_idle
        self.opened = 0  # connections opened so far (TCP, and TLS for https)
        self._idle: deque[Connection] = deque()
        self._tls = _tls_context(verify) if self.origin.scheme == "https" else None
        self._proxy = Origin.parse(proxy_url) if proxy_url else None
        if self._proxy is not None and self._proxy.scheme == "https":
            raise ValueError(f"a proxy reached over TLS ({proxy_url}) is not supported here")
        self._proxy_url = proxy_url or ""
        self._proxy_authorization = _proxy_authorization(proxy_url) if proxy_url else None
        # Through a plain-HTTP proxy to an http endpoint, the request line names the whole URL.
        self.request_target = (
            f"http://{self.origin.host_header}/" if self._proxy and self._tls is None else "/"
        )

    @property
    def idle(self) -> tuple[Connection, ...]:
        """The open connections kept for the next requests, the next one to be reused last."""
        return tuple(self._idle)

    @property
    def dialled(self) -> Origin:
        """Where the TCP connection goes: the proxy when there is one, else the endpoint."""
        return self._proxy or self.origin

    @property
    def tunnels(self) -> bool:
        """Whether a connection starts with CONNECT through the proxy (https through a proxy)."""
        return self._proxy is not None and self._tls is not None

    def tunnel_request(self) -> bytes:
        """The CONNECT request to the proxy for the endpoint, so TLS runs end to end."""
        authority = f"{self.origin.host}:{self.origin.port}"
        lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
        if self._proxy_authorization:
            lines.append(f"Proxy-Authorization: {self._proxy_authorization}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def tunnel_refused(self) -> ConnectionFailedError:
        """The proxy answered CONNECT with anything but 200."""
        return ConnectionFailedError(proxy_message(self._proxy_url), sent=False)

    def dial_failure(self, error: OSError) -> ConnectionFailedError:
        """The TCP connection (to the endpoint or the proxy) failed: nothing was sent."""
        if self._proxy:
            return ConnectionFailedError(proxy_message(self._proxy_url), sent=False)
        if isinstance(error, TimeoutError):
            return RequestTimeoutError(connect_timeout_message(self.url), sent=False)
        return ConnectionFailedError(connect_message(self.url), sent=False)

    def setup_failure(self, error: OSError) -> ConnectionFailedError:
        """The proxy's tunnel or TLS failed on an open TCP connection: nothing was sent."""
        if isinstance(error, TimeoutError):
            return RequestTimeoutError(connect_timeout_message(self.url), sent=False)
        if _is_tls_error(error):
            return TlsFailedError(tls_message(self.url, error))
        return ConnectionFailedError(connect_message(self.url), sent=False)

    def give_up(self, connection: Connection, error: BaseException) -> None:
        """Close a connection whose exchange failed (or was cancelled) at any point, half-read as it may be;
        a failure of the wire is raised as its transport shape, anything else is left to propagate."""
        connection.close()
        if isinstance(error, OSError | ValueError):
            # The request may have reached the server: the caller treats this as maybe applied.
            raise self.exchange_failure(error) from error

    def hand_back(self, connection: Connection, keep: bool) -> None:
        """Keep a connection whose answer was read whole for the next request, up to `max_idle` of them."""
        if keep and len(self._idle) < self.max_idle:
            self._idle.append(connection)
        else:
            connection.close()

    def exchange_failure(self, error: Exception) -> ConnectionFailedError:
        """Writing the request or reading its answer failed: the request may have reached the server."""
        if isinstance(error, TimeoutError):
            return RequestTimeoutError(read_timeout_message(self.url), sent=True)
        return ConnectionFailedError(closed_message(self.url), sent=True)


class _Connection:
    """One open connection: the socket, a buffered reader on it, and a poller to see it closed while idle."""

    __slots__ = ("idle_check", "reader", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader: BinaryIO = sock.makefile("rb")
        self.idle_check = select.poll()
        self.idle_check.register(sock, select.POLLIN)

    def closed_while_idle(self) -> bool:
        # Between answers nothing is due: a readable socket means the server closed it (or sent junk).
        return bool(self.idle_check.poll(0))

    def close(self) -> None:
        for closing in (self.reader.close, self.sock.close):
            with contextlib.suppress(OSError):
                closing()


class ConnectionPool(Endpoint["_Connection"]):
    """Keep-alive connections to one endpoint, reused most-recent first; safe to share between threads
    (a connection is held by one request at a time, and deque's append and pop are atomic)."""

    def post(self, head: bytes, body: bytes) -> HttpAnswer:
        """Send one request (`head`: request line and headers, ending in a blank line) and read its answer."""
        connection = self._take()
        try:
            connection.sock.sendall(head + body)
            answer, keep = read_from(connection.reader, answer_reads())
        except BaseException as error:
            self.give_up(connection, error)
            raise
        self.hand_back(connection, keep)
        return answer

    def warm(self) -> None:
        """Have one open connection now (TCP, and TLS for https), kept idle for the next request: an idle one
        still open, or a new one."""
        self._idle.append(self._take())

    def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            self._idle.pop().close()

    def _take(self) -> _Connection:
        """A connection for one request: the most recent idle one still open, or a new one."""
        while self._idle:
            try:
                connection = self._idle.pop()
            except IndexError:  # another thread took the last one
                break
            if not connection.closed_while_idle():
                return connection
            # Closed by the server while idle (DynamoDB closes idle connections): replaced before any
            # request is written on it, so it is no failure and no retry.
            connection.close()
        connection = _Connection(self._connect())
        self.opened += 1
        return connection

    def _connect(self) -> socket.socket:
        target = self.dialled
        # An ASCII host goes as bytes: a str would load the idna codec to encode it, once per process.
        host: str | bytes = target.host.encode("ascii") if target.host.isascii() else target.host
        try:
            sock = socket.create_connection((host, target.port), timeout=self.connect_timeout)  # type: ignore[arg-type]
        except OSError as error:
            raise self.dial_failure(error) from error
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(self.read_timeout)
            if self.tunnels:
                self._open_tunnel(sock)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.origin.host)
        except OSError as error:
            sock.close()
            raise self.setup_failure(error) from error
        except BaseException:
            sock.close()
            raise
        return sock

    def _open_tunnel(self, sock: socket.socket) -> None:
        """CONNECT through the proxy to the endpoint, so TLS runs end to end."""
        sock.sendall(self.tunnel_request())
        reader = sock.makefile("rb")
        try:
            status = read_from(reader, tunnel_reads())
        except ValueError:
            status = 0
        finally:
            reader.close()
        if status != 200:
            raise self.tunnel_refused()


def read_from(reader: BinaryIO, reads: Reads[Result]) -> Result:
    """Run a parser on a blocking buffered reader: what it returns, or what it raises."""
    try:
        want = next(reads)
        while True:
            want = reads.send(reader.readline(_MAX_LINE) if want == LINE else reader.read(want))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


# How a failure is worded, on either transport (botocore's words, so a log reads the same on both).
def connect_message(url: str) -> str:
    """No connection to `url`."""
    return f'Could not connect to the endpoint URL: "{_shown(url)}"'


def connect_timeout_message(url: str) -> str:
    """No connection to `url` within the connect timeout."""
    return f'Connect timeout on endpoint URL: "{_shown(url)}"'


def proxy_message(proxy_url: str) -> str:
    """No connection through the proxy."""
    return f'Failed to connect to proxy URL: "{proxy_url}"'


def closed_message(url: str) -> str:
    """The connection closed after the request was written."""
    return f'Connection was closed before we received a valid response from endpoint URL: "{_shown(url)}".'


def read_timeout_message(url: str) -> str:
    """No answer within the read timeout."""
    return f'Read timeout on endpoint URL: "{_shown(url)}"'


def tls_message(url: str, error: object) -> str:
    """TLS to `url` failed."""
    return f"SSL validation failed for {_shown(url)} {error}"


def _shown(url: str) -> str:
    # botocore names the request's URL (the endpoint and DynamoDB's path `/`), the pool its endpoint.
    return url.rstrip("/")


def _is_tls_error(error: OSError) -> bool:
    # Without ssl imported (an http endpoint), no error can be a TLS one.
    ssl = sys.modules.get("ssl")
    return ssl is not None and isinstance(error, ssl.SSLError)


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    import ssl  # noqa: PLC0415 (an http endpoint never pays for it)

    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=None if verify is True else verify)


def _proxy_authorization(proxy_url: str) -> str | None:
    parts = urlsplit(proxy_url)
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _status(line: bytes) -> int:
    if not line.startswith(b"HTTP/1.") or len(line) < 12:
        raise ValueError(f"not an HTTP status line: {line[:80]!r}")
    return int(line[9:12])


def _keeps_alive(status_line: bytes, connection: str) -> bool:
    # HTTP/1.1 keeps a connection unless told to close it; HTTP/1.0 closes it unless told to keep it.
    if status_line.startswith(b"HTTP/1.0"):
        return connection == "keep-alive"
    return connection != "close"


def answer_reads() -> Reads[tuple[HttpAnswer, bool]]:
    """The parser of one answer: the answer, and whether the connection may carry another request.
    Anything that is not HTTP, or that ends early, is ValueError."""
    status_line = yield LINE
    status = _status(status_line)
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADER_LINES):
        line = yield LINE
        if line in (b"\r\n", b"\n"):
            break
        if not line:
            raise ValueError("the connection closed inside the headers")
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    else:
        raise ValueError("too many header lines")
    if status == 100:  # a Continue we did not ask for: the real answer follows
        return (yield from answer_reads())
    length = headers.get("content-length")
    keep = _keeps_alive(status_line, headers.get("connection", "").lower())
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = yield from _chunked_reads()
    elif length is not None:
        body = yield from _exact_reads(int(length))
    else:
        body, keep = (yield TO_END), False  # the answer ends when the connection does
    return HttpAnswer(status, headers, body), keep


def tunnel_reads() -> Reads[int]:
    """The parser of a proxy's answer to CONNECT: its status, the headers read past."""
    status = _status((yield LINE))
    while (yield LINE) not in (b"\r\n", b"\n", b""):
        pass
    return status


def _exact_reads(size: int) -> Reads[bytes]:
    body = yield size
    if len(body) != size:
        raise ValueError(f"the connection closed {size - len(body)} bytes before the body's end")
    return body


def _chunked_reads() -> Reads[bytes]:
    chunks: list[bytes] = []
    while True:
        size = int((yield LINE).split(b";", 1)[0].strip() or b"x", 16)
        if size == 0:
            while (yield LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        chunks.append((yield from _exact_reads(size)))
        yield LINE
