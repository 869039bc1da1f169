"""The direct transport against botocore's path, on DynamoDB Local: the same requests give the same items,
pages, cursors and errors (a differential test over every access pattern), faults on the wire end the
same way, and credentials that change during a run are picked up. The signature itself is proven offline
in test_signing.py: DynamoDB Local does not check signatures."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.credentials import CredentialProvider, RefreshableCredentials
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.errors import KvTableError, RetriesExhaustedError
from kvtable.schema.pagination import Page
from kvtable.schema.values import MAX_ITEM_BYTES
from kvtable.transport import TRANSPORTS, TransportChoice
from kvtable.transport.direct import DirectTransport
from tests.harness.fault_proxy import FaultPlan, client_through, fault_proxy

# One instant for both runs, so their timestamps agree; near the real time, because DynamoDB Local
# deletes items whose TTL has passed by its own clock.
FIXED_NOW = datetime.now(UTC).replace(microsecond=0)
# Random per write, so the one attribute two runs of the same writes cannot share.
RANDOM_ATTRIBUTES = ("writeId",)
NEAR_LIMIT_VALUE = "x" * 9_000  # 120 keys of about 9 KB: a Query page stops at DynamoDB's 1 MB


def fixed_clock() -> datetime:
    return FIXED_NOW


def comparable(result: object) -> object:
    """A result with the per-write random attributes left out; pages as (items, cursor)."""
    if isinstance(result, Page):
        return ("page", comparable(result.items), result.cursor)
    if isinstance(result, dict):
        return {k: comparable(v) for k, v in result.items() if k not in RANDOM_ATTRIBUTES}
    if isinstance(result, list | tuple):
        return [comparable(v) for v in result]
    return result


class Observer:
    """Runs contract calls and keeps what each returned or raised, as data."""

    def __init__(self, table_name: str = "") -> None:
        self.seen: list[tuple[str, object]] = []
        self.table_name = table_name  # each transport's corpus runs on a table of its own: named alike here

    def __call__(self, label: str, action: Callable[[], object]) -> object:
        try:
            result = action()
        except KvTableError as error:
            details = {k: v for k, v in vars(error).items() if not k.startswith("_")}
            message = str(error)
            if self.table_name:
                details = {k: "<table>" if v == self.table_name else v for k, v in details.items()}
                message = message.replace(self.table_name, "<table>")
            self.seen.append((label, ("raised", type(error).__name__, message, details)))
            return error
        self.seen.append((label, comparable(result)))
        return result

    def errors(self) -> set[str]:
        return {
            outcome[1] for _, outcome in self.seen if isinstance(outcome, tuple) and outcome[0] == "raised"
        }


def every_access_pattern(store: KvTable, client: DynamoDBClient) -> Observer:
    """The corpus: every access pattern, each kind of refusal, pages near 1 MB, and foreign items."""
    see = Observer(store.table_name)
    see("create user", lambda: store.create_user("u1", "u1@example.com", "key-one", plan="pro"))
    see("same user", lambda: store.create_user("u1", "u1@example.com", "key-two"))
    see("same API key", lambda: store.create_user("u2", "u2@example.com", "key-one"))
    see("pattern 1", lambda: store.get_user("u1"))
    see("pattern 1 missing", lambda: store.get_user("nobody", consistent=True))
    see("pattern 2", lambda: store.get_user_by_api_key("key-one"))
    see("pattern 2 missing", lambda: store.get_user_by_api_key("key-none"))
    for name in ("alpha", "beta", "gamma"):
        see(f"namespace {name}", lambda name=name: store.create_namespace("u1", name))  # type: ignore[misc]
    see("namespace taken", lambda: store.create_namespace("u1", "alpha"))
    see("namespace of nobody", lambda: store.create_namespace("nobody", "delta"))
    first = see("pattern 3 page 1", lambda: store.list_user_namespaces("u1", page_size=2, consistent=True))
    assert isinstance(first, Page) and first.cursor is not None
    see("pattern 3 page 2", lambda: store.list_user_namespaces("u1", page_size=2, cursor=first.cursor))
    see("pattern 3 foreign cursor", lambda: store.list_keys("alpha", cursor=first.cursor))
    see("pattern 4", lambda: store.get_namespace("alpha", consistent=True))
    values: list[Any] = [
        {"name": "John", "tags": ["a", None, True], "nested": {"deep": [1, 2.5, {"x": "y"}]}},
        'text with ünïcödé and emoji \U0001f600 and a \\ backslash and "quotes"',
        12345678901234567890123456789012345678,
        -0.000123,
        [],
        {},
        None,
        False,
    ]
    for i, value in enumerate(values):
        see(f"put {i}", lambda i=i, value=value: store.put_key("alpha", f"k{i}", value))  # type: ignore[misc]
    see("put with ttl", lambda: store.put_key("alpha", "short", 1, ttl=int(FIXED_NOW.timestamp()) + 86_400))
    see("create taken", lambda: store.create_key("alpha", "k0", "again"))
    see("update", lambda: store.update_key("alpha", "k1", "changed", expected_version=1))
    see("update stale", lambda: store.update_key("alpha", "k1", "lost", expected_version=1))
    see("update missing", lambda: store.update_key("alpha", "absent", 1))
    see("pattern 5", lambda: store.get_key("alpha", "k0"))
    see("pattern 5 missing", lambda: store.get_key("alpha", "absent", consistent=True))
    see("delete", lambda: store.delete_key("alpha", "k7"))
    see("delete missing", lambda: store.delete_key("alpha", "k7"))
    see("pattern 6 page", lambda: store.list_keys("alpha", "k", page_size=3, consistent=True))
    see("pattern 6 all", lambda: list(store.iter_keys("alpha", page_size=4, consistent=True)))
    see("count", lambda: store.count_keys("alpha", consistent=True))
    see("get many", lambda: store.get_keys("alpha", ["k3", "absent", "k0", "k3"], consistent=True))
    see("delete many", lambda: store.delete_keys("alpha", ["k5", "k6", "absent"]))
    see("too large", lambda: store.put_key("alpha", "big", "x" * MAX_ITEM_BYTES))
    see("usage", lambda: store.add_usage("u1", requests=3, storage_bytes=10))
    see("usage below zero", lambda: store.add_usage("u1", storage_bytes=-11))
    see("update user", lambda: store.update_user("u1", plan="scale"))
    see("rotate", lambda: store.rotate_api_key("u1", "key-three"))
    see(
        "load near 1 MB pages",
        lambda: store.load_keys("beta", ((f"n{i:03d}", NEAR_LIMIT_VALUE) for i in range(120))),
    )
    big = see("1 MB page", lambda: store.list_keys("beta", page_size=1000, consistent=True))
    assert isinstance(big, Page) and big.cursor is not None and 0 < len(big.items) < 120
    see(
        "after 1 MB page", lambda: store.list_keys("beta", page_size=1000, cursor=big.cursor, consistent=True)
    )
    client.put_item(
        TableName=store.table_name,
        Item={"PK": {"S": "NS#gamma"}, "SK": {"S": "KEY#foreign"}, "value": {"B": b"\x00\xffbinary"}},
    )
    see("written by another client", lambda: store.get_key("gamma", "foreign", consistent=True))
    see(
        "no such index",
        lambda: KvTable(client, store.table_name, "NoSuchIndex", transport=store_choice(store)).list_keys(
            "alpha"
        ),
    )
    see(
        "no such table",
        lambda: KvTable(client, "no-such-table", transport=store_choice(store)).get_key("alpha", "k0"),
    )
    deletions: list[tuple[str, Callable[[], object]]] = [
        ("delete namespace of another", lambda: store.delete_namespace("u2", "alpha")),
        ("delete user refused", lambda: store.delete_user("u1")),
        ("delete user", lambda: store.delete_user("u1", delete_namespaces=True)),
        ("gone", lambda: store.get_namespace("alpha", consistent=True)),
        ("name in quarantine", lambda: store.create_namespace("u1", "alpha")),
    ]
    for label, step in deletions:
        see(label, step)
    return see


def store_choice(store: KvTable) -> TransportChoice:
    return "direct" if isinstance(store.transport, DirectTransport) else "botocore"


def new_table(client: DynamoDBClient) -> str:
    from kvtable.builders.table_definition import create_table_from_template  # noqa: PLC0415

    name = f"kv-diff-{next(_tables)}-{datetime.now(UTC).strftime('%H%M%S%f')}"
    create_table_from_template(client, name)
    return name


_tables = itertools.count()


def test_both_transports_give_the_same_items_pages_cursors_and_errors(
    dynamodb_client: DynamoDBClient,
) -> None:
    seen = {}
    for choice in TRANSPORTS:
        store = KvTable(dynamodb_client, new_table(dynamodb_client), transport=choice, clock=fixed_clock)
        seen[choice] = every_access_pattern(store, dynamodb_client)
    direct, botocore_path = seen["direct"], seen["botocore"]
    assert [label for label, _ in direct.seen] == [label for label, _ in botocore_path.seen]
    for (label, ours), (_, theirs) in zip(direct.seen, botocore_path.seen, strict=True):
        assert ours == theirs, label
    # The corpus reaches every kind of refusal the contract has, so the comparison covers them.
    assert direct.errors() == {
        "AlreadyExistsError",
        "ItemNotFoundError",
        "InvalidInputError",
        "VersionConflictError",
        "ConditionFailedError",
        "NotOwnerError",
        "TableNotFoundError",
        "NamespaceUnavailableError",
        "NamespaceQuarantinedError",
    }


@pytest.fixture(params=TRANSPORTS)
def proxied(
    request: pytest.FixtureRequest, dynamodb_endpoint: LocalEndpoint, table_name: str
) -> Iterator[tuple[KvTable, FaultPlan]]:
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        yield KvTable(client_through(url), table_name, transport=request.param, sleep=lambda _: None), plan


def test_unprocessed_batch_items_are_sent_again_until_done(proxied: tuple[KvTable, FaultPlan]) -> None:
    store, plan = proxied
    plan.inject("unprocessed")
    assert store.load_keys("ns", ((f"k{i:02d}", i) for i in range(20))) == 20
    plan.inject("unprocessed")
    found = store.get_keys("ns", [f"k{i:02d}" for i in range(20)], consistent=True)
    assert [item["value"] for item in found.values()] == list(range(20))
    assert plan.operations[:3] == [
        "BatchWriteItem:unprocessed",
        "BatchWriteItem:pass",
        "BatchGetItem:unprocessed",
    ]


def test_a_damaged_answer_is_retried_and_the_write_counts_once(proxied: tuple[KvTable, FaultPlan]) -> None:
    store, plan = proxied
    store.put_key("ns", "k", 1)
    plan.inject("corrupt")
    assert store.update_key("ns", "k", 2)["version"] == 2
    assert store.get_key("ns", "k", consistent=True)["version"] == 2
    assert plan.operations[-3:-1] == ["UpdateItem:corrupt", "UpdateItem:pass"]


def test_throttling_reasons_are_kept_in_the_error(proxied: tuple[KvTable, FaultPlan]) -> None:
    store, plan = proxied
    plan.inject(*["throttle_reasons"] * store.retry_attempts)
    with pytest.raises(RetriesExhaustedError) as throttled:
        store.put_key("ns", "k", 1)
    assert "TableWriteKeyRangeThroughputExceeded" in str(throttled.value)
    assert throttled.value.throttling_reasons == [
        {
            "reason": "TableWriteKeyRangeThroughputExceeded",
            "resource": f"arn:aws:dynamodb:us-east-1:123456789012:table/{store.table_name}",
        }
    ]


class _RotatingKeys(CredentialProvider):
    """Credentials that expire at once, so botocore refreshes them before every request: KEY1, KEY2, ..."""

    METHOD = "rotating-test-keys"

    def __init__(self) -> None:
        self.issued = itertools.count(1)

    def _fetch(self) -> dict[str, str]:
        expiry = datetime.now(UTC) + timedelta(minutes=1)  # inside botocore's mandatory refresh window
        return {
            "access_key": f"KEY{next(self.issued)}",  # DynamoDB Local takes letters and digits only
            "secret_key": "secret",
            "token": "",
            "expiry_time": expiry.isoformat(),
        }

    def load(self) -> RefreshableCredentials:
        return RefreshableCredentials.create_from_metadata(self._fetch(), self._fetch, self.METHOD)


@pytest.mark.parametrize("choice", TRANSPORTS)
def test_credentials_that_change_during_a_run_are_picked_up(
    dynamodb_endpoint: LocalEndpoint, table_name: str, choice: TransportChoice
) -> None:
    session = botocore.session.get_session()
    session.get_component("credential_provider").insert_before("env", _RotatingKeys())
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client = boto3.Session(botocore_session=session).client(
            "dynamodb", endpoint_url=url, region_name="us-east-1"
        )
        store = KvTable(client, table_name, transport=choice)
        for i in range(3):
            store.put_key("ns", f"k{i}", i)
    used = plan.access_keys
    assert len(used) == 3 and len(set(used)) == 3 and all(key.startswith("KEY") for key in used)


FAULT_CORPUS = [
    ("throttle", lambda store: store.get_key("ns", "k")),
    ("throttle_reasons", lambda store: store.put_key("ns", "k2", 2)),
    ("error500", lambda store: store.create_user("u9", "u9@example.com", "key-nine")),
    ("drop_before", lambda store: store.list_keys("ns")),
    ("drop_after", lambda store: store.delete_keys("ns", ["k"])),
    ("corrupt", lambda store: store.update_key("ns", "k", 3)),
    ("unprocessed", lambda store: store.get_keys("ns", ["k", "k2"])),
]


def test_both_transports_end_each_fault_the_same_way(dynamodb_endpoint: LocalEndpoint) -> None:
    """With one try allowed, each fault on the wire surfaces: both transports raise the same error
    (kind, message, maybe_applied, throttling reasons) or, for unprocessed keys, give the same answer."""
    seen = {}
    for choice in TRANSPORTS:
        with fault_proxy(dynamodb_endpoint.url) as (url, plan):
            client = client_through(url)
            table = new_table(client)
            store = KvTable(client, table, transport=choice, retry_attempts=1, sleep=lambda _: None)
            store.put_key("ns", "k", 1)
            see = Observer()
            for fault, action in FAULT_CORPUS:
                plan.inject(fault)
                see(fault, lambda action=action, store=store: action(store))  # type: ignore[misc]
            seen[choice] = [(label, comparable_table(outcome, table)) for label, outcome in see.seen]
    assert seen["direct"] == seen["botocore"]
    assert {label for label, outcome in seen["direct"] if "RetriesExhaustedError" in str(outcome)} == {
        "throttle",
        "throttle_reasons",
        "error500",
        "drop_before",
        "drop_after",
        "corrupt",
    }


def comparable_table(outcome: object, table: str) -> object:
    """An outcome with the table's generated name (in ARNs and messages) made neutral."""
    if isinstance(outcome, str):
        return outcome.replace(table, "<table>")
    if isinstance(outcome, dict):
        return {key: comparable_table(value, table) for key, value in outcome.items()}
    if isinstance(outcome, list | tuple):
        return [comparable_table(value, table) for value in outcome]
    return outcome
