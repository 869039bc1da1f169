"""A closed stdout or stderr never stops an operation halfway: `kvtable deploy ... | head -1` still
protects its stack, and exits with the code a run read to its end gets.

Every subcommand, and the scripts/ and build_template.py doors, runs as a whole process on a real
pipe, in four ways: read to the end (OPEN: the exit code and last line a normal run gets), stdout's
reader gone before the process starts (AT_ONCE: every write fails), stdout's reader gone after the
first line, on a pipe of one page so that a longer report must be written after the close, and with
PYTHONUNBUFFERED so that each line is a write of its own (MIDWAY), and stderr's reader gone before
it starts (NO_STDERR: progress bars, warnings and errors fail). The other ways keep Python's own
buffering (a block at a time into a pipe), as a person's shell does.
Each way must end with the same exit code, no traceback nor Python's "Exception ignored" at exit,
and the command's work done, checked on the engine it ran against.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kvtable.builders.render import rendered_files, rendered_iam_files
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT

OPEN, AT_ONCE, MIDWAY, NO_STDERR = "open", "stdout-closed-at-once", "stdout-closed-midway", "stderr-closed"
VARIANTS = (OPEN, AT_ONCE, MIDWAY, NO_STDERR)
CLOSED = (AT_ONCE, MIDWAY, NO_STDERR)
TOGETHER = "2>&1"  # both streams on one pipe, read to the end
# What a run that broke on its output leaves on stderr.
BROKEN_SIGNS = ("Traceback", "Exception ignored", "BrokenPipeError", "Broken pipe")
PAGE = 4096


@dataclass(frozen=True)
class Finished:
    """How a process ended: its exit code, what a reader of its stdout got, and its stderr."""

    code: int
    out: str
    err: str


def kvtable(*argv: str) -> list[str]:
    """The installed program's entry, as the console script runs it."""
    return [sys.executable, "-m", "kvtable.cli.main", *argv]


def aws_environment(endpoint: str | None = None) -> dict[str, str]:
    """The process's environment: fake credentials, no AWS config, and the endpoint if any."""
    # Python's own buffering, as a person's shell gives it: this machine sets PYTHONUNBUFFERED.
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name != "PYTHONUNBUFFERED"
    }
    nowhere = str(Path(tempfile.gettempdir()) / f"no-aws-config-{uuid.uuid4().hex}")
    environment.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=nowhere,
        AWS_SHARED_CREDENTIALS_FILE=nowhere,
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(ROOT),
    )
    if endpoint:
        environment["AWS_ENDPOINT_URL"] = endpoint
    return environment


def head_1(descriptor: int, timeout: float = 120.0) -> bytes:
    """Read up to the first newline (or the end), then close the pipe, as `head -1` does."""
    line = b""
    deadline = time.monotonic() + timeout
    try:
        while not line.endswith(b"\n"):
            ready, _, _ = select.select([descriptor], [], [], max(deadline - time.monotonic(), 0))
            assert ready, f"no line within {timeout:.0f}s"
            byte = os.read(descriptor, 1)
            if not byte:
                break
            line += byte
    finally:
        os.close(descriptor)
    return line


def run_piped(
    command: list[str],
    variant: str,
    environment: Mapping[str, str],
    *,
    cwd: Path = ROOT,
    while_running: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> Finished:
    """Run `command` with its stdout and stderr as `variant` says, to its end."""
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        read_end, write_end = os.pipe()
        if variant == MIDWAY:
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PAGE)
        else:
            os.close(read_end)  # before the process starts: its reader is gone at once (or never used)
        streams: dict[str, tuple[Any, Any]] = {
            OPEN: (out_file, err_file),
            AT_ONCE: (write_end, err_file),
            MIDWAY: (write_end, err_file),
            NO_STDERR: (out_file, write_end),
            TOGETHER: (out_file, subprocess.STDOUT),
        }
        stdout, stderr = streams[variant]
        variables = dict(environment)
        if variant == MIDWAY:
            # A write a line, as `head` meets a report printed as the work goes: most land after the close.
            variables["PYTHONUNBUFFERED"] = "1"
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, cwd=cwd, env=variables
            )
        finally:
            os.close(write_end)
        try:
            read = head_1(read_end) if variant == MIDWAY else b""
            if while_running is not None:
                while_running(process)
            code = process.wait(timeout=240)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if stdout is out_file:
            out_file.seek(0)
            read = out_file.read()
        err_file.seek(0)
        return Finished(code, read.decode(), err_file.read().decode())


def assert_ran_to_its_end(finished: Finished, variant: str, code: int, last_words: str) -> None:
    """The exit code the run earned, nothing broken on stderr, and the whole report where it was read."""
    shown = (
        f"{variant}: exit {finished.code}\nstdout:\n{finished.out[-3000:]}\nstderr:\n{finished.err[-3000:]}"
    )
    assert finished.code == code, shown
    for sign in BROKEN_SIGNS:
        assert sign not in finished.err, shown
    if variant in (OPEN, NO_STDERR):
        assert last_words in finished.out, shown
    if variant == MIDWAY:
        assert finished.out.count("\n") <= 1, shown


# ----- no engine -----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_template_writes_every_file(variant: str, tmp_path: Path) -> None:
    out = tmp_path / "templates"
    finished = run_piped(kvtable("template", "--out", str(out)), variant, aws_environment(), cwd=tmp_path)
    assert_ran_to_its_end(finished, variant, 0, f"wrote {tmp_path / 'iam' / 'operator.json'}")
    assert_written_whole(out, tmp_path / "iam")


def assert_written_whole(templates: Path, iam: Path) -> None:
    """Every template and IAM document is in its folder, each byte what the code builds."""
    built = rendered_files()
    for folder, files in ((templates, built), (iam, rendered_iam_files(built))):
        assert sorted(path.name for path in folder.iterdir()) == sorted(files)
        for name, text in files.items():
            assert (folder / name).read_text(encoding="utf-8") == text, name


@pytest.mark.parametrize("variant", VARIANTS)
def test_cost_as_json(variant: str) -> None:
    finished = run_piped(kvtable("cost", "--example", "--format", "json"), variant, aws_environment())
    assert_ran_to_its_end(finished, variant, 0, "\n}\n")
    if variant == OPEN:
        assert json.loads(finished.out)


@pytest.mark.parametrize("descriptor", [1, 2], ids=[">&-", "2>&-"])
def test_a_stream_closed_before_the_start_is_dropped(descriptor: int, tmp_path: Path) -> None:
    # `kvtable template >&-`: Python starts with that stream missing (sys.stdout is None).
    def close_it() -> None:
        os.close(descriptor)

    out = tmp_path / "templates"
    for argv, code in ((["--out", str(out)], 0), (["--check", "--out", str(tmp_path / "none")], 1)):
        done = subprocess.run(
            kvtable("template", *argv),
            capture_output=True,
            preexec_fn=close_it,
            check=False,
            cwd=tmp_path,
            env=aws_environment(),
        )
        shown = done.stdout.decode() + done.stderr.decode()
        assert done.returncode == code, shown
        assert not any(sign in shown for sign in BROKEN_SIGNS), shown
    assert_written_whole(out, tmp_path / "iam")


def test_with_2_to_1_bad_input_follows_the_settings_it_was_found_in(tmp_path: Path) -> None:
    (tmp_path / "pipe.toml").write_text('stack_name = "S"\n[parameters]\nTableName = "t"\n', encoding="utf-8")
    command = kvtable("plan", "--env", "pipe", "--config-dir", str(tmp_path))
    finished = run_piped(command, TOGETHER, aws_environment())
    assert finished.code == 2, finished.out
    lines = finished.out.splitlines()
    assert lines[0] == f"Environment pipe ({tmp_path / 'pipe.toml'}):", finished.out
    # The settings' columns are as wide as their widest row, so the row is compared word by word.
    assert lines[-2].split() == ["parameter", "TableName", "t", "from", "file"], finished.out
    assert lines[-1:] == [
        f"kvtable plan: error: {tmp_path / 'pipe.toml'}: parameter TableName='t' is invalid: must be 3 to 255 "
        "characters of a-z, A-Z, 0-9, '_', '.' or '-'",
    ], finished.out


def test_a_stdout_that_fails_otherwise_is_said_on_stderr() -> None:
    # A full disk, not a closed pipe: whoever reads the file would get less than the report.
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            kvtable("cost", "--example"),
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
            env=aws_environment(),
        )
    assert (done.returncode, done.stderr.decode()) == (
        0,
        "kvtable: warning: stdout failed (No space left on device); what followed was not written\n",
    )


def script(door: str, *argv: str) -> list[str]:
    """A scripts/ door, run as the docs show: `python -m scripts.NAME`."""
    return [sys.executable, "-m", f"scripts.{door}", *argv]


# Every door runs its command for real in the tests below, except local_dynamodb, which runs until
# stopped: its door shows --help, and `kvtable local` itself runs in test_local_runs_until_stopped.
@pytest.mark.parametrize("variant", CLOSED)
def test_the_script_doors_without_an_engine(variant: str) -> None:
    finished = run_piped(script("cost", "--example", "--format", "json"), variant, aws_environment())
    assert_ran_to_its_end(finished, variant, 0, "\n}\n")
    finished = run_piped(script("local_dynamodb", "--help"), variant, aws_environment())
    assert_ran_to_its_end(finished, variant, 0, "examples:\n  kvtable local")


@pytest.mark.parametrize("variant", CLOSED)
def test_build_template_writes_every_file(variant: str, tmp_path: Path) -> None:
    out = tmp_path / "templates"
    command = [sys.executable, str(ROOT / "build_template.py"), "--out", str(out)]
    finished = run_piped(command, variant, aws_environment(), cwd=tmp_path)
    assert_ran_to_its_end(finished, variant, 0, "operator.json")
    assert_written_whole(out, tmp_path / "iam")
