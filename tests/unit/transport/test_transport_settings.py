"""What the direct transport takes from the boto3 client it is given, once: endpoint (by botocore's own
rules), region, credentials, timeouts, pool size, CA bundle and proxy. No request is sent here."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.credentials import Credentials

from kvtable.contract.store import KvTable
from kvtable.schema.errors import KvTableError
from kvtable.transport import transport_for
from kvtable.transport.botocore_path import BotocoreTransport
from kvtable.transport.direct import DirectTransport


def direct(client: object) -> DirectTransport:
    transport = transport_for(client, "direct")  # type: ignore[arg-type]
    assert isinstance(transport, DirectTransport)
    return transport


# The endpoint forms AWS documents for DynamoDB: the regional and FIPS endpoints ("Amazon DynamoDB
# endpoints and quotas", https://docs.aws.amazon.com/general/latest/gr/ddb.html), dual-stack (`api.aws`),
# and account-based endpoints (AWS SDKs and Tools Reference Guide, "Account-based endpoints",
# https://docs.aws.amazon.com/sdkref/latest/guide/feature-account-endpoints.html).
@pytest.mark.parametrize(
    ("config", "endpoint"),
    [
        (Config(), "https://dynamodb.eu-west-1.amazonaws.com"),
        (Config(use_fips_endpoint=True), "https://dynamodb-fips.eu-west-1.amazonaws.com"),
        (Config(use_dualstack_endpoint=True), "https://dynamodb.eu-west-1.api.aws"),
    ],
)
def test_the_endpoint_is_the_one_botocores_rules_give(config: Config, endpoint: str) -> None:
    client = boto3.client("dynamodb", region_name="eu-west-1", config=config)
    assert direct(client).endpoint_url == endpoint
    assert direct(client).region == "eu-west-1"


def test_credentials_with_an_account_id_use_the_account_based_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCOUNT_ID", "123456789012")
    client = boto3.Session().client("dynamodb", region_name="us-east-1")
    assert direct(client).endpoint_url == "https://123456789012.ddb.us-east-1.amazonaws.com"
    disabled = boto3.Session().client(
        "dynamodb", region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled")
    )
    assert direct(disabled).endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"


def test_an_endpoint_url_in_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8123")
    assert direct(boto3.client("dynamodb", region_name="us-east-1")).endpoint_url == "http://127.0.0.1:8123"


def test_timeouts_pool_size_ca_bundle_and_proxy_come_from_the_client(tmp_path: object) -> None:
    config = Config(
        connect_timeout=3,
        read_timeout=7,
        max_pool_connections=25,
        proxies={"https": "http://user:p%40ss@proxy.internal:3128"},
    )
    client = boto3.client("dynamodb", region_name="us-east-1", config=config, verify=False)
    transport = direct(client)
    pool = transport._pool
    assert (pool.connect_timeout, pool.read_timeout, pool.max_idle) == (3, 7, 25)
    assert pool._tls is not None and pool._tls.check_hostname is False  # verify=False, as the client says
    assert pool._proxy is not None and (pool._proxy.host, pool._proxy.port) == ("proxy.internal", 3128)
    assert pool._proxy_authorization == "Basic dXNlcjpwQHNz"  # user:p@ss


def test_the_clients_credentials_object_is_kept_so_botocore_refreshes_it() -> None:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="AKID", aws_secret_access_key="s"
    )
    keys = direct(client)._credentials.get_frozen_credentials()
    assert (keys.access_key, keys.secret_key, keys.token) == ("AKID", "s", None)


def test_a_client_without_credentials_is_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    client = boto3.Session().client("dynamodb", region_name="us-east-1")
    with pytest.raises(KvTableError, match="no AWS credentials found"):
        KvTable(client, "kv-storage-data")
    # botocore's path keeps its own behaviour (it fails at the first request).
    assert isinstance(KvTable(client, "kv-storage-data", transport="botocore").transport, BotocoreTransport)


def test_a_transport_choice_that_does_not_exist_is_refused() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    with pytest.raises(KvTableError, match="transport must be one of direct, botocore"):
        KvTable(client, "kv-storage-data", transport="fast")  # type: ignore[arg-type]


def test_a_transport_object_is_used_as_given() -> None:
    given = DirectTransport("http://127.0.0.1:1", "us-east-1", Credentials("a", "b"))
    client = boto3.client("dynamodb", region_name="us-east-1")
    assert KvTable(client, "kv-storage-data", transport=given).transport is given


def test_a_proxy_reached_over_tls_is_refused_with_the_way_out() -> None:
    config = Config(proxies={"https": "https://proxy.internal:3129"})
    client = boto3.client("dynamodb", region_name="us-east-1", config=config)
    with pytest.raises(KvTableError, match=r"proxy reached over TLS .* pass transport='botocore'"):
        KvTable(client, "kv-storage-data")
