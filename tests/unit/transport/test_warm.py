"""Warm: `warm()` opens the connection during init and the first request reuses it; a connection the
server closed while idle (DynamoDB closes idle ones) is replaced before a request is written, and is
neither a failed request nor a retry. Against a loopback stub that counts connections."""

from __future__ import annotations

import pytest

import kvtable
from kvtable.contract.store import KvTable
from kvtable.transport.direct import DirectTransport
from tests.harness.dynamodb_stub import dynamodb_stub

ITEM = {
    "PK": {"S": "NS#ns"},
    "SK": {"S": "KEY#k"},
    "value": {"S": "v"},
    "version": {"N": "1"},
    "createdAt": {"S": "2026-12-07T09:00:00.000Z"},
    "updatedAt": {"S": "2026-12-07T09:00:00.000Z"},
}


@pytest.fixture(autouse=True)
def lambda_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "kvtable-test")


def test_warm_opens_the_connection_and_the_first_request_reuses_it() -> None:
    with dynamodb_stub(ITEM) as stub:
        store = kvtable.connect("kv-test", endpoint_url=stub.url, warm=True)
        assert isinstance(store.transport, DirectTransport)
        assert stub.wait_for_connections(1) == 1 and stub.requests == []  # opened during init, nothing sent
        assert store.get_key("ns", "k")["value"] == "v"
        assert store.get_key("ns", "k")["value"] == "v"
    assert stub.connections == 1
    assert [target for target, _ in stub.requests] == ["DynamoDB_20120810.GetItem"] * 2


def test_without_warm_the_first_request_opens_the_connection() -> None:
    with dynamodb_stub(ITEM) as stub:
        store = kvtable.connect("kv-test", endpoint_url=stub.url)
        assert stub.connections == 0
        store.get_key("ns", "k")
    assert stub.connections == 1


def test_warm_on_a_store_made_from_a_boto3_client_and_on_botocores_path() -> None:
    import boto3  # noqa: PLC0415

    with dynamodb_stub(ITEM) as stub:
        client = boto3.client("dynamodb", endpoint_url=stub.url)
        KvTable(client, "kv-test").warm()
        assert stub.wait_for_connections(1) == 1
        # botocore opens its connections on first use: warm() is there, and does nothing.
        KvTable(client, "kv-test", transport="botocore").warm()
        assert stub.connections == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_without_a_failure_or_a_retry() -> None:
    sleeps: list[float] = []
    with dynamodb_stub(ITEM, idle_timeout=0.05) as stub:
        # One try only, and sleeps recorded: a failure would raise, a retry would sleep.
        store = kvtable.connect(
            "kv-test", endpoint_url=stub.url, warm=True, retry_attempts=1, sleep=sleeps.append
        )
        transport = store.transport
        assert isinstance(transport, DirectTransport)
        for round_ in range(1, 4):
            # The server closes the idle connection (told once its socket is closed, not by a timer).
            assert stub.closed_idle.acquire(timeout=10)
            assert store.get_key("ns", "k")["value"] == "v"
            assert stub.connections == round_ + 1
    assert len(stub.requests) == 3
    assert sleeps == []
