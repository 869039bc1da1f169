"""Many keys at once: batched reads and deletes, and bulk loads that stream with bounded memory."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from kvtable.contract.instructions import Concurrently, Finished, Operation, raise_failure
from kvtable.contract.keys import new_key_item, upgraded
from kvtable.contract.requests import Item, TableRequests
from kvtable.contract.validation import require_bool, require_whole
from kvtable.schema import key_design as kd
from kvtable.schema.entities import JsonValue, KeyItem
from kvtable.schema.errors import InvalidEntryError, InvalidInputError, PartialWriteError
from kvtable.schema.limits import BATCH_WRITE_LIMIT, MAX_WORKERS
from kvtable.schema.values import check_item_size, serialize_item, to_storable

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

    def __init__(self, requests: TableRequests, in_flight: int = 1) -> None:
        """`in_flight`: how many batches of get_keys and delete_keys may be sent at once."""
        self.requests = requests
        self.in_flight = in_flight

    # ----- many keys at once ---------------------------------------------

    def get_keys(
        self, namespace: str, keys: Iterable[str], consistent: bool = False
    ) -> Operation[dict[str, KeyItem]]:
        """The live keys among `keys`, by name, in the order asked (BatchGetItem, 100 keys a request).

        Missing and expired keys are absent from the answer; a key named twice is read once."""
        partition = kd.namespace_partition_key(namespace)
        require_bool("consistent", consistent)
        names = _key_names(keys)
        found: dict[str, KeyItem] = {}

        def read(_: int, items: list[dict[str, Any]]) -> None:
            for item in items:
                if self.requests.live(item):
                    found[kd.parse_key(item[kd.SORT_KEY])] = cast(KeyItem, upgraded(item))

        reads = (
            self.requests.batch_get(
                "get keys",
                [self.requests.key_map(partition, kd.key_sort_key(key)) for key in chunk],
                consistent,
            )
            for chunk in _chunks(names, BATCH_GET_LIMIT)
        )
        raise_failure((yield Concurrently(reads, self.in_flight, read)))
        return {key: found[key] for key in names if key in found}

    def delete_keys(self, namespace: str, keys: Iterable[str]) -> Operation[int]:
        """Delete `keys` (BatchWriteItem, 25 a request); returns how many distinct keys were named.

        A missing key is no error (a batch cannot carry conditions), so running it again is safe."""
        partition = kd.namespace_partition_key(namespace)
        names = _key_names(keys)
        writes = (
            self.requests.write_batch(
                "delete keys",
                [
                    {"DeleteRequest": {"Key": self.requests.key_map(partition, kd.key_sort_key(k))}}
                    for k in chunk
                ],
            )
            for chunk in _chunks(names, BATCH_WRITE_LIMIT)
        )
        raise_failure((yield Concurrently(writes, self.in_flight, _ignore)))
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
    ) -> Operation[int]:
        """Write `entries` (any number, streamed) with BatchWriteItem, 25 a request; returns how many
        entries were written. Memory stays bounded: a chunk of 25 is checked, then written.

        A bad entry raises InvalidEntryError and a failed write PartialWriteError, both carrying
        `written`: the entries from the start that are written, where a caller resumes. A bulk load
        replaces whole items (createdAt now, version 1). `workers` chunks are written at once."""
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

        load = _StreamedLoad(batch, on_progress)
        writes = (
            self.requests.write_batch("load keys", requests)
            for requests in load.numbered(_chunks(_entries(entries), BATCH_WRITE_LIMIT))
        )
        finished = yield Concurrently(writes, workers, load.finished)
        return load.outcome(cast(Finished, finished))


def _ignore(_: int, __: object) -> None:
    return None


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
    """Checks chunks in order, as the writes ask for them, and tracks how many entries from the start are
    written (the resume point) even when chunks finish out of order."""

    def __init__(
        self,
        batch: Callable[[list[tuple[str, JsonValue]]], list[dict[str, Any]]],
        on_progress: ProgressCallback | None,
    ) -> None:
        self.batch, self.on_progress = batch, on_progress
        self.sizes: dict[int, int] = {}  # entries in each chunk not yet in the written prefix
        self.done: set[int] = set()
        self.prefix_chunks = 0  # chunks from the start that are all written
        self.written = 0  # entries in those chunks
        self.total_done = 0

    def finished(self, number: int, _: object = None) -> None:
        """Chunk `number` is written."""
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

    def numbered(self, chunks: Iterator[list[tuple[str, JsonValue]]]) -> Iterator[list[dict[str, Any]]]:
        """Each chunk's requests, in order; bad input, in the entries themselves or met while reading
        them, becomes InvalidEntryError."""
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
            yield self._put_requests(number, chunk)
            number += 1

    def outcome(self, finished: Finished) -> int:
        """The entries written, or the error that says where the written ones end and what failed."""
        if finished.failure is not None:
            number, failure = finished.failure
            first, last = self._entries_of(number)
            raise PartialWriteError(
                f"{failure} (writing entries {first} to {last}); {self.written} entries from the start are written",
                self.written,
                (first, last),
            ) from failure
        unread = finished.unread
        if isinstance(unread, InvalidEntryError):
            # The writes already under way finished first, so the resume point counts them.
            raise InvalidEntryError(str(unread), self.written, unread.entry) from unread.__cause__
        if unread is not None:
            raise unread
        return self.written
