"""Ctrl-C at several moments of a real `kvtable` process: exit 130, one line, nothing half-done.

Each moment is reached deterministically, not by timing: the process signals itself (a real
SIGINT, handled by Python's own handler) when it imports a given module, when it replaces a
written file, or after the command has ended; or the test signals it once it is blocked on a
request to a loopback server that never answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

ROOT = REPO_ROOT

# Runs the installed program's entry exactly as the console script does, after arming one trigger.
WRAPPER = textwrap.dedent(
    """
    import os, signal, sys
    moment, argument, *argv = sys.argv[1:]
    sys.argv = ["kvtable", *argv]

    def interrupt():
        os.kill(os.getpid(), signal.SIGINT)

    if moment == "import":
        class Trigger:
            def find_spec(self, name, path=None, target=None):
                if name == argument:
                    sys.meta_path.remove(self)
                    interrupt()
                return None
        sys.meta_path.insert(0, Trigger())
    elif moment == "replace":
        original, calls = os.replace, []
        def replace(source, target):
            calls.append(target)
            if len(calls) == int(argument):
                interrupt()
            return original(source, target)
        os.replace = replace

    from kvtable.cli.main import entry
    code = entry()
    if moment == "after":
        interrupt()  # the command has ended; a late Ctrl-C must not change how the process exits
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
    sys.exit(code)
    """
)


def run_interrupted(moment: str, argument: str, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return subprocess.run(
        [sys.executable, "-c", WRAPPER, moment, argument, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("module", "argv", "line"),
    [
        # Before the command is known: the subcommands' modules are loading.
        ("kvtable.cli.parser", ["template", "--check"], "kvtable: interrupted\n"),
        # The command is running and loads what it needs: the template builder, then boto3.
        ("troposphere.dynamodb", ["template", "--check"], "kvtable template: interrupted\n"),
        (
            "botocore.session",
            ["outputs", "--endpoint-url", "http://127.0.0.1:9"],
            "kvtable outputs: interrupted\n",
        ),
    ],
)
def test_ctrl_c_while_modules_load_is_exit_130_and_one_line(
    module: str, argv: list[str], line: str, tmp_path: Path
) -> None:
    result = run_interrupted("import", module, *argv, cwd=ROOT)
    assert (result.returncode, result.stderr) == (130, line)


def test_ctrl_c_while_templates_are_written_leaves_no_half_written_file(tmp_path: Path) -> None:
    out = tmp_path / "templates"
    result = run_interrupted("replace", "2", "template", "--out", str(out), cwd=tmp_path)
    assert (result.returncode, result.stderr) == (130, "kvtable template: interrupted\n")
    built = tmp_path / "built"
    complete = subprocess.run(
        [sys.executable, "-m", "kvtable.cli.main", "template", "--out", str(built)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert complete.returncode == 0, complete.stderr
    written = sorted(path.relative_to(out) for path in out.rglob("*") if path.is_file())
    # The first file was put in place before the interrupt, which came as the second was; no
    # fragment and no temporary file is left.
    assert len(written) == 1
    for name in written:
        assert (out / name).read_bytes() == (built / name).read_bytes()


def test_ctrl_c_after_the_command_ended_keeps_its_exit_code(tmp_path: Path) -> None:
    result = run_interrupted("after", "", "template", "--check", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("templates in")


def test_ctrl_c_while_waiting_for_aws_is_exit_130_and_one_line(tmp_path: Path) -> None:
    # A loopback server that accepts the connection and never answers: the command waits on it.
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(60)
        port = server.getsockname()[1]
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kvtable.cli.main",
                "outputs",
                "--endpoint-url",
                f"http://127.0.0.1:{port}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err) == (130, "", "kvtable outputs: interrupted\n")
