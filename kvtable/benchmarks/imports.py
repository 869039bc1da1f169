"""What `import kvtable.contract.store` costs a process that already made a boto3 DynamoDB client, measured as
whole processes, paired: the same program with and without the import, alternated, many times.

A process that has just made a boto3 client is a few hundred allocations from its first full garbage
collection (of boto3's whole heap, about 25 ms here). Any import tips it over, so the first row
carries that collection; the second collects first, leaving the import's own cost; the third counts
the full collections of a process that serves requests: the same with and without the import."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile

from kvtable.benchmarks.measure import median

TARGET_MS = 10.0
SERVED_REQUESTS = 200

_CLIENT = (
    "import boto3; client = boto3.client('dynamodb', endpoint_url={url!r}, region_name='us-east-1', "
    "aws_access_key_id='local', aws_secret_access_key='local')"
)
_COLLECT = "; import gc; gc.collect()"  # on the client's line: before the measured part starts
_IMPORT = "import kvtable.contract.store"
_NO_STUBS = "import sys\nassert not [m for m in sys.modules if m.startswith(('mypy_boto3', 'boto3_stubs'))]"
_SERVE = "for _ in range({n}):\n    client.list_tables(Limit=1)"
_MARK = "import time as _clock\n_after_client = _clock.process_time()"
_REPORT = "import gc\nprint(_clock.process_time() - _after_client, gc.get_stats()[2]['collections'])"


def _child(code: str, environment: dict[str, str]) -> tuple[float, float, int]:
    """(CPU seconds of the whole process, CPU seconds after its first line, full collections) of one
    `python -c code` process whose first line makes the client (and collects, if asked)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    client, rest = code.split("\n", 1) if "\n" in code else (code, "")
    done = subprocess.run(
        [sys.executable, "-c", f"{client}\n{_MARK}\n{rest}\n{_REPORT}"],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    whole = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    after_client, collections = done.stdout.split()[-2:]
    return whole, float(after_client), int(collections)


def paired_cost(
    base: str, with_import: str, pairs: int, environment: dict[str, str]
) -> tuple[float, float, int, int]:
    """CPU ms the import adds, over `pairs` alternated pairs of processes (medians of the pairs'
    differences): after the client was made, and in the whole process; and each side's full collections."""
    after_client, whole, collections = [], [], (0, 0)
    for pair in range(pairs):
        if pair % 2 == 0:
            without, withit = _child(base, environment), _child(with_import, environment)
        else:
            withit, without = _child(with_import, environment), _child(base, environment)
        whole.append(withit[0] - without[0])
        after_client.append(withit[1] - without[1])
        collections = (without[2], withit[2])
    return median(after_client) * 1000, median(whole) * 1000, collections[0], collections[1]


def _program(*parts: str) -> str:
    return "\n".join(parts)


def run_imports(url: str, pairs: int) -> None:
    """Print the import's cost in a process that exits at once, that collected first, and that serves."""
    environment = dict(os.environ)
    # Installed packages carry compiled bytecode; a checkout under PYTHONDONTWRITEBYTECODE would not.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="kvtable-bench-pyc-")
    client = _CLIENT.format(url=url)
    serve = _SERVE.format(n=SERVED_REQUESTS)
    print(
        f"\n== import kvtable.contract.store after a boto3 DynamoDB client is made ({pairs} pairs of processes, medians)"
    )
    print(
        f"{'CPU ms the import adds, when the process':<42}{'after client':>14}{'whole process':>15}{'full GCs without/with':>24}"
    )
    rows = (
        ("imports, then exits", _program(client), _program(client, _IMPORT, _NO_STUBS), pairs),
        (
            "collects, imports, then exits",
            _program(client + _COLLECT),
            _program(client + _COLLECT, _IMPORT, _NO_STUBS),
            pairs,
        ),
        (
            f"imports, then serves {SERVED_REQUESTS} requests",
            _program(client, serve),
            _program(client, _IMPORT, _NO_STUBS, serve),
            min(pairs, 3),
        ),
    )
    _child(rows[0][2], environment)  # compiles the bytecode once, as an install does
    own_cpu = 0.0
    for number, (label, base, with_import, count) in enumerate(rows):
        after_client, whole, without, withit = paired_cost(base, with_import, count, environment)
        if number == 1:
            own_cpu = after_client
        # 200 requests to a local engine vary by more than an import costs: only the collections count.
        shown = f"{after_client:>14.1f}{whole:>15.1f}" if number < 2 else f"{'-':>14}{'-':>15}"
        print(f"{label:<42}{shown}{f'{without} / {withit}':>24}")
    print("(whole-process figures carry the noise of making the client, a few hundred ms of CPU each)")
    print("no type-stub package is imported at run time (asserted in each process)")
    verdict = "met" if own_cpu <= TARGET_MS else "NOT met"
    print(f"target (the import's own cost at most {TARGET_MS:.0f} ms of CPU): {verdict}")
