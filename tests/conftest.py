"""Fixtures: one DynamoDB Local for the session, a fresh table (built from the template) per test."""

import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import boto3
import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.aws.environment import DirectSettings, direct_settings
from kvtable.builders.table_definition import create_table_from_template
from kvtable.contract.connect import direct_transport
from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import PACKAGE_DIR_VARIABLE, LocalEndpoint, dynamodb_local
from kvtable.transport import TRANSPORTS, Transport, TransportChoice, TransportFactory
from tests.async_front import close_store, make_store
from tests.local_clients import local_settings

pytest_plugins = ["pytester", "tests.cloudformation_fixtures", "tests.cli_fuzz_fixtures"]

# What a test needs, from the fixtures it uses; a module or test marks what no fixture shows (node,
# checkers, or a command that starts DynamoDB Local itself, as `kvtable local` and `bench` do).
ENGINE_FIXTURES = {"dynamodb_endpoint": "dynamodb_local", "moto_endpoint": "moto", "plain_moto": "moto"}
NEEDS_MARKERS = {"dynamodb_local", "moto", "node", "checkers", "cfn_lint", "packaging"}


TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by the engines it needs, and `unit` when it needs none; a test whose folder
    (tests/unit/ or tests/engine/) says otherwise stops the run."""
    mark_and_place(items, TESTS)


def mark_and_place(items: list[pytest.Item], tests: Path) -> None:
    """The collection hook's work, for the tests under `tests` (a test plants its own folder)."""
    for item in items:
        for fixture, marker in ENGINE_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)
        if not any(item.get_closest_marker(name) for name in NEEDS_MARKERS):
            item.add_marker("unit")
    problems = misplaced_tests(items, tests)
    if problems:
        raise pytest.UsageError("\n".join(problems))


def misplaced_tests(items: Iterable[pytest.Item], tests: Path) -> list[str]:
    """One line for each test under tests/unit/ that needs an engine, or under tests/engine/ that needs none."""
    problems = []
    for item in items:
        relative = (
            item.path.resolve().relative_to(tests) if item.path.resolve().is_relative_to(tests) else None
        )
        if relative is None or relative.parts[0] not in {"unit", "engine"}:
            continue
        needs = sorted(name for name in NEEDS_MARKERS if item.get_closest_marker(name))
        belongs = "engine" if needs else "unit"
        if relative.parts[0] != belongs:
            what = f"needs {', '.join(needs)}" if needs else "needs no engine"
            home = Path("tests", belongs, *relative.parts[1:])
            problems.append(f"{item.nodeid} {what}: it belongs in {home}")
    return problems


@pytest.fixture(autouse=True)
def aws_test_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fake credentials and no AWS config: nothing a test does can reach AWS with a real identity."""
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    for name in ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def unit_tests_see_a_fresh_clone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `unit` test finds no DynamoDB Local jar, as on a fresh clone before `make engines`: a test
    that needs the engine but lacks its marker fails in every run, not only on a fresh clone."""
    if request.node.get_closest_marker("unit"):
        monkeypatch.setenv(PACKAGE_DIR_VARIABLE, str(Path(tempfile.gettempdir()) / "kvtable-unit-no-engines"))


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[LocalEndpoint]:
    with dynamodb_local() as endpoint:
        yield endpoint


@pytest.fixture
def dynamodb_client(dynamodb_endpoint: LocalEndpoint) -> DynamoDBClient:
    return boto3.client("dynamodb", **local_settings(dynamodb_endpoint.url))


@pytest.fixture
def table_name(dynamodb_client: DynamoDBClient) -> str:
    name = f"kv-test-{uuid.uuid4().hex[:12]}"
    create_table_from_template(dynamodb_client, name)
    return name


# Settings of this machine that would make connect() hand over to boto3 (a CA bundle): the "connect"
# choice runs without them, so that it is connect()'s own path that is tested.
CONNECT_FALLBACK_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")


def connect_transport(client: DynamoDBClient) -> Transport:
    """The direct transport as `kvtable.connect` builds it from the environment (no boto3 client read),
    to the client's region and endpoint (DynamoDB Local, or a test's fault proxy)."""
    decided = direct_settings(region=client.meta.region_name, endpoint_url=client.meta.endpoint_url)
    assert isinstance(decided, DirectSettings), f"connect() would fall back here: {decided}"
    transport = direct_transport(decided)
    assert transport is not None
    return transport


@pytest.fixture(params=[*TRANSPORTS, "connect"])
def transport(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> TransportChoice | TransportFactory:
    """Each contract test runs on three transports: the direct one built from a boto3 client, the direct
    one built by `kvtable.connect` from the environment, and botocore's path."""
    if request.param == "connect":
        for name in CONNECT_FALLBACK_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        return connect_transport
    choice: TransportChoice = request.param
    return choice


@pytest.fixture
def store(
    dynamodb_client: DynamoDBClient, table_name: str, transport: TransportChoice | TransportFactory
) -> Iterator[KvTable]:
    """The contract on `transport`; for tests/engine/contract's `ASYNC_FRONT`, the async front behind
    the test-only SyncOverAsync adapter (tests/async_front.py)."""
    made = make_store(dynamodb_client, table_name, transport)
    yield made
    close_store(made)


@pytest.fixture
def capacity(store: KvTable) -> CapacityRecorder:
    return CapacityRecorder().attach(store)
