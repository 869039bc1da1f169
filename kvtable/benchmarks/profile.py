"""Where a request's client CPU goes: a profile (CPU time, not wall time) of the contract's get_key on
each transport, split into the contract's own work and the transport's stages (botocore's, or the direct
transport's body, signing, HTTP and parsing)."""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from kvtable.benchmarks.measure import entries, key_name, new_table
from kvtable.contract.store import KvTable
from kvtable.transport import TransportChoice

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# (stage, file suffix, function): the function whose cumulative CPU is the stage's.
STAGES = (
    ("request building (validate, serialize)", "botocore/client.py", "_convert_to_request_dict"),
    ("endpoint resolution (rules)", "botocore/client.py", "_resolve_endpoint_ruleset"),
    ("signing (SigV4)", "botocore/signers.py", "sign"),
    ("HTTP (urllib3, sockets)", "botocore/endpoint.py", "_send"),
    ("response parsing", "botocore/parsers.py", "parse"),
)
EMIT = ("botocore/hooks.py", "_emit")
TOTAL = ("botocore/client.py", "_make_api_call")
CONTRACT = ("kvtable/contract/keys.py", "get_key")
# The direct transport's stages, and its one entry point.
DIRECT_STAGES = (
    ("request body (json.dumps)", "json/__init__.py", "dumps"),
    ("signing (SigV4, the day's key cached)", "kvtable/transport/signing.py", "authorization"),
    ("HTTP (kvtable's pool, sockets)", "kvtable/transport/http.py", "post"),
    ("CRC32 check", "kvtable/transport/base.py", "check_crc32"),
    ("response parsing (json.loads)", "json/__init__.py", "loads"),
)
DIRECT_TOTAL = ("kvtable/transport/direct.py", "call")


def _cumulative(stats: pstats.Stats, suffix: str, function: str) -> float:
    # pstats keeps per-function totals in `stats`; not in its typed interface.
    table = stats.stats  # type: ignore[attr-defined]
    return float(
        sum(row[3] for (path, _, name), row in table.items() if name == function and path.endswith(suffix))
    )


def _profiled(client: DynamoDBClient, table: str, transport: TransportChoice, requests: int) -> pstats.Stats:
    store = KvTable(client, table, transport=transport)
    for i in range(50):
        store.get_key("profile", key_name(i % 100))
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for i in range(requests):
        store.get_key("profile", key_name(i % 100))
    profiler.disable()
    return pstats.Stats(profiler)


StageRows = Callable[[pstats.Stats, float], list[tuple[str, float]]]


def _botocore_rows(stats: pstats.Stats, contract: float) -> list[tuple[str, float]]:
    botocore = _cumulative(stats, *TOTAL)
    stages = [(label, _cumulative(stats, suffix, name)) for label, suffix, name in STAGES]
    signing = dict(stages)["signing (SigV4)"]
    # Signing runs inside the request-created event: the hooks' own share leaves it out.
    hooks = _cumulative(stats, *EMIT) - signing
    rows = [
        ("kvtable's own work (checks, keys, values)", contract - botocore),
        *stages,
        ("event hooks (handlers, besides signing)", hooks),
    ]
    rows.append(("other botocore (client, context, retries)", contract - sum(cpu for _, cpu in rows)))
    return rows


def _direct_rows(stats: pstats.Stats, contract: float) -> list[tuple[str, float]]:
    rows = [("kvtable's own work (checks, keys, values)", contract - _cumulative(stats, *DIRECT_TOTAL))]
    rows += [(label, _cumulative(stats, suffix, name)) for label, suffix, name in DIRECT_STAGES]
    rows.append(("other transport work (head, credentials)", contract - sum(cpu for _, cpu in rows)))
    return rows


def run_profile(client: DynamoDBClient, requests: int) -> None:
    """Profile `requests` get_key calls on each transport and print the share of each stage."""
    table = new_table(client, "profile")
    KvTable(client, table, transport="botocore").load_keys("profile", entries(100))
    splits: tuple[tuple[TransportChoice, StageRows], ...] = (
        ("botocore", _botocore_rows),
        ("direct", _direct_rows),
    )
    for transport, split in splits:
        stats = _profiled(client, table, transport, requests)
        contract = _cumulative(stats, *CONTRACT)
        print(
            f"\n== where a get_key's client CPU goes, transport={transport!r} ({requests} requests, cProfile "
            "on CPU time)"
        )
        print(f"{'stage':<44}{'µs/request':>12}{'share':>8}")
        for label, cpu in split(stats, contract):
            print(f"{label:<44}{cpu / requests * 1e6:>12,.0f}{cpu / contract:>8.0%}")
        print(
            f"{'total (profiled: cProfile adds its own cost)':<44}{contract / requests * 1e6:>12,.0f}{1:>8.0%}"
        )
