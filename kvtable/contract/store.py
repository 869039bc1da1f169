"""The data contract: the six access patterns and the writes that keep the data true.

Each access pattern is one DynamoDB request. Input is checked before any
request; DynamoDB's refusals come back as `kvtable.schema.errors` types.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from kvtable.contract import drive_sync
from kvtable.contract.bulk import BATCH_GET_LIMIT, ProgressCallback
from kvtable.contract.clock import iso_timestamp, utc_now
from kvtable.contract.front import ContractFront
from kvtable.contract.instructions import Operation
from kvtable.contract.keys import KEEP_TTL, KeepTtl
from kvtable.contract.namespaces import NAMESPACE_QUARANTINE_SECONDS
from kvtable.contract.retries import RETRY_ATTEMPTS
from kvtable.schema import key_design as kd
from kvtable.schema.entities import (
    BillingPlan,
    JsonValue,
    KeyItem,
    NamespaceItem,
    NamespaceLinkItem,
    UserItem,
)
from kvtable.schema.errors import InvalidInputError
from kvtable.schema.key_design import MAX_PLAUSIBLE_TTL
from kvtable.schema.limits import BATCH_WRITE_LIMIT
from kvtable.schema.pagination import DEFAULT_PAGE_SIZE, Page, every_item
from kvtable.telemetry import instrument as instrument_telemetry  # telemetry hook
from kvtable.transport import Transport, TransportChoice, TransportFactory, transport_for

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient

    RECOMMENDED_CLIENT_CONFIG: Config

T = TypeVar("T")

__all__ = [
    "BATCH_GET_LIMIT",
    "BATCH_WRITE_LIMIT",
    "KEEP_TTL",
    "MAX_PLAUSIBLE_TTL",
    "NAMESPACE_QUARANTINE_SECONDS",
    "RECOMMENDED_CLIENT_CONFIG",
    "RETRY_ATTEMPTS",
    "KvTable",
    "iso_timestamp",
]


def __getattr__(name: str) -> Any:
    # botocore's Config, made when asked for: importing the contract imports no botocore.
    if name == "RECOMMENDED_CLIENT_CONFIG":
        from kvtable.contract.retries import recommended_client_config  # noqa: PLC0415 (botocore: not on `kvtable.connect`'s path)

        return recommended_client_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class KvTable(ContractFront):
    """The kvtable data contract over one DynamoDB table and its GSI: the sync front.

    Each kind of item's operations live in `kvtable.contract` (users, namespaces, keys, bulk), sans I/O,
    over one object that builds every request (`kvtable.contract.requests.TableRequests`); this front
    runs them on its transport (`kvtable.contract.drive_sync`). `AsyncKvTable` is the async front."""

    def __init__(
        self,
        client: DynamoDBClient | None,
        table_name: str = kd.DEFAULT_TABLE_NAME,
        gsi_name: str = kd.DEFAULT_GSI_NAME,
        *,
        transport: TransportChoice | Transport | TransportFactory = "direct",
        clock: Callable[[], datetime] = utc_now,
        home_region: str | None = None,
        retry_attempts: int = RETRY_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        namespace_quarantine: int = NAMESPACE_QUARANTINE_SECONDS,
    ) -> None:
        """`client`: the boto3 client (None only with a Transport given, as `kvtable.connect` makes one).
        `transport`: how requests reach DynamoDB ("direct", "botocore", or a Transport). `home_region`:
        on a global table, the one region where users, API keys and namespaces are created.
        `namespace_quarantine`: seconds a deleted namespace's name stays taken; longer than any write lives."""
        self._client = client
        if client is None and isinstance(transport, str):
            raise InvalidInputError(f"transport {transport!r} needs a boto3 client; use kvtable.connect()")
        self.transport = transport_for(cast("DynamoDBClient", client), transport)
        self._sleep = sleep
        self._build_operations(
            self.transport,
            table_name,
            gsi_name,
            clock=clock,
            home_region=home_region,
            retry_attempts=retry_attempts,
            namespace_quarantine=namespace_quarantine,
            sleep=sleep,
        )
        instrument_telemetry(self)  # telemetry hook: spans and metrics when OpenTelemetry is in use

    def _run(self, operation: Operation[T]) -> T:
        return drive_sync.run(operation, self.transport, self._sleep)

    @property
    def client(self) -> DynamoDBClient:
        """The boto3 client under this table; for one made by `kvtable.connect` without boto3, a client
        made now, with the transport's region and endpoint (boto3 picks the same credentials)."""
        if self._client is None:
            import boto3  # noqa: PLC0415 (only when asked for: connect()'s path needs no boto3)

            self._client = boto3.Session().client(
                "dynamodb",
                region_name=self.transport.region,
                endpoint_url=getattr(self.transport, "endpoint_url", None),
            )
        return self._client

    def warm(self) -> None:
        """Open the transport's connection now (TCP and TLS), so the first request does not wait for it:
        call it during a Lambda function's init. botocore's path opens its connections on first use."""
        warm = getattr(self.transport, "warm", None)
        if warm is not None:
            warm()

    # ----- users -------------------------------------------------------------

    def get_user(self, user_id: str, consistent: bool = False) -> UserItem:
        """Pattern 1: `PK=USER#<id>, SK=METADATA` (GetItem)."""
        return self._run(self._users.get_user(user_id, consistent))

    def get_user_by_api_key(self, api_key: str) -> UserItem:
        """Pattern 2: `GSI1PK=APIKEY#<key>, GSI1SK=METADATA` (Query on the GSI, eventually consistent)."""
        return self._run(self._users.get_user_by_api_key(api_key))

    def create_user(
        self,
        user_id: str,
        email: str,
        api_key: str,
        plan: BillingPlan = "free",
        password_hash: str | None = None,
    ) -> UserItem:
        """Create a user and claim its API key in one transaction; AlreadyExistsError if either is taken."""
        return self._run(self._users.create_user(user_id, email, api_key, plan, password_hash))

    def rotate_api_key(self, user_id: str, new_api_key: str) -> UserItem:
        """Give the user a new API key, releasing the old one, in one transaction."""
        return self._run(self._users.rotate_api_key(user_id, new_api_key))

    def add_usage(self, user_id: str, requests: int = 0, storage_bytes: int = 0) -> UserItem:
        """Add to the user's requestCount and storageBytes atomically, once however often it is retried."""
        return self._run(self._users.add_usage(user_id, requests, storage_bytes))

    def update_user(
        self, user_id: str, *, plan: BillingPlan | None = None, email: str | None = None
    ) -> UserItem:
        """Change a user's plan and/or email (one UpdateItem); returns the user as stored now."""
        return self._run(self._users.update_user(user_id, plan=plan, email=email))

    def delete_user(
        self,
        user_id: str,
        *,
        delete_namespaces: bool = False,
        on_progress: Callable[[str, int], None] | None = None,
    ) -> list[str]:
        """Delete a user, its API-key guard and (with `delete_namespaces`) the namespaces it owns."""
        return self._run(
            self._users.delete_user(user_id, delete_namespaces=delete_namespaces, on_progress=on_progress)
        )

    # ----- namespaces --------------------------------------------------------

    def list_user_namespaces(
        self,
        user_id: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        consistent: bool = False,
    ) -> Page[NamespaceLinkItem]:
        """Pattern 3: `PK=USER#<id>, SK begins_with NS#`, one page."""
        return self._run(self._namespaces.list_user_namespaces(user_id, page_size, cursor, consistent))

    def iter_user_namespaces(
        self, user_id: str, page_size: int = DEFAULT_PAGE_SIZE, consistent: bool = False
    ) -> Iterator[NamespaceLinkItem]:
        """Every namespace link of a user, one page in memory at a time."""
        return every_item(
            lambda cursor: self._run(
                self._namespaces.list_user_namespaces(user_id, page_size, cursor, consistent)
            )
        )

    def get_namespace(self, namespace: str, consistent: bool = False) -> NamespaceItem:
        """Pattern 4: `PK=NS#<namespace>, SK=METADATA` (GetItem); NamespaceUnavailableError while it is being
        deleted or once it is."""
        return self._run(self._namespaces.get_namespace(namespace, consistent))

    def create_namespace(self, user_id: str, namespace: str) -> NamespaceItem:
        """Create a namespace and the user's link to it in one transaction, after deleting what a deleted
        namespace of that name left; NamespaceQuarantinedError within its quarantine."""
        return self._run(self._namespaces.create_namespace(user_id, namespace))

    def delete_namespace(
        self, user_id: str, namespace: str, *, on_progress: Callable[[int], None] | None = None
    ) -> int:
        """Delete a namespace, every key in it and its owner's link, leaving a tombstone that holds the name
        for the quarantine; returns the keys deleted by this run (0 if it was already deleted)."""
        return self._run(self._namespaces.delete_namespace(user_id, namespace, on_progress=on_progress))

    # ----- keys --------------------------------------------------------------

    def put_key(self, namespace: str, key: str, value: JsonValue, ttl: int | None = None) -> KeyItem:
        """Pattern 5 (create or replace): keeps a live key's createdAt, sets `ttl` or clears it (None)."""
        return self._run(self._keys.put_key(namespace, key, value, ttl))

    def create_key(self, namespace: str, key: str, value: JsonValue, ttl: int | None = None) -> KeyItem:
        """Pattern 5 (create): AlreadyExistsError if a live key is there."""
        return self._run(self._keys.create_key(namespace, key, value, ttl))

    def update_key(
        self,
        namespace: str,
        key: str,
        value: JsonValue,
        ttl: int | KeepTtl | None = KEEP_TTL,
        *,
        expected_version: int | None = None,
    ) -> KeyItem:
        """Pattern 5 (update) of a live key; with `expected_version`, a compare-and-swap."""
        return self._run(self._keys.update_key(namespace, key, value, ttl, expected_version=expected_version))

    def get_key(self, namespace: str, key: str, consistent: bool = False) -> KeyItem:
        """Pattern 5 (read): `PK=NS#<namespace>, SK=KEY#<key>` (GetItem); expired keys are not found."""
        return self._run(self._keys.get_key(namespace, key, consistent))

    def delete_key(self, namespace: str, key: str) -> None:
        """Pattern 5 (delete); ItemNotFoundError if the key does not exist or has expired."""
        self._run(self._keys.delete_key(namespace, key))

    def list_keys(
        self,
        namespace: str,
        prefix: str = "",
        page_size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        consistent: bool = False,
    ) -> Page[KeyItem]:
        """Pattern 6, one page: on the GSI, or on the table when `consistent`."""
        return self._run(self._keys.list_keys(namespace, prefix, page_size, cursor, consistent))

    def iter_keys(
        self, namespace: str, prefix: str = "", page_size: int = DEFAULT_PAGE_SIZE, consistent: bool = False
    ) -> Iterator[KeyItem]:
        """Every live key with the prefix, streamed one page at a time."""
        return every_item(
            lambda cursor: self._run(self._keys.list_keys(namespace, prefix, page_size, cursor, consistent))
        )

    def count_keys(self, namespace: str, prefix: str = "", consistent: bool = False) -> int:
        """How many live keys have the prefix (Query, Select=COUNT, paged): what listing them costs."""
        return self._run(self._keys.count_keys(namespace, prefix, consistent))

    # ----- many keys at once -------------------------------------------------

    def get_keys(self, namespace: str, keys: Iterable[str], consistent: bool = False) -> dict[str, KeyItem]:
        """The live keys among `keys`, by name, in the order asked (BatchGetItem, 100 keys a request)."""
        return self._run(self._bulk.get_keys(namespace, keys, consistent))

    def delete_keys(self, namespace: str, keys: Iterable[str]) -> int:
        """Delete `keys` (BatchWriteItem, 25 a request); returns how many distinct keys were named."""
        return self._run(self._bulk.delete_keys(namespace, keys))

    def load_keys(
        self,
        namespace: str,
        entries: Iterable[tuple[str, JsonValue]],
        ttl: int | None = None,
        *,
        workers: int = 1,
        on_progress: ProgressCallback | None = None,
    ) -> int:
        """Write `entries` (streamed, 25 a BatchWriteItem); returns how many entries were written."""
        return self._run(
            self._bulk.load_keys(namespace, entries, ttl, workers=workers, on_progress=on_progress)
        )
