"""connect() signs with the access key boto3 would use: a differential test over environment variables,
profile files and container credentials, each request's signature read by a loopback stub; the
container credentials' fetch, token and refresh windows as botocore's; and every AWS_* variable
botocore's source reads either handled, shown not to matter, or handed over to boto3."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import boto3
import botocore
import pytest
from botocore.utils import ContainerMetadataFetcher

import kvtable
from kvtable.aws.credentials import ContainerCredentials
from kvtable.aws.environment import (
    HANDLED,
    IRRELEVANT,
    IRRELEVANT_PREFIXES,
    ContainerSource,
    DirectSettings,
    container_url_allowed,
    direct_settings,
)
from kvtable.contract.connect import direct_transport, fallback_reason
from kvtable.schema.errors import ClientSettingsError, MissingCredentialsError
from kvtable.transport.direct import DirectTransport
from tests.harness.container_credentials import CredentialsEndpoint, container_credentials
from tests.harness.dynamodb_stub import DynamoDBStub, dynamodb_stub

TOKEN = "Bearer kvtable-test-token"
KEY = {"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#k"}}
ITEM = {**KEY, "value": {"S": "v"}, "version": {"N": "1"}, "createdAt": {"S": "x"}, "updatedAt": {"S": "x"}}


@dataclass
class Scene:
    """Variables and files for one case; `container` fills {container} in the variables' values."""

    variables: dict[str, str]
    credentials_file: str | None = None
    config_file: str | None = None
    token_file: str | None = None
    handed_over: bool = False  # whether connect() lets boto3 decide here
    notes: list[str] = field(default_factory=list)


SCENES = {
    "environment keys": Scene({"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "s"}),
    "with a session token": Scene(
        {"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "session"}
    ),
    "security token before session token": Scene(
        {
            "AWS_ACCESS_KEY_ID": "AKENV",
            "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_SECURITY_TOKEN": "older",
            "AWS_SESSION_TOKEN": "session",
        }
    ),
    "an empty session token": Scene(
        {"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": ""}
    ),
    "a credentials file's default profile": Scene(
        {},
        credentials_file="[default]\naws_access_key_id = AKFILE\naws_secret_access_key = s\n",
        handed_over=True,
    ),
    "environment over a credentials file": Scene(
        {"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "s"},
        credentials_file="[default]\naws_access_key_id = AKFILE\naws_secret_access_key = s\n",
        handed_over=True,
    ),
    "a credentials file without a default profile": Scene(
        {"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "s"},
        credentials_file="[other]\naws_access_key_id = AKOTHER\naws_secret_access_key = s\n",
    ),
    "a config file's default profile": Scene(
        {"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "s"},
        config_file="[profile default]\nregion = us-east-1\n",
        handed_over=True,
    ),
    "a profile named by AWS_PROFILE": Scene(
        {"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_PROFILE": "other"},
        config_file="[profile other]\naws_access_key_id = AKPROFILE\naws_secret_access_key = s\n",
        handed_over=True,
    ),
    "container credentials and token": Scene(
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "{container}", "AWS_CONTAINER_AUTHORIZATION_TOKEN": TOKEN}
    ),
    "container credentials and token file": Scene(
        {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "{container}",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "not this one",
        },
        token_file=TOKEN,
    ),
    "environment before the container": Scene(
        {
            "AWS_ACCESS_KEY_ID": "AKENV",
            "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "{container}",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": TOKEN,
        }
    ),
    "an empty access key leaves it to the container": Scene(
        {
            "AWS_ACCESS_KEY_ID": "",
            "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "{container}",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": TOKEN,
        }
    ),
    "web identity": Scene(
        {
            "AWS_ACCESS_KEY_ID": "AKENV",
            "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent/token",
            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
        },
        handed_over=True,
    ),
}


def only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variables: dict[str, str]) -> dict[str, str]:
    """Exactly these variables for AWS (and a home with no ~/.aws or ~/.boto)."""
    for name in list(os.environ):
        if (
            name.startswith("AWS_")
            or name in ("REQUESTS_CA_BUNDLE", "BOTO_CONFIG")
            or name.lower().endswith("_proxy")
        ):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    environ = {
        "HOME": str(home),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "absent-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "absent-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **variables,
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return environ


def signed_keys(stub: DynamoDBStub) -> list[tuple[str, str | None]]:
    """Each request's access key and session token, as the stub received them."""
    return [
        (key, headers.get("x-amz-security-token"))
        for key, (_, headers) in zip(stub.access_keys, stub.requests, strict=True)
    ]


@pytest.fixture
def container() -> Iterator[CredentialsEndpoint]:
    with container_credentials(TOKEN) as endpoint:
        yield endpoint


@pytest.mark.parametrize("name", SCENES)
def test_connect_signs_with_the_key_boto3_would_use(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, container: CredentialsEndpoint
) -> None:
    scene = SCENES[name]
    variables = {key: value.format(container=container.url) for key, value in scene.variables.items()}
    for variable, content in (
        ("AWS_SHARED_CREDENTIALS_FILE", scene.credentials_file),
        ("AWS_CONFIG_FILE", scene.config_file),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", scene.token_file),
    ):
        if content is not None:
            path = tmp_path / variable.lower()
            path.write_text(content)
            variables[variable] = str(path)
    only(monkeypatch, tmp_path, variables)
    with dynamodb_stub(ITEM) as stub:
        boto3.Session().client("dynamodb", endpoint_url=stub.url).get_item(TableName="kv-test", Key=KEY)
        reason = fallback_reason(endpoint_url=stub.url)
        store = kvtable.connect("kv-test", endpoint_url=stub.url)
        assert store.get_key("ns", "k")["value"] == "v"
    assert (reason is not None) == scene.handed_over, reason
    assert isinstance(store.transport, DirectTransport)  # handed over or not, the direct transport signs
    boto3_signed, connect_signed = signed_keys(stub)
    assert connect_signed == boto3_signed
    assert boto3_signed[0] not in ("", None)


def test_the_container_key_is_fetched_with_the_token_and_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, container: CredentialsEndpoint
) -> None:
    only(
        monkeypatch,
        tmp_path,
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": TOKEN},
    )
    with dynamodb_stub(ITEM) as stub:
        kvtable.connect("kv-test", endpoint_url=stub.url).get_key("ns", "k")
    assert signed_keys(stub) == [("KEYC1", "token1")]
    assert container.authorizations == [TOKEN]


def _credentials(
    container: CredentialsEndpoint, clock: list[float], **source: str | None
) -> ContainerCredentials:
    settings: dict[str, str | None] = {"url": container.url, "token": TOKEN, "token_file": None, **source}
    return ContainerCredentials(
        ContainerSource(**settings),  # type: ignore[arg-type]
        clock=lambda: clock[0],
        sleep=lambda _: None,
    )


def test_container_keys_are_refreshed_in_botocores_windows() -> None:
    with container_credentials(TOKEN, lifetime=timedelta(hours=1)) as container:
        clock = [0.0]
        credentials = _credentials(container, clock)
        expires = credentials.expires
        clock[0] = expires - 16 * 60  # outside both windows: the keys are used as they are
        assert credentials.get_frozen_credentials().access_key == "KEYC1"
        assert container.fetches == 1
        container.rotate()
        clock[0] = expires - 14 * 60  # advisory window: refreshed
        assert credentials.get_frozen_credentials().access_key == "KEYC2"
        assert container.fetches == 2
        container.rotate()
        container.failing = True
        clock[0] = credentials.expires - 14 * 60  # advisory, and the endpoint fails: the keys still serve
        assert credentials.get_frozen_credentials().access_key == "KEYC2"
        clock[0] = credentials.expires - 9 * 60  # mandatory, and the endpoint fails: no keys to sign with
        with pytest.raises(MissingCredentialsError, match="answered 500"):
            credentials.get_frozen_credentials()
        container.failing = False
        assert credentials.get_frozen_credentials().access_key == "KEYC3"


def test_the_token_file_is_read_again_at_each_fetch(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    with container_credentials(TOKEN, lifetime=timedelta(hours=1)) as container:
        clock = [0.0]
        credentials = _credentials(container, clock, token=None, token_file=str(token_file))
        token_file.write_text("Bearer rotated")
        container.token = "Bearer rotated"
        container.rotate()
        clock[0] = credentials.expires - 5 * 60
        assert credentials.get_frozen_credentials().access_key == "KEYC2"
    assert container.authorizations == [TOKEN, "Bearer rotated"]


def test_a_wrong_token_is_tried_three_times_then_refused() -> None:
    with (
        container_credentials(TOKEN) as container,
        pytest.raises(MissingCredentialsError, match="answered 401"),
    ):
        _credentials(container, [0.0], token="Bearer wrong")
    assert container.authorizations == ["Bearer wrong"] * 3


def test_a_token_with_a_line_break_is_refused_as_botocore_refuses_it() -> None:
    with container_credentials(TOKEN) as container, pytest.raises(ClientSettingsError, match="line break"):
        _credentials(container, [0.0], token=TOKEN + "\n")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/creds",
        "http://127.0.0.2/creds",
        "http://[::1]:80/creds",
        "http://localhost/creds",
        "http://169.254.170.2/v2/credentials/x",
        "http://169.254.170.23/v1/credentials",
        "http://[fd00:ec2::23]/v1/credentials",
        "https://credentials.example.com/creds",
        "http://credentials.example.com/creds",
        "http://169.254.169.254/latest",
        "http://10.0.0.1/creds",
    ],
)
def test_the_container_url_rule_is_botocores(url: str) -> None:
    try:
        ContainerMetadataFetcher()._validate_allowed_url(url)  # type: ignore[attr-defined]
        botocore_allows = True
    except ValueError:
        botocore_allows = False
    assert container_url_allowed(url) == botocore_allows


@contextmanager
def pod_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Only EKS Pod Identity's environment: a container endpoint whose keys carry an account id."""
    with container_credentials(TOKEN, account_id="123456789012") as container:
        only(
            monkeypatch,
            tmp_path,
            {"AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": TOKEN},
        )
        yield


def test_an_account_id_from_the_container_hands_over_unless_an_endpoint_is_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """EKS Pod Identity gives an AccountId: botocore then picks the account's endpoint."""
    with pod_identity(monkeypatch, tmp_path):
        client = boto3.Session().client("dynamodb")
        operation = client.meta.service_model.operation_model("GetItem")
        url, _, _ = client._resolve_endpoint_ruleset(operation, {}, {})  # type: ignore[attr-defined]
        assert url == "https://123456789012.ddb.us-east-1.amazonaws.com"
        decided = direct_settings()
        assert isinstance(decided, DirectSettings)
        assert direct_transport(decided) is None  # connect() lets boto3 build it
        given = direct_settings(endpoint_url="http://127.0.0.1:8000")
        assert isinstance(given, DirectSettings) and direct_transport(given) is not None


def botocore_variables() -> set[str]:
    """Every AWS_* name written in botocore's source (configuration, credential providers, ...)."""
    names: set[str] = set()
    for path in Path(botocore.__file__).parent.rglob("*.py"):
        names.update(re.findall(r"""['"](AWS_[A-Z0-9_]+)['"]""", path.read_text(encoding="utf-8")))
    return names


def test_every_variable_botocore_reads_is_handled_shown_irrelevant_or_handed_over(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    names = botocore_variables()
    assert {"AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_DEFAULTS_MODE"} <= names
    keys = {"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "s"}
    for name in sorted(names - HANDLED):
        environ = only(monkeypatch, tmp_path, {**keys, name: "x"})
        decided = direct_settings(environ)
        if name in IRRELEVANT or name.startswith(IRRELEVANT_PREFIXES):
            assert isinstance(decided, DirectSettings), name
        else:
            assert not isinstance(decided, DirectSettings), f"{name} is read by botocore and not by connect()"
        monkeypatch.delenv(name)
    # The variables a proxy or CA bundle comes from, outside AWS_*, hand over too.
    for name in ("HTTPS_PROXY", "http_proxy", "NO_PROXY", "REQUESTS_CA_BUNDLE", "BOTO_CONFIG"):
        assert not isinstance(
            direct_settings(only(monkeypatch, tmp_path, {**keys, name: "x"})), DirectSettings
        ), name
        monkeypatch.delenv(name)
