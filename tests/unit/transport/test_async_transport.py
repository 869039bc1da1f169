"""The asyncio direct transport against loopback servers: the same request bytes (signature included) as
the sync transport, keep-alive reuse, a connection the server closed while idle replaced, timeouts and
refused connections in the sync transport's shapes and words, cancellation at each stage of a request
leaving no connection in the pool, and nothing that blocks the loop."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.credentials import Credentials

from kvtable.aws.environment import DirectSettings, EnvironmentKeys
from kvtable.local.process import LOOPBACK, free_loopback_port
from kvtable.schema.errors import (
    ClientSettingsError,
    ConnectionFailedError,
    DamagedAnswerError,
    RequestTimeoutError,
    ServiceError,
    TlsFailedError,
)
from kvtable.transport.async_direct import (
    AsyncDirectTransport,
    async_transport_from_client,
    async_transport_from_settings,
)
from kvtable.transport.base import AsyncTransport, Transport
from kvtable.transport.direct import DirectTransport
from kvtable.transport.http import read_timeout_message
from kvtable.transport.wire import DirectWire
from tests.harness.dynamodb_stub import dynamodb_stub
from tests.harness.stalling_server import Stall, stalling_server
from tests.harness.tls_certificate import loopback_certificate
from tests.paths import REPO_ROOT
from tests.unit.transport.test_transport_http import OK, scripted

ITEM = {"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#k"}, "value": {"S": "v"}}
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("GetItem", {"TableName": "t", "Key": {"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#k"}}}),
    ("PutItem", {"TableName": "t", "Item": {**ITEM, "value": {"S": "välue ✓"}}}),
    ("Query", {"TableName": "t", "KeyConditionExpression": "#pk = :pk", "Limit": 100}),
]


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


def transport(url: str, *, token: str | None = None, **settings: Any) -> AsyncDirectTransport:
    settings = {"connect_timeout": 2, "read_timeout": 5, **settings}
    return AsyncDirectTransport(url, "us-east-1", Credentials("AKID", "secret", token), **settings)


@pytest.mark.parametrize("token", [None, "SESSION-TOKEN"])
def test_the_async_transport_sends_the_sync_transports_bytes_signature_included(
    token: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DirectWire, "_now", lambda self: "20261207T120000Z")  # one instant for both
    with scripted(*[OK] * len(REQUESTS)) as sync_server:
        sync = DirectTransport(sync_server.url, "us-east-1", Credentials("AKID", "secret", token))
        assert [sync.call(operation, dict(request)) for operation, request in REQUESTS] == [{}] * 3
    with scripted(*[OK] * len(REQUESTS)) as async_server:
        port_of = async_server.url.rsplit(":", 1)[1]

        async def send() -> list[dict[str, Any]]:
            sender = transport(async_server.url, token=token)
            return [await sender.call(operation, dict(request)) for operation, request in REQUESTS]

        assert run(send()) == [{}] * 3
    # The two servers listen on different ports: the Host header (signed) names the port.
    sync_port = sync_server.url.rsplit(":", 1)[1]
    expected = [
        request.replace(f":{sync_port}".encode(), f":{port_of}".encode()) for request in sync_server.requests
    ]
    # ...so the signatures differ by the port alone: checked by signing the async one's request again.
    assert [request.split(b"Authorization: ")[0] for request in async_server.requests] == [
        request.split(b"Authorization: ")[0] for request in expected
    ]
    assert [request.split(b"\r\n\r\n", 1)[1] for request in async_server.requests] == [
        request.split(b"\r\n\r\n", 1)[1] for request in sync_server.requests
    ]


def test_both_direct_transports_are_what_the_contract_drives() -> None:
    keys = Credentials("AKID", "secret")
    asynchronous: AsyncTransport = AsyncDirectTransport("http://127.0.0.1:1", "us-east-1", keys)
    sync: Transport = DirectTransport("http://127.0.0.1:1", "us-east-1", keys)
    assert (asynchronous.region, sync.region) == ("us-east-1", "us-east-1")
    assert asynchronous.before_call == asynchronous.after_call == []


def test_the_async_signature_equals_the_sync_transports_for_the_same_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(DirectWire, "_now", lambda self: "20261207T120000Z")
    url = "https://dynamodb.eu-west-1.amazonaws.com"
    keys = Credentials("AKID", "secret", "TOKEN")
    sync, asynchronous = DirectTransport(url, "eu-west-1", keys), AsyncDirectTransport(url, "eu-west-1", keys)
    for operation, request in REQUESTS:
        assert asynchronous._outgoing(operation, dict(request), keys) == sync._outgoing(
            operation, dict(request), keys
        )


def test_one_connection_carries_sequential_requests_and_concurrent_ones_are_kept_for_reuse() -> None:
    async def exchange(url: str) -> tuple[list[object], int, int]:
        sender = transport(url)
        answers: list[object] = [await sender.call("GetItem", {"TableName": "t"}) for _ in range(5)]
        after_sequential = sender.pool.opened
        answers += await asyncio.gather(*(sender.call("GetItem", {"TableName": "t"}) for _ in range(8)))
        answers += [await sender.call("GetItem", {"TableName": "t"}) for _ in range(8)]
        await sender.aclose()
        return answers, after_sequential, sender.pool.opened

    with dynamodb_stub(ITEM) as stub:
        answers, after_sequential, opened = run(exchange(stub.url))
    assert answers == [{"Item": ITEM}] * 21
    assert after_sequential == 1
    # Eight in flight at once need eight connections (one of them reused); the eight after reuse those.
    assert opened == stub.connections == 8
    assert len(stub.requests) == 21


def test_a_connection_the_server_closed_while_idle_is_replaced_before_a_request_is_written() -> None:
    async def rounds(stub: Any) -> list[object]:
        sender = transport(stub.url)
        await sender.warm()
        answers: list[object] = []
        for _ in range(3):
            assert await asyncio.to_thread(stub.closed_idle.acquire, True, 10)
            answers.append(await sender.call("GetItem", {"TableName": "t"}))
        return answers

    with dynamodb_stub(ITEM, idle_timeout=0.05) as stub:
        assert run(rounds(stub)) == [{"Item": ITEM}] * 3
        assert stub.connections == 4  # the warm one, then one per round: no request failed on a closed one
    assert len(stub.requests) == 3


@pytest.mark.parametrize("stall", ["silent", "half_answer"])
def test_no_whole_answer_in_time_is_a_read_timeout_in_the_sync_transports_words(stall: Stall) -> None:
    async def timed_out(url: str) -> tuple[RequestTimeoutError, int]:
        sender = transport(url, read_timeout=0.2)
        with pytest.raises(RequestTimeoutError) as failed:
            await sender.call("GetItem", {"TableName": "t"})
        return failed.value, len(sender.pool._idle)

    with stalling_server(stall) as server:
        error, idle = run(timed_out(server.url))
        assert server.client_closed.wait(10)  # the half-read connection was closed, not kept
    assert error.sent and idle == 0
    assert str(error) == read_timeout_message(server.url)


def test_nobody_listening_fails_before_the_request_was_sent_as_the_sync_transport_says() -> None:
    url = f"http://{LOOPBACK}:{free_loopback_port()}"
    with pytest.raises(ConnectionFailedError) as sync_refused:
        DirectTransport(url, "us-east-1", Credentials("a", "b")).call("GetItem", {})
    with pytest.raises(ConnectionFailedError) as async_refused:
        run(transport(url).call("GetItem", {}))
    assert not async_refused.value.sent
    assert type(async_refused.value) is type(sync_refused.value)
    assert str(async_refused.value) == str(sync_refused.value)


# Each stage a request can be cancelled at: connecting (a TLS handshake the server never answers),
# writing (a request too large for the socket's buffers, the server not reading) and reading the answer
# (the server sent the headers and part of the body).
STAGES: list[tuple[Stall, str, int]] = [
    ("silent", "https", 10),
    ("unread", "http", 16 << 20),
    ("half_answer", "http", 10),
]


@pytest.mark.parametrize(("stall", "scheme", "size"), STAGES, ids=["connecting", "writing", "reading"])
def test_a_request_cancelled_at_any_stage_leaves_no_connection_in_the_pool(
    stall: Stall, scheme: str, size: int
) -> None:
    async def cancelled(url: str, server: Any) -> tuple[object, int]:
        sender = transport(url, verify=False)
        request = {"TableName": "t", "Item": {"value": {"S": "x" * size}}}
        task = asyncio.create_task(sender.call("PutItem", request))
        assert await asyncio.to_thread(server.stalled.wait, 10)
        task.cancel()
        outcome = await asyncio.gather(task, return_exceptions=True)
        return outcome[0], len(sender.pool._idle)

    with stalling_server(stall) as server:
        url = server.url.replace("http:", f"{scheme}:")
        error, idle = run(cancelled(url, server))
        server.release.set()
        assert server.client_closed.wait(10)  # the connection was closed by the client
    assert type(error) is asyncio.CancelledError  # propagated as it was, not wrapped
    assert idle == 0


class BlockingCalls:
    """Calls into C made on the loop's thread that could block it: time.sleep, a name lookup, and any
    socket operation on a socket in blocking mode (the loop's own sockets are non-blocking). Seen with
    sys.setprofile, which reports every call into C on the thread it is set on."""

    LOOKUPS = frozenset({"getaddrinfo", "gethostbyname", "gethostbyname_ex", "getnameinfo"})
    SOCKET_CALLS = frozenset({"connect", "connect_ex", "recv", "recv_into", "send", "sendall", "accept"})

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, _frame: object, event: str, function: Any) -> None:
        if event != "c_call":
            return
        name, owner = getattr(function, "__name__", ""), getattr(function, "__self__", None)
        if name == "sleep" and getattr(owner, "__name__", "") == "time":
            self.seen.append("time.sleep")
        elif name in self.LOOKUPS and getattr(owner, "__name__", "") in ("socket", "_socket"):
            self.seen.append(f"socket.{name}")
        elif name in self.SOCKET_CALLS and isinstance(owner, socket.socket) and owner.gettimeout() != 0.0:
            self.seen.append(f"blocking socket.{name}")


@pytest.fixture
def blocking() -> Iterator[BlockingCalls]:
    calls = BlockingCalls()
    sys.setprofile(calls)  # this thread's: asyncio.run runs the loop on it
    try:
        yield calls
    finally:
        sys.setprofile(None)


def test_nothing_the_transport_does_blocks_the_loop(blocking: BlockingCalls) -> None:
    fetched_on: list[int] = []

    class DueForRefresh(Credentials):
        def refresh_needed(self) -> bool:
            return True

        def get_frozen_credentials(self) -> Any:
            fetched_on.append(threading.get_ident())
            return super().get_frozen_credentials()

    async def busy(url: str) -> list[object]:
        sender = AsyncDirectTransport(url, "us-east-1", DueForRefresh("AKID", "secret"))
        await sender.warm()
        answers: list[object] = [await sender.call("GetItem", {"TableName": "t"}) for _ in range(5)]
        answers += await asyncio.gather(*(sender.call("GetItem", {"TableName": "t"}) for _ in range(8)))
        await sender.aclose()
        return answers

    with dynamodb_stub(ITEM) as stub:
        assert run(busy(stub.url)) == [{"Item": ITEM}] * 13
    assert blocking.seen == []
    # Keys due for a refresh were read in worker threads, never on the loop's.
    assert len(fetched_on) == 13 and threading.get_ident() not in fetched_on


def test_the_watch_sees_blocking_calls_on_the_loop(blocking: BlockingCalls) -> None:
    async def blocks(url: str) -> None:
        time.sleep(0)
        socket.getaddrinfo(LOOPBACK, 80)
        with socket.create_connection((LOOPBACK, int(url.rsplit(":", 1)[1])), timeout=2) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\n\r\n")

    with dynamodb_stub(ITEM) as stub:
        run(blocks(stub.url))
    # create_connection looks the name up itself, then connects and sends in blocking mode.
    lookup = "socket.getaddrinfo"
    assert blocking.seen == [
        "time.sleep",
        lookup,
        lookup,
        "blocking socket.connect",
        "blocking socket.sendall",
    ]


def test_built_from_a_boto3_client_it_takes_the_settings_the_sync_transport_takes() -> None:
    config = Config(connect_timeout=3, read_timeout=7, max_pool_connections=25)
    proxies = Config(proxies={"https": "http://user:p%40ss@proxy.internal:3128"})
    client = boto3.client("dynamodb", region_name="eu-west-1", config=config.merge(proxies), verify=False)
    sync, asynchronous = DirectTransport.from_client(client), async_transport_from_client(client)
    settings: Callable[[Any], tuple[object, ...]] = lambda t: (  # noqa: E731
        t.endpoint_url,
        t.region,
        t._credentials,
        t._pool.connect_timeout,
        t._pool.read_timeout,
        t._pool.max_idle,
        t._pool._proxy_url,
        t._pool._proxy_authorization,
        t._pool._tls.check_hostname,
    )
    assert settings(asynchronous) == settings(sync)
    assert settings(asynchronous)[3:6] == (3, 7, 25)
    with pytest.raises(ClientSettingsError, match="cannot read the request signer"):
        async_transport_from_client(object())  # type: ignore[arg-type]


def test_built_from_the_environments_settings_it_needs_no_boto3_client() -> None:
    decided = DirectSettings("eu-west-1", "http://127.0.0.1:8000", EnvironmentKeys("AK", "SK", "TK"), True)
    built = async_transport_from_settings(decided)
    keys = built._credentials.get_frozen_credentials()
    assert (built.endpoint_url, built.region) == ("http://127.0.0.1:8000", "eu-west-1")
    assert (keys.access_key, keys.secret_key, keys.token) == ("AK", "SK", "TK")
    assert (built.pool.connect_timeout, built.pool.read_timeout, built.pool.max_idle) == (60, 60, 10)


def test_the_sync_path_never_imports_asyncio() -> None:
    program = (
        "import sys, kvtable, kvtable.contract.connect, kvtable.transport.direct\n"
        "print(sorted(name for name in sys.modules if name.startswith(('asyncio', 'kvtable.transport.async'))))"
    )
    loaded = subprocess.check_output([sys.executable, "-c", program], cwd=REPO_ROOT, text=True)
    assert loaded.strip() == "[]"


def test_a_transport_used_again_from_another_event_loop_opens_a_connection_there() -> None:
    with dynamodb_stub(ITEM) as stub:
        sender = transport(stub.url)
        first = run(sender.call("GetItem", {"TableName": "t"}))  # leaves an idle connection of that loop
        second = run(sender.call("GetItem", {"TableName": "t"}))
        assert first == second == {"Item": ITEM}
        assert sender.pool.opened == stub.connections == 2


PROXY_REFUSES = b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"


def test_through_a_proxy_https_is_tunnelled_with_connect_and_a_refusal_fails_as_on_the_sync_transport() -> (
    None
):
    endpoint = "https://dynamodb.eu-west-1.amazonaws.com"
    failures: list[ConnectionFailedError] = []
    requests: list[bytes] = []
    for asynchronous in (False, True):
        with scripted(PROXY_REFUSES) as proxy:
            proxy_url = proxy.url.replace("http://", "http://user:p%40ss@")
            settings: dict[str, Any] = {"proxy_url": proxy_url, "connect_timeout": 2, "read_timeout": 5}
            keys = Credentials("AKID", "secret")
            with pytest.raises(ConnectionFailedError) as refused:
                if asynchronous:
                    run(AsyncDirectTransport(endpoint, "eu-west-1", keys, **settings).call("GetItem", {}))
                else:
                    DirectTransport(endpoint, "eu-west-1", keys, **settings).call("GetItem", {})
            assert str(refused.value) == f'Failed to connect to proxy URL: "{proxy_url}"'
            failures.append(refused.value)
            requests += proxy.requests
    sync_failure, async_failure = failures
    assert type(async_failure) is type(sync_failure) and not async_failure.sent
    assert requests[0] == requests[1]
    assert requests[1].startswith(b"CONNECT dynamodb.eu-west-1.amazonaws.com:443 HTTP/1.1\r\n")
    assert b"Proxy-Authorization: Basic dXNlcjpwQHNz\r\n" in requests[1]  # user:p@ss


def test_through_a_proxy_http_requests_name_the_whole_url() -> None:
    with scripted(OK) as proxy:
        sender = transport("http://dynamodb.internal:8000", proxy_url=proxy.url)
        assert run(sender.call("GetItem", {"TableName": "t"})) == {}
    assert proxy.requests[0].startswith(b"POST http://dynamodb.internal:8000/ HTTP/1.1\r\n")


def test_a_damaged_answer_and_an_error_answer_raise_what_the_sync_transport_raises() -> None:
    damaged = b"HTTP/1.1 200 OK\r\nx-amz-crc32: 1\r\nContent-Length: 2\r\n\r\n{}"
    gateway = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 21\r\n\r\n<html>upstream</html>"

    async def both(url: str) -> tuple[object, object]:
        sender = transport(url)
        outcomes = [
            await asyncio.gather(sender.call("GetItem", {}), return_exceptions=True) for _ in range(2)
        ]
        return outcomes[0][0], outcomes[1][0]

    with scripted(damaged, gateway) as server:
        damaged_error, failed = run(both(server.url))
    assert isinstance(damaged_error, DamagedAnswerError)
    assert str(damaged_error) == "its CRC32 does not match x-amz-crc32"
    assert isinstance(failed, ServiceError)
    assert (failed.code, failed.message, failed.status) == ("502", "<html>upstream</html>", 502)


def test_over_tls_it_verifies_with_the_ca_bundle_given_and_refuses_a_certificate_it_cannot_verify(
    tmp_path: Path,
) -> None:
    server_tls, certificate = loopback_certificate(tmp_path)

    async def get(url: str, verify: bool | str) -> object:
        sender = transport(url, verify=verify)
        try:
            return await sender.call("GetItem", {"TableName": "t"})
        finally:
            await sender.aclose()

    with dynamodb_stub(ITEM, tls=server_tls) as stub:
        assert run(get(stub.url, str(certificate))) == {"Item": ITEM}
        with pytest.raises(TlsFailedError) as async_refused:
            run(get(stub.url, True))  # the system's CAs do not hold the test's certificate
        with pytest.raises(TlsFailedError) as sync_refused:
            DirectTransport(stub.url, "us-east-1", Credentials("a", "b"), verify=True).call("GetItem", {})
    assert str(async_refused.value).startswith(f"SSL validation failed for {stub.url} ")
    assert "CERTIFICATE_VERIFY_FAILED" in str(async_refused.value) and "CERTIFICATE_VERIFY_FAILED" in str(
        sync_refused.value
    )


def test_answers_framed_every_way_http_allows_are_read_whole_as_by_the_sync_pool() -> None:
    large = b'{"Items":["' + b"x" * (3 << 20) + b'"]}'
    answers = [
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(large), large),
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n',
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"b":2}',
        OK,
    ]

    async def bodies(url: str) -> tuple[list[bytes], int]:
        sender = transport(url)
        head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
        got = [(await sender.pool.post(head, b"{}")).body for _ in answers]
        return got, sender.pool.opened

    with scripted(*answers) as server:
        got, opened = run(bodies(server.url))
    assert got == [large, b'{"a":1}', b"{}", b'{"b":2}', b"{}"]
    assert opened == server.connections == 2  # the close-delimited answer ended its connection
