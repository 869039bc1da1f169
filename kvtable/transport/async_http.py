"""The asyncio twin of kvtable/transport/http.py's pool: keep-alive connections to one endpoint on
asyncio's own streams (TLS by `start_tls`, CONNECT through a plain-HTTP proxy), the same settings, the
same answer parser and the same failures (http.Endpoint, http.answer_reads). A connection is handed back
to the pool only after a whole answer was read on it: one whose request failed, timed out or was
cancelled at any point (connecting, writing, reading) is closed, and the error (CancelledError too)
propagates unchanged in kind."""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket

from kvtable.transport.http import (
    LINE,
    TO_END,
    Endpoint,
    HttpAnswer,
    Reads,
    Result,
    answer_reads,
    tunnel_reads,
)

_STREAM_LIMIT = 65536  # the longest line read, as the sync pool's readline(_MAX_LINE)


class _AsyncConnection:
    """One open connection: its stream reader and writer, and a poller to see it closed while idle."""

    __slots__ = ("idle_check", "loop", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.loop = asyncio.get_running_loop()
        self.idle_check = select.poll()
        sock = writer.get_extra_info("socket")
        if sock is not None:
            self.idle_check.register(sock.fileno(), select.POLLIN)

    def unusable(self) -> bool:
        """Whether this idle connection cannot carry the next request: made on another event loop (a
        transport reused across asyncio.run calls), or closed by the server while idle."""
        if self.loop is not asyncio.get_running_loop():
            return True
        # The loop reads a socket as soon as it is readable: an end of stream already seen, or one that has
        # just arrived (a zero-timeout poll, which never blocks), means the server closed it while idle.
        return self.reader.at_eof() or self.writer.is_closing() or bool(self.idle_check.poll(0))

    def close(self) -> None:
        # The transport closes in the background: nothing to wait for, nor anything to do on failure.
        with contextlib.suppress(Exception):
            self.writer.transport.abort()  # nothing buffered is sent: the request is given up


class AsyncConnectionPool(Endpoint[_AsyncConnection]):
    """Keep-alive connections to one endpoint for the tasks of one event loop, reused most-recent first;
    up to `max_idle` are kept between requests, as many are opened as requests are in flight."""

    async def post(self, head: bytes, body: bytes) -> HttpAnswer:
        """Send one request (`head`: request line and headers, ending in a blank line) and read its answer."""
        connection = await self._take()
        try:
            async with asyncio.timeout(self.read_timeout):
                connection.writer.write(head + body)
                await connection.writer.drain()
                answer, keep = await read_from_stream(connection.reader, answer_reads())
        except BaseException as error:
            self.give_up(connection, error)  # CancelledError too: closed, and propagated as it is
            raise
        self.hand_back(connection, keep)
        return answer

    async def warm(self) -> None:
        """Have one open connection now (TCP, and TLS for https), kept idle for the next request."""
        self._idle.append(await self._take())

    async def aclose(self) -> None:
        """Close every idle connection and wait until each is closed."""
        while self._idle:
            connection = self._idle.pop()
            connection.close()
            with contextlib.suppress(Exception):
                await connection.writer.wait_closed()

    async def _take(self) -> _AsyncConnection:
        """A connection for one request: the most recent idle one still open, or a new one."""
        while self._idle:
            connection = self._idle.pop()
            if not connection.unusable():
                return connection
            # Closed by the server while idle (or of another loop): replaced before a request is written.
            connection.close()
        connection = await self._connect()
        self.opened += 1
        return connection

    async def _connect(self) -> _AsyncConnection:
        target = self.dialled
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(target.host, target.port, limit=_STREAM_LIMIT)
        except OSError as error:
            raise self.dial_failure(error) from error
        try:
            async with asyncio.timeout(self.read_timeout):
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self.tunnels:
                    await self._open_tunnel(reader, writer)
                if self._tls is not None:
                    await writer.start_tls(self._tls, server_hostname=self.origin.host)
        except OSError as error:
            writer.transport.abort()
            raise self.setup_failure(error) from error
        except BaseException:
            writer.transport.abort()  # cancelled while the tunnel or TLS was set up: nothing half-open kept
            raise
        return _AsyncConnection(reader, writer)

    async def _open_tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """CONNECT through the proxy to the endpoint, so TLS runs end to end."""
        writer.write(self.tunnel_request())
        await writer.drain()
        try:
            status = await read_from_stream(reader, tunnel_reads())
        except ValueError:
            status = 0
        if status != 200:
            raise self.tunnel_refused()


async def read_from_stream(reader: asyncio.StreamReader, reads: Reads[Result]) -> Result:
    """Run a parser on an asyncio stream: what it returns, or what it raises."""
    try:
        want = next(reads)
        while True:
            if want == LINE:
                data = await reader.readline()
            elif want == TO_END:
                data = await reader.read()
            else:
                try:
                    data = await reader.readexactly(want)
                except asyncio.IncompleteReadError as short:
                    data = short.partial  # the parser says how it ended early
            want = reads.send(data)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
