"""Leases on DynamoDB Local with injected clocks: two claimants of one part, renewal, expiry and
takeover, each decided by the compare-and-set on the lease's version."""

from collections.abc import Callable

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.fleet.leases import LeaseKeeper, LeaseTable, claim_next, read_leases
from kvtable.fleet.shares import WorkerShare
from kvtable.migrate.runner import table_requests

PARTITION, SECONDS = "MIGRATION#lease-test", 10.0


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def table_for(dynamodb_client: DynamoDBClient, table_name: str) -> Callable[[int, Clock], LeaseTable]:
    store = KvTable(dynamodb_client, table_name)

    def make(index: int, clock: Clock) -> LeaseTable:
        return LeaseTable(
            table_requests(store), PARTITION, WorkerShare(index, 2), seconds=SECONDS, clock=clock
        )

    return make


def test_of_two_claimants_of_one_lease_as_read_one_wins(
    table_for: Callable[[int, Clock], LeaseTable],
) -> None:
    clock = Clock()
    first, second = table_for(0, clock), table_for(1, clock)
    read = first.read(2)[0]
    assert first.claim(read) is not None
    assert second.claim(read) is None  # the same version: the compare-and-set fails
    assert second.claim(second.read(2)[0]) is None  # read again: held, not ended


def test_a_renewed_lease_stays_with_its_holder_an_ended_one_is_taken_over(
    table_for: Callable[[int, Clock], LeaseTable],
) -> None:
    clock = Clock()
    holder, taker = table_for(0, clock), table_for(1, clock)
    lease = holder.claim(holder.read(2)[1])
    assert lease is not None
    clock.now += 9.0
    renewed = holder.renew(lease)
    assert renewed is not None
    clock.now += 10.0  # past the first end, within the renewed one and its margin
    assert taker.claim(taker.read(2)[1]) is None
    clock.now += 2.0  # the renewed end (19 s after the claim) plus the 2 s margin
    taken = taker.claim(taker.read(2)[1])
    assert taken is not None and taken.taken_from == "0/2"
    assert holder.renew(renewed) is None  # the holder learns it lost the part
    stored = read_leases(holder.requests, PARTITION, 2)[1]
    assert (stored.worker, stored.taken_from, stored.claims) == ("1/2", "0/2", 2)


def test_claim_next_skips_done_and_held_parts(table_for: Callable[[int, Clock], LeaseTable]) -> None:
    clock = Clock()
    first, second = table_for(0, clock), table_for(1, clock)
    keeper_first, keeper_second = LeaseKeeper(first), LeaseKeeper(second)
    got = claim_next(first, keeper_first, 2, done=())
    assert got is not None and got.part == 0  # its own share first
    got = claim_next(second, keeper_second, 2, done=())
    assert got is not None and got.part == 1
    assert claim_next(first, keeper_first, 2, done=()) is None  # the other part is held
    keeper_first.release(0, done=True)
    assert read_leases(first.requests, PARTITION, 2)[0].done
    clock.now += SECONDS * 1.2  # part 1's lease ended (never renewed: no keeper thread runs here)
    got = claim_next(first, keeper_first, 2, done={0})
    assert got is not None and (got.part, got.taken_from) == (1, "1/2")
    assert not keeper_second.held(1)
