"""A closed stdout or stderr never stops an operation halfway, for the commands that run on the local
engines: `kvtable deploy ... | head -1` still protects its stack, a load writes every entry, a migration
saves its checkpoints, each checked on the engine it ran against. The four ways a stream is closed,
and what each must end with, are in tests/unit/cli/test_closed_pipe.py, with the commands that need
no engine.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from mypy_boto3_cloudformation import CloudFormationClient
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.builders.table_definition import create_table_from_template, create_table_request
from kvtable.cli.sample_data import SAMPLE_NAMESPACE
from kvtable.contract.store import KvTable
from kvtable.deploy.cloudformation import physical_ids
from kvtable.local.dynamodb_local import LocalEndpoint, local_dynamodb_client
from kvtable.migrate.checkpoints import Checkpoints
from kvtable.migrate.runner import table_requests
from kvtable.schema import migrations as registry
from tests.cloudformation_fixtures import NO_RETRIES
from tests.engine.migrate.test_migrate import legacy_item
from tests.harness.moto_process import reset_moto
from tests.local_clients import local_settings
from tests.paths import REPO_ROOT
from tests.unit.cli.test_closed_pipe import (
    CLOSED,
    NO_STDERR,
    OPEN,
    TOGETHER,
    VARIANTS,
    assert_ran_to_its_end,
    aws_environment,
    kvtable,
    run_piped,
    script,
)

ROOT = REPO_ROOT
POLL = ("--poll-seconds", "0.01")


# ----- the local CloudFormation ----------------------------------------------------------------------

SHARED_STACK, SHARED_TABLE = "PipeShared", "kv-pipe-shared"


@dataclass(frozen=True)
class Cloud:
    """moto's server with one stack deployed, PITR on its table, and clients for the checks."""

    url: str
    cf: CloudFormationClient
    ddb: DynamoDBClient


@pytest.fixture(scope="module")
def cloud(moto_endpoint: LocalEndpoint) -> Cloud:
    reset_moto(moto_endpoint.url)
    cf = boto3.client("cloudformation", **local_settings(moto_endpoint.url), config=NO_RETRIES)
    ddb = boto3.client("dynamodb", **local_settings(moto_endpoint.url))
    deploy = kvtable(
        "deploy", "--stack-name", SHARED_STACK, "--parameter", f"TableName={SHARED_TABLE}", *POLL
    )
    finished = run_piped(deploy, OPEN, aws_environment(moto_endpoint.url))
    assert finished.code == 0, finished.out + finished.err
    # moto's CloudFormation leaves PITR off; a restore needs it.
    ddb.update_continuous_backups(
        TableName=SHARED_TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    return Cloud(moto_endpoint.url, cf, ddb)


def live_stacks(cf: CloudFormationClient) -> set[str]:
    return {
        summary["StackName"]
        for summary in cf.list_stacks()["StackSummaries"]
        if summary["StackStatus"] != "DELETE_COMPLETE"
    }


@pytest.mark.parametrize("variant", VARIANTS)
def test_plan_changes_nothing(variant: str, cloud: Cloud) -> None:
    stacks = live_stacks(cloud.cf)
    finished = run_piped(kvtable("plan", "--stack-name", "PipePlan"), variant, aws_environment(cloud.url))
    assert_ran_to_its_end(finished, variant, 0, "Plan for stack PipePlan (create)")
    assert live_stacks(cloud.cf) == stacks


def refused_plan(config_dir: Path) -> list[str]:
    """A plan whose environment file renames the shared stack's table: refused (exit 3) after its report."""
    (config_dir / "pipe.toml").write_text(
        f'stack_name = "{SHARED_STACK}"\n[parameters]\nTableName = "{SHARED_TABLE}-2"\n', encoding="utf-8"
    )
    return kvtable("plan", "--env", "pipe", "--config-dir", str(config_dir))


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_refused_plan_keeps_exit_3(variant: str, cloud: Cloud, tmp_path: Path) -> None:
    command = refused_plan(tmp_path)
    finished = run_piped(command, variant, aws_environment(cloud.url))
    assert_ran_to_its_end(finished, variant, 3, "parameters changing: TableName\n")
    refusal = (
        f"kvtable plan: error: refused to deploy {SHARED_STACK}: KVStorageTable: the table would be replaced"
    )
    if variant != NO_STDERR:
        assert finished.err.startswith(refusal), finished.err


def test_with_2_to_1_the_error_line_follows_the_report_it_ends(cloud: Cloud, tmp_path: Path) -> None:
    command = refused_plan(tmp_path)
    finished = run_piped(command, TOGETHER, aws_environment(cloud.url))
    assert finished.code == 3, finished.out
    lines = finished.out.splitlines()
    assert lines[0] == f"Environment pipe ({tmp_path / 'pipe.toml'}):", finished.out
    assert lines[-2:] == [
        "  parameters changing: TableName",
        f"kvtable plan: error: refused to deploy {SHARED_STACK}: KVStorageTable: the table would be replaced "
        f"(TableName '{SHARED_TABLE}' -> '{SHARED_TABLE}-2'); CloudFormation would create a new, empty table",
    ], finished.out


def protecting_statements(cloud: Cloud, stack: str) -> list[dict[str, Any]]:
    """The statements of the stack's policy, once the stack is created with termination protection on."""
    described = cloud.cf.describe_stacks(StackName=stack)["Stacks"][0]
    assert (described["StackStatus"], described["EnableTerminationProtection"]) == ("CREATE_COMPLETE", True)
    statements: list[dict[str, Any]] = json.loads(
        cloud.cf.get_stack_policy(StackName=stack)["StackPolicyBody"]
    )["Statement"]
    return statements


@pytest.mark.parametrize("variant", VARIANTS)
def test_deploy_protects_its_stack(variant: str, cloud: Cloud) -> None:
    stack, table = f"PipeDeploy-{variant}", f"kv-pipe-deploy-{variant}"
    command = kvtable("deploy", "--stack-name", stack, "--parameter", f"TableName={table}", *POLL)
    finished = run_piped(command, variant, aws_environment(cloud.url))
    assert_ran_to_its_end(finished, variant, 0, f"export: {stack}-TableName")
    deny = protecting_statements(cloud, stack)[0]
    assert (deny["Effect"], set(deny["Action"]), deny["Resource"]) == (
        "Deny",
        {"Update:Replace", "Update:Delete"},
        ["LogicalResourceId/KVStorageTable"],
    )
    assert cloud.ddb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"


@pytest.mark.parametrize("variant", CLOSED)
def test_the_deploy_script_door_protects_its_stack(variant: str, cloud: Cloud) -> None:
    stack, table = f"PipeScript-{variant}", f"kv-pipe-script-{variant}"
    command = script("deploy", "--stack-name", stack, "--parameter", f"TableName={table}", *POLL)
    finished = run_piped(command, variant, aws_environment(cloud.url))
    assert_ran_to_its_end(finished, variant, 0, f"export: {stack}-TableName")
    assert protecting_statements(cloud, stack)


@pytest.mark.parametrize("variant", CLOSED)
def test_the_script_doors_on_the_local_cloudformation(variant: str, cloud: Cloud) -> None:
    environment = aws_environment(cloud.url)
    finished = run_piped(script("plan", "--stack-name", "PipeDoorPlan"), variant, environment)
    assert_ran_to_its_end(finished, variant, 0, "Plan for stack PipeDoorPlan (create)")
    finished = run_piped(script("outputs", "--stack-name", SHARED_STACK), variant, environment)
    assert_ran_to_its_end(finished, variant, 0, f"{SHARED_STACK}-TableName\n")
    finished = run_piped(script("verify", "--stack-name", SHARED_STACK, *POLL), variant, environment)
    assert_ran_to_its_end(finished, variant, 4, "DRIFT: the live system breaks a promise\n")
    target = f"kv-pipe-door-restored-{variant}"
    restore = script("restore", "--stack-name", SHARED_STACK, "--target-table", target, *POLL)
    assert_ran_to_its_end(run_piped(restore, variant, environment), variant, 0, target)
    assert cloud.ddb.describe_table(TableName=target)["Table"]["DeletionProtectionEnabled"] is True
    adopt = script("adopt", "--stack-name", f"PipeDoorAdopt-{variant}", "--table", target, "--plan")
    assert_ran_to_its_end(run_piped(adopt, variant, environment), variant, 0, "next step: import")
    assert live_stacks(cloud.cf) >= {SHARED_STACK} and "PipeDoorPlan" not in live_stacks(cloud.cf)


@pytest.mark.parametrize("variant", VARIANTS)
def test_outputs(variant: str, cloud: Cloud) -> None:
    finished = run_piped(
        kvtable("outputs", "--stack-name", SHARED_STACK), variant, aws_environment(cloud.url)
    )
    assert_ran_to_its_end(finished, variant, 0, f"{SHARED_STACK}-TableName\n")


@pytest.mark.parametrize("variant", VARIANTS)
def test_verify_keeps_its_drift_exit_code(variant: str, cloud: Cloud) -> None:
    command = kvtable("verify", "--stack-name", SHARED_STACK, *POLL)
    finished = run_piped(command, variant, aws_environment(cloud.url))
    assert_ran_to_its_end(finished, variant, 4, "DRIFT: the live system breaks a promise\n")


@pytest.mark.parametrize("variant", VARIANTS)
def test_restore_makes_its_table(variant: str, cloud: Cloud) -> None:
    target = f"kv-pipe-restored-{variant}"
    command = kvtable("restore", "--stack-name", SHARED_STACK, "--target-table", target, *POLL)
    finished = run_piped(command, variant, aws_environment(cloud.url))
    assert_ran_to_its_end(finished, variant, 0, target)
    restored = cloud.ddb.describe_table(TableName=target)["Table"]
    assert (restored["TableStatus"], restored["DeletionProtectionEnabled"]) == ("ACTIVE", True)


@pytest.mark.parametrize("variant", VARIANTS)
def test_adopt_brings_the_table_under_a_protected_stack(variant: str, cloud: Cloud) -> None:
    stack, table = f"PipeAdopt-{variant}", f"kv-pipe-adopt-{variant}"
    request = create_table_request(table)
    request.pop("DeletionProtectionEnabled", None)
    cloud.ddb.create_table(**request)
    cloud.ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    cloud.ddb.update_table(TableName=table, SSESpecification={"Enabled": True, "SSEType": "KMS"})
    finished = run_piped(
        kvtable("adopt", "--stack-name", stack, "--table", table, *POLL), variant, aws_environment(cloud.url)
    )
    assert_ran_to_its_end(finished, variant, 0, f"{table} is now the table of {stack}")
    assert physical_ids(cloud.cf, stack)["KVStorageTable"] == table
    assert cloud.cf.describe_stacks(StackName=stack)["Stacks"][0]["EnableTerminationProtection"] is True
    # The update after the import, the adoption's last step, ran: the table keeps the template's promises.
    assert cloud.ddb.describe_table(TableName=table)["Table"]["DeletionProtectionEnabled"] is True


@pytest.mark.parametrize("variant", VARIANTS)
def test_export_finishes_and_reads_its_manifest(variant: str, cloud: Cloud) -> None:
    s3 = boto3.client("s3", **local_settings(cloud.url))
    bucket = f"pipe-export-{variant}"
    s3.create_bucket(Bucket=bucket)
    command = kvtable("export", "--stack-name", SHARED_STACK, "--to", f"s3://{bucket}/p", *POLL)
    finished = run_piped(command, variant, aws_environment(cloud.url))
    assert_ran_to_its_end(finished, variant, 0, "  folder       s3://")
    keys = [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(key.endswith("/manifest-summary.json") for key in keys)


@pytest.mark.parametrize("variant", VARIANTS)
def test_import_creates_its_table(variant: str, cloud: Cloud, tmp_path: Path) -> None:
    s3 = boto3.client("s3", **local_settings(cloud.url))
    bucket, table = f"pipe-import-{variant}", f"kv-pipe-import-{variant}"
    s3.create_bucket(Bucket=bucket)
    keys = tmp_path / "keys.jsonl"
    keys.write_text("".join(f'{{"key": "k{i:05d}", "value": {i}}}\n' for i in range(300)))
    command = kvtable(
        "import", str(keys), "--table", table, "--namespace", "pipe", "--staging", f"s3://{bucket}/p", *POLL
    )
    finished = run_piped(command, variant, aws_environment(cloud.url))
    assert_ran_to_its_end(finished, variant, 0, f"kvtable adopt --stack-name KVDatabaseStack --table {table}")
    assert len(KvTable(cloud.ddb, table).get_keys("pipe", [f"k{i:05d}" for i in range(100)])) == 100


# ----- DynamoDB Local -------------------------------------------------------------------------------

LOAD_ENTRIES = 600
LEGACY_KEYS = 150


def fresh_table(client: Any) -> str:
    name = f"kv-pipe-{uuid.uuid4().hex[:12]}"
    create_table_from_template(client, name)
    return name


def legacy_table(client: Any) -> str:
    """A table of keys written before versions existed, for the migrations to change."""
    name = fresh_table(client)
    items = [legacy_item(i) for i in range(LEGACY_KEYS)]
    for start in range(0, len(items), 25):
        puts = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        assert not client.batch_write_item(RequestItems={name: puts})["UnprocessedItems"]
    return name


def migration_states(client: Any, table: str) -> list[bool]:
    """Whether each applied migration is complete, from the checkpoints saved in the table."""
    checkpoints = Checkpoints(table_requests(KvTable(client, table)))
    return [checkpoints.load(migration).complete for migration in registry.applied()]


@pytest.mark.parametrize("variant", VARIANTS)
def test_load_writes_every_entry(
    variant: str, dynamodb_endpoint: LocalEndpoint, dynamodb_client: Any, tmp_path: Path
) -> None:
    table = fresh_table(dynamodb_client)
    keys = tmp_path / "keys.jsonl"
    keys.write_text("".join(f'{{"key": "k{i:05d}", "value": {i}}}\n' for i in range(LOAD_ENTRIES)))
    command = kvtable("load", "--namespace", "pipe", "--table-name", table, str(keys))
    finished = run_piped(command, variant, aws_environment(dynamodb_endpoint.url))
    assert_ran_to_its_end(finished, variant, 0, f"loaded {LOAD_ENTRIES:,} entries")
    store = KvTable(dynamodb_client, table)
    assert sum(1 for _ in store.iter_keys("pipe")) == LOAD_ENTRIES


@pytest.mark.parametrize("variant", VARIANTS)
def test_migrate_run_saves_its_checkpoints(
    variant: str, dynamodb_endpoint: LocalEndpoint, dynamodb_client: Any
) -> None:
    table = legacy_table(dynamodb_client)
    command = kvtable("migrate", "run", "--table-name", table, "--page-size", "20", "--workers", "2")
    finished = run_piped(command, variant, aws_environment(dynamodb_endpoint.url))
    assert_ran_to_its_end(finished, variant, 0, ": complete: ")
    assert migration_states(dynamodb_client, table) == [True] * len(registry.applied())


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    ("action", "last_words"), [("plan", "at --max-write-units"), ("status", ": not started")]
)
def test_migrate_plan_and_status_change_nothing(
    action: str, last_words: str, variant: str, dynamodb_endpoint: LocalEndpoint, dynamodb_client: Any
) -> None:
    table = legacy_table(dynamodb_client)
    finished = run_piped(
        kvtable("migrate", action, "--table-name", table), variant, aws_environment(dynamodb_endpoint.url)
    )
    assert_ran_to_its_end(finished, variant, 0, last_words)
    assert migration_states(dynamodb_client, table) == [False] * len(registry.applied())


@pytest.mark.parametrize("variant", VARIANTS)
def test_demo_loads_its_sample_data(
    variant: str, dynamodb_endpoint: LocalEndpoint, dynamodb_client: Any
) -> None:
    table = f"kv-pipe-demo-{uuid.uuid4().hex[:12]}"
    command = kvtable("demo", "--table-name", table, "--create-table", "--gsi-lag-samples", "1")
    finished = run_piped(command, variant, aws_environment(dynamodb_endpoint.url))
    assert_ran_to_its_end(finished, variant, 0, "GSI lag over 1 new keys")
    # The sample data whole (27 keys), and the GSI-lag probe deleted after its timing.
    assert sum(1 for _ in KvTable(dynamodb_client, table).iter_keys(SAMPLE_NAMESPACE)) == 27


@pytest.mark.parametrize("variant", VARIANTS)
def test_bench_section(variant: str, dynamodb_endpoint: LocalEndpoint) -> None:
    command = kvtable(
        "bench", "--only", "compare", "--keys", "20", "--rounds", "1", "--endpoint-url", dynamodb_endpoint.url
    )
    finished = run_piped(command, variant, aws_environment())
    assert_ran_to_its_end(finished, variant, 0, "target (data layer")


@pytest.mark.parametrize("variant", CLOSED)
def test_the_script_doors_on_dynamodb_local(
    variant: str, dynamodb_endpoint: LocalEndpoint, dynamodb_client: DynamoDBClient, tmp_path: Path
) -> None:
    environment = aws_environment(dynamodb_endpoint.url)
    table = legacy_table(dynamodb_client)
    keys = tmp_path / "keys.jsonl"
    keys.write_text("".join(f'{{"key": "k{i}", "value": {i}}}\n' for i in range(100)))
    load = script("load", "--namespace", "pipe", "--table-name", table, str(keys))
    assert_ran_to_its_end(run_piped(load, variant, environment), variant, 0, "loaded 100 entries")
    assert sum(1 for _ in KvTable(dynamodb_client, table).iter_keys("pipe")) == 100
    migrate = script("migrate", "status", "--table-name", table)
    assert_ran_to_its_end(run_piped(migrate, variant, environment), variant, 0, ": not started")
    demo = script("demo", "--table-name", table, "--gsi-lag-samples", "0")
    assert_ran_to_its_end(run_piped(demo, variant, environment), variant, 0, "latency over")
    assert sum(1 for _ in KvTable(dynamodb_client, table).iter_keys(SAMPLE_NAMESPACE)) == 27
    bench = script(
        "bench", "--only", "compare", "--keys", "20", "--rounds", "1", "--endpoint-url", dynamodb_endpoint.url
    )
    assert_ran_to_its_end(run_piped(bench, variant, environment), variant, 0, "target (data layer")


# ----- kvtable local: runs until SIGTERM ---------------------------------------------------------------


def dynamodb_local_child(pid: int) -> tuple[int, int] | None:
    """The process id and port of the DynamoDB Local that process `pid` started, once it has."""
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        words = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"-port" in words:
            return int(child), int(words[words.index(b"-port") + 1])
    return None


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            found = condition()
            if found:
                return found
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f}s")


@contextlib.contextmanager
def stopped_once_serving(table: str) -> Iterator[Callable[[subprocess.Popen[bytes]], None]]:
    """A `while_running` that waits for the table on the DynamoDB Local the process started, then
    stops the process with SIGTERM; after the block, that DynamoDB Local must be gone."""
    engines: list[int] = []

    def stop(process: subprocess.Popen[bytes]) -> None:
        engine, port = wait_for(lambda: dynamodb_local_child(process.pid), "DynamoDB Local's process")
        engines.append(engine)
        client = local_dynamodb_client(f"http://127.0.0.1:{port}")
        wait_for(lambda: table in client.list_tables()["TableNames"], f"table {table}")
        process.send_signal(signal.SIGTERM)

    yield stop
    assert engines
    assert not Path(f"/proc/{engines[0]}").exists()


@pytest.mark.dynamodb_local  # the one `kvtable local` starts
@pytest.mark.parametrize("variant", VARIANTS)
def test_local_runs_until_stopped(variant: str) -> None:
    with stopped_once_serving("kv-pipe-local") as stop:
        finished = run_piped(
            kvtable("local", "--table-name", "kv-pipe-local"), variant, aws_environment(), while_running=stop
        )
        assert_ran_to_its_end(finished, variant, 0, "stopped\n")
