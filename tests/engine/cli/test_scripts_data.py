"""The demo and `make local` against DynamoDB Local."""

import os
import signal
import subprocess
import sys
import uuid

import pytest

from kvtable.local.dynamodb_local import LocalEndpoint, local_dynamodb_client
from kvtable.local.process import free_loopback_port
from scripts import demo
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


def test_demo_runs_the_six_patterns_with_capacity(
    dynamodb_endpoint: LocalEndpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    table = f"demo-{uuid.uuid4().hex[:8]}"
    argv = ["--endpoint-url", dynamodb_endpoint.url, "--table-name", table, "--create-table"]
    assert demo.main([*argv, "--gsi-lag-samples", "2"]) == 0
    out = capsys.readouterr().out
    for title in [
        "1. Get user by id",
        "2. Get user by API key",
        "3. List user namespaces",
        "4. Get namespace metadata",
        "5. Read a key",
        "6. List keys by prefix",
    ]:
        assert title in out
    assert "PK = USER#user123 AND SK = METADATA" in out
    assert "GSI1PK = APIKEY#abc123def456 AND GSI1SK = METADATA" in out
    assert "consumed capacity: table 0.5, indexes: none" in out
    assert "consumed capacity: table 0.0, indexes: GSI1 0.5" in out
    assert '"email": "john@example.com"' in out
    assert "GSI lag over 2 new keys" in out
    # Sample data loads again without error (idempotent), on the same table.
    assert demo.main([*argv[:4], "--gsi-lag-samples", "0"]) == 0


@pytest.mark.dynamodb_local
def test_make_local_starts_and_stops_dynamodb_local() -> None:
    port = free_loopback_port()  # the port asked for is the one used (not 8000: tests take free ports)
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.local_dynamodb", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines[0].startswith("table kv-storage-data (index GSI1) created from the template")
        assert lines[1].startswith(f"DynamoDB Local is listening at http://127.0.0.1:{port} ")
        assert lines[2] == f"  export AWS_ENDPOINT_URL=http://127.0.0.1:{port}\n"
        url = lines[2].split("=", 1)[1].strip()
        client = local_dynamodb_client(url)
        assert client.list_tables()["TableNames"] == ["kv-storage-data"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0
