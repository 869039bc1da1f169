"""The direct transport's HTTP client against a scripted loopback server: keep-alive, answers framed every
way HTTP allows, connections the server closes, timeouts, and answers that are not DynamoDB's JSON."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from botocore.credentials import Credentials

from kvtable.local.process import LOOPBACK, free_loopback_port
from kvtable.schema.errors import ConnectionFailedError, RequestTimeoutError, ServiceError
from kvtable.transport.direct import DirectTransport
from kvtable.transport.http import ConnectionPool, Origin

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"


class ScriptedServer:
    """Answers each request with the next scripted bytes (None: close the connection without answering);
    counts the connections it accepted."""

    def __init__(self, answers: list[bytes | None]) -> None:
        self.answers = list(answers)
        self.connections = 0
        self.requests: list[bytes] = []
        self.listener = socket.create_server((LOOPBACK, 0))
        self.url = f"http://{LOOPBACK}:{self.listener.getsockname()[1]}"

    def serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                self._answer_on(conn)

    def _answer_on(self, conn: socket.socket) -> None:
        buffered = b""
        while self.answers:
            while b"\r\n\r\n" not in buffered:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffered += chunk
            head, _, rest = buffered.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            while len(rest) < length:
                rest += conn.recv(65536)
            self.requests.append(head + b"\r\n\r\n" + rest[:length])
            buffered = rest[length:]
            answer = self.answers.pop(0)
            if answer is None or answer == b"close":
                return
            conn.sendall(answer)
            if b"Connection: close" in answer:
                return


@contextmanager
def scripted(*answers: bytes | None) -> Iterator[ScriptedServer]:
    server = ScriptedServer(list(answers))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.listener.close()
        thread.join(timeout=5)


def pool(url: str, read_timeout: float = 5) -> ConnectionPool:
    return ConnectionPool(url, connect_timeout=2, read_timeout=read_timeout)


def post(target: ConnectionPool) -> tuple[int, bytes]:
    answer = target.post(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n", b"{}")
    return answer.status, answer.body


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        (
            "https://dynamodb.us-east-1.amazonaws.com",
            ("https", "dynamodb.us-east-1.amazonaws.com", 443, "dynamodb.us-east-1.amazonaws.com"),
        ),
        ("http://127.0.0.1:8000/", ("http", "127.0.0.1", 8000, "127.0.0.1:8000")),
        ("https://example.com:443", ("https", "example.com", 443, "example.com")),
        ("http://[::1]:9000", ("http", "::1", 9000, "[::1]:9000")),
    ],
)
def test_the_origin_and_host_header_of_an_endpoint(url: str, origin: tuple[str, str, int, str]) -> None:
    assert tuple(Origin.parse(url)) == origin


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com", "not an http or https URL"),
        ("example.com", "not an http or https URL"),
        ("http://", "not an http or https URL"),
        # botocore would sign the path; the direct transport always posts to `/`.
        ("http://127.0.0.1:4566/dynamodb", "with a path or query"),
    ],
)
def test_an_endpoint_the_direct_transport_cannot_use_is_refused(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Origin.parse(url)


def test_one_connection_carries_every_request_while_the_server_keeps_it() -> None:
    with scripted(OK, OK, OK) as server:
        target = pool(server.url)
        assert [post(target) for _ in range(3)] == [(200, b"{}")] * 3
    assert server.connections == 1


def test_chunked_and_close_delimited_answers_are_read_whole() -> None:
    chunked = b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n'
    until_close = b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"b":2}'
    with scripted(chunked, until_close, OK) as server:
        target = pool(server.url)
        assert post(target) == (200, b'{"a":1}')
        assert post(target) == (200, b'{"b":2}')
        assert post(target) == (200, b"{}")
    assert server.connections == 2  # the close-delimited answer ended its connection


def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    with scripted(OK, b"close", OK) as server:
        target = pool(server.url)
        assert post(target) == (200, b"{}")
        # The server reads the next request and closes: that one fails as maybe applied...
        with pytest.raises(ConnectionFailedError) as dropped:
            post(target)
        assert dropped.value.sent
        # ...and the one after goes out on a new connection.
        assert post(target) == (200, b"{}")
    assert server.connections == 2


def test_an_answer_cut_short_is_a_closed_connection() -> None:
    cut_short = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"partial"'
    with scripted(cut_short) as server, pytest.raises(ConnectionFailedError) as dropped:
        post(pool(server.url))
    assert dropped.value.sent


def test_no_answer_in_time_is_a_read_timeout() -> None:
    listener = socket.create_server((LOOPBACK, 0))  # accepts (the backlog), never answers
    try:
        with pytest.raises(RequestTimeoutError) as timed_out:
            post(pool(f"http://{LOOPBACK}:{listener.getsockname()[1]}", read_timeout=0.2))
        assert timed_out.value.sent
    finally:
        listener.close()


def test_nobody_listening_is_a_connection_that_failed_before_the_request_was_sent() -> None:
    url = f"http://{LOOPBACK}:{free_loopback_port()}"
    with pytest.raises(ConnectionFailedError) as refused:
        post(pool(url))
    assert not refused.value.sent
    assert str(refused.value) == f'Could not connect to the endpoint URL: "{url}"'


def transport(url: str) -> DirectTransport:
    return DirectTransport(url, "us-east-1", Credentials("AKID", "secret"), connect_timeout=2, read_timeout=5)


def test_an_answer_that_is_not_dynamodbs_json_is_a_service_error_with_the_status_as_code() -> None:
    gateway = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 21\r\n\r\n<html>upstream</html>"
    with scripted(gateway) as server, pytest.raises(ServiceError) as failed:
        transport(server.url).call("GetItem", {"TableName": "t"})
    assert (failed.value.code, failed.value.message) == ("502", "<html>upstream</html>")
    assert (failed.value.status, failed.value.fields) == (502, {})


def test_the_request_is_signed_and_framed_as_dynamodb_expects() -> None:
    with scripted(OK) as server:
        assert transport(server.url).call("GetItem", {"TableName": "t"}) == {}
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST / HTTP/1.1"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert headers["Host"] == server.url.removeprefix("http://")
    assert headers["X-Amz-Target"] == "DynamoDB_20120810.GetItem"
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert headers["Content-Length"] == str(len(body)) and body == b'{"TableName":"t"}'
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKID/")
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-target," in headers["Authorization"]


def test_an_http_1_0_answer_ends_its_connection_unless_it_says_keep_alive() -> None:
    closing = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    keeping = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}"
    with scripted(keeping, closing, OK) as server:
        target = pool(server.url)
        assert [post(target) for _ in range(3)] == [(200, b"{}")] * 3
    assert server.connections == 2
