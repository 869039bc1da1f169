"""Many keys at once: batched reads and deletes, and bulk loads that stream with bounded memory."""

from __future__ import annotations

import contextvars
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from kvtable.contract.keys import new_key_item, upgraded
from kvtable.contract.requests import Item, TableRequests
from kvtable.contract.validation import require_bool, require_whole
from kvtable.schema import key_design as kd
from kvtable.schema.entities import JsonValue, KeyItem
from kvtable.schema.errors import InvalidEntryError, InvalidInputError, KvTableError, PartialWriteError
from kvtable.schema.limits import BATCH_WRITE_LIMIT, MAX_WORKERS
from kvtable.schema.values import check_item_size, serialize_item, to_storable

if TYPE_CHECKING:
    from concurrent.futures import Future

# concurrent.futures (and the logging it brings) loads only for a load with workers: a process that
# never loads in parallel, such as a Lambda function's, does not pay for it.
FIRST_COMPLETED = "FIRST_COMPLETED"

BATCH_GET_LIMIT = 100  # keys a BatchGetItem request may name
ProgressCallback = Callable[[int], None]


def _key_names(keys: Iterable[str]) -> list[str]:
    """The distinct keys asked for, in the order first asked (DynamoDB refuses a batch naming one twice)."""
    if isinstance(keys, (str, bytes)):
        raise InvalidInputError("keys must be a list of key names, not one string")
    try:
        distinct = dict.fromkeys(keys)
    except TypeError as error:
        raise InvalidInputError(f"keys must be a list of key names: {error}") from None
    for key in distinct:
        kd.key_sort_key(key)
    return list(distinct)


def _chunks(entries: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(entries)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class BulkKeyOperations:
    """BatchGetItem and BatchWriteItem over the keys of one namespace."""

    def __init__(self, requests: TableRequests) -> None:
        self.requests = requests

    # ----- many keys at once ---------------------------------------------

    def get_keys(self, namespace: str, keys: Iterable[str], consistent: bool = False) -> dict[str, KeyItem]:
        """The live keys among `keys`, by name, in the order asked (BatchGetItem, 100 keys a request).

        Missing and expired keys are absent from the answer; a key named twice is read once."""
        partition = kd.namespace_partition_key(namespace)
        require_bool("consistent", consistent)
        names = _key_names(keys)
        found: dict[str, KeyItem] = {}
        for chunk in _chunks(names, BATCH_GET_LIMIT):
            table_keys = [self.requests.key_map(partition, kd.key_sort_key(key)) for key in chunk]
            for item in self.requests.batch_get("get keys", table_keys, consistent):
                if self.requests.live(item):
                    found[kd.parse_key(item[kd.SORT_KEY])] = cast(KeyItem, upgraded(item))
        return {key: found[key] for key in names if key in found}

    def delete_keys(self, namespace: str, keys: Iterable[str]) -> int:
        """Delete `keys` (BatchWriteItem, 25 a request); returns how many distinct keys were named.

        A missing key is no error (a batch cannot carry conditions), so running it again is safe."""
        partition = kd.namespace_partition_key(namespace)
        names = _key_names(keys)
        for chunk in _chunks(names, BATCH_WRITE_LIMIT):
            self.requests.batch_write(
                "delete keys",
                [
                    {"DeleteRequest": {"Key": self.requests.key_map(partition, kd.key_sort_key(k))}}
                    for k in chunk
                ],
            )
        return len(names)

    # ----- bulk load -----------------------------------------------------

    def load_keys(
        self,
        namespace: str,
        entries: Iterable[tuple[str, JsonValue]],
        ttl: int | None = None,
        *,
        workers: int = 1,
        on_progress: ProgressCallback | None = None,
    ) -> int:
        """Write `entries` (any number, streamed) with BatchWriteItem, 25 a request; returns how many
        entries were written. Memory stays bounded: a chunk of 25 is checked, then written.

        A bad entry raises InvalidEntryError and a failed write PartialWriteError, both carrying
        `written`: the entries from the start that are written, where a caller resumes. A bulk load
        replaces whole items (createdAt now, version 1). `workers` threads write chunks at once."""
        partition = kd.namespace_partition_key(namespace)
        expires = None if ttl is None else self.requests.check_ttl(ttl)
        workers = require_whole("workers", workers)
        if not 1 <= workers <= MAX_WORKERS:
            raise InvalidInputError(f"workers must be 1 to {MAX_WORKERS}, got {workers}")
        timestamp, _ = self.requests.now()

        def batch(chunk: list[tuple[str, JsonValue]]) -> list[dict[str, Any]]:
            latest: dict[str, Item] = {}
            for offset, (key, value) in enumerate(chunk):
                try:
                    sort = kd.key_sort_key(key)
                    item = serialize_item(
                        new_key_item(partition, sort, to_storable(value), timestamp, expires)
                    )
                    check_item_size(item)
                except InvalidInputError as error:
                    raise _RefusedEntryError(str(error), offset) from error
                # DynamoDB refuses a batch naming one key twice; the last value wins, as with puts.
                latest[sort] = item
            return [{"PutRequest": {"Item": item}} for item in latest.values()]

        return _StreamedLoad(self.requests, batch, workers, on_progress).run(
            _chunks(_entries(entries), BATCH_WRITE_LIMIT)
        )


def _entries(entries: Iterable[tuple[str, JsonValue]]) -> Iterator[tuple[str, JsonValue]]:
    if isinstance(entries, (str, bytes)):
        raise InvalidInputError("entries must be (key, value) pairs, not one string")
    try:
        iterator = iter(entries)
    except TypeError:
        raise InvalidInputError(f"entries must be (key, value) pairs, got {type(entries).__name__}") from None
    for entry in iterator:
        if not isinstance(entry, tuple) or len(entry) != 2:
            raise InvalidInputError(f"each entry must be a (key, value) pair, got {entry!r:.80}")
        yield entry


class _RefusedEntryError(InvalidInputError):
    """The entry at `offset` in its chunk is refused (turned into InvalidEntryError with its number)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class _StreamedLoad:
    """Checks and writes chunks in order, with up to `workers` writes in flight, and tracks how many
    entries from the start are written (the resume point) even when chunks finish out of order."""

    def __init__(
        self,
        requests: TableRequests,
        batch: Callable[[list[tuple[str, JsonValue]]], list[dict[str, Any]]],
        workers: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.requests, self.batch, self.workers, self.on_progress = requests, batch, workers, on_progress
        self.sizes: dict[int, int] = {}  # entries in each chunk not yet in the written prefix
        self.done: set[int] = set()
        self.prefix_chunks = 0  # chunks from the start that are all written
        self.written = 0  # entries in those chunks
        self.total_done = 0

    def _finished(self, number: int) -> None:
        self.done.add(number)
        self.total_done += self.sizes[number]
        while self.prefix_chunks in self.done:
            self.done.discard(self.prefix_chunks)
            self.written += self.sizes.pop(self.prefix_chunks)
            self.prefix_chunks += 1
        if self.on_progress is not None:
            self.on_progress(self.total_done)

    def _entries_of(self, number: int) -> tuple[int, int]:
        """The first and last entry (counted from 1) of chunk `number`."""
        first = number * BATCH_WRITE_LIMIT + 1
        return first, first + self.sizes[number] - 1

    def _put_requests(self, number: int, chunk: list[tuple[str, JsonValue]]) -> list[dict[str, Any]]:
        try:
            return self.batch(chunk)
        except InvalidInputError as error:
            first, last = self._entries_of(number)
            entry = first + error.offset if isinstance(error, _RefusedEntryError) else None
            raise InvalidEntryError(
                ("" if entry is None else f"entry {entry}: ")
                + f"{error} (in the chunk of entries {first} to {last}; that chunk was not written)",
                self.written,
                entry,
            ) from error

    def _numbered(
        self, chunks: Iterator[list[tuple[str, JsonValue]]]
    ) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """Each chunk's number and requests; bad input, in the entries themselves or met while reading
        them, becomes InvalidEntryError carrying the entries written so far."""
        number = 0
        while True:
            try:
                chunk = next(chunks, None)
            except InvalidInputError as error:
                raise InvalidEntryError(
                    f"{error} (reading entries from {number * BATCH_WRITE_LIMIT + 1} on; none of them was written)",
                    self.written,
                ) from error
            if chunk is None:
                return
            self.sizes[number] = len(chunk)
            yield number, self._put_requests(number, chunk)
            number += 1

    def run(self, chunks: Iterator[list[tuple[str, JsonValue]]]) -> int:
        if self.workers == 1:
            for number, requests in self._numbered(chunks):
                self._write(number, requests)
                self._finished(number)
            return self.written
        return self._run_parallel(chunks)

    def _write(self, number: int, requests: list[dict[str, Any]]) -> None:
        try:
            self.requests.batch_write("load keys", requests)
        except KvTableError as error:
            raise self._partial(error, number) from error

    def _partial(self, failure: BaseException, number: int) -> PartialWriteError:
        """The error for a failed write of chunk `number`: where the written entries end, and which failed."""
        first, last = self._entries_of(number)
        return PartialWriteError(
            f"{failure} (writing entries {first} to {last}); {self.written} entries from the start are written",
            self.written,
            (first, last),
        )

    def _run_parallel(self, chunks: Iterator[list[tuple[str, JsonValue]]]) -> int:
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 (concurrent.futures: not on `kvtable.connect`'s path (tests/engine/contract/test_connect.py))

        in_flight: dict[Future[None], int] = {}
        failure: tuple[BaseException, int] | None = None
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kvtable-load") as pool:
            try:
                for number, requests in self._numbered(chunks):
                    # At most two chunks a worker in memory: the reader waits for the writers.
                    while len(in_flight) >= 2 * self.workers:
                        failure = self._collect(in_flight, FIRST_COMPLETED)
                        if failure is not None:
                            break
                    if failure is not None:
                        break
                    # telemetry hook: each write runs in this thread's context, so it is inside the load's span
                    write = contextvars.copy_context().run
                    in_flight[pool.submit(write, self.requests.batch_write, "load keys", requests)] = number
            except InvalidEntryError as error:
                # The writes already under way finish first, so the resume point counts them.
                failure = self._collect(in_flight, None)
                if failure is None:
                    raise InvalidEntryError(str(error), self.written, error.entry) from error.__cause__
            except BaseException:
                self._collect(in_flight, None)
                raise
            failure = self._collect(in_flight, None) or failure
        if failure is not None:
            raise self._partial(*failure) from failure[0]
        return self.written

    def _collect(
        self, in_flight: dict[Future[None], int], how: str | None
    ) -> tuple[BaseException, int] | None:
        """Wait for one write (FIRST_COMPLETED) or all (None); the first failure seen and its chunk, if any."""
        from concurrent.futures import wait  # noqa: PLC0415 (concurrent.futures: not on `kvtable.connect`'s path (tests/engine/contract/test_connect.py))

        done, _ = wait(list(in_flight), return_when=how or "ALL_COMPLETED")
        failure: tuple[BaseException, int] | None = None
        for future in done:
            number = in_flight.pop(future)
            error = future.exception()
            if error is None:
                self._finished(number)
            elif failure is None:
                failure = (error, number)
        return failure
