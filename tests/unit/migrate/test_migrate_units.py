"""The migration machinery without an engine: the registry, the migrations' pure changes, the contract's
read upgrade and its key-write conditions, the requests a run sends, the capacity budget, checkpoints,
the plan's arithmetic and the command's refusals."""

import threading
from collections.abc import Callable
from typing import Any

import pytest

from kvtable.cli.main import main
from kvtable.contract import keys
from kvtable.migrate.checkpoints import MIGRATION_PREFIX, Checkpoint, MigrationStatus
from kvtable.migrate.expressions import scan_request, write_request
from kvtable.migrate.options import RunOptions
from kvtable.migrate.pacing import CapacityBudget
from kvtable.migrate.plan import Index, TableFigures, checkpoint_writes, estimate
from kvtable.schema import key_design as kd
from kvtable.schema import migrations as registry
from kvtable.schema.errors import InvalidInputError
from kvtable.schema.key_design import VERSION, WRITE_ID
from kvtable.schema.migration import Migration
from kvtable.schema.migrations import (
    GSI2_PARTITION_KEY,
    GSI2_SORT_KEY,
    KEY_VERSION,
    KEYS_BY_CHANGE,
    give_version,
    index_by_change,
)

# ----- the registry -----------------------------------------------------------------------------------


def test_the_registry_is_in_order_with_unique_ids() -> None:
    ids = [migration.id for migration in registry.MIGRATIONS]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [int(migration_id[:4]) for migration_id in ids] == list(range(1, len(ids) + 1))
    assert registry.MIGRATIONS[0] is KEY_VERSION


def test_examples_are_registered_but_not_applied() -> None:
    assert KEYS_BY_CHANGE in registry.MIGRATIONS
    assert KEYS_BY_CHANGE not in registry.applied()
    assert registry.applied() == (KEY_VERSION,)
    assert registry.find("0002-keys-by-change") is KEYS_BY_CHANGE
    with pytest.raises(InvalidInputError, match="no migration '0003-x'; the registry holds 0001-key-version"):
        registry.find("0003-x")


def test_a_migration_names_its_items_one_way_and_has_an_id_a_checkpoint_can_hold() -> None:
    def change(_: Any) -> None:
        return None

    common: dict[str, Any] = {"change": change, "reads": (), "still_needs": "attribute_not_exists({x})"}
    with pytest.raises(InvalidInputError, match="0001-some-name"):
        Migration("1-x", "d", entity_type="KEY", **common)
    with pytest.raises(InvalidInputError, match="0001-x"):
        Migration("0001-x#y", "d", entity_type="KEY", **common)
    with pytest.raises(InvalidInputError, match="not both or neither"):
        Migration("0001-x", "d", entity_type="KEY", key_prefix="NS#", **common)
    with pytest.raises(InvalidInputError, match="not both or neither"):
        Migration("0001-x", "d", **common)


def test_the_checkpoints_partition_is_no_item_of_the_key_design() -> None:
    design = (kd.USER_PREFIX, kd.NAMESPACE_PREFIX, kd.API_KEY_PREFIX, kd.KEY_PREFIX, kd.METADATA)
    assert not any(MIGRATION_PREFIX.startswith(p) or p.startswith(MIGRATION_PREFIX) for p in design)


# ----- the migrations' changes are pure and done once ----------------------------------------------------


@pytest.mark.parametrize(
    ("change", "item", "expected"),
    [
        (give_version, {kd.PARTITION_KEY: "NS#a", kd.SORT_KEY: "KEY#k"}, {VERSION: 1}),
        (give_version, {kd.PARTITION_KEY: "NS#a", kd.SORT_KEY: "KEY#k", VERSION: 7}, None),
        (
            index_by_change,
            {kd.PARTITION_KEY: "NS#a", kd.SORT_KEY: "KEY#k", kd.UPDATED_AT: "2026-01-01T00:00:00.000Z"},
            {GSI2_PARTITION_KEY: "NS#a", GSI2_SORT_KEY: "2026-01-01T00:00:00.000Z"},
        ),
        (index_by_change, {kd.PARTITION_KEY: "NS#a", kd.UPDATED_AT: "t", GSI2_PARTITION_KEY: "NS#a"}, None),
    ],
)
def test_each_change_is_pure_and_needs_nothing_once_applied(
    change: Callable[[dict[str, Any]], dict[str, Any] | None], item: dict[str, Any], expected: object
) -> None:
    before = dict(item)
    assert change(item) == expected
    assert item == before  # the item itself is left alone
    if expected is not None:
        assert change({**item, **expected}) is None


# ----- the contract: reads upgraded, and the key write's version conditions --------------------------------


def test_an_unversioned_key_reads_as_the_version_the_backfill_gives_it() -> None:
    assert registry.read_defaults(kd.KEY_ENTITY) == ((VERSION, 1),)
    assert keys._UNVERSIONED == give_version({})[VERSION] == 1  # type: ignore[index]
    assert keys.upgraded({"value": 1}) == {"value": 1, VERSION: 1}
    assert keys.upgraded({"value": 1, VERSION: 5}) == {"value": 1, VERSION: 5}
    assert registry.read_defaults(kd.USER_ENTITY) == ()


def shape(expected: int | None, *, fresh: bool = False) -> Any:
    attributes = (kd.GSI1_PARTITION_KEY, kd.UPDATED_AT, WRITE_ID)
    return keys._key_write_shape(
        attributes,
        condition="C",
        fresh=fresh,
        remove_ttl=False,
        compare_version=expected is not None,
        or_unversioned=expected == keys._UNVERSIONED,
    )


def test_a_swap_from_version_1_also_matches_an_unversioned_key_and_no_other_swap_does() -> None:
    plain = "(C) AND (attribute_not_exists(writeId) OR writeId <> :a2)"
    assert shape(None).condition == plain
    assert shape(2).condition == plain + " AND #version = :expected"
    assert shape(1).condition == plain + " AND (#version = :expected OR attribute_not_exists(#version))"


def test_only_a_swap_from_version_1_counts_an_unversioned_key_from_1_in_its_own_request() -> None:
    # Every other write sends what it sent before versions had a backfill (a missing key and an
    # unversioned one look alike to it; the contract counts the latter from 1 after the fact).
    assert shape(None).update.endswith("#version = if_not_exists(#version, :zero) + :one")
    assert shape(2).update.endswith("#version = if_not_exists(#version, :zero) + :one")
    assert shape(1).update.endswith("#version = if_not_exists(#version, :one) + :one")
    assert shape(None, fresh=True).update.endswith("#version = :one")


# ----- the requests a run sends ------------------------------------------------------------------------


def test_the_scan_projects_only_what_the_migration_decides_on() -> None:
    request = scan_request("t", KEY_VERSION, also=("GSI1PK", "GSI1SK"))
    names = request["ExpressionAttributeNames"]
    projected = [names[p] for p in request["ProjectionExpression"].split(", ")]
    assert projected == [kd.PARTITION_KEY, kd.SORT_KEY, WRITE_ID, VERSION, "GSI1PK", "GSI1SK"]
    assert request["FilterExpression"] == "#n6 = :touched" and names["#n6"] == kd.ENTITY_TYPE_ATTRIBUTE
    assert request["ExpressionAttributeValues"] == {":touched": {"S": kd.KEY_ENTITY}}
    assert request["ReturnConsumedCapacity"] == "TOTAL"


def test_a_migration_by_key_prefix_filters_on_the_partition_key() -> None:
    by_prefix = Migration(
        "0009-users",
        "d",
        key_prefix=kd.USER_PREFIX,
        guard=kd.UPDATED_AT,
        reads=(),
        change=lambda _: None,
        still_needs="attribute_not_exists({plan})",
    )
    request = scan_request("t", by_prefix)
    assert request["FilterExpression"] == "begins_with(#n0, :touched)"
    assert request["ExpressionAttributeValues"] == {":touched": {"S": kd.USER_PREFIX}}


SCANNED = {kd.PARTITION_KEY: {"S": "NS#a"}, kd.SORT_KEY: {"S": "KEY#k"}}


def test_a_write_applies_only_to_the_item_as_read_that_still_needs_it() -> None:
    seen = {**SCANNED, WRITE_ID: {"S": "w1"}}
    request = write_request("t", KEY_VERSION, seen, {VERSION: 1})
    assert request["Key"] == SCANNED
    assert request["UpdateExpression"] == "SET #n0 = :s0"
    assert (
        request["ConditionExpression"]
        == "attribute_exists(#n2) AND #n1 = :seen AND (attribute_not_exists(#n0))"
    )
    assert request["ExpressionAttributeNames"] == {"#n0": VERSION, "#n1": WRITE_ID, "#n2": kd.PARTITION_KEY}
    assert request["ExpressionAttributeValues"] == {":s0": {"N": "1"}, ":seen": {"S": "w1"}}
    assert request["ReturnConsumedCapacity"] == "TOTAL"
    # An item from before writeIds: unchanged since read means it still has none.
    older = write_request("t", KEY_VERSION, SCANNED, {VERSION: 1})
    assert older["ConditionExpression"] == (
        "attribute_exists(#n2) AND attribute_not_exists(#n1) AND (attribute_not_exists(#n0))"
    )
    assert ":seen" not in older["ExpressionAttributeValues"]


# ----- pacing ---------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_lets_a_seconds_worth_through_then_paces_by_what_writes_consumed() -> None:
    clock = FakeClock()
    budget = CapacityBudget(10, clock=clock)
    assert budget.delay() == 0
    budget.spend(30)  # a burst that cost more than a second's worth: 20 units owed
    assert budget.delay() == pytest.approx(2.0, abs=0.01)
    clock.now += 1.5
    assert budget.delay() == pytest.approx(0.5, abs=0.01)
    clock.now += 0.6
    assert budget.delay() == 0
    clock.now += 3600  # idle for an hour: it holds no more than a second's worth
    budget.spend(10)
    assert budget.delay() > 0


def test_a_write_waiting_on_the_budget_stops_when_told() -> None:
    budget = CapacityBudget(1)
    budget.spend(1000)
    stop = threading.Event()
    stop.set()
    assert budget.take(stop) is False
    assert CapacityBudget(1).take(threading.Event()) is True
    with pytest.raises(ValueError, match="above zero"):
        CapacityBudget(0)


# ----- checkpoints and status ---------------------------------------------------------------------------


def test_a_checkpoint_round_trips_through_its_item() -> None:
    start = Checkpoint("0001-key-version", 3, 16)
    after = start.after_page(SCANNED, changed=4, skipped=1, matched=6, scanned=9)
    item = after.item("2026-11-30T00:00:00.000Z", "run-1")
    assert item[kd.PARTITION_KEY] == {"S": "MIGRATION#0001-key-version"}
    assert item[kd.SORT_KEY] == {"S": "SEGMENT#3/16"}
    assert item["lastKey"] == {"M": SCANNED}
    assert Checkpoint.from_item(item) == after
    last = after.after_page(None, changed=1, skipped=0, matched=1, scanned=2)
    assert (last.changed, last.skipped, last.matched, last.scanned, last.pages, last.done) == (
        5,
        1,
        7,
        11,
        2,
        True,
    )
    assert "lastKey" not in last.item("t", "run-1")
    assert Checkpoint.from_item(last.item("t", "run-1")) == last


def test_status_sums_the_segments_and_is_complete_when_each_is_done() -> None:
    done = Checkpoint("0001-key-version", 0, 2).after_page(None, changed=3, skipped=1, matched=5, scanned=6)
    half = Checkpoint("0001-key-version", 1, 2).after_page(
        SCANNED, changed=2, skipped=0, matched=2, scanned=2
    )
    status = MigrationStatus(KEY_VERSION, (done, half))
    assert (status.total_segments, status.segments_done, status.complete) == (2, 1, False)
    assert (status.changed, status.skipped, status.matched, status.scanned) == (5, 1, 7, 8)
    finished = half.after_page(None, changed=0, skipped=0, matched=0, scanned=0)
    assert MigrationStatus(KEY_VERSION, (done, finished)).complete
    assert not MigrationStatus(KEY_VERSION, ()).complete


# ----- options and the plan's arithmetic -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"workers": 0}, "workers must be 1 to 32"),
        ({"workers": 33}, "workers must be 1 to 32"),
        ({"segments": 0}, "segments must be 1 to 1,000,000"),
        ({"max_write_units": 0}, "max write units must be above zero"),
        ({"page_size": 0}, "page size must be 1 to 10,000"),
    ],
)
def test_run_options_out_of_range_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        RunOptions(**options).check()


def test_segments_are_four_a_worker_unless_given() -> None:
    assert RunOptions().segment_count() == 16
    assert RunOptions(workers=2).segment_count() == 8
    assert RunOptions(workers=2, segments=5).segment_count() == 5


GSI1 = Index("GSI1", (kd.GSI1_PARTITION_KEY, kd.GSI1_SORT_KEY), "ALL", frozenset())


def test_an_index_is_written_when_the_item_is_on_it_and_it_holds_a_changed_attribute() -> None:
    on_gsi1 = {kd.GSI1_PARTITION_KEY: "NS#a", kd.GSI1_SORT_KEY: "KEY#k"}
    assert GSI1.rewritten(on_gsi1, {VERSION: 1})
    assert not GSI1.rewritten({}, {VERSION: 1})  # not on the index
    keys_only = Index("GSI2", (GSI2_PARTITION_KEY, GSI2_SORT_KEY), "KEYS_ONLY", frozenset())
    on_gsi2 = {GSI2_PARTITION_KEY: "NS#a", GSI2_SORT_KEY: "t"}
    assert not keys_only.rewritten(on_gsi2, {VERSION: 1})  # the index does not hold `version`
    assert keys_only.rewritten({}, on_gsi2)  # the change puts the item on it
    included = Index("GSI3", (GSI2_PARTITION_KEY,), "INCLUDE", frozenset({VERSION}))
    assert included.rewritten(on_gsi2, {VERSION: 1})


def test_the_estimate_bounds_every_item_on_every_index() -> None:
    figures = TableFigures(item_count=1000, size_bytes=1_500_000, indexes=(GSI1,))
    assert figures.units_per_item_write == 2  # 1.5 KB on average: two write units
    assert figures.scan_read_units == 0.5 * 367  # 1,500,000 bytes in 4 KB reads, eventually consistent
    found = estimate(KEY_VERSION, figures, segments=4, page_size=100)
    assert (found.counted, found.to_change, found.write_units) == (False, 1000, 4000.0)
    assert found.checkpoint_writes == 4 * 3
    assert found.seconds_at(100) == pytest.approx((4000 + 12) / 100)
    assert TableFigures(0, 0, ()).units_per_item_write == 1
    assert checkpoint_writes(0, 16, 500) == 16


# ----- the command refuses a flag of another action before any request ---------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--estimate"], "--estimate applies to `kvtable migrate plan` only"),
        (["status", "--segments", "4"], "--segments applies to `kvtable migrate plan or run` only"),
        (["plan", "--quiet"], "--quiet applies to `kvtable migrate run` only"),
        (
            ["run", "--page-size", "0"],
            "argument --page-size: '0' is not a whole number from 1 to 10,000 (see 'kvtable migrate --help')",
        ),
    ],
)
def test_the_command_refuses_flags_that_do_not_apply(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["migrate", *argv, "--endpoint-url", "http://127.0.0.1:9"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == f"kvtable migrate: error: {message}\n"
