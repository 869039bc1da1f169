"""`kvtable load` before any write: lines that are not entries refused with their number, encodings
and byte-order marks, folders and FIFOs, numbers kept to their digits, and the progress bar. The loads
into DynamoDB Local are in tests/engine/cli/test_cli_load.py."""

import codecs
import io
import os
from pathlib import Path

import pytest

from kvtable.cli.main import main
from kvtable.console.progress import ProgressBar
from kvtable.contract.jsonl import jsonl_entries
from kvtable.schema.errors import InvalidInputError
from tests.cli_runs import run_main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(main, argv, capsys)


ENTRY = '{"key": "...", "value": ...}'


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('["k", 1]', f"input line 3 is an array, not an object {ENTRY}"),
        ('"k"', f"input line 3 is a string, not an object {ENTRY}"),
        ('{"key": 1, "value": 2}', 'input line 3: "key" is a number, not a string'),
        ('{"key": null}', 'input line 3: "key" is null, not a string'),
        ('{"value": 2}', f'input line 3 has no "key" field; an entry is {ENTRY}'),
        (
            '{"key": "k", "value": 2, "extra": 3}',
            'input line 3 has the unknown field "extra"; an entry has only "key" and "value"',
        ),
        (
            '{"key": "k", "Value": 2, "ttl\\n": 3}',
            'input line 3 has the unknown fields "Value", "ttl\\n"; an entry has only "key" and "value"',
        ),
        (
            '{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}',
            'input line 3 has the unknown fields "a", "b", "c" and 2 more; an entry has only "key" and "value"',
        ),
        ('{"key": "k", "value": 1', "input line 3 is not JSON (Expecting ',' delimiter at column 24)"),
        ("[" * 100_000, "input line 3 is not JSON this can read (nested too deeply)"),
        (
            '{"key": "k", "value": ' + "9" * 5000 + "}",
            "input line 3 is not JSON this can read (a number has too many digits)",
        ),
    ],
)
def test_lines_that_are_not_entries_are_refused_with_their_number(line: str, message: str) -> None:
    lines = io.BytesIO(('{"key": "ok", "value": 1}\n\n' + line + "\n").encode())
    with pytest.raises(InvalidInputError) as refused:
        list(jsonl_entries(lines))
    assert str(refused.value) == message


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


DEAD_ENDPOINT = "http://127.0.0.1:9"  # never called: these loads stop before their first write


def test_a_bad_first_line_says_nothing_is_written_and_gives_the_command_without_skip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "keys.jsonl"
    source.write_text('\n{"key": "a", "value": 1, "vaule": 2}\n', encoding="utf-8")
    argv = ["load", "--endpoint-url", DEAD_ENDPOINT, "--namespace", "ns", "--quiet", str(source)]
    code, _, err = run(argv, capsys)
    assert (code, err) == (
        2,
        f'kvtable load: error: {source} line 2 has the unknown field "vaule"; an entry has only "key" and '
        f'"value"; nothing is written; after fixing it, run: kvtable load --endpoint-url {DEAD_ENDPOINT} '
        f"--namespace ns --quiet {source}\n",
    )


@pytest.mark.timeout(20)
def test_a_folder_or_a_fifo_is_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "keys.fifo"
    os.mkfifo(fifo)  # nobody writes to it: opening it to read would wait for ever
    for path, what in [(tmp_path, "is a folder, not a file"), (fifo, "is not a regular file")]:
        code, _, err = run(["load", "--endpoint-url", DEAD_ENDPOINT, "--namespace", "ns", str(path)], capsys)
        assert code == 2 and f"{path} {what}" in err and err.count("\n") == 1


def test_utf16_is_one_line_for_a_file_and_for_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = '{"key": "a", "value": 1}\n'
    argv = ["load", "--endpoint-url", DEAD_ENDPOINT, "--namespace", "ns"]
    for encoding in ["utf-16", "utf-16-le", "utf-32"]:  # with a byte-order mark, and without one
        source = tmp_path / f"keys-{encoding}.jsonl"
        source.write_bytes(text.encode(encoding))
        code, _, err = run([*argv, str(source)], capsys)
        assert (code, err) == (
            2,
            f"kvtable load: error: {source} is UTF-16 or UTF-32 text; save it as UTF-8\n",
        )
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-16"))))
    code, _, err = run([*argv, "-"], capsys)
    assert (code, err) == (
        2,
        "kvtable load: error: stdin is UTF-16 or UTF-32 text; save it as UTF-8; nothing is written; after "
        f"fixing it, run: kvtable load --endpoint-url {DEAD_ENDPOINT} --namespace ns - (with the same input "
        "on stdin)\n",
    )


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    lines = io.BytesIO(codecs.BOM_UTF8 + b'{"key": "a", "value": 1}\n{"key": "b"}\n')
    assert list(jsonl_entries(lines)) == [("a", 1), ("b", None)]
