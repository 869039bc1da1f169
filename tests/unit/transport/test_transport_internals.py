"""The botocore internals the direct transport reads from a boto3 client (issue 31): each one is there
in the pinned botocore and read for what it says; and a client lacking any of them is refused, naming
it, with transport='botocore' as the way out, never silently skipped (a renamed `_proxy_config` must
not mean a bypassed proxy)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
import botocore
import pytest
from botocore.config import Config

from kvtable.contract.store import KvTable
from kvtable.schema.errors import ClientSettingsError
from kvtable.transport.direct import DirectTransport

PROXY = "http://proxy.example.com:3128"


@pytest.fixture(autouse=True)
def no_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine's CA bundle variables aside: the defaults are what is read here."""
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def client(**config: Any) -> Any:
    return boto3.Session().client(
        "dynamodb",
        region_name="eu-west-1",
        aws_access_key_id="AKIDINTERNALS",
        aws_secret_access_key="secret",
        config=Config(**config),
    )


def test_the_pinned_botocore_has_every_internal_the_transport_reads() -> None:
    with open("requirements.txt", encoding="utf-8") as pins:
        assert f"botocore=={botocore.__version__}\n" in pins.read()
    real = client(proxies={"https": PROXY})
    credentials = real._request_signer._credentials
    assert credentials.get_frozen_credentials().access_key == "AKIDINTERNALS"
    http_session = real._endpoint.http_session
    assert http_session._proxy_config.proxy_url_for("https://dynamodb.eu-west-1.amazonaws.com/") == PROXY
    assert http_session._proxy_config.settings == {}
    assert http_session._verify is True
    operation = real.meta.service_model.operation_model("GetItem")
    assert real._resolve_endpoint_ruleset(operation, {}, {})[0] == "https://dynamodb.eu-west-1.amazonaws.com"
    # ...and the transport takes each of them.
    transport = DirectTransport.from_client(real)
    assert transport._credentials is credentials
    assert transport._pool._proxy_url == PROXY
    assert transport.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"


def without(real: Any, path: str) -> Any:
    """A stand-in for `real` with the same internals but the one at `path` (dotted) missing."""
    http_session = real._endpoint.http_session
    proxy = SimpleNamespace(
        proxy_url_for=http_session._proxy_config.proxy_url_for, settings=http_session._proxy_config.settings
    )
    session = SimpleNamespace(_proxy_config=proxy, _verify=http_session._verify)
    signer = SimpleNamespace(_credentials=real._request_signer._credentials)
    credentials = signer._credentials
    stand_in = SimpleNamespace(
        meta=real.meta,
        _request_signer=signer,
        _endpoint=SimpleNamespace(http_session=session),
        _resolve_endpoint_ruleset=real._resolve_endpoint_ruleset,
    )
    if path == "_request_signer._credentials.get_frozen_credentials":
        signer._credentials = SimpleNamespace(access_key=credentials.access_key)
        return stand_in
    owner: Any = stand_in
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    delattr(owner, name)
    return stand_in


INTERNALS = [
    ("_request_signer", "the request signer"),
    ("_request_signer._credentials", "the request signer's credentials"),
    ("_request_signer._credentials.get_frozen_credentials", "get_frozen_credentials"),
    ("_endpoint", "the client's endpoint"),
    ("_endpoint.http_session", "the endpoint's HTTP session"),
    ("_endpoint.http_session._proxy_config", "proxy settings"),
    ("_endpoint.http_session._proxy_config.proxy_url_for", "proxy_url_for"),
    ("_endpoint.http_session._proxy_config.settings", "proxies_config"),
    ("_endpoint.http_session._verify", "CA bundle setting"),
    ("_resolve_endpoint_ruleset", "the endpoint rules"),
]


def test_the_stand_in_with_every_internal_is_taken() -> None:
    stand_in = without(client(), "_endpoint.http_session._proxy_config.settings")
    stand_in._endpoint.http_session._proxy_config.settings = {}
    assert isinstance(DirectTransport.from_client(stand_in), DirectTransport)


@pytest.mark.parametrize(("path", "named"), INTERNALS)
def test_a_client_lacking_an_internal_is_refused_naming_it(path: str, named: str) -> None:
    with pytest.raises(ClientSettingsError) as refused:
        KvTable(without(client(), path), "kv-storage-data")
    message = str(refused.value)
    assert named in message and path.rsplit(".", 1)[-1] in message
    assert message.endswith("pass transport='botocore'")
    # The way out works: botocore's path needs none of them.
    assert KvTable(client(), "kv-storage-data", transport="botocore").transport.region == "eu-west-1"


def test_a_proxy_with_its_own_tls_settings_is_refused() -> None:
    with pytest.raises(ClientSettingsError, match=r"proxies_config .* pass transport='botocore'"):
        KvTable(
            client(proxies={"https": PROXY}, proxies_config={"proxy_ca_bundle": "/ca.pem"}), "kv-storage-data"
        )


def test_verify_true_is_botocores_ca_bundle_not_the_systems() -> None:
    import ssl  # noqa: PLC0415

    from botocore.httpsession import get_cert_path  # noqa: PLC0415

    tls = DirectTransport.from_client(client())._pool._tls
    assert tls is not None
    # The certificates the TLS context trusts are those of the bundle botocore verifies with.
    botocores = ssl.create_default_context(cafile=get_cert_path(True))
    assert tls.cert_store_stats() == botocores.cert_store_stats()
    assert tls.cert_store_stats()["x509_ca"] > 0
