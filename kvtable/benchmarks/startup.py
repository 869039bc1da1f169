"""How long `kvtable` takes as a person runs it: whole, fresh processes of `kvtable --help`,
`kvtable template` (into a new folder) and `kvtable template --check` (of that folder), with Python
alone beside them for scale. Wall time (median and minimum) and CPU (median) of each; the commands run
in a new shuffled order every round, after one unmeasured round that compiles the bytecode, as an
install does. Needs no DynamoDB Local."""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kvtable.benchmarks.measure import compiled_bytecode_environment, median, shuffled_rounds

# The goal for a command a person waits on: about a tenth of a second.
TARGET_SECONDS = 0.1
PYTHON_ALONE = "python alone, for scale"


def kvtable_program() -> list[str]:
    """The installed `kvtable` script beside this interpreter, else the module it runs."""
    script = Path(sys.executable).with_name("kvtable")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kvtable.cli.main"]


def startup_commands(folder: Path) -> dict[str, list[str]]:
    """Each measured command line by its label; the templates go into (and are checked in) `folder`."""
    kvtable = kvtable_program()
    out = ["--out", str(folder / "templates"), "--iam-out", str(folder / "iam")]
    return {
        PYTHON_ALONE: [sys.executable, "-c", "pass"],
        "kvtable --help": [*kvtable, "--help"],
        "kvtable template": [*kvtable, "template", *out],
        "kvtable template --check": [*kvtable, "template", "--check", *out],
    }


def _process(command: list[str], environment: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one process running `command` to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def measure_startup(processes: int, seed: int | None = None) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of `processes` fresh processes of each command, by label."""
    environment = compiled_bytecode_environment()
    with tempfile.TemporaryDirectory(prefix="kvtable-bench-startup-") as folder:
        commands = startup_commands(Path(folder))
        for command in commands.values():  # compiles the bytecode; `template` writes what --check reads
            _process(command, environment)
        return shuffled_rounds(
            commands, processes, random.Random(seed), lambda label, _: _process(commands[label], environment)
        )


def run_startup(processes: int, seed: int | None = None) -> None:
    """Print the wall time (median, minimum) and CPU (median) of each command's fresh processes."""
    runs = measure_startup(processes, seed)
    print(f"\n== startup: whole processes ({processes} fresh processes each, shuffled order each round)")
    print(f"{'command':<30}{'wall median':>13}{'wall min':>11}{'CPU median':>12}")
    for label, measured in runs.items():
        walls = [wall for wall, _ in measured]
        cpus = [cpu for _, cpu in measured]
        print(
            f"{label:<30}{median(walls) * 1000:>10.0f} ms{min(walls) * 1000:>8.0f} ms"
            f"{median(cpus) * 1000:>9.0f} ms"
        )
    template = median([wall for wall, _ in runs["kvtable template"]])
    verdict = "met" if template <= TARGET_SECONDS else "NOT met"
    print(f"target (`kvtable template` in about {TARGET_SECONDS * 1000:.0f} ms of wall time): {verdict}")
