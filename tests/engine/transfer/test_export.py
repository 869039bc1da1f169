"""`kvtable export` and `kvtable.export.read_export` on moto's server (DynamoDB and S3), whose Export to
S3 the harness lays out as AWS documents it (tests/harness/table_exports.py).

Every item the export holds comes back from read_export as the contract's typed entity, equal to what
the contract itself reads from the table: from S3, and from a local copy of the export's folder."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.cli.main import main
from kvtable.export import read_export, read_manifest
from kvtable.schema import key_design as kd
from kvtable.schema.errors import InvalidInputError
from kvtable.store import KvTable
from tests.cli_runs import run_main
from tests.cloudformation_fixtures import deploy_stack

STACK = "KVDatabaseStack"
TABLE = "kv-storage-data"
BUCKET = "kv-exports"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(main, ["export", "--stack-name", STACK, "--poll-seconds", "0", *argv], capsys)


@pytest.fixture
def clients(aws_endpoint: str, cf: CloudFormationClient) -> tuple[Any, Any]:
    """The deployed stack (its table without PITR, as moto's CloudFormation makes it) and a bucket."""
    deploy_stack(cf)
    ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    return ddb, s3


def fill(store: KvTable, ddb: Any) -> None:
    """Every kind of item: users, their API key guards, namespaces and links, keys (TTL, nested values,
    exact decimals) and a key written before versions existed (the contract reads it as version 1)."""
    store.create_user("user123", "test@example.com", api_key="abc123def456")
    store.create_user("user456", "other@example.com", api_key="zzz999")
    store.create_namespace("user123", "myapp")
    store.create_namespace("user456", "other")
    for number in range(1_005):  # more than one of the harness's data files (1,000 items each)
        store.put_key("myapp", f"user:{number}", {"name": "John", "n": number})
    store.put_key("other", "ttl", "soon", ttl=4_000_000_000)
    store.put_key("other", "exact", {"price": Decimal("0.1"), "list": [1, "two", None, True]})
    ddb.put_item(
        TableName=TABLE,
        Item={
            "PK": {"S": "NS#other"},
            "SK": {"S": "KEY#old"},
            "GSI1PK": {"S": "NS#other"},
            "GSI1SK": {"S": "KEY#old"},
            "entityType": {"S": "KEY"},
            "value": {"S": "before versions"},
            "createdAt": {"S": "2024-01-01T00:00:00.000Z"},
            "updatedAt": {"S": "2024-01-01T00:00:00.000Z"},
        },
    )


def contract_read(store: KvTable, entity: dict[str, Any]) -> Any:
    """What the contract reads for the item the export holds."""
    pk, sk, kind = entity["PK"], entity["SK"], entity["entityType"]
    if kind == kd.KEY_ENTITY:
        return store.get_key(pk.removeprefix("NS#"), sk.removeprefix("KEY#"), consistent=True)
    if kind == kd.USER_ENTITY:
        return store.get_user(entity["userId"], consistent=True)
    if kind == kd.NAMESPACE_ENTITY and sk == kd.METADATA:
        return store.get_namespace(pk.removeprefix("NS#"), consistent=True)
    if kind == kd.NAMESPACE_ENTITY:
        links = store.iter_user_namespaces(entity["userId"], consistent=True)
        return next(link for link in links if link["SK"] == sk)
    assert kind == kd.API_KEY_ENTITY
    user = store.get_user_by_api_key(pk.removeprefix("APIKEY#"))
    return {**entity, "userId": user["userId"]}


def test_export_then_read_export_gives_back_every_item_as_the_contract_reads_it(
    clients: tuple[Any, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ddb, s3 = clients
    ddb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    store = KvTable(ddb, TABLE)
    fill(store, ddb)
    stored = ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"]
    code, out, err = run(capsys, "--to", f"s3://{BUCKET}/nightly")
    assert code == 0, err
    assert "export of kv-storage-data to s3://kv-exports/nightly started: arn:aws:dynamodb:us-east-1:" in out
    assert (
        "follow it again with: kvtable export --stack-name KVDatabaseStack --resume arn:aws:dynamodb:" in out
    )
    assert f"  items        {stored:,}\n" in out
    assert "  files        2\n" in out
    assert "  export time  20" in out

    entities = list(read_export(f"s3://{BUCKET}/nightly", s3=s3))
    assert (
        len(entities) == stored == 1_005 + 3 + 2 * 2 + 2 * 2
    )  # keys; users and guards; namespaces and links
    by_key: dict[tuple[str, str], dict[str, Any]] = {(e["PK"], e["SK"]): dict(e) for e in entities}
    assert len(by_key) == len(entities)
    for entity in entities:
        assert entity == contract_read(store, dict(entity))
    old = by_key[("NS#other", "KEY#old")]
    assert old.get("version") == 1  # the read default the contract applies, applied here too
    assert by_key[("NS#other", "KEY#exact")]["value"] == {"price": 0.1, "list": [1, "two", None, True]}

    # The same export from a local copy of its folder (aws s3 sync s3://.../AWSDynamoDB/<id>/ DIR).
    manifest = read_manifest(f"s3://{BUCKET}/nightly", s3=s3)
    folder = manifest.where.removeprefix(f"s3://{BUCKET}/")
    for entry in s3.list_objects_v2(Bucket=BUCKET, Prefix=folder + "/")["Contents"]:
        target = tmp_path / "copy" / entry["Key"].removeprefix(folder + "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(s3.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read())
    assert list(read_export(tmp_path / "copy")) == entities
    assert list(read_export(str(tmp_path / "copy" / "manifest-summary.json"))) == entities


def test_a_damaged_data_file_is_named(clients: tuple[Any, Any], capsys: pytest.CaptureFixture[str]) -> None:
    ddb, s3 = clients
    ddb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    KvTable(ddb, TABLE).put_key("ns", "k", 1)
    assert run(capsys, "--to", f"s3://{BUCKET}/p")[0] == 0
    manifest = read_manifest(f"s3://{BUCKET}/p", s3=s3)
    key = manifest.files[0].key
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"\x1f\x8b not gzip")
    with pytest.raises(InvalidInputError, match=r"data/.*\.json\.gz is not a whole gzip file"):
        list(read_export(f"s3://{BUCKET}/p", s3=s3))
    summary_key = manifest.where.removeprefix(f"s3://{BUCKET}/") + "/manifest-summary.json"
    assert json.loads(s3.get_object(Bucket=BUCKET, Key=summary_key)["Body"].read())["itemCount"] == 1


def test_pitr_off_is_refused_with_the_command_that_turns_it_on(
    clients: tuple[Any, Any], capsys: pytest.CaptureFixture[str], aws_endpoint: str
) -> None:
    _, s3 = clients
    code, _, err = run(capsys, "--to", f"s3://{BUCKET}/nightly")
    assert code == 3
    assert err == (
        "kvtable export: error: point-in-time recovery is off on kv-storage-data, and an export reads from it; "
        "nothing was exported; turn it on (the template does), then export: aws dynamodb update-continuous-backups "
        "--table-name kv-storage-data --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true "
        f"--region us-east-1 --endpoint-url {aws_endpoint}\n"
    )
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
