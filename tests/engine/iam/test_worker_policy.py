"""The job role's policy for shared migrations and loads: parliament finds nothing in it, and the
offline IAM simulator allows every call the workers really make (recorded through a proxy in front of
DynamoDB Local while `kvtable migrate run --worker`, `kvtable load --worker` and `kvtable migrate status`
run) on the stack's table, and denies them on another table, without TLS, and what they never need."""

import json
from pathlib import Path

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.cli.main import main
from kvtable.contract.store import KvTable
from kvtable.iam.workers import worker_policy_json
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.migrations import KEY_VERSION
from tests.engine.migrate.test_migrate import write_legacy
from tests.external_checkers import run_parliament
from tests.harness.fault_proxy import fault_proxy
from tests.iam.node import (
    NO_TLS,
    SAMPLE_OTHER_TABLE_ARN,
    SAMPLE_TABLE_ARN,
    TLS,
    assert_verdicts,
    identity_request,
)
from tests.unit.iam.test_worker_policy import WHERE

DOCUMENT = json.loads(worker_policy_json(WHERE))
NEVER = ["dynamodb:DeleteItem", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:GetItem"]


@pytest.mark.checkers
def test_parliament_finds_nothing_in_the_worker_policy() -> None:
    assert run_parliament({"WorkerPolicy": json.dumps(DOCUMENT)}) == []


def worker_calls(endpoint: LocalEndpoint, table: str, folder: Path) -> set[str]:
    """The DynamoDB operations the three commands send, as a worker of two with nothing else running."""
    keys = folder / "keys.jsonl"
    keys.write_text("".join(json.dumps({"key": f"k{i}", "value": i}) + "\n" for i in range(50)))
    with fault_proxy(endpoint.url) as (url, plan):
        where = ["--endpoint-url", url, "--table-name", table, "--quiet"]
        for argv in (
            ["load", *where, "--namespace", "ns", str(keys), "--worker", "0/1"],
            ["migrate", "run", *where, "--migration", KEY_VERSION.id, "--worker", "0/1", "--workers", "1"],
            [
                "migrate",
                "status",
                "--endpoint-url",
                url,
                "--table-name",
                table,
                "--migration",
                KEY_VERSION.id,
            ],
        ):
            assert main(argv) == 0, argv
    return {f"dynamodb:{entry.split(':')[0]}" for entry in plan.operations}


@pytest.mark.node
def test_the_simulator_allows_every_call_the_workers_make_and_nothing_else(
    dynamodb_endpoint: LocalEndpoint,
    dynamodb_client: DynamoDBClient,
    table_name: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_legacy(KvTable(dynamodb_client, table_name), 20)  # keys the migration changes
    calls = sorted(worker_calls(dynamodb_endpoint, table_name, tmp_path))
    assert set(calls) == {
        "dynamodb:BatchWriteItem",
        "dynamodb:DescribeTable",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:UpdateItem",
    }
    rows = [(action, SAMPLE_TABLE_ARN, TLS, "Allowed") for action in calls]
    rows += [(action, SAMPLE_OTHER_TABLE_ARN, TLS, "ImplicitlyDenied") for action in calls]
    rows += [(action, SAMPLE_TABLE_ARN, NO_TLS, "ImplicitlyDenied") for action in calls[:2]]
    rows += [(action, SAMPLE_TABLE_ARN, TLS, "ImplicitlyDenied") for action in NEVER]
    requests = [identity_request(DOCUMENT, a, r, c) for a, r, c, _ in rows]
    cases = [
        (f"{a:<28} {r.split(':', 5)[-1]:<24} TLS={c['aws:SecureTransport']}", expected)
        for a, r, c, expected in rows
    ]
    assert_verdicts(capsys, "job role policy for kvtable's workers", requests, cases)
