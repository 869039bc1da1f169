"""The `kvtable` command: subcommands, help with examples, exit codes, and settings checked before any call."""

import importlib.metadata
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from kvtable import __version__
from kvtable.cli import settings as settings_module
from kvtable.cli.common import error_line
from kvtable.cli.main import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(argv))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


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
    command: object, capsys: pytest.CaptureFixture[str]
) -> None:
    name = command.name  # type: ignore[attr-defined]
    code, out, _ = run([name, "--help"], capsys)
    assert code == 0
    assert "examples:\n  kvtable " + name in out
    for example in command.examples:  # type: ignore[attr-defined]
        argv = shlex.split(example.split(">>")[0])
        assert argv[:2] == ["kvtable", name]
        build_parser().parse_args(argv[1:])  # exits 2 on an unknown flag


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


def test_a_missing_extra_is_one_line_naming_the_pip_install() -> None:
    # A fresh process in which troposphere cannot be imported, as in a base install.
    code = (
        "import sys; sys.modules['troposphere'] = None; "
        "from kvtable.cli.main import main; raise SystemExit(main(['template', '--check']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
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


def test_debug_shows_the_error_itself(tmp_path: Path) -> None:
    (tmp_path / "dev.toml").write_text("colour = 'blue'")
    with pytest.raises(Exception, match="unknown key colour"):
        main(["deploy", "--env", "dev", "--config-dir", str(tmp_path), "--debug"])


def test_a_missing_environment_file_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["plan", "--env", "staging", "--config-dir", str(ROOT / "config")], capsys)
    assert code == 2
    assert err == (
        f"kvtable plan: error: environment file {ROOT}/config/staging.toml does not exist; "
        f"environments in {ROOT}/config: dev, prod\n"
    )
