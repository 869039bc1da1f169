"""`kvtable load`: a JSON Lines file into a namespace on DynamoDB Local, with a progress bar, one-line
errors with the project's exit codes, and a resume with --skip."""

import io
import json
import shlex
from pathlib import Path

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from tests.harness.fault_proxy import fault_proxy
from tests.unit.cli.test_cli_load import run


def write_lines(path: Path, count: int, bad_at: int | None = None) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(
                "{not json\n" if i == bad_at else json.dumps({"key": f"k{i:04d}", "value": {"n": i}}) + "\n"
            )
    return path


def load_args(url: str, table: str, *rest: str) -> list[str]:
    """`kvtable load` into namespace ns of `table` at `url` (DynamoDB Local, or a fault proxy before it)."""
    return ["load", "--endpoint-url", url, "--table-name", table, "--namespace", "ns", *rest]


def test_a_file_is_loaded_with_progress_and_a_summary(
    dynamodb_endpoint: LocalEndpoint,
    table_name: str,
    store: KvTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = write_lines(tmp_path / "keys.jsonl", 300)
    code, out, err = run(load_args(dynamodb_endpoint.url, table_name, "--workers", "2", str(source)), capsys)
    assert code == 0, err
    assert "loaded 300 entries into namespace 'ns'" in out
    assert "300/300 keys (100%)" in err and "keys/s" in err
    assert store.count_keys("ns", consistent=True) == 300
    assert store.get_key("ns", "k0299", consistent=True)["value"] == {"n": 299}


def test_a_bad_line_stops_the_load_and_a_rerun_with_skip_finishes(
    dynamodb_endpoint: LocalEndpoint,
    table_name: str,
    store: KvTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = write_lines(tmp_path / "keys.jsonl", 120, bad_at=60)
    code, _, err = run(
        load_args(dynamodb_endpoint.url, table_name, "--workers", "1", "--quiet", str(source)), capsys
    )
    assert code == 2
    assert err == (
        f"kvtable load: error: {source} line 61 is not JSON (Expecting property name enclosed in double "
        "quotes at column 2); the first 50 entries (lines 1 to 50) are written; after fixing it, continue: "
        f"kvtable load --endpoint-url {dynamodb_endpoint.url} --table-name {table_name} --namespace ns "
        f"--workers 1 --skip 50 --quiet {source}\n"
    )
    assert store.count_keys("ns", consistent=True) == 50
    # The user fixes the line and resumes where the load stopped.
    write_lines(source, 120)
    code, out, _ = run(
        load_args(dynamodb_endpoint.url, table_name, "--skip", "50", "--quiet", str(source)), capsys
    )
    assert code == 0 and "loaded 70 entries" in out
    assert store.count_keys("ns", consistent=True) == 120


def test_missing_file_and_bad_workers_are_bad_input(
    dynamodb_endpoint: LocalEndpoint, table_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(load_args(dynamodb_endpoint.url, table_name, str(tmp_path / "nope.jsonl")), capsys)
    assert code == 2 and f"{tmp_path / 'nope.jsonl'} does not exist" in err and err.count("\n") == 1
    source = write_lines(tmp_path / "keys.jsonl", 3)
    code, _, err = run(load_args(dynamodb_endpoint.url, table_name, "--workers", "0", str(source)), capsys)
    assert code == 2 and "1 to 16" in err and err.count("\n") == 1


def test_text_that_is_not_utf8_is_bad_input_before_any_write(
    dynamodb_endpoint: LocalEndpoint,
    table_name: str,
    store: KvTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "keys.jsonl"
    source.write_bytes(b'{"key": "a", "value": 1}\n{"key": "b", "value": "\xff"}\n')
    code, _, err = run(load_args(dynamodb_endpoint.url, table_name, "--quiet", str(source)), capsys)
    assert (code, err) == (
        2,
        f"kvtable load: error: {source} is not UTF-8 text (byte 0xff on line 2); save it as UTF-8\n",
    )
    assert store.count_keys("ns", consistent=True) == 0


def test_the_environment_file_names_the_endpoint_and_the_table(
    dynamodb_endpoint: LocalEndpoint,
    table_name: str,
    store: KvTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "dev.toml").write_text(
        f'endpoint_url = "{dynamodb_endpoint.url}"\n\n[parameters]\nTableName = "{table_name}"\n',
        encoding="utf-8",
    )
    source = write_lines(tmp_path / "keys.jsonl", 30)
    argv = [
        "load",
        "--env",
        "dev",
        "--config-dir",
        str(tmp_path),
        "--namespace",
        "ns",
        "--quiet",
        str(source),
    ]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert f"loaded 30 entries into namespace 'ns' of table {table_name}" in out
    assert store.count_keys("ns", consistent=True) == 30


def test_stdin_is_loaded_and_counted_without_a_total(
    dynamodb_endpoint: LocalEndpoint,
    table_name: str,
    store: KvTable,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = "".join(json.dumps({"key": f"s{i}", "value": i}) + "\n" for i in range(40))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    code, out, err = run(load_args(dynamodb_endpoint.url, table_name, "-"), capsys)
    assert code == 0, err
    assert "loaded 40 entries" in out
    assert "40 keys, " in err and "ETA" not in err  # no total to reckon an ETA from
    assert store.get_key("ns", "s39", consistent=True)["value"] == 39


def write_entries(path: Path, keys: list[str], blank_after: int | None = None) -> Path:
    """One entry a line for each key, and a blank line after the entry at index `blank_after`."""
    with path.open("w", encoding="utf-8") as out:
        for i, key in enumerate(keys):
            out.write(json.dumps({"key": key, "value": i}) + "\n" + ("\n" if i == blank_after else ""))
    return path


@pytest.mark.parametrize("workers", [1, 3])
def test_a_bad_key_is_named_by_its_line_in_the_file_counting_skipped_and_blank_lines(
    dynamodb_endpoint: LocalEndpoint,
    store: KvTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    workers: int,
) -> None:
    table_name = store.table_name
    keys = [f"k{i:04d}" for i in range(1200)]
    keys[1148] = "bad#key"  # entry 1149, on line 1150: one blank line comes before it
    source = write_entries(tmp_path / "keys.jsonl", keys, blank_after=9)
    argv = load_args(
        dynamodb_endpoint.url, table_name, "--workers", str(workers), "--skip", "1000", "--quiet"
    )
    code, _, err = run([*argv, str(source)], capsys)
    assert (code, err) == (
        2,
        f"kvtable load: error: {source} line 1150: key 'bad#key' contains '#', which the key design reserves; "
        "the first 1125 entries (lines 1 to 1126) are written; after fixing it, continue: kvtable load "
        f"--endpoint-url {dynamodb_endpoint.url} --table-name {table_name} --namespace ns --workers {workers} "
        f"--skip 1125 --quiet {source}\n",
    )
    assert store.count_keys("ns", consistent=True) == 125


def test_a_failed_write_names_its_lines_exits_1_and_its_command_finishes_the_load(
    dynamodb_endpoint: LocalEndpoint,
    table_name: str,
    store: KvTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = write_entries(tmp_path / "keys.jsonl", [f"k{i:03d}" for i in range(120)], blank_after=29)
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        # After --skip 25: entries 26 to 50 and 51 to 75 are written, 76 to 100 (lines 77 to 101) refused.
        plan.inject("pass", "pass", "cap_throttle")
        argv = load_args(url, table_name, "--workers", "1", "--skip", "25", "--quiet", str(source))
        code, _, err = run(argv, capsys)
    assert (code, err) == (
        1,
        f"kvtable load: error: writing lines 77 to 101 of {source} failed: load keys: the on-demand "
        "throughput cap is reached (ProvisionedThroughputExceededException: TableWriteMaxOnDemandThroughput"
        "Exceeded on arn:aws:dynamodb:us-east-1:123456789012:table/table); the first 75 entries "
        f"(lines 1 to 76) are written; to continue: kvtable load --endpoint-url {url} --table-name "
        f"{table_name} --namespace ns --workers 1 --skip 75 --quiet {source}\n",
    )
    assert store.count_keys("ns", consistent=True) == 50
    # The command given (the proxy gone, straight to the engine) finishes the load.
    command = shlex.split(err.split("to continue: ")[1])
    assert command[:2] == ["kvtable", "load"]
    code, out, _ = run(
        [command[1], *(dynamodb_endpoint.url if word == url else word for word in command[2:])], capsys
    )
    assert code == 0 and "loaded 45 entries" in out
    assert store.count_keys("ns", consistent=True) == 95  # entries 1 to 25 went in no load here


def test_a_load_whose_first_write_fails_says_once_that_nothing_is_written(
    dynamodb_endpoint: LocalEndpoint,
    dynamodb_client: DynamoDBClient,
    table_name: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = KvTable(dynamodb_client, table_name)
    source = write_entries(tmp_path / "keys.jsonl", [f"k{i:03d}" for i in range(30)])
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        plan.inject(*["throttle"] * store.retry_attempts)  # the first batch's every try
        code, _, err = run(load_args(url, table_name, "--workers", "1", "--quiet", str(source)), capsys)
    assert (code, err) == (
        1,
        f"kvtable load: error: writing lines 1 to 25 of {source} failed: load keys: DynamoDB did not "
        f"succeed in {store.retry_attempts} tries (throttled (ThrottlingException)); nothing is written; to continue: kvtable "
        f"load --endpoint-url {url} --table-name {table_name} --namespace ns --workers 1 --quiet {source}\n",
    )
    assert store.count_keys("ns", consistent=True) == 0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_missing_table_is_named_with_what_to_do_and_no_skip(
    dynamodb_endpoint: LocalEndpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    source = write_lines(tmp_path / "keys.jsonl", 60)
    code, _, err = run(
        load_args(dynamodb_endpoint.url, "no-such-table", "--workers", workers, str(source)), capsys
    )
    assert (code, err) == (
        2,
        f"kvtable load: error: table no-such-table (--table-name) does not exist in {dynamodb_endpoint.url} "
        "(region us-east-1); create it there first (`kvtable local --table-name no-such-table` starts a "
        "DynamoDB Local that has it, at the URL it prints), or name an existing table with --table-name or --env\n",
    )


@pytest.mark.parametrize(
    "case",
    [
        ('{"key": "", "value": 1}', "key must be a non-empty string, got ''"),
        ('{"key": "\\ud800", "value": 1}', "key is not valid Unicode text (a lone surrogate at 0)"),
        ('{"key": "k\\n#", "value": 1}', "key 'k\\n#' contains '#'"),
        ('{"key": "k", "value": NaN}', "value at value is nan; DynamoDB cannot store NaN or infinity"),
        ('{"key": "k", "value": -Infinity}', "value at value is -inf"),
        ('{"key": "k", "value": 1e999999}', "value at value is 1E+999999"),
        (
            '{"key": "k", "value": ' + "[" * 40 + "]" * 40 + "}",
            "value is nested deeper than DynamoDB's 32 levels",
        ),
        (
            '{"key": "k", "value": "' + "x" * 500_000 + '"}',
            "item is 500129 bytes; DynamoDB's limit is 409600",
        ),
        (
            '{"key": "k", "value": {"a\\nb\\u2028": "\\ud83d"}}',
            "text at value.a\\nb\\u2028 is not valid Unicode",
        ),
    ],
)
def test_hostile_entries_are_one_line_and_exit_2_with_their_line(
    dynamodb_endpoint: LocalEndpoint,
    table_name: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str],
) -> None:
    line, problem = case
    source = tmp_path / "keys.jsonl"
    source.write_text('{"key": "ok", "value": 1}\n\n' + line + "\n", encoding="utf-8")
    code, _, err = run(load_args(dynamodb_endpoint.url, table_name, "--quiet", str(source)), capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"kvtable load: error: {source} line 3: {problem}")
    assert err.endswith(
        f"; nothing is written; after fixing it, run: kvtable load --endpoint-url {dynamodb_endpoint.url} "
        f"--table-name {table_name} --namespace ns --quiet {source}\n"
    )
