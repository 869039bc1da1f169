"""The lease's rules with an injected clock (no engine): who may claim, who may work, what a takeover
records; and a worker's share, from `I/N` or from the schedulers' variables."""

import pytest

from kvtable.fleet.leases import Lease, claim_order, margin
from kvtable.fleet.shares import WorkerShare, parse_share, share_from_environment
from kvtable.schema.errors import InvalidInputError

SECONDS = 10.0  # margin 2 s


def test_a_part_never_claimed_is_free_and_a_claim_holds_it_for_a_lease() -> None:
    lease = Lease(3, 16)
    assert lease.free(now=1000.0, seconds=SECONDS)
    claimed = lease.claimed("a#1", "0/4", 1000.0, SECONDS)
    assert (claimed.owner, claimed.worker, claimed.until, claimed.version, claimed.claims) == (
        "a#1",
        "0/4",
        1010.0,
        1,
        1,
    )
    assert claimed.taken_from is None
    assert Lease.from_item(claimed.item("MIGRATION#m")) == claimed


def test_the_holder_works_only_until_a_margin_before_the_end() -> None:
    claimed = Lease(0, 4).claimed("a#1", "0/4", 1000.0, SECONDS)
    assert margin(SECONDS) == 2.0
    assert claimed.held_by("a#1", 1007.9, SECONDS)
    assert not claimed.held_by("a#1", 1008.0, SECONDS)  # stops 2 s early, for a clock that runs behind
    assert not claimed.held_by("b#2", 1001.0, SECONDS)  # never another's


def test_another_takes_it_over_only_a_margin_after_the_end() -> None:
    claimed = Lease(0, 4).claimed("a#1", "0/4", 1000.0, SECONDS)
    assert not claimed.free(1011.9, SECONDS)  # ended by its clock, but within the margin
    assert claimed.free(1012.0, SECONDS)
    taken = claimed.claimed("b#2", "1/4", 1012.0, SECONDS)
    assert (taken.worker, taken.taken_from, taken.version, taken.claims) == ("1/4", "0/4", 2, 2)


def test_a_renewal_moves_the_end_on_and_is_no_takeover() -> None:
    claimed = Lease(0, 4).claimed("a#1", "0/4", 1000.0, SECONDS)
    renewed = claimed.claimed("a#1", "0/4", 1003.0, SECONDS)
    assert (renewed.until, renewed.version, renewed.claims, renewed.taken_from) == (1013.0, 2, 1, None)
    assert renewed.held_by("a#1", 1010.0, SECONDS)


def test_a_done_part_is_never_free_again() -> None:
    claimed = Lease(0, 4).claimed("a#1", "0/4", 1000.0, SECONDS)
    done = Lease(**{**claimed.__dict__, "done": True})
    assert not done.free(10**9, SECONDS) and not done.held_by("a#1", 1001.0, SECONDS)


def test_a_worker_tries_its_own_share_first_then_the_others() -> None:
    assert claim_order(WorkerShare(1, 4), 8) == [1, 5, 0, 2, 3, 4, 6, 7]


@pytest.mark.parametrize(
    ("text", "share"), [("0/4", WorkerShare(0, 4)), ("3/4", WorkerShare(3, 4)), ("auto", None)]
)
def test_a_share_is_i_of_n_from_0(text: str, share: WorkerShare | None) -> None:
    assert parse_share(text) == share


@pytest.mark.parametrize("text", ["4/4", "1/0", "-1/4", "1-4", "", "0/99999999"])
def test_a_share_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_share(text)


def test_auto_reads_aws_batch_then_kubernetes_then_a_named_variable() -> None:
    batch = {"AWS_BATCH_JOB_ARRAY_INDEX": "2", "AWS_BATCH_JOB_ARRAY_SIZE": "8"}
    assert share_from_environment(batch) == WorkerShare(2, 8)
    assert share_from_environment({"JOB_COMPLETION_INDEX": "5"}, total=6) == WorkerShare(5, 6)
    assert share_from_environment(
        {"MINE": "1", "JOB_COMPLETION_INDEX": "5"}, index_variable="MINE", total=2
    ) == WorkerShare(1, 2)


@pytest.mark.parametrize(
    ("environment", "total", "says"),
    [
        ({}, 4, "AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX is not set"),
        ({"JOB_COMPLETION_INDEX": "1"}, None, "give --workers-total N"),
        ({"JOB_COMPLETION_INDEX": "x"}, 4, "is not a whole number"),
        ({"JOB_COMPLETION_INDEX": "4"}, 4, "the index runs from 0 to 3"),
    ],
)
def test_auto_says_what_is_missing(environment: dict[str, str], total: int | None, says: str) -> None:
    with pytest.raises(InvalidInputError, match=says):
        share_from_environment(environment, total=total)
