"""connect()'s endpoint against botocore's own resolution: every region of every partition with each
FIPS/dual-stack setting, every endpoint-URL variable and argument, odd regions and odd URLs. Where
botocore resolves, connect() picks the same URL and signing region or hands over to boto3; where
botocore refuses, connect() hands over (and boto3 refuses). It never guesses."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import BotoCoreError

from kvtable.aws import endpoint_build
from kvtable.aws.endpoint_table import BOTOCORE_VERSION
from kvtable.aws.environment import DirectSettings, Fallback, direct_settings

KEYS = {"AWS_ACCESS_KEY_ID": "AKIDENDPOINTS", "AWS_SECRET_ACCESS_KEY": "secret"}
_SESSION: list[boto3.Session] = []


class Environment:
    """Sets exactly the given variables (AWS_*, proxies and CA bundles cleared) for botocore and direct_settings()."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, empty: Path) -> None:
        self.monkeypatch, self.empty = monkeypatch, empty
        self.base = {**KEYS, "AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty)}

    def set(self, variables: dict[str, str]) -> dict[str, str]:
        for name in list(os.environ):
            if name.startswith("AWS_") or name in ("REQUESTS_CA_BUNDLE",) or name.lower().endswith("_proxy"):
                self.monkeypatch.delenv(name)
        environ = {**self.base, **variables}
        for name, value in environ.items():
            self.monkeypatch.setenv(name, value)
        return environ


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Environment:
    return Environment(monkeypatch, tmp_path / "absent")


def botocore_endpoint(region: str | None, endpoint_url: str | None) -> tuple[str, str] | None:
    """The URL and signing region a boto3 client made now resolves for GetItem, or None if it refuses."""
    # One session for every case (its clients read the variables when made): the model is parsed once.
    if not _SESSION:
        _SESSION.append(boto3.Session(botocore_session=botocore.session.get_session()))
    try:
        client: Any = _SESSION[0].client("dynamodb", region_name=region, endpoint_url=endpoint_url)
        operation = client.meta.service_model.operation_model("GetItem")
        url, _headers, _properties = client._resolve_endpoint_ruleset(operation, {}, {})
    except (BotoCoreError, ValueError):
        return None
    return str(url), str(client.meta.region_name)


def agrees(
    environment: Environment,
    variables: dict[str, str],
    region: str | None = None,
    endpoint_url: str | None = None,
) -> DirectSettings | Fallback:
    """direct_settings()'s answer, after checking it against botocore's in the same environment."""
    environ = environment.set(variables)
    ours = direct_settings(environ, region=region, endpoint_url=endpoint_url)
    theirs = botocore_endpoint(region, endpoint_url)
    case = f"{variables} region={region} endpoint_url={endpoint_url}"
    if theirs is None:
        assert isinstance(ours, Fallback), f"botocore refuses, connect() would not: {case}"
    elif isinstance(ours, DirectSettings):
        assert (ours.endpoint_url, ours.region) == theirs, case
    return ours


SWITCHES = [{}, {"AWS_USE_FIPS_ENDPOINT": "true"}, {"AWS_USE_DUALSTACK_ENDPOINT": "true"}]
SWITCHES.append({**SWITCHES[1], **SWITCHES[2]})


def every_region() -> Iterator[str]:
    for regions in endpoint_build.partition_regions().values():
        yield from regions


def test_the_endpoint_table_is_the_one_the_installed_botocore_gives() -> None:
    import botocore  # noqa: PLC0415

    assert botocore.__version__ == BOTOCORE_VERSION, "run: python -m kvtable.aws.endpoint_build"
    assert endpoint_build.TABLE_PATH.read_text() == endpoint_build.render()


def test_every_partitions_regions_with_fips_and_dual_stack_match_botocore(environment: Environment) -> None:
    partitions = endpoint_build.partition_regions()
    assert {
        "aws",
        "aws-cn",
        "aws-us-gov",
        "aws-iso",
        "aws-iso-b",
        "aws-iso-e",
        "aws-iso-f",
        "aws-eusc",
    } <= set(partitions)
    direct = 0
    for region, switches in itertools.product(every_region(), SWITCHES):
        decided = agrees(environment, {"AWS_DEFAULT_REGION": region, **switches})
        direct += isinstance(decided, DirectSettings)
        if not switches and not region.endswith("-global"):
            # A real region without switches is never handed over: the table is what connect() uses.
            assert isinstance(decided, DirectSettings), region
    assert direct >= 4 * sum(len(regions) for regions in partitions.values()) - 8


@pytest.mark.parametrize(
    "switches",
    [
        {"AWS_USE_FIPS_ENDPOINT": "TRUE"},
        {"AWS_USE_FIPS_ENDPOINT": "false", "AWS_USE_DUALSTACK_ENDPOINT": "True"},
        {"AWS_USE_FIPS_ENDPOINT": "yes"},
        {"AWS_USE_FIPS_ENDPOINT": "1"},
        {"AWS_USE_DUALSTACK_ENDPOINT": ""},
    ],
)
def test_how_the_switches_are_spelled_is_read_as_botocore_reads_it(
    environment: Environment, switches: dict[str, str]
) -> None:
    for region in ("us-east-1", "us-gov-west-1", "cn-north-1"):
        assert isinstance(agrees(environment, {"AWS_DEFAULT_REGION": region, **switches}), DirectSettings)


@pytest.mark.parametrize(
    "region", ["local", "us-east-1-fips", "fips-us-east-1", "us-east-9", "US-EAST-1", "", "eu west 1"]
)
def test_a_region_outside_the_table_is_handed_over(environment: Environment, region: str) -> None:
    assert isinstance(agrees(environment, {"AWS_DEFAULT_REGION": region}), Fallback)


def test_the_region_argument_wins_over_the_variable_and_aws_region_is_not_read(
    environment: Environment,
) -> None:
    decided = agrees(environment, {"AWS_DEFAULT_REGION": "eu-west-1"}, region="ap-south-1")
    assert isinstance(decided, DirectSettings) and decided.region == "ap-south-1"
    decided = agrees(environment, {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "us-west-2"})
    assert isinstance(decided, DirectSettings) and decided.region == "eu-west-1"
    # Lambda sets both; AWS_REGION alone is no region to botocore: connect() hands over (and boto3 refuses).
    assert isinstance(agrees(environment, {"AWS_REGION": "us-west-2"}), Fallback)


ENDPOINT_CASES: list[tuple[dict[str, str], str | None]] = [
    ({"AWS_ENDPOINT_URL": "https://dynamodb.example.com"}, None),
    ({"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}, None),
    (
        {"AWS_ENDPOINT_URL": "https://a.example.com", "AWS_ENDPOINT_URL_DYNAMODB": "https://b.example.com"},
        None,
    ),
    ({"AWS_ENDPOINT_URL": "https://a.example.com", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, None),
    (
        {"AWS_ENDPOINT_URL_DYNAMODB": "https://b.example.com", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"},
        None,
    ),
    (
        {
            "AWS_ENDPOINT_URL_DYNAMODB": "https://b.example.com",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false",
        },
        None,
    ),
    ({"AWS_ENDPOINT_URL": "https://a.example.com", "AWS_USE_FIPS_ENDPOINT": "true"}, None),
    ({"AWS_ENDPOINT_URL": "https://a.example.com", "AWS_USE_DUALSTACK_ENDPOINT": "true"}, None),
    ({"AWS_ENDPOINT_URL": "https://a.example.com/"}, None),
    ({"AWS_ENDPOINT_URL": "https://a.example.com/prefix"}, None),
    ({"AWS_ENDPOINT_URL": "https://a.example.com?x=1"}, None),
    ({"AWS_ENDPOINT_URL": "http://[::1]:8000"}, None),
    ({"AWS_ENDPOINT_URL": "HTTPS://A.EXAMPLE.COM"}, None),
    ({"AWS_ENDPOINT_URL": "https://user:pw@a.example.com"}, None),
    ({"AWS_ENDPOINT_URL": "ftp://a.example.com"}, None),
    ({"AWS_ENDPOINT_URL": "not a url"}, None),
    ({"AWS_ENDPOINT_URL": ""}, None),
    ({"AWS_ENDPOINT_URL": "https://dynamodb.{region}.{dualstack}"}, None),
    ({"AWS_ENDPOINT_URL": "https://search-dynamodb.{region}.{dualstack}"}, None),
    ({"AWS_ENDPOINT_URL": "https://dynamodb.{region}.{plain}"}, None),
    ({}, "https://given.example.com"),
    ({"AWS_ENDPOINT_URL_DYNAMODB": "https://b.example.com"}, "http://localhost:8000"),
    ({"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "http://localhost:8000"),
    ({"AWS_USE_FIPS_ENDPOINT": "true"}, "http://localhost:8000"),
    ({}, "https://dynamodb.{region}.{dualstack}"),
]


@pytest.mark.parametrize(("variables", "argument"), ENDPOINT_CASES)
def test_every_endpoint_url_variable_and_argument_match_botocore(
    environment: Environment, variables: dict[str, str], argument: str | None
) -> None:
    # One region of each partition: the suffixes differ.
    for partition in endpoint_build.partitions():
        region = next(r for r in sorted(partition["regions"]) if not r.endswith("-global"))
        suffixes = partition["outputs"]
        names = {
            "region": region,
            "plain": suffixes["dnsSuffix"],
            "dualstack": suffixes["dualStackDnsSuffix"],
        }
        filled = {name: value.format(**names) for name, value in variables.items()}
        agrees(
            environment,
            {"AWS_DEFAULT_REGION": region, **filled},
            endpoint_url=argument and argument.format(**names),
        )


def test_a_plain_endpoint_url_is_used_as_given(environment: Environment) -> None:
    decided = agrees(
        environment, {"AWS_DEFAULT_REGION": "eu-central-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:8000"}
    )
    assert isinstance(decided, DirectSettings)
    assert (decided.endpoint_url, decided.endpoint_given) == ("http://127.0.0.1:8000", True)
