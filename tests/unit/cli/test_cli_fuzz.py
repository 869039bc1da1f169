"""Every subcommand, each flag given hostile values: exit 2, one line naming the command, no traceback.

The test walks the real parser, so a new flag is covered the day it is added: each flag's kind
(its argparse `type`, or its `choices`) must have hostile values below, or the test fails. The
values are ones a person types by mistake or an attacker tries: malformed URLs, unknown regions,
empty strings, huge and negative numbers, missing files, folders, FIFOs, non-UTF-8, UTF-16 and
byte-order-marked files, and paths too long for the system (a name over 255 bytes, a path over 4,096).

Nothing may get as far as a call or an engine: AWS_ENDPOINT_URL points at a loopback server that
refuses every call and `java` is a program that fails at once, so a value that slips through ends
in exit 1 (access denied, "exited before listening") and fails the test.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

import pytest

from kvtable.cli import arguments as kinds
from kvtable.cli.export import export_to
from kvtable.cli.main import build_parser, main
from kvtable.cli.restore import utc_time
from tests.cli_runs import run_main

COMMAND_BASES: dict[str, list[str]] = {
    "template": ["template"],
    "plan": ["plan"],
    "deploy": ["deploy"],
    "outputs": ["outputs"],
    "verify": ["verify"],
    "restore": ["restore", "--target-table", "kv-restored"],
    "adopt": ["adopt", "--table", "kv-storage-data"],
    "load": ["load", "{good_jsonl}", "--namespace", "ns1"],
    "export": ["export", "--to", "s3://bkt/p"],
    "import": [
        "import",
        "{good_jsonl}",
        "--table",
        "kv-new",
        "--namespace",
        "ns1",
        "--staging",
        "s3://bkt/p",
    ],
    "migrate": ["migrate", "plan"],
    "cost": ["cost", "--example"],
    "demo": ["demo"],
    "bench": ["bench", "--only", "compare"],
    "local": ["local", "--port", "0"],  # a free port: 8000 may be taken on this machine
}

# Flags that mean something only beside another: the other is given too.
CONTEXT: dict[str, list[str]] = {
    "--config-dir": ["--env", "dev"],
    "--regions": ["--as-global-table"],
}

NUMBERS = ["", "x", "9" * 40, "-1", "1e999", "nan"]
NAMES = ["", "a b", "#", "x" * 300]
# Paths the system refuses (ENAMETOOLONG): one part over 255 bytes, and a whole path over PATH_MAX
# (4,096 bytes) whose every part is short enough.
LONG_PATHS = ["p" * 256, "/".join(["q" * 200] * 25)]
FILES = ["", "{missing}", "{folder}", "{fifo}", "{not_utf8}", "{utf16}", "{bom_garbage}", *LONG_PATHS]


def hostile_values(kind: object) -> list[str]:
    """The values a flag of this kind must refuse; a kind without an entry fails the test."""
    if isinstance(kind, kinds.Count):
        return [*NUMBERS, str(kind.low - 1), str(kind.high + 1)]
    if isinstance(kind, kinds.Amount):
        return [*NUMBERS, "inf", str(kind.high * 10)]
    table: dict[Callable[..., object], list[str]] = {
        kinds.endpoint_url: ["", "foo", "ftp://x", "http://", "http://host:99999", "http:// spaced"],
        kinds.region_name: ["", "mars-1", "US-EAST-1", "us-east-1 "],
        kinds.region_list: ["", "mars-1", "us-east-1,,eu-west-1", "us-east-1,us-east-1"],
        kinds.profile_name: ["", "two words", "nope-not-configured"],
        kinds.stack_name: ["", "1stack", "a_b", "s" * 129],
        kinds.table_name: ["", "ab", "a b", "a#b", "t" * 256],
        kinds.index_name: ["", "ab", "a b", "i" * 256],
        kinds.namespace_name: ["", "a#b", "n" * 3000],
        kinds.migration_id: ["", " ", "nope-no-such-migration", "x" * 200],
        kinds.environment_name: [
            "",
            "../x",
            "nope",
            "{missing}.toml",
            *FILES[2:],
            *(f"{path}.toml" for path in LONG_PATHS),
        ],
        kinds.assignment: ["", "novalue", "=x"],
        kinds.input_file: FILES,
        kinds.input_file_or_stdin: FILES,
        kinds.folder: ["", "{good_jsonl}", *LONG_PATHS],
        utc_time: ["", "yesterday", "2026-13-40T00:00:00Z"],
        kinds.s3_url: ["", "bkt/p", "s3://", "s3://Bad_Bucket/p", "s3://bkt/a//b", "s3://bkt/" + "p" * 901],
        export_to: ["", "s3://", "s3://Bad_Bucket/p", "yesterday", "2026-13-40T00:00:00Z"],
        kinds.export_arn: ["", "arn:aws:dynamodb:us-east-1:123456789012:table/t1/import/01", "arn:x"],
        kinds.import_arn: ["", "arn:aws:dynamodb:us-east-1:123456789012:table/t1/export/01", "arn:x"],
        kinds.worker_share: ["", "x", "4/4", "-1/4", "1/0", "1/99999999", "auto ", "1 / 4"],
        kinds.variable_name: ["", "1X", "A B", "X=1", "X" * 200],
    }
    if kind not in table:
        raise AssertionError(f"no hostile values for the flag kind {kind!r}: add them to this test")
    return table[kind]


def flag_cases() -> Iterator[tuple[str, str, str]]:
    """(command, flag or positional name, hostile value) for every value-taking argument."""
    parser = build_parser()
    (subcommands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, subparser in subcommands.choices.items():
        for action in subparser._actions:
            if action.nargs == 0 or isinstance(action, argparse._HelpAction):
                continue
            flag = action.option_strings[0] if action.option_strings else action.dest
            values = ["", "bogus"] if action.choices else hostile_values(action.type)
            for value in values:
                yield name, flag, value


CASES = sorted(set(flag_cases()))


def argv_for(command: str, flag: str, value: str, files: dict[str, str]) -> list[str]:
    base = [part.format(**files) for part in COMMAND_BASES[command]]
    value = value.format(**files)
    if flag.startswith("-"):
        return [*base, *CONTEXT.get(flag, []), flag, value]
    # A positional: the command's base gives it first (or not at all, as cost's PROFILE); replace it.
    if command in ("load", "import"):
        return [command, value, *base[2:]]
    if command == "cost":
        return [command, value]
    return [command, value]


@pytest.mark.usefixtures("nowhere_to_go")
@pytest.mark.parametrize(("command", "flag", "value"), CASES)
def test_a_hostile_value_is_one_line_and_exit_2(
    command: str, flag: str, value: str, hostile_files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(main, argv_for(command, flag, value, hostile_files), capsys)
    assert (code, err.count("\n")) == (2, 1), err
    assert err.startswith(f"kvtable {command}: error: "), err
    assert "Traceback" not in err


def test_every_command_is_fuzzed() -> None:
    assert {command for command, _, _ in CASES} == set(COMMAND_BASES)
    assert len(CASES) > 400


# How far each base goes with good values: the call or the engine start, or done (no AWS needed).
BASE_OUTCOMES = {"template": 0, "cost": 0}
# The bases that start DynamoDB Local: they get as far as its jar (run by the failing `java`), so
# they need the npm package, which a fresh clone has only after `make engines`.
STARTS_DYNAMODB_LOCAL = {"bench", "local"}


def assert_base_goes_as_far_as_the_call(
    command: str, hostile_files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The base of a command, with good values, exits as BASE_OUTCOMES says (1: it reached a call)."""
    # Without this, a base that fails on its own would make every hostile case above pass.
    argv = [part.format(**hostile_files) for part in COMMAND_BASES[command]]
    code, _, err = run_main(main, argv, capsys)
    assert code == BASE_OUTCOMES.get(command, 1), err


@pytest.mark.usefixtures("nowhere_to_go")
@pytest.mark.parametrize("command", sorted(set(COMMAND_BASES) - STARTS_DYNAMODB_LOCAL))
def test_each_base_is_valid_and_goes_as_far_as_the_call(
    command: str, hostile_files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert_base_goes_as_far_as_the_call(command, hostile_files, capsys)
