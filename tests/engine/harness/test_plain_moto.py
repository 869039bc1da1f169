"""Refusals that stand on their own, against a plain, unpatched moto server (no test harness).

Plain moto has no ListImports and answers several CloudFormation APIs with an HTTP 500 page,
as an engine without them, or a deploy role without the permission, would. A refusal decided
from the templates must still be a refusal (exit 3), and a failing API must be named.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from kvtable.local.dynamodb_local import LocalEndpoint
from scripts import deploy as deploy_cli
from tests.cli_runs import run_main
from tests.harness.moto_process import clean_moto, moto_server
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
STACK = "KVDatabaseStack"
TEMPLATE = json.loads((ROOT / "templates" / "database.json").read_text())


@pytest.fixture(scope="module")
def plain_moto() -> Iterator[LocalEndpoint]:
    with moto_server("moto.server") as endpoint:
        yield endpoint


@pytest.fixture
def endpoint(plain_moto: LocalEndpoint, monkeypatch: pytest.MonkeyPatch) -> str:
    # A 500 page is retried by default; one attempt keeps the test quick and says the same.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return clean_moto(plain_moto.url, monkeypatch)


@pytest.fixture
def deployed(endpoint: str) -> str:
    """The database stack, created with plain CloudFormation calls moto has."""
    cf = boto3.client("cloudformation", endpoint_url=endpoint, region_name="us-east-1")
    cf.create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE), Capabilities=["CAPABILITY_IAM"])
    assert cf.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    return endpoint


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(deploy_cli.main, ["--poll-seconds", "0", "--no-wait-for-backfill", *argv], capsys)


def edited(tmp_path: Path, edit: Any) -> str:
    template = json.loads(json.dumps(TEMPLATE))
    edit(template)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(template))
    return str(path)


def test_a_table_replacement_is_refused_although_list_imports_fails(
    deployed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["--parameter", "TableName=kv-renamed"], capsys)
    assert code == 3
    assert "REFUSED" not in out  # the one reason is said once, in the error's line
    assert err.startswith(
        "deploy: error: refused to deploy KVDatabaseStack: KVStorageTable: the table would be"
    )


def test_a_key_schema_change_is_refused_although_list_imports_fails(
    deployed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def swap_keys(template: dict[str, Any]) -> None:
        template["Resources"]["KVStorageTable"]["Properties"]["KeySchema"].reverse()

    code, _, err = run(["--template", edited(tmp_path, swap_keys)], capsys)
    assert code == 3
    assert "refused to deploy KVDatabaseStack: KVStorageTable: the table would be replaced (KeySchema" in err


def test_an_export_change_that_cannot_be_checked_is_refused_with_a_warning(
    deployed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def new_description(template: dict[str, Any]) -> None:
        # A policy's Description is create-only: the policy is replaced and its ARN export changes.
        template["Resources"]["ReadPolicy"]["Properties"]["Description"] = "kvtable: read items (edited)"

    code, out, err = run(["--template", edited(tmp_path, new_description)], capsys)
    assert code == 3
    assert f"WARNING: could not list the stacks importing {STACK}-ReadPolicyArn (ListImports: " in out
    assert "ListImports could not say whether another stack imports it" in err


def test_an_api_the_endpoint_lacks_is_named_after_earlier_calls_worked(
    endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Plain moto creates the stack, then answers UpdateTerminationProtection with an HTTP 500 page.
    code, out, err = run([], capsys)
    assert code == 1
    assert "CREATE_COMPLETE" in out
    assert err.startswith("deploy: error: UpdateTerminationProtection failed")
    assert "check your endpoint URL" not in err
    assert len(err.splitlines()) == 1
