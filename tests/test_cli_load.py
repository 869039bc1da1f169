"""`kvtable load`: a JSON Lines file into a namespace on DynamoDB Local, with a progress bar, one-line
errors with the project's exit codes, and a resume with --skip."""

import io
import json
from pathlib import Path

import pytest

from kvtable.cli.load import jsonl_entries
from kvtable.cli.main import main
from kvtable.errors import InvalidInputError
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.progress import ProgressBar
from kvtable.store import KvTable


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(argv))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def write_lines(path: Path, count: int, bad_at: int | None = None) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(
                "{not json\n" if i == bad_at else json.dumps({"key": f"k{i:04d}", "value": {"n": i}}) + "\n"
            )
    return path


def load_args(endpoint: LocalEndpoint, table: str, *rest: str) -> list[str]:
    return ["load", "--endpoint-url", endpoint.url, "--table-name", table, "--namespace", "ns", *rest]


def test_a_file_is_loaded_with_progress_and_a_summary(
    dynamodb_endpoint: LocalEndpoint,
    table_name: str,
    store: KvTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = write_lines(tmp_path / "keys.jsonl", 300)
    code, out, err = run(load_args(dynamodb_endpoint, table_name, "--workers", "2", str(source)), capsys)
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
        load_args(dynamodb_endpoint, table_name, "--workers", "1", "--quiet", str(source)), capsys
    )
    assert code == 2
    assert err.count("\n") == 1 and "line 61 is not JSON" in err and "--skip 50" in err
    assert store.count_keys("ns", consistent=True) == 50
    # The user fixes the line and resumes where the load stopped.
    write_lines(source, 120)
    code, out, _ = run(
        load_args(dynamodb_endpoint, table_name, "--skip", "50", "--quiet", str(source)), capsys
    )
    assert code == 0 and "loaded 70 entries" in out
    assert store.count_keys("ns", consistent=True) == 120


def test_missing_file_and_bad_workers_are_bad_input(
    dynamodb_endpoint: LocalEndpoint, table_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(load_args(dynamodb_endpoint, table_name, str(tmp_path / "nope.jsonl")), capsys)
    assert (code, err.strip()) == (2, f"kvtable load: error: {tmp_path / 'nope.jsonl'}: no such file")
    source = write_lines(tmp_path / "keys.jsonl", 3)
    code, _, err = run(load_args(dynamodb_endpoint, table_name, "--workers", "0", str(source)), capsys)
    assert code == 2 and "workers must be 1 to 16" in err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('["k", 1]', "must be an object"),
        ('{"key": 1, "value": 2}', "key must be a string"),
        ('{"value": 2}', "must be an object"),
        ('{"key": "k", "value": 2, "extra": 3}', "must be an object"),
        ("[" * 100_000, "not JSON"),
    ],
)
def test_lines_that_are_not_entries_are_refused_with_their_number(line: str, message: str) -> None:
    lines = io.BytesIO(('{"key": "ok", "value": 1}\n\n' + line + "\n").encode())
    with pytest.raises(InvalidInputError, match=f"line 3.*{message}|line 3 {message}"):
        list(jsonl_entries(lines))


def test_text_that_is_not_utf8_is_bad_input_before_any_write(
    dynamodb_endpoint: LocalEndpoint,
    table_name: str,
    store: KvTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "keys.jsonl"
    source.write_bytes(b'{"key": "a", "value": 1}\n{"key": "b", "value": "\xff"}\n')
    code, _, err = run(load_args(dynamodb_endpoint, table_name, "--quiet", str(source)), capsys)
    assert (code, err.strip()) == (2, "kvtable load: error: line 2 is not UTF-8 text (invalid start byte)")
    assert store.count_keys("ns", consistent=True) == 0


def test_numbers_keep_their_digits_and_skip_counts_entries_not_blank_lines() -> None:
    lines = io.BytesIO(b'{"key": "a", "value": 0.1}\n\n{"key": "b", "value": 1.10}\n{"key": "c"}\n')
    assert [(k, str(v)) for k, v in jsonl_entries(lines, skip=1)] == [("b", "1.10"), ("c", "None")]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_shows_rate_and_eta_and_redraws_at_most_twice_a_second() -> None:
    out = FakeTerminal()
    bar = ProgressBar(out, total=1000, started=100.0)
    bar.update(100, 101.0)
    bar.update(150, 101.2)  # too soon: not drawn
    bar.update(500, 105.0)
    bar.finish(1000, 110.0)
    frames = out.getvalue().split("\r")[1:]
    assert (
        frames[0] == "[##......................] 100/1,000 keys (10%), 100 keys/s, 0m01s elapsed, ETA 0m09s"
    )
    assert frames[1].startswith(
        "[############............] 500/1,000 keys (50%), 100 keys/s, 0m05s elapsed, ETA 0m05s"
    )
    assert frames[2] == "[########################] 1,000/1,000 keys (100%), 100 keys/s, 0m10s elapsed\n"
    assert len(frames) == 3


def test_without_a_total_the_bar_shows_count_and_rate_in_a_log() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, total=None, started=0.0)
    bar.update(2500, 5.0)
    bar.update(2600, 6.0)  # a log gets a line every five seconds
    bar.update(5000, 10.0)
    assert out.getvalue() == "2,500 keys, 500 keys/s, 0m05s elapsed\n5,000 keys, 500 keys/s, 0m10s elapsed\n"


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
    code, out, err = run(load_args(dynamodb_endpoint, table_name, "-"), capsys)
    assert code == 0, err
    assert "loaded 40 entries" in out
    assert "40 keys, " in err and "ETA" not in err  # no total to reckon an ETA from
    assert store.get_key("ns", "s39", consistent=True)["value"] == 39
