"""The project's own errors, so callers never catch raw botocore ones."""

from typing import Any, Literal


class KvTableError(Exception):
    """Base class of every error the data layer raises on purpose."""


class InvalidInputError(KvTableError, ValueError):
    """Input that DynamoDB would reject, caught before any request is made."""


class ItemNotFoundError(KvTableError):
    """The item asked for does not exist (or its TTL has passed)."""


class NamespaceUnavailableError(ItemNotFoundError):
    """Pattern 4 met a namespace being deleted, or the tombstone of a deleted one: refuse requests to it."""


Taken = Literal["user", "api_key", "namespace", "namespace_link", "key"]


class AlreadyExistsError(KvTableError):
    """A user id, API key, namespace name or key that is already taken.

    `taken` says which, so a caller can answer its own client without parsing the message: "user",
    "api_key", "namespace", "namespace_link" (the user already links it) or "key"."""

    def __init__(self, message: str, taken: Taken) -> None:
        super().__init__(message)
        self.taken: Taken = taken


class NamespaceQuarantinedError(AlreadyExistsError):
    """A namespace name whose deletion is younger than the quarantine: taken until `free_at` (ISO 8601 UTC),
    so that no write still in flight to the deleted namespace lands in a new one."""

    def __init__(self, message: str, free_at: str) -> None:
        super().__init__(message, "namespace")
        self.free_at = free_at


class ConditionFailedError(KvTableError):
    """A write's condition did not hold, so nothing was written."""


class VersionConflictError(ConditionFailedError):
    """A compare-and-swap found another version stored: someone changed the key meanwhile.

    `current_version` is the version stored now, so a caller can read it again and retry."""

    def __init__(self, message: str, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class NotOwnerError(ConditionFailedError):
    """A namespace operation named a user that does not own the namespace; nothing was changed."""


class PartialWriteError(KvTableError):
    """A bulk write stopped part way; `written` entries from the start are written, so a caller resumes there.

    `failed`: the first and last entry (counted from 1) of the write that failed, when known."""

    def __init__(self, message: str, written: int, failed: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.written = written
        self.failed = failed


class InvalidEntryError(InvalidInputError):
    """A bulk load met a bad entry; its chunk and the rest were not written, `written` entries from the start were.

    `entry`: the bad entry's number (counted from 1) when the entry itself was refused; None when reading
    the entries failed (the iterator raised)."""

    def __init__(self, message: str, written: int, entry: int | None = None) -> None:
        super().__init__(message)
        self.written = written
        self.entry = entry


class NotHomeRegionError(KvTableError):
    """A creation that must be unique (a user, an API key, a namespace) sent outside the home region."""


class RetriesExhaustedError(KvTableError):
    """DynamoDB throttled, failed or did not answer, every time within the retry budget.

    `maybe_applied` is True when an attempt may have reached DynamoDB (its answer was lost): a
    retry-safe write was then applied at most once; read the item back to know. `throttling_reasons`
    are AWS's reasons for the last throttling (`reason` and `resource` each), when AWS gave them."""

    def __init__(
        self, message: str, maybe_applied: bool, throttling_reasons: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.maybe_applied = maybe_applied
        self.throttling_reasons: list[dict[str, str]] = throttling_reasons or []


class ClientSettingsError(KvTableError):
    """The boto3 client given cannot serve the chosen transport as it is set up (for example a proxy
    reached over TLS); the message says what to change, or to pass transport="botocore"."""


class MissingCredentialsError(ClientSettingsError):
    """The boto3 client has no AWS credentials, so no request could be signed; found before any request."""


class ThroughputCapError(KvTableError):
    """DynamoDB refused the request because the table's or index's on-demand cap (MaxReadRequestUnits /
    MaxWriteRequestUnits) is reached: the cap set to bound the bill, not a passing hot partition.

    Not retried: trying again would only add load against the limit chosen on purpose. A service answers
    it as HTTP 429 for the tenant. `throttling_reasons` are AWS's (`reason`, `resource`), e.g.
    `TableWriteMaxOnDemandThroughputExceeded` on the table's ARN."""

    def __init__(self, message: str, throttling_reasons: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.throttling_reasons = throttling_reasons


class TableNotFoundError(KvTableError):
    """DynamoDB has no table `table` where the client looked, or (`index_missing`) the table has no index
    `index`: `region`, and `endpoint` (the URL the requests went to; None when unknown). `index` is the
    index a query named, None for a request on the table itself.

    A settings problem rather than a failure: the table or index name, the region or the endpoint points
    elsewhere than where the table is. `where` says the place in words, for a caller's own message."""

    def __init__(
        self,
        action: str,
        table: str,
        region: str,
        endpoint: str | None,
        index: str | None = None,
        *,
        index_missing: bool = False,
    ) -> None:
        self.action, self.table, self.index, self.index_missing = action, table, index, index_missing
        self.region, self.endpoint = region, endpoint
        super().__init__(
            f"{action}: {self.what} in {self.where}; create it there, or point KvTable at the one that exists "
            "(its table_name and gsi_name, and the client's region and endpoint_url)"
        )

    @property
    def what(self) -> str:
        """`table T does not exist`, `table T has no index I`, or `table T (queried on index I) does not exist`."""
        if self.index_missing:
            return f"table {self.table} has no index {self.index}"
        on = f" (queried on index {self.index})" if self.index else ""
        return f"table {self.table}{on} does not exist"

    @property
    def on_aws(self) -> bool:
        """Whether the requests went to AWS's own endpoint rather than a local engine's URL."""
        return self.endpoint is None or ".amazonaws.com" in self.endpoint  # also amazonaws.com.cn

    @property
    def where(self) -> str:
        """`region R` on AWS, `URL (region R)` on another endpoint."""
        return f"region {self.region}" if self.on_aws else f"{self.endpoint} (region {self.region})"


# ----- what a transport reports (kvtable.transport): the contract maps these to the errors above --------


class TransportError(KvTableError):
    """A request that a transport could not carry through, in the contract's own shape, whichever
    transport sent it (the direct one, or botocore's path, whose exceptions are translated in one place)."""


class ServiceError(TransportError):
    """DynamoDB (or something in front of it) answered with an error: AWS's `code` and `message`, the
    modeled `fields` (the item of a failed condition, a cancelled transaction's `CancellationReasons`,
    throttling reasons), the HTTP `status`, AWS's `request_id`, and the tries the sender made itself."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        status: int = 0,
        request_id: str = "",
        retry_attempts: int = 0,
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code, self.message = code, message
        self.fields: dict[str, Any] = fields or {}
        self.status, self.request_id, self.retry_attempts = status, request_id, retry_attempts


class ConnectionFailedError(TransportError):
    """The connection failed. `sent` is False when it failed before the request was written (nothing can
    have been applied), True when it failed after (the request may have been applied)."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class TlsFailedError(ConnectionFailedError):
    """TLS to the endpoint failed (a certificate that does not verify, a protocol refused): it will fail
    the same way on the next try, so it is not retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message, sent=False)


class RequestTimeoutError(ConnectionFailedError):
    """No connection (`sent` False) or no answer (`sent` True) within the client's timeout."""


class DamagedAnswerError(TransportError):
    """An answer arrived damaged (its CRC32 does not match, or it is not DynamoDB's JSON): the request
    itself may have been applied."""


class InvalidRequestError(TransportError):
    """The sender refused the request before sending it (botocore's parameter validation)."""
