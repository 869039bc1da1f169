"""The `kvtable` command: subcommands, help with examples, exit codes, and settings checked before any call."""

import argparse
import importlib.metadata
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kvtable import __version__
from kvtable.cli import settings as settings_module
from kvtable.cli.common import error_line
from kvtable.cli.main import build_parser, main
from kvtable.cli.parser import COMMANDS
from tests.cli_runs import run_main
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(main, argv, capsys)


def python(*argv: str) -> subprocess.CompletedProcess[str]:
    """This Python in a fresh process at the checkout's root, its output captured as text."""
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=ROOT, check=False)


def test_help_lists_every_subcommand_with_its_one_line_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    listed = " ".join(out.split())
    for command in COMMANDS:
        assert f"{command.name} {' '.join(command.summary.split())}" in listed
    assert {c.name for c in COMMANDS} >= {
        "template",
        "plan",
        "deploy",
        "outputs",
        "verify",
        "demo",
        "bench",
        "local",
    }


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_each_subcommand_help_shows_examples_that_parse(
    command: object, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = command.name  # type: ignore[attr-defined]
    code, out, _ = run([name, "--help"], capsys)
    assert code == 0
    assert "examples:\n  kvtable " + name in out
    # The files an example names exist where it runs (input files are checked as the flags are read).
    monkeypatch.chdir(tmp_path)
    for example in command.examples:  # type: ignore[attr-defined]
        argv = shlex.split(example.split(">>")[0], comments=True)
        assert argv[:2] == ["kvtable", name]
        for word in argv:
            if word.endswith((".yaml", ".json", ".toml", ".jsonl")):
                (tmp_path / word).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / word).touch()
        build_parser().parse_args(argv[1:])  # exits 2 on an unknown flag or a bad value


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out == f"kvtable {__version__}\n"
    assert importlib.metadata.version("kvtable") == __version__


def test_no_subcommand_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([], capsys)
    assert code == 2
    assert "usage: kvtable" in err


def test_an_unknown_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["outputs", "--format", "xml"], capsys)
    assert code == 2
    assert "invalid choice: 'xml'" in err


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["deploy", "--envv", "dev"],
            "kvtable deploy: error: unrecognized arguments: --envv (see 'kvtable deploy --help')",
        ),
        # A prefix of a real flag is not that flag: `--stack` must not plan a stack named "dev".
        (
            ["plan", "--stack", "dev"],
            "kvtable plan: error: unrecognized arguments: --stack (see 'kvtable plan --help')",
        ),
        (
            ["outputs", "--form", "env"],
            "kvtable outputs: error: unrecognized arguments: --form (see 'kvtable outputs --help')",
        ),
        (
            ["local", "--no-tab"],
            "kvtable local: error: unrecognized arguments: --no-tab (see 'kvtable local --help')",
        ),
        (["--vers"], "kvtable: error: unrecognized arguments: --vers (see 'kvtable --help')"),
    ],
)
def test_an_unknown_or_shortened_flag_is_one_line_naming_the_subcommand(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert (code, out, err) == (2, "", line + "\n")


def test_no_parser_takes_a_prefix_of_a_flag() -> None:
    parser = build_parser()
    (subcommands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parsers = [parser, *subcommands.choices.values(), *(c.parser(c.name) for c in COMMANDS)]
    assert [p.prog for p in parsers if p.allow_abbrev] == []


def test_a_script_door_takes_no_prefix_either() -> None:
    result = python("-m", "scripts.plan", "--stack", "dev")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "plan: error: unrecognized arguments: --stack dev (see 'plan --help')\n"


def test_kvtable_local_listens_on_8000_unless_told_and_a_taken_port_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert build_parser().parse_args(["local"]).port == 8000
    assert build_parser().parse_args(["local", "--port", "0"]).port == 0
    with socket.socket() as holder:  # a server already on the port asked for
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code, out, err = run(["local", "--port", str(port)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"kvtable local: error: port {port} of 127.0.0.1 is already in use (another DynamoDB Local, or a "
        "'kvtable local' still running?); stop that, or give another port with --port (--port 0 takes a free one)\n"
    )


def test_a_missing_extra_is_one_line_naming_the_pip_install() -> None:
    # A fresh process in which troposphere cannot be imported, as in a base install.
    code = (
        "import sys; sys.modules['troposphere'] = None; "
        "from kvtable.cli.main import main; raise SystemExit(main(['template', '--check']))"
    )
    result = python("-c", code)
    assert result.returncode == 2
    assert result.stderr == (
        "kvtable template: error: this command needs the 'build' extra (troposphere is not installed); "
        "run: pip install 'kvtable[build]'\n"
    )


def test_an_unrelated_missing_module_is_a_bug_not_a_missing_extra() -> None:
    assert error_line(ModuleNotFoundError("No module named 'yaml'", name="yaml")) is None
    assert error_line(ModuleNotFoundError("x", name="cfnlint.decode")) == (
        "this command needs the 'deploy' extra (cfnlint.decode is not installed); "
        "run: pip install 'kvtable[deploy]'",
        2,
    )


@pytest.fixture
def no_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS API call a command's CloudFormation client sends, recorded by botocore's event hook."""
    calls: list[str] = []
    original = settings_module.Settings.cloudformation

    def recording(self: settings_module.Settings) -> object:
        client = original(self)
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
        return client

    monkeypatch.setattr(settings_module.Settings, "cloudformation", recording)
    return calls


@pytest.mark.parametrize(
    ("file_text", "argv", "message"),
    [
        (
            '[parameters]\nTableName = "ab"',
            [],
            "kvtable deploy: error: {path}: parameter TableName='ab' is invalid",
        ),
        ('[parameters]\nNope = "1"', [], "kvtable deploy: error: {path}: unknown parameter Nope"),
        (
            'stack_name = "ok"\nregion = "nowhere"',
            [],
            "kvtable deploy: error: {path}: region 'nowhere' is not an AWS region name",
        ),
        ("colour = 'blue'", [], "kvtable deploy: error: {path}: unknown key colour"),
        (
            "",
            ["--parameter", "TableName=has space"],
            "kvtable deploy: error: parameter TableName='has space'",
        ),
    ],
)
def test_bad_settings_in_the_file_are_one_line_exit_2_and_nothing_is_called(
    tmp_path: Path,
    no_calls: list[str],
    capsys: pytest.CaptureFixture[str],
    *,
    file_text: str,
    argv: list[str],
    message: str,
) -> None:
    (tmp_path / "dev.toml").write_text(file_text)
    # A closed loopback port: were the check late, the call would go nowhere but here.
    closed = ["--endpoint-url", "http://127.0.0.1:9"]
    code, _, err = run(["deploy", "--env", "dev", "--config-dir", str(tmp_path), *closed, *argv], capsys)
    assert code == 2
    assert err.startswith(message.format(path=tmp_path / "dev.toml"))
    assert len(err.splitlines()) == 1
    assert no_calls == []


def test_debug_shows_the_traceback_and_keeps_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dev.toml").write_text("colour = 'blue'")
    code, _, err = run(["deploy", "--env", "dev", "--config-dir", str(tmp_path), "--debug"], capsys)
    assert code == 2
    assert err.startswith("Traceback (most recent call last):")
    assert "UsageError:" in err
    assert err.splitlines()[-1].startswith(
        f"kvtable deploy: error: {tmp_path / 'dev.toml'}: unknown key colour"
    )


def test_a_missing_environment_file_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["plan", "--env", "staging", "--config-dir", str(ROOT / "config")], capsys)
    assert code == 2
    assert err == (
        f"kvtable plan: error: environment file staging.toml is not in {ROOT}/config "
        "(environments there: dev, prod); give --config-dir the folder that holds it\n"
    )


def test_from_another_folder_a_missing_environment_names_the_folder_looked_in(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["plan", "--env", "dev"], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"kvtable plan: error: environment file dev.toml is not in {tmp_path}/config, which does not "
        "exist; run kvtable from the folder that holds config/, or give --config-dir the folder that "
        "holds dev.toml\n"
    )


@pytest.mark.parametrize(
    ("flag", "value", "line"),
    [
        (
            "--config-dir",
            "x" * 300,
            "path 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is too long: 300 bytes, "
            "and a file or folder name may have 255; use a shorter name",
        ),
        (
            "--config-dir",
            "/".join(["y" * 200] * 25),
            "path 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' is too long: 5,024 bytes, "
            "and a folder's path (room is left for the files in it) may have 3,995; use a shorter path",
        ),
        (
            "--env",
            "config/" + "z" * 260 + ".toml",
            "path 'config/zzzzzzzzzzzzzzzzzzzzzzz...zzzzzzzzzzzzzzzzzzzzzzzzz.toml' is too long: its part "
            "'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...zzzzzzzzzzzzzzzzzzzzzzzzz.toml' is 265 bytes, and a file or "
            "folder name may have 255; use a shorter name",
        ),
    ],
    ids=["one-part", "whole-path", "env-file"],
)
def test_a_path_too_long_is_one_line_and_exit_2(
    flag: str, value: str, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["plan", *(["--env", "dev"] if flag == "--config-dir" else []), flag, value]
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert err == f"kvtable plan: error: argument {flag}: {line} (see 'kvtable plan --help')\n"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "AWS_ENDPOINT_URL",
            "foo",
            "AWS_ENDPOINT_URL: endpoint URL 'foo' must start with http:// or https://",
        ),
        (
            "AWS_ENDPOINT_URL",
            "ftp://x",
            "AWS_ENDPOINT_URL: endpoint URL 'ftp://x' must start with http:// or https://",
        ),
        (
            "AWS_ENDPOINT_URL_DYNAMODB",
            "http://",
            "AWS_ENDPOINT_URL_DYNAMODB: endpoint URL 'http://' has no host",
        ),
        (
            "AWS_DEFAULT_REGION",
            "mars-1",
            "AWS_DEFAULT_REGION: region 'mars-1' is not an AWS region name such as 'eu-west-1'",
        ),
    ],
)
@pytest.mark.parametrize(
    "command", [["outputs"], ["verify"], ["plan"], ["load", "-", "--namespace", "n1"], ["demo"]]
)
def test_a_bad_region_or_endpoint_in_the_environment_is_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    command: list[str],
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv(variable, value)
    code, _, err = run(command, capsys)
    assert (code, err) == (2, f"kvtable {command[0]}: error: {message}\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('stack_name = "S"\n'.encode("utf-16"), "is UTF-16 or UTF-32 text; save it as UTF-8"),
        (b'stack_name = "caf\xe9"\n', "is not UTF-8 text (byte 0xe9 on line 1); save it as UTF-8"),
    ],
)
def test_an_environment_file_in_another_encoding_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    (tmp_path / "dev.toml").write_bytes(content)
    code, _, err = run(["outputs", "--env", "dev", "--config-dir", str(tmp_path)], capsys)
    assert (code, err) == (2, f"kvtable outputs: error: environment file {tmp_path / 'dev.toml'} {message}\n")


def test_an_environment_file_with_a_byte_order_mark_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Windows editors start UTF-8 files with a byte-order mark; the file is read as if it had none.
    (tmp_path / "dev.toml").write_bytes(b'\xef\xbb\xbfstack_name = "has space"\n')
    code, _, err = run(["outputs", "--env", "dev", "--config-dir", str(tmp_path)], capsys)
    assert code == 2
    assert err.startswith(
        f"kvtable outputs: error: {tmp_path / 'dev.toml'}: stack name 'has space' is invalid"
    )


def test_the_plan_script_speaks_as_plan() -> None:
    result = python("-m", "scripts.plan", "--env", "nope")
    assert (result.returncode, result.stderr) == (
        2,
        f"plan: error: environment file nope.toml is not in {ROOT}/config (environments there: dev, prod); "
        "give --config-dir the folder that holds it\n",
    )


def test_help_loads_neither_boto3_nor_the_template_builder() -> None:
    probe = (
        "import sys; from kvtable.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'boto3', 'botocore', 'troposphere', 'awacs', 'cfnlint'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))"
    )
    result = python("-c", probe)
    assert result.stdout.splitlines()[-1] == "[]", result.stderr


def test_a_flag_replaces_the_environment_variable_boto3_would_have_read(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # boto3 reads AWS_DEFAULT_REGION and AWS_ENDPOINT_URL only where no region or endpoint is given.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "bad_region")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "not a url")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, _, err = run(["outputs", "--region", "eu-west-1", "--endpoint-url", "http://127.0.0.1:9"], capsys)
    assert code == 1
    assert err.startswith(
        "kvtable outputs: error: nothing answers at http://127.0.0.1:9 (connection refused); "
    )


def test_a_nul_in_a_file_name_from_the_environment_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dev.toml").write_text('template = "a\\u0000b.yaml"\n')
    code, _, err = run(["plan", "--env", "dev", "--config-dir", str(tmp_path)], capsys)
    assert (code, err) == (
        2,
        "kvtable plan: error: template 'a\\x00b.yaml' is not a file name (it holds a NUL character)\n",
    )
