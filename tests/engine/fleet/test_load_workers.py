"""`kvtable load --worker I/N`: four loader processes on one file and one DynamoDB Local, one killed with
SIGKILL while it holds a line range: every line is loaded, none lost, and counted once; and a bad line
is named by its number in the whole file."""

import json
import re
import signal
import subprocess
from pathlib import Path

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.cli.main import main
from kvtable.contract.requests import TableRequests
from kvtable.contract.store import KvTable
from kvtable.fleet.file_ranges import range_count
from kvtable.fleet.leases import read_leases
from kvtable.fleet.shared_load import SharedLoad, load_partition_key
from kvtable.fleet.shares import WorkerShare
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema import key_design as kd
from tests.worker_processes import frozen_when, outputs_with_one_killed, start_cli

WORKERS, LINES, KILLED = 4, 20_000, 3


def write_file(path: Path, count: int, bad_at: int | None = None) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(
                "{not json\n" if i == bad_at else json.dumps({"key": f"k{i:06d}", "value": {"i": i}}) + "\n"
            )
            if i % 1000 == 999:
                out.write("\n")  # blank lines are no entries
    return path


def load_argv(endpoint: LocalEndpoint, table: str, path: Path, *rest: str) -> list[str]:
    return [
        "load",
        "--endpoint-url",
        endpoint.url,
        "--table-name",
        table,
        "--namespace",
        "big",
        str(path),
        *rest,
    ]


def start_loader(endpoint: LocalEndpoint, table: str, path: Path, index: int) -> subprocess.Popen[str]:
    argv = load_argv(
        endpoint, table, path, "--quiet", "--worker", f"{index}/{WORKERS}", "--lease-seconds", "2"
    )
    return start_cli(argv)


def holding(requests: TableRequests, partition: str, total: int) -> bool:
    """Whether the loader to kill holds a range it has not finished."""
    killed = f"{KILLED}/{WORKERS}"
    return any(
        lease.worker == killed and not lease.done
        for lease in read_leases(requests, partition, total).values()
    )


@pytest.fixture
def direct(dynamodb_client: DynamoDBClient, table_name: str) -> KvTable:
    return KvTable(dynamodb_client, table_name)


def loaded(store: KvTable) -> dict[str, object]:
    """Every key of the namespace and its value, as the contract reads them."""
    return {kd.parse_key(item["SK"]): item["value"] for item in store.iter_keys("big", consistent=True)}


def test_four_loaders_one_killed_load_every_line_once(
    dynamodb_endpoint: LocalEndpoint, direct: KvTable, table_name: str, tmp_path: Path
) -> None:
    path = write_file(tmp_path / "big.jsonl", LINES)
    size, total = path.stat().st_size, range_count(path.stat().st_size, WORKERS)
    partition = load_partition_key("big", path, size)
    requests = SharedLoad(direct, path, "big", WorkerShare(0, WORKERS)).requests
    loaders = [start_loader(dynamodb_endpoint, table_name, path, index) for index in range(WORKERS)]
    _, outputs = outputs_with_one_killed(
        loaders,
        KILLED,
        lambda: frozen_when(
            loaders[KILLED], lambda: True if holding(requests, partition, total) else None, "held a range"
        ),
    )
    assert loaders[KILLED].returncode == -signal.SIGKILL
    survivors = [outputs[index] for index in range(WORKERS) if index != KILLED]
    assert all(process.returncode == 0 for index, process in enumerate(loaders) if index != KILLED), survivors

    keys = loaded(direct)
    assert keys == {f"k{i:06d}": {"i": i} for i in range(LINES)}  # every line, none lost
    leases = read_leases(requests, partition, total)
    assert all(lease.done for lease in leases.values())
    assert any(lease.taken_from == f"{KILLED}/{WORKERS}" for lease in leases.values()), leases
    # Counted once: a block loaded again after the kill is in one checkpoint only.
    for out, _ in survivors:
        assert re.search(rf"the file: {LINES:,} entries in its {total} ranges", out), out


def test_a_bad_line_is_named_by_its_number_in_the_whole_file(
    dynamodb_endpoint: LocalEndpoint,
    direct: KvTable,
    table_name: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_file(tmp_path / "bad.jsonl", 3000, bad_at=2500)  # line 2503: after two blank lines
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(load_argv(dynamodb_endpoint, table_name, path, "--quiet", "--worker", "0/1")))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and "bad.jsonl line 2503 is not JSON" in err, err


def test_worker_flags_that_do_not_fit_exit_2_before_any_call(
    dynamodb_endpoint: LocalEndpoint, table_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_file(tmp_path / "k.jsonl", 3)
    for rest, says in [
        (["--worker", "0/2", "--skip", "1"], "no --skip"),
        (["--workers-total", "2"], "--workers-total applies with --worker only"),
        (["--worker", "auto"], "AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX is not set"),
        (["--worker", "0/2", "--workers-total", "3"], "--worker 0/2 says 2 workers"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            raise SystemExit(main(load_argv(dynamodb_endpoint, table_name, path, *rest)))
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and says in err and err.count("\n") == 1, (rest, err)
