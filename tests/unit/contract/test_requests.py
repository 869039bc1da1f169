"""The core's request layer (kvtable/contract/requests.py), driven by hand: retries and their waits,
what a lost answer means, the errors it words, batches' unprocessed parts, cursors."""

import pytest

from kvtable.contract.retries import RETRY_CAP_SECONDS
from kvtable.schema.errors import (
    ConnectionFailedError,
    ItemNotFoundError,
    KvTableError,
    RetriesExhaustedError,
    TableNotFoundError,
)
from kvtable.schema.pagination import encode_cursor
from tests.unit.contract.by_hand import TABLE, drive, service_error, table_requests

KEY = {"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#k"}}


def test_throttling_is_retried_after_a_wait_and_the_answer_is_returned() -> None:
    requests = table_requests()
    answer = {"Item": {**KEY, "value": {"S": "v"}}}
    driven = drive(
        requests.exchange("get key", "GetItem", {"TableName": TABLE, "Key": KEY}),
        service_error("ThrottlingException"),
        service_error("InternalServerError", status=500),
        answer,
    )
    assert driven.result == answer
    assert driven.operations() == ["GetItem"] * 3
    assert len(driven.sleeps) == 2
    assert all(0 <= seconds <= RETRY_CAP_SECONDS for seconds in driven.sleeps)


def test_a_request_out_of_tries_says_whether_it_may_have_been_applied() -> None:
    requests = table_requests(retry_attempts=3)
    throttled = [service_error("ThrottlingException")] * 3
    with pytest.raises(RetriesExhaustedError, match="nothing was written") as nothing:
        drive(requests.exchange("write key", "UpdateItem", {}), *throttled)
    assert nothing.value.maybe_applied is False
    lost = [ConnectionFailedError("reset", sent=True), *throttled[:2]]
    with pytest.raises(RetriesExhaustedError, match="may have been applied once") as maybe:
        drive(requests.exchange("write key", "UpdateItem", {}), *lost)
    assert maybe.value.maybe_applied is True


def test_a_missing_table_is_named_with_its_region_and_not_retried() -> None:
    requests = table_requests()
    with pytest.raises(TableNotFoundError) as missing:
        drive(
            requests.exchange("get key", "GetItem", {"TableName": TABLE}),
            service_error("ResourceNotFoundException"),
        )
    assert (missing.value.table, missing.value.region) == (TABLE, "us-east-1")
    assert str(missing.value).startswith(f"get key: table {TABLE} does not exist in region us-east-1;")


def test_a_delete_whose_first_try_was_lost_is_done_when_the_retry_finds_it_gone() -> None:
    requests = table_requests()
    driven = drive(
        requests.exchange(
            "delete key", "DeleteItem", {}, on_condition_failed=ItemNotFoundError("gone"), done_if_gone=True
        ),
        ConnectionFailedError("reset after sending", sent=True),
        service_error("ConditionalCheckFailedException"),
    )
    assert driven.result == {}


def test_a_transaction_sends_one_token_on_every_try() -> None:
    requests = table_requests()
    driven = drive(
        requests.transact("add usage", [{"Update": {}}], [KvTableError("refused")]),
        ConnectionFailedError("reset after sending", sent=True),
        service_error("TransactionCanceledException", CancellationReasons=[{"Code": "TransactionConflict"}]),
        {},
    )
    tokens = {call.request["ClientRequestToken"] for call in driven.calls}
    assert len(driven.calls) == 3 and len(tokens) == 1


def test_a_batch_write_sends_again_only_what_dynamodb_left_unprocessed() -> None:
    requests = table_requests()
    puts = [{"PutRequest": {"Item": {"PK": {"S": f"NS#ns{i}"}, "SK": {"S": "KEY#k"}}}} for i in range(4)]
    driven = drive(
        requests.write_batch("load keys", puts),
        {"UnprocessedItems": {TABLE: puts[2:]}},
        {"UnprocessedItems": {}},
    )
    assert [call.request["RequestItems"][TABLE] for call in driven.calls] == [puts, puts[2:]]
    assert len(driven.sleeps) == 1


def test_a_batch_left_unprocessed_on_every_try_fails_saying_how_many() -> None:
    requests = table_requests(retry_attempts=2)
    puts = [{"PutRequest": {"Item": KEY}}]
    with pytest.raises(KvTableError, match="left 1 items unprocessed after 2 tries"):
        drive(requests.write_batch("load keys", puts), *[{"UnprocessedItems": {TABLE: puts}}] * 2)


def test_a_batch_get_asks_again_for_unprocessed_keys_and_returns_every_item() -> None:
    requests = table_requests()
    other = {"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#j"}}
    driven = drive(
        requests.batch_get("get keys", [KEY, other], False),
        {"Responses": {TABLE: [KEY]}, "UnprocessedKeys": {TABLE: {"Keys": [other]}}},
        {"Responses": {TABLE: [other]}},
    )
    assert [item["SK"] for item in driven.result] == ["KEY#k", "KEY#j"]
    assert driven.calls[1].request["RequestItems"] == {TABLE: {"Keys": [other]}}


def test_a_page_gives_a_cursor_that_asks_for_the_next_page() -> None:
    requests = table_requests()
    last = {"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#k"}}
    page = drive(
        requests.query_page(
            index=False, partition="NS#ns", sort_prefix="KEY#", page_size=1, cursor=None, consistent=True
        ),
        {"Items": [last], "LastEvaluatedKey": last},
    ).result
    assert page.cursor == encode_cursor(last)
    following = drive(
        requests.query_page(
            index=False,
            partition="NS#ns",
            sort_prefix="KEY#",
            page_size=1,
            cursor=page.cursor,
            consistent=True,
        ),
        {"Items": []},
    )
    request = following.calls[0].request
    assert (request["ExclusiveStartKey"], request["Limit"], request["ConsistentRead"]) == (last, 1, True)
    assert following.result.cursor is None
