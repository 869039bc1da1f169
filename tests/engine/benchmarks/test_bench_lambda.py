"""`kvtable bench --only lambda` runs end to end: each program reaches its first answer from the bench's own
loopback stub, in Lambda's environment, then tracing's cost per get is measured on a DynamoDB Local the bench
starts itself (nothing here is timed)."""

from __future__ import annotations

import pytest

from kvtable.benchmarks.lambda_cold import CONNECT, lambda_environment, programs
from kvtable.cli.main import main

pytestmark = pytest.mark.dynamodb_local  # the tracing half starts its own DynamoDB Local


def test_the_lambda_section_runs_every_program_and_prints_its_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "--only", "lambda", "--cold-starts", "1", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "== lambda: a cold start to the first answer in Lambda's environment" in out
    for row in ("python alone (for scale)", "kvtable.connect", "KvTable(boto3.client(...))", "boto3 by hand"):
        assert f"\n{row} " in out
    assert "seed 7" in out
    tracing = out.split("== lambda: what tracing costs a get on the direct transport (DynamoDB Local)\n")[1]
    for mode in ("OpenTelemetry absent", "API imported, no SDK", "SDK, in-memory exporter"):
        assert f"\n  {mode} " in tracing
    assert "API without SDK: " in tracing


def test_the_environment_is_lambdas_and_connect_needs_nothing_else(tmp_path: object) -> None:
    environment = lambda_environment(str(tmp_path))
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_LAMBDA_FUNCTION_NAME",
    ):
        assert environment[name]
    assert "PYTHONDONTWRITEBYTECODE" not in environment and environment["PYTHONPYCACHEPREFIX"]
    assert "kvtable.connect(" in programs("http://127.0.0.1:9")[CONNECT]
