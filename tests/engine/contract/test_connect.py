"""kvtable.connect in a fresh process with Lambda's environment, against DynamoDB Local: the first answer
comes with no boto3 or botocore module imported; and what makes it hand over to boto3 still works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT

# import kvtable; connect; the first request: then what was imported, and the answer.
PROGRAM = """
import json, sys
import kvtable
store = kvtable.connect(sys.argv[1], warm=sys.argv[2] == "warm")
item = store.get_key("lambda", "greeting")
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("boto3", "botocore", "s3transfer"))
# Standard modules each measured to cost a cold start milliseconds (-X importtime), loaded only when used:
# inspect (with ast, dis and tokenize, which dataclasses brings), thread pools, logging, uuid, asyncio.
heavy = sorted(name for name in ("inspect", "concurrent.futures", "logging", "uuid", "asyncio") if name in sys.modules)
print(json.dumps({"value": item["value"], "loaded": loaded, "heavy": heavy, "transport": type(store.transport).__name__}))
"""


def lambda_environment(tmp_path: Path, endpoint: str, **extra: str) -> dict[str, str]:
    """What Lambda's Python runtime sets (credentials and region in variables), the endpoint aside."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "ASIALAMBDA",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "kvtable-test",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/kvtable-test",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/07/[$LATEST]0123",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "_HANDLER": "app.handler",
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        **extra,
    }


def run(environ: dict[str, str], table: str, warm: bool = False) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, table, "warm" if warm else "cold"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


@pytest.mark.parametrize("warm", [False, True])
def test_the_first_answer_in_lambdas_environment_imports_no_boto3_or_botocore(
    dynamodb_endpoint: LocalEndpoint,
    dynamodb_client: DynamoDBClient,
    table_name: str,
    tmp_path: Path,
    warm: bool,
) -> None:
    KvTable(dynamodb_client, table_name).put_key("lambda", "greeting", "hello")
    answer = run(lambda_environment(tmp_path, dynamodb_endpoint.url), table_name, warm)
    assert answer == {"value": "hello", "loaded": [], "heavy": [], "transport": "DirectTransport"}


def test_what_connect_cannot_decide_goes_to_boto3_and_still_answers(
    dynamodb_endpoint: LocalEndpoint, dynamodb_client: DynamoDBClient, table_name: str, tmp_path: Path
) -> None:
    KvTable(dynamodb_client, table_name).put_key("lambda", "greeting", "hello")
    config = tmp_path / "config"
    config.write_text("[profile app]\nregion = us-east-1\n")
    environ = lambda_environment(
        tmp_path, dynamodb_endpoint.url, AWS_PROFILE="app", AWS_CONFIG_FILE=str(config)
    )
    answer = run(environ, table_name)
    assert answer["value"] == "hello" and answer["transport"] == "DirectTransport"
    assert "boto3" in answer["loaded"] and "botocore" in answer["loaded"]  # type: ignore[operator]
