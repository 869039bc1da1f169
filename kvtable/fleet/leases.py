"""Parts of a job claimed in the table with a lease, so that N workers share them and a dead worker's
part is taken over: one item a part, `PK=<the job's partition>, SK=LEASE#<n>/<total>`, beside the job's
checkpoints. Every write of it is a compare-and-set on its `leaseVersion`, so of two claimants that read
the same lease one wins; the holder renews it while working and works only while it holds it by its own
clock with a margin, and another takes it only once it has ended by the taker's clock plus that margin:
with clocks that agree within the margin, no part is run by two live workers at once."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from kvtable.contract.error_mapping import Refused, refused_item
from kvtable.contract.requests import Item, TableRequests
from kvtable.fleet.shares import DEFAULT_LEASE_SECONDS, WorkerShare
from kvtable.schema import key_design as kd
from kvtable.schema.errors import KvTableError

LEASE_PREFIX = "LEASE#"
LEASE_ENTITY = "LEASE"
PART, TOTAL, OWNER, WORKER = "part", "totalParts", "owner", "worker"
UNTIL, VERSION, TAKEN_FROM, DONE, CLAIMS = "leaseUntil", "leaseVersion", "takenFrom", "done", "claims"
# The clocks of two workers may disagree by this share of a lease: the holder stops that much before its
# end, a taker waits that much after it.
MARGIN_SHARE = 0.2


def margin(seconds: float) -> float:
    """The clock-skew margin of a lease of `seconds`."""
    return seconds * MARGIN_SHARE


@dataclass(frozen=True)
class Lease:
    """Who holds part `part` of `total` and until when (epoch seconds); `version` counts its writes (0:
    never written), `taken_from` the worker whose expired lease was taken over last, `done` a finished part."""

    part: int
    total: int
    owner: str | None = None
    worker: str | None = None
    until: float = 0.0
    version: int = 0
    taken_from: str | None = None
    done: bool = False
    claims: int = 0

    @property
    def sort_key(self) -> str:
        """`LEASE#<n>/<total>`."""
        return f"{LEASE_PREFIX}{self.part}/{self.total}"

    def free(self, now: float, seconds: float) -> bool:
        """Whether another may claim it at `now` (by its clock): never claimed, or ended a margin ago."""
        return not self.done and (self.owner is None or now >= self.until + margin(seconds))

    def held_by(self, owner: str, now: float, seconds: float) -> bool:
        """Whether `owner` may work on it at `now` (by its clock): its lease, ending more than a margin on."""
        return self.owner == owner and not self.done and now < self.until - margin(seconds)

    def claimed(self, owner: str, worker: str, now: float, seconds: float) -> Lease:
        """The lease as `owner` (worker `worker`) claims or renews it at `now`."""
        taken = self.worker if self.owner not in (None, owner) else self.taken_from
        claims = self.claims + (self.owner != owner)
        return replace(
            self,
            owner=owner,
            worker=worker,
            until=now + seconds,
            version=self.version + 1,
            taken_from=taken,
            claims=claims,
        )

    def item(self, partition: str) -> Item:
        """The lease as a table item (wire format)."""
        item: Item = {
            kd.PARTITION_KEY: {"S": partition},
            kd.SORT_KEY: {"S": self.sort_key},
            kd.ENTITY_TYPE_ATTRIBUTE: {"S": LEASE_ENTITY},
            PART: {"N": str(self.part)},
            TOTAL: {"N": str(self.total)},
            UNTIL: {"N": repr(round(self.until, 3))},
            VERSION: {"N": str(self.version)},
            DONE: {"BOOL": self.done},
            CLAIMS: {"N": str(self.claims)},
        }
        for name, value in ((OWNER, self.owner), (WORKER, self.worker), (TAKEN_FROM, self.taken_from)):
            if value is not None:
                item[name] = {"S": value}
        return item

    @classmethod
    def from_item(cls, item: Item) -> Lease:
        """A lease item read back (wire format)."""

        def text(name: str) -> str | None:
            return item[name]["S"] if name in item else None

        return cls(
            part=int(item[PART]["N"]),
            total=int(item[TOTAL]["N"]),
            owner=text(OWNER),
            worker=text(WORKER),
            until=float(item[UNTIL]["N"]),
            version=int(item[VERSION]["N"]),
            taken_from=text(TAKEN_FROM),
            done=bool(item[DONE]["BOOL"]),
            claims=int(item.get(CLAIMS, {"N": "0"})["N"]),
        )


def read_leases(requests: TableRequests, partition: str, total: int) -> dict[int, Lease]:
    """The leases of the job in `partition` cut into `total` parts (strongly consistent), by part; an
    unwritten lease for a part never claimed."""
    request: dict[str, Any] = {
        "TableName": requests.table_name,
        "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :lease)",
        "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY, "#sk": kd.SORT_KEY},
        "ExpressionAttributeValues": {":pk": {"S": partition}, ":lease": {"S": LEASE_PREFIX}},
        "ConsistentRead": True,
    }
    found = {part: Lease(part, total) for part in range(total)}
    while True:
        response = requests.send("read leases", "Query", request)
        for item in response.get("Items", []):
            lease = Lease.from_item(item)
            if lease.total == total:
                found[lease.part] = lease
        if not response.get("LastEvaluatedKey"):
            return found
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class LeaseTable:
    """The leases of one job (its partition `partition`) for one worker process: read, claim, renew,
    finish. `clock` gives epoch seconds (the same scale on every machine); `on_units` is told the write
    capacity each lease write consumed, so that a paced job counts it in its budget."""

    def __init__(
        self,
        requests: TableRequests,
        partition: str,
        share: WorkerShare,
        *,
        seconds: float = DEFAULT_LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
        on_units: Callable[[float], None] = lambda units: None,
    ) -> None:
        self.requests, self.partition, self.share = requests, partition, share
        self.seconds, self.clock, self.on_units = seconds, clock, on_units
        # Unique to this process: a worker restarted with the same index is another owner.
        self.owner = f"{share.label}#{os.urandom(6).hex()}"

    def read(self, total: int) -> dict[int, Lease]:
        """Every part's lease (strongly consistent), an unwritten one for a part never claimed."""
        return read_leases(self.requests, self.partition, total)

    def claim(self, lease: Lease) -> Lease | None:
        """Claim `lease` as read: the new lease, or None when it is not free or another claimed it first."""
        now = self.clock()
        if not lease.free(now, self.seconds):
            return None
        return self._swap(lease, lease.claimed(self.owner, self.share.label, now, self.seconds))

    def renew(self, lease: Lease) -> Lease | None:
        """Extend this worker's `lease`: the new lease, or None when it was taken over meanwhile."""
        return self._swap(lease, lease.claimed(self.owner, self.share.label, self.clock(), self.seconds))

    def finish(self, lease: Lease) -> Lease | None:
        """Mark this worker's part done (it stays with the worker that finished it, for status)."""
        return self._swap(lease, replace(lease, version=lease.version + 1, done=True))

    def _swap(self, read: Lease, new: Lease) -> Lease | None:
        """Write `new` over the lease as `read` (compare-and-set on its version)."""
        request: dict[str, Any] = {
            "TableName": self.requests.table_name,
            "Item": new.item(self.partition),
            "ReturnConsumedCapacity": "TOTAL",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            "ExpressionAttributeNames": {"#v": VERSION},
        }
        if read.version:
            request["ConditionExpression"] = "#v = :v"
            request["ExpressionAttributeValues"] = {":v": {"N": str(read.version)}}
        else:
            request["ConditionExpression"] = "attribute_not_exists(#v)"
        try:
            response = self.requests.send("write lease", "PutItem", request, on_condition_failed=Refused())
        except Refused as refused:
            self.on_units(1.0)  # a failed condition costs a write unit, reported or not
            stored = refused_item(refused)
            # A retry of this very write, whose first try was applied and its answer lost, finds it there.
            if stored is not None and (stored.get(OWNER), stored.get(VERSION)) == (new.owner, new.version):
                return new
            return None
        self.on_units(float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)))
        return new


class LeaseKeeper:
    """Renews the leases a process holds, every third of a lease, on a thread of its own; `held` says
    whether a part may still be worked on (renewed in time and not taken over)."""

    def __init__(self, table: LeaseTable) -> None:
        self.table = table
        self.lock = threading.Lock()
        # Held while a lease is written, so that a renewal and the part's finish never race on its version.
        self.writing = threading.Lock()
        self.leases: dict[int, Lease] = {}
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._renew_all, name="kvtable-leases", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.closing.set()
        self.thread.join()

    def holding(self) -> set[int]:
        """The parts this process holds."""
        with self.lock:
            return set(self.leases)

    def hold(self, lease: Lease) -> None:
        """Keep `lease` renewed from now on."""
        with self.lock:
            self.leases[lease.part] = lease

    def held(self, part: int) -> bool:
        """Whether this process may work on `part` now."""
        with self.lock:
            lease = self.leases.get(part)
        return lease is not None and lease.held_by(self.table.owner, self.table.clock(), self.table.seconds)

    def release(self, part: int, *, done: bool) -> None:
        """Stop renewing `part`; mark it done when it is."""
        with self.writing:
            with self.lock:
                lease = self.leases.pop(part, None)
            if done and lease is not None:
                self.table.finish(lease)

    def _renew_all(self) -> None:
        while not self.closing.wait(self.table.seconds / 3):
            for part in self.holding():
                with self.writing:
                    self._renew(part)

    def _renew(self, part: int) -> None:
        with self.lock:
            lease = self.leases.get(part)
        if lease is None:
            return  # released meanwhile
        try:
            renewed: Lease | None = self.table.renew(lease)
        except KvTableError:
            return  # past the retries: tried again in a third of a lease, and it ends by itself meanwhile
        with self.lock:
            if renewed is None:
                del self.leases[part]  # taken over: its worker stops before its next write
            else:
                self.leases[part] = renewed


def claim_order(share: WorkerShare, total: int) -> list[int]:
    """The parts in the order a worker tries them: its own share, then everyone else's."""
    own = [part for part in range(total) if share.own(part)]
    return own + [part for part in range(total) if not share.own(part)]


def claim_next(table: LeaseTable, keeper: LeaseKeeper, total: int, done: Iterable[int]) -> Lease | None:
    """Claim the first part, in `claim_order`, that is not done, not this process's, and free (never
    claimed, or its lease ended): its lease, now held by `keeper`; None when none could be claimed."""
    finished, mine = set(done), keeper.holding()
    leases = table.read(total)
    for part in claim_order(table.share, total):
        if part in finished or part in mine:
            continue
        claimed = table.claim(leases[part])
        if claimed is not None:
            keeper.hold(claimed)
            return claimed
    return None
