"""The AWS settings as the CLI finds them: where the credentials came from, said in a plan;
placeholders, said once, when none are configured and every request goes to an engine on this
machine (never else); a region AWS does not have, refused before any call; and an endpoint where
nothing answers, with what to check."""

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


@pytest.mark.parametrize("given", ["--endpoint-url", "AWS_ENDPOINT_URL_DYNAMODB"])
def test_a_load_into_dynamodb_local_with_no_credentials_anywhere_works_and_says_so(
    dynamodb_endpoint: LocalEndpoint,
    dynamodb_client: DynamoDBClient,
    table_name: str,
    tmp_path: Path,
    given: str,
) -> None:
    (tmp_path / "empty").write_text("")
    source = tmp_path / "keys.jsonl"
    source.write_text('{"key": "a", "value": 1}\n{"key": "b", "value": 2}\n')
    environ = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environ |= {
        "AWS_CONFIG_FILE": str(tmp_path / "empty"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "empty"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONPATH": str(ROOT),
    }
    argv = ["load", "--table-name", table_name]
    if given == "--endpoint-url":
        argv += ["--endpoint-url", dynamodb_endpoint.url]
    else:
        environ[given] = dynamodb_endpoint.url
    result = subprocess.run(
        [sys.executable, "-m", "kvtable.cli.main", *argv, "--namespace", "ns", "--quiet", str(source)],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        check=False,
    )
    assert (result.returncode, result.stderr, result.stdout) == (
        0,
        "kvtable: no AWS credentials configured; using placeholder credentials for the local endpoint "
        f"{dynamodb_endpoint.url}\n",
        f"loaded 2 entries into namespace 'ns' of table {table_name}\n",
    )
    assert KvTable(dynamodb_client, table_name).count_keys("ns", consistent=True) == 2
