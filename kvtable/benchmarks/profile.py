"""Where a request's client CPU goes: a profile (CPU time, not wall time) of the contract's get_key,
split into the contract's own work and botocore's stages. The groundwork for a lighter request path."""

from __future__ import annotations

import cProfile
import pstats
import time
from typing import TYPE_CHECKING

from kvtable.benchmarks.measure import entries, key_name, new_table
from kvtable.store import KvTable

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


def _cumulative(stats: pstats.Stats, suffix: str, function: str) -> float:
    # pstats keeps per-function totals in `stats`; not in its typed interface.
    table = stats.stats  # type: ignore[attr-defined]
    return float(
        sum(row[3] for (path, _, name), row in table.items() if name == function and path.endswith(suffix))
    )


def run_profile(client: DynamoDBClient, requests: int) -> None:
    """Profile `requests` get_key calls and print the share of each stage."""
    store = KvTable(client, new_table(client, "profile"))
    store.load_keys("profile", entries(100))
    for i in range(50):
        store.get_key("profile", key_name(i % 100))
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for i in range(requests):
        store.get_key("profile", key_name(i % 100))
    profiler.disable()
    stats = pstats.Stats(profiler)
    contract = _cumulative(stats, *CONTRACT)
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
    print(f"\n== where a get_key's client CPU goes ({requests} requests, cProfile on CPU time)")
    print(f"{'stage':<44}{'µs/request':>12}{'share':>8}")
    for label, cpu in rows:
        print(f"{label:<44}{cpu / requests * 1e6:>12,.0f}{cpu / contract:>8.0%}")
    print(f"{'total (profiled: cProfile adds its own cost)':<44}{contract / requests * 1e6:>12,.0f}{1:>8.0%}")
