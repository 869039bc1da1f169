"""A loopback server that stalls a request at a chosen stage, for cancelling a client there: it accepts
and then says nothing (a TLS handshake or an answer never comes), reads nothing (a large request's write
cannot finish), or answers half (the headers and part of the body, then nothing). It records what it did
and whether the client closed the connection, so a test can wait for the stage and check the close.

TEST HARNESS ONLY: no AWS behaviour is emulated here, only a peer that stops half-way."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from kvtable.local.process import LOOPBACK

Stall = Literal["silent", "unread", "half_answer"]
HALF_ANSWER = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nx-amzn-RequestId: HALF\r\n\r\n{"Item":'


class StallingServer:
    """What the server saw: connections accepted, the stage reached, and connections the client closed."""

    def __init__(self, stall: Stall) -> None:
        self.stall = stall
        self.listener = socket.create_server((LOOPBACK, 0))
        self.url = f"http://{LOOPBACK}:{self.listener.getsockname()[1]}"
        self.accepted = 0
        self.stalled = threading.Event()  # set once a connection has reached the stall
        self.client_closed = threading.Event()  # set once the client closed a stalled connection
        self.release = threading.Event()  # "unread": set to start reading again, to see the client's close
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    def serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            thread = threading.Thread(target=self._stall_on, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _stall_on(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.05)
            if self.stall == "half_answer":
                self._read_head(conn)
                conn.sendall(HALF_ANSWER)
            elif self.stall == "unread":
                self._wait_for_bytes(conn)  # the client is writing, and its large request cannot all fit
            self.stalled.set()
            if self.stall == "unread":
                while not self.release.wait(0.05) and not self._stop.is_set():
                    pass
            self._read_until_close(conn)

    def _read_head(self, conn: socket.socket) -> None:
        seen = b""
        while b"\r\n\r\n" not in seen and not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                return
            seen += chunk

    def _wait_for_bytes(self, conn: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                if conn.recv(1, socket.MSG_PEEK):
                    return
            except TimeoutError:
                continue

    def _read_until_close(self, conn: socket.socket) -> None:
        # The client's close shows as the end of the stream (or a reset); a client that kept the
        # connection would leave this loop only when the server stops, with client_closed unset.
        while not self._stop.is_set():
            try:
                if conn.recv(1 << 20) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        else:
            return
        self.client_closed.set()

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()
        for thread in self._threads:
            thread.join(timeout=5)


@contextmanager
def stalling_server(stall: Stall) -> Iterator[StallingServer]:
    """A running server on a free loopback port that stalls every connection at `stall`, stopped on exit."""
    server = StallingServer(stall)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=5)
