"""`kvtable import` on moto's server (DynamoDB and S3), then `kvtable adopt` and `kvtable verify`: a new
table that keeps every promise of the template, each key read back through the contract exactly as
`put_key` writes a new key. `make test` imports IMPORT_SOAK_KEYS keys (2,000 by default); `make soak`
100,000 (docs/bulk.md has the times)."""

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from kvtable.builders.table_definition import create_table_from_template
from kvtable.cli.main import main
from kvtable.store import KvTable
from tests.cli_runs import run_main

KEYS = int(os.environ.get("IMPORT_SOAK_KEYS") or 2_000)
STACK = "KVDatabaseStack"
NEW = "kv-storage-data-imported"
BUCKET = "kv-staging"
WRITE_ID = re.compile(r"^[0-9a-f]{32}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def kvtable(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(main, [*argv], capsys)


def value_of(number: int) -> Any:
    return {"name": "John", "n": number, "tags": ["a", number % 7], "ok": number % 2 == 0}


@pytest.fixture
def clients(aws_endpoint: str) -> tuple[Any, Any]:
    ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    return ddb, s3


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys.jsonl"
    with path.open("w") as out:
        for number in range(KEYS):
            out.write(json.dumps({"key": f"user:{number}", "value": value_of(number)}) + "\n")
    return path


def import_argv(path: Path, *more: str) -> list[str]:
    return [
        "import", str(path), "--table", NEW, "--namespace", "myapp", "--staging", f"s3://{BUCKET}/imports",
        "--stack-name", STACK, "--poll-seconds", "0", "--quiet", *more,
    ]  # fmt: skip


def test_import_then_adopt_gives_a_table_verify_passes_with_keys_as_put_key_writes_them(
    clients: tuple[Any, Any], keys_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ddb, s3 = clients
    started = time.monotonic()
    code, out, err = kvtable(capsys, *import_argv(keys_file))
    imported = time.monotonic() - started
    assert code == 0, err
    assert f"source: {KEYS:,} keys in 1 object, " in out
    assert f"imported {KEYS:,} items into {NEW} (0 in error" in out
    assert (
        f"Next: bring it under the stack, which sets what an import cannot (TTL, PITR, deletion protection, the resource policy, tags): kvtable adopt --stack-name {STACK} --table {NEW}\n"
        in out
    )
    staged = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"imports/{NEW}/")["Contents"]
    assert [entry["Key"] for entry in staged][:1] == [f"imports/{NEW}/part-00001.json.gz"]
    table = ddb.describe_table(TableName=NEW)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["GSI1"]

    started = time.monotonic()
    code, out, err = kvtable(capsys, "adopt", "--stack-name", STACK, "--table", NEW, "--poll-seconds", "0")
    adopted = time.monotonic() - started
    assert code == 0, out + err
    assert f"{NEW} is now the table of {STACK}, and keeps every promise of the template" in out
    code, out, err = kvtable(capsys, "verify", "--stack-name", STACK, "--poll-seconds", "0")
    assert code == 0, out + err
    started = time.monotonic()

    # put_key's own item for one key, on a table made from the template: the imported ones have its shape.
    create_table_from_template(ddb, "kv-reference")
    reference = KvTable(ddb, "kv-reference").put_key("myapp", "user:0", value_of(0))
    store = KvTable(ddb, NEW)
    # BatchGetItem, 100 keys a request (moto answers a Query by walking the whole index: at soak size a
    # listing would take hours there); a listing's first page checks GSI1 holds them too.
    names = [f"user:{number}" for number in range(KEYS)]
    keys = [
        key
        for start in range(0, KEYS, 100)
        for key in store.get_keys("myapp", names[start : start + 100]).values()
    ]
    assert len(keys) == KEYS
    assert len(store.list_keys("myapp", page_size=10).items) == 10
    moments = {key["createdAt"] for key in keys}
    assert len(moments) == 1 and TIMESTAMP.match(moments.pop())
    write_ids = set()
    for key in keys:
        number = int(key["SK"].removeprefix("KEY#user:"))
        assert set(key) == set(reference)
        assert key == {
            **reference,
            "PK": "NS#myapp",
            "SK": f"KEY#user:{number}",
            "GSI1PK": "NS#myapp",
            "GSI1SK": f"KEY#user:{number}",
            "value": value_of(number),
            "createdAt": key["updatedAt"],
            "updatedAt": key["updatedAt"],
            "writeId": key["writeId"],
        }
        assert WRITE_ID.match(key["writeId"]) and key["version"] == 1
        write_ids.add(key["writeId"])
    assert len(write_ids) == KEYS
    # A key the import wrote is the contract's own: a compare-and-swap from version 1 goes to 2.
    assert store.update_key("myapp", "user:1", "new", expected_version=1)["version"] == 2
    read = time.monotonic() - started
    print(
        f"\n{KEYS:,} keys on moto: import {imported:.1f} s, adopt {adopted:.1f} s, reading back {read:.1f} s"
    )


def test_an_existing_table_is_refused_before_anything_is_uploaded(
    clients: tuple[Any, Any], keys_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ddb, s3 = clients
    create_table_from_template(ddb, NEW)
    code, _, err = kvtable(capsys, *import_argv(keys_file))
    assert code == 3
    assert err.startswith(f"kvtable import: error: table {NEW} already exists; an import creates a new table")
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_objects_under_the_staging_prefix_are_refused(
    clients: tuple[Any, Any], keys_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ddb, s3 = clients
    s3.put_object(Bucket=BUCKET, Key=f"imports/{NEW}/left-over.json.gz", Body=b"x")
    code, _, err = kvtable(capsys, *import_argv(keys_file))
    assert code == 3
    assert f"s3://{BUCKET}/imports/{NEW}/ already holds objects" in err
    assert NEW not in ddb.list_tables()["TableNames"]


def test_a_source_over_the_object_limit_is_refused_before_anything_is_uploaded(
    clients: tuple[Any, Any],
    keys_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ddb, s3 = clients
    from kvtable.exchange import staging  # noqa: PLC0415 (reason: patched for this test only)

    # One item an object: KEYS objects, over a limit of KEYS - 1 (the documented 50,000 takes 5 billion keys).
    monkeypatch.setattr(staging, "ITEMS_PER_OBJECT", 1)
    monkeypatch.setattr(staging.staged_objects, "__defaults__", (1,))
    monkeypatch.setattr("kvtable.transfer.limits.MAX_OBJECTS", KEYS - 1)
    monkeypatch.setattr("kvtable.transfer.limits.check_limits.__defaults__", None)
    monkeypatch.setattr("kvtable.transfer.limits.check_limits.__kwdefaults__", {"max_objects": KEYS - 1})
    code, _, err = kvtable(capsys, *import_argv(keys_file))
    assert code == 3
    assert f"the source would be {KEYS:,} S3 objects; an import takes at most {KEYS - 1:,}" in err
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert NEW not in ddb.list_tables()["TableNames"]


def test_a_bad_line_is_named_before_anything_is_uploaded(
    clients: tuple[Any, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, s3 = clients
    path = tmp_path / "bad.jsonl"
    path.write_text('{"key": "a", "value": 1}\n\n{"key": "", "value": 2}\n')
    code, _, err = kvtable(capsys, *import_argv(path))
    assert code == 2
    assert err.count("\n") == 1 and f"{path} line 3: " in err and "nothing was uploaded" in err
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
