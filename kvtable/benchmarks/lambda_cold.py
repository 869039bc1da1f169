"""A Lambda function's cold start, to its first answer: fresh processes with Lambda's environment
(credentials and region in variables, AWS_LAMBDA_FUNCTION_NAME, ...) against a loopback stub endpoint
that answers GetItem, started here. `kvtable.connect`, `KvTable(boto3.client(...))`, boto3 by hand and
pydynox (when installed), each importing, making its client and getting one key: CPU, wall time and
peak RSS, medians of fresh processes run in a new random order each round, bytecode compiled first (as an
install has it). Needs no DynamoDB Local."""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.util import find_spec
from typing import NamedTuple

from kvtable.benchmarks.measure import fresh_process_figures, shuffled_rounds
from kvtable.schema import key_design as kd

TABLE = "kv-storage-data"
NAMESPACE, KEY = "bench", "greeting"
ITEM = {
    kd.PARTITION_KEY: {"S": kd.namespace_partition_key(NAMESPACE)},
    kd.SORT_KEY: {"S": kd.key_sort_key(KEY)},
    "value": {"S": "hello"},
    "version": {"N": "1"},
    kd.CREATED_AT: {"S": "2026-12-07T09:00:00.000Z"},
    kd.UPDATED_AT: {"S": "2026-12-07T09:00:00.000Z"},
}
CONNECT = "kvtable.connect"
# The stub is plain HTTP; on AWS the endpoint is https, and this row adds what kvtable then pays on top
# (importing ssl, and a TLS context loading botocore's CA bundle), the handshake itself aside.
CONNECT_TLS = "kvtable.connect + TLS setup"
CONTRACT_ON_BOTO3 = "KvTable(boto3.client(...))"
BOTO3 = "boto3 by hand"
PYDYNOX = "pydynox"
ALONE = "python alone (for scale)"
# The goal: kvtable.connect's first answer with at most half of pydynox's CPU, and no more peak RSS.
GOAL_CPU_RATIO = 0.5

# Peak RSS from /proc/self/status's VmHWM: getrusage's ru_maxrss keeps the parent's peak across the
# exec (the bench's own process would set the floor), VmHWM is the new process's own.
_PROLOGUE = (
    "import time as _clock\n"
    "def _peak_kib():\n"
    "    try:\n"
    "        with open('/proc/self/status') as status:\n"
    "            return next(int(l.split()[1]) for l in status if l.startswith('VmHWM:'))\n"
    "    except OSError:\n"
    "        import resource\n"
    "        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "def _answered():\n"
    "    print(_clock.process_time(), _clock.time(), _peak_kib(), flush=True)\n"
)


class Start(NamedTuple):
    """One fresh process to its first answer: CPU ms, wall ms, peak RSS in MiB."""

    cpu: float
    wall: float
    rss: float


def programs(url: str) -> dict[str, str]:
    """Each program by its label: import, make the client, get one key, `_answered()`."""
    key = {kd.PARTITION_KEY: ITEM[kd.PARTITION_KEY], kd.SORT_KEY: ITEM[kd.SORT_KEY]}
    found = {
        ALONE: "_answered()\n",
        CONNECT: (
            "import kvtable\n"
            f"store = kvtable.connect({TABLE!r}, endpoint_url={url!r})\n"
            f"assert store.get_key({NAMESPACE!r}, {KEY!r})['value'] == 'hello'\n"
            "_answered()\n"
        ),
        CONNECT_TLS: (
            "import kvtable\n"
            f"store = kvtable.connect({TABLE!r}, endpoint_url={url!r})\n"
            f"assert store.get_key({NAMESPACE!r}, {KEY!r})['value'] == 'hello'\n"
            "from kvtable.aws.credentials import ca_bundle\n"
            "from kvtable.transport.http import _tls_context\n"
            "_tls_context(ca_bundle())\n"
            "_answered()\n"
        ),
        CONTRACT_ON_BOTO3: (
            "import boto3\n"
            "from kvtable.contract.store import KvTable\n"
            f"store = KvTable(boto3.client('dynamodb', endpoint_url={url!r}), {TABLE!r})\n"
            f"assert store.get_key({NAMESPACE!r}, {KEY!r})['value'] == 'hello'\n"
            "_answered()\n"
        ),
        BOTO3: (
            "import boto3\n"
            f"client = boto3.client('dynamodb', endpoint_url={url!r})\n"
            f"assert client.get_item(TableName={TABLE!r}, Key={key!r})['Item']\n"
            "_answered()\n"
        ),
    }
    if find_spec("pydynox") is not None:
        plain_key = {kd.PARTITION_KEY: f"NS#{NAMESPACE}", kd.SORT_KEY: f"KEY#{KEY}"}
        found[PYDYNOX] = (
            "from pydynox import DynamoDBClient\n"
            f"client = DynamoDBClient(endpoint_url={url!r})\n"
            f"assert client.sync_get_item({TABLE!r}, {plain_key!r})\n"
            "_answered()\n"
        )
    return found


def lambda_environment(home: str) -> dict[str, str]:
    """What Lambda's Python runtime gives a function (https://docs.aws.amazon.com/lambda/latest/dg/
    configuration-envvars.html#configuration-envvars-runtime), with fake keys; bytecode compiled apart."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "AWS_ACCESS_KEY_ID": "ASIABENCHLAMBDA",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_SESSION_TOKEN": "bench-session-token",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "kvtable-bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/kvtable-bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/07/[$LATEST]bench",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
        "_HANDLER": "app.handler",
        "PYTHONPYCACHEPREFIX": tempfile.mkdtemp(prefix="kvtable-bench-pyc-"),
    }
    if "PYTHONPATH" in os.environ:  # a checkout's kvtable, as the bench itself runs it
        environment["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return environment


@contextmanager
def stub_endpoint() -> Iterator[str]:
    """A loopback endpoint answering every GetItem with the one item (HTTP/1.1, keep-alive)."""
    body = json.dumps({"Item": ITEM}).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-amzn-RequestId", "BENCH")
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _start(program: str, environment: dict[str, str]) -> Start:
    started, figures = fresh_process_figures(_PROLOGUE + program, environment, "a cold-start program")
    cpu, answered, rss_kib = figures[:3]
    return Start(cpu * 1000, (answered - started) * 1000, rss_kib / 1024)


def measure(runs: int, seed: int | None = None) -> dict[str, list[Start]]:
    """`runs` fresh processes of each program, round by round in a new random order, after one round
    that compiles the bytecode."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="kvtable-bench-home-") as home, stub_endpoint() as url:
        environment = lambda_environment(home)
        chosen = programs(url)
        for program in chosen.values():
            _start(program, environment)
        return shuffled_rounds(chosen, runs, rng, lambda label, _: _start(chosen[label], environment))


def round_ratio(starts: dict[str, list[Start]], label: str, other: str, field: str) -> float:
    """The median over rounds of `label`'s `field` over `other`'s in the same round: steadier on a busy
    machine than a ratio of two medians."""
    ratios: list[float] = [
        getattr(mine, field) / getattr(theirs, field)
        for mine, theirs in zip(starts[label], starts[other], strict=True)
    ]
    return statistics.median(ratios)


def run_lambda(runs: int, seed: int | None = None) -> dict[str, list[Start]]:
    """Print each program's medians, the ratios to pydynox, and whether the goal is met."""
    seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
    starts = measure(runs, seed)
    print(
        f"\n== lambda: a cold start to the first answer in Lambda's environment, against a loopback stub "
        f"(median of {runs} fresh processes each, random order each round, seed {seed})"
    )
    print(f"{'program':<30}{'CPU':>10}{'wall':>10}{'peak RSS':>12}")
    for label, measured in starts.items():
        print(
            f"{label:<30}{statistics.median(s.cpu for s in measured):>7.1f} ms"
            f"{statistics.median(s.wall for s in measured):>7.1f} ms"
            f"{statistics.median(s.rss for s in measured):>8.1f} MiB"
        )
    if PYDYNOX not in starts:
        print("pydynox is not installed (requirements-bench.txt): no goal to check")
        return starts
    cpu = round_ratio(starts, CONNECT, PYDYNOX, "cpu")
    wall = round_ratio(starts, CONNECT, PYDYNOX, "wall")
    rss = round_ratio(starts, CONNECT, PYDYNOX, "rss")
    print(
        f"kvtable.connect / pydynox, per round (median): CPU {cpu:.2f}x, wall {wall:.2f}x, peak RSS {rss:.2f}x"
    )
    tls = round_ratio(starts, CONNECT_TLS, PYDYNOX, "cpu")
    print(f"kvtable.connect + TLS setup / pydynox (pydynox's own TLS setup not counted), CPU: {tls:.2f}x")
    verdict = "met" if cpu <= GOAL_CPU_RATIO else ("below pydynox, not half" if cpu < 1 else "NOT met")
    print(
        f"goal (CPU at most {GOAL_CPU_RATIO:.0%} of pydynox's): {verdict}; peak RSS at most pydynox's: "
        f"{'met' if rss <= 1 else 'NOT met'}"
    )
    return starts
