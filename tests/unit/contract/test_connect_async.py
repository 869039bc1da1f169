"""kvtable.connect_async without an engine: what it cannot decide from the environment goes to a boto3
client, as kvtable.connect lets it, and the connection pool's size is the user's to set on both paths
(connect_async's `max_connections`, a boto3 client's `max_pool_connections`). Its answers from DynamoDB
Local are in tests/engine/contract/test_async_front.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

import kvtable
from kvtable.contract.async_store import AsyncKvTable
from kvtable.schema.errors import InvalidInputError
from kvtable.transport.async_direct import AsyncDirectTransport
from tests.unit.aws.test_credentials import only, pod_identity

KEYS = {"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "s"}


def connected(**arguments: Any) -> AsyncDirectTransport:
    """The transport connect_async gives (no request is made: the pool opens nothing until asked)."""
    store = asyncio.run(kvtable.connect_async("kv-table", **arguments))
    assert isinstance(store.transport, AsyncDirectTransport)
    return store.transport


def test_a_containers_account_id_without_an_endpoint_goes_to_boto3_which_picks_the_accounts_endpoint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pod_identity(monkeypatch, tmp_path):
        assert connected().endpoint_url == "https://123456789012.ddb.us-east-1.amazonaws.com"
        given = connected(endpoint_url="http://127.0.0.1:8000", max_connections=3)
    assert (given.endpoint_url, given.pool.max_idle) == ("http://127.0.0.1:8000", 3)


def test_the_pool_size_is_connect_asyncs_max_connections_else_botocores_ten(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    only(monkeypatch, tmp_path, KEYS)
    assert connected().pool.max_idle == 10
    assert connected(max_connections=32, requests_in_flight=32).pool.max_idle == 32
    # Through a boto3 client too (a profile: the environment alone does not decide).
    config = tmp_path / "config"
    config.write_text(
        "[profile app]\nregion = us-east-1\naws_access_key_id = AKP\naws_secret_access_key = s\n"
    )
    only(monkeypatch, tmp_path, {"AWS_PROFILE": "app", "AWS_CONFIG_FILE": str(config)})
    assert connected(max_connections=5).pool.max_idle == 5


def test_an_async_store_from_a_boto3_client_takes_its_max_pool_connections(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    only(monkeypatch, tmp_path, KEYS)
    client = boto3.Session().client("dynamodb", config=Config(max_pool_connections=24))
    store = AsyncKvTable(client, "kv-table")
    assert isinstance(store.transport, AsyncDirectTransport)
    assert store.transport.pool.max_idle == 24


@pytest.mark.parametrize("bad", [0, -1, True, 2.5])
def test_a_bad_pool_size_is_refused_before_anything_is_opened(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bad: Any
) -> None:
    only(monkeypatch, tmp_path, KEYS)
    with pytest.raises(InvalidInputError, match="max_connections must be a whole number"):
        connected(max_connections=bad)
