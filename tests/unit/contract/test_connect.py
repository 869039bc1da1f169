"""kvtable.connect without an engine: the contract imports without botocore yet keeps its names, and
connect takes the contract's options. Its first answer from DynamoDB Local, in a fresh process with
Lambda's environment, is in tests/engine/contract/test_connect.py."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest

import kvtable
from kvtable.schema import key_design as kd
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


def python_c(code: str) -> subprocess.CompletedProcess[str]:
    """`python -c code` in a fresh interpreter that imports this worktree's kvtable."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        capture_output=True,
        text=True,
    )


def test_the_contract_imports_without_botocore_yet_keeps_its_names() -> None:
    code = (
        "import sys\n"
        "from kvtable.contract.store import KvTable, RECOMMENDED_CLIENT_CONFIG\n"
        "print(type(RECOMMENDED_CLIENT_CONFIG).__module__, KvTable.__name__)\n"
    )
    done = python_c(code)
    assert done.stdout.split() == ["botocore.config", "KvTable"], done.stderr
    code = "import sys, kvtable.contract.store, kvtable.schema.errors, kvtable.transport.direct\nprint(sorted(n for n in sys.modules if n.startswith(('boto3', 'botocore'))))"
    done = python_c(code)
    assert done.stdout.strip() == "[]", done.stderr


def test_connect_takes_the_contracts_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    store = kvtable.connect("kv-test", "GSI9", home_region="eu-west-1", retry_attempts=2)
    assert (store.table_name, store.gsi_name, store.home_region, store.retry_attempts) == (
        "kv-test",
        "GSI9",
        "eu-west-1",
        2,
    )
    assert store.transport.region == "us-east-1"
    # kvtable/__init__.py spells the defaults out (importing key_design there would cost every import).
    defaults = inspect.signature(kvtable.connect).parameters
    assert (defaults["table_name"].default, defaults["gsi_name"].default) == (
        kd.DEFAULT_TABLE_NAME,
        kd.DEFAULT_GSI_NAME,
    )
