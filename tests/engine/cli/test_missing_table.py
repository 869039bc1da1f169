"""A table that is not where a caller looked: the contract's TableNotFoundError carries the table, the
index, the region and the endpoint, and every command says the same facts in one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.cli.main import main
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.errors import TableNotFoundError
from kvtable.transport import TransportChoice
from tests.cli_runs import run_main

POINT_AT = "point KvTable at the one that exists (its table_name and gsi_name, and the client's region and endpoint_url)"


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(main, argv, capsys)


def create_it(table: str) -> str:
    return (
        f"create it there first (`kvtable local --table-name {table}` starts a DynamoDB Local that has it, "
        "at the URL it prints), or name an existing table with --table-name or --env"
    )


def test_the_contract_names_the_table_the_region_and_the_endpoint(
    dynamodb_client: DynamoDBClient, dynamodb_endpoint: LocalEndpoint, transport: TransportChoice
) -> None:
    store = KvTable(dynamodb_client, "notes", transport=transport)
    with pytest.raises(TableNotFoundError) as raised:
        store.get_key("notes", "todo:1")
    assert str(raised.value) == (
        f"get key 'todo:1' in 'notes': table notes does not exist in {dynamodb_endpoint.url} (region us-east-1); "
        f"create it there, or {POINT_AT}"
    )
    missing = raised.value
    assert (missing.table, missing.index, missing.region, missing.endpoint) == (
        "notes",
        None,
        "us-east-1",
        dynamodb_endpoint.url,
    )


def test_a_gsi_query_names_the_index_too(
    dynamodb_client: DynamoDBClient,
    dynamodb_endpoint: LocalEndpoint,
    table_name: str,
    transport: TransportChoice,
) -> None:
    with pytest.raises(TableNotFoundError) as raised:
        KvTable(dynamodb_client, "notes", transport=transport).list_keys("notes", "todo:")
    assert str(raised.value).startswith(
        f"query: table notes (queried on index GSI1) does not exist in {dynamodb_endpoint.url} (region us-east-1);"
    )
    with pytest.raises(TableNotFoundError) as raised:
        KvTable(dynamodb_client, table_name, "GSI9", transport=transport).get_user_by_api_key("abc123def456")
    assert str(raised.value).startswith(
        f"get user by API key: table {table_name} has no index GSI9 in {dynamodb_endpoint.url} (region us-east-1);"
    )
    assert (raised.value.index, raised.value.index_missing) == ("GSI9", True)


@pytest.mark.parametrize("action", ["plan", "run", "status"])
def test_migrate_says_which_table_where_and_what_to_do(
    dynamodb_endpoint: LocalEndpoint, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    argv = ["migrate", action, "--endpoint-url", dynamodb_endpoint.url, "--table-name", "kv-nowhere"]
    assert cli(argv, capsys) == (
        2,
        "",
        f"kvtable migrate: error: table kv-nowhere (--table-name) does not exist in {dynamodb_endpoint.url} "
        f"(region us-east-1); {create_it('kv-nowhere')}\n",
    )


def test_migrate_names_the_environment_files_table(
    dynamodb_endpoint: LocalEndpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "staging.toml").write_text(
        f'stack_name = "S"\nregion = "eu-west-1"\nendpoint_url = "{dynamodb_endpoint.url}"\n'
        '[parameters]\nTableName = "kv-staging"\n'
    )
    code, _, err = cli(["migrate", "status", "--env", "staging", "--config-dir", str(tmp_path)], capsys)
    assert (code, err) == (
        2,
        f"kvtable migrate: error: table kv-staging (the --env file's TableName) does not exist in "
        f"{dynamodb_endpoint.url} (region eu-west-1); {create_it('kv-staging')}\n",
    )


def test_demo_says_which_table_where_and_what_to_do(
    dynamodb_endpoint: LocalEndpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "demo",
        "--endpoint-url",
        dynamodb_endpoint.url,
        "--table-name",
        "kv-nowhere",
        "--gsi-lag-samples",
        "0",
    ]
    code, out, err = cli(argv, capsys)
    assert (code, out.splitlines()[0], err) == (
        2,
        f"DynamoDB: {dynamodb_endpoint.url} (region us-east-1), from --endpoint-url; no DynamoDB Local started",
        f"kvtable demo: error: table kv-nowhere (--table-name) does not exist in {dynamodb_endpoint.url} "
        f"(region us-east-1); {create_it('kv-nowhere')}\n",
    )
