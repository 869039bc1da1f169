"""Which DynamoDB `kvtable demo` talks to, said in its first line: its own DynamoDB Local, or the endpoint a
flag or variable names (AWS_ENDPOINT_URL_DYNAMODB before AWS_ENDPOINT_URL, as botocore reads them)."""

import boto3
import pytest

from kvtable.cli.demo import Engine, engine_line
from kvtable.cli.settings import configured_dynamodb_endpoint

MOTO = "http://127.0.0.1:5001"  # the local CloudFormation's port, which has a DynamoDB of its own


def test_botocore_sends_dynamodb_to_its_own_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", MOTO)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
    assert boto3.client("dynamodb").meta.endpoint_url == "http://127.0.0.1:8000"
    assert boto3.client("cloudformation").meta.endpoint_url == MOTO


@pytest.mark.parametrize(
    ("flag", "environ", "chosen"),
    [
        (None, {}, (None, None)),
        (None, {"AWS_ENDPOINT_URL": MOTO}, (MOTO, "AWS_ENDPOINT_URL")),
        (
            None,
            {"AWS_ENDPOINT_URL": MOTO, "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"},
            ("http://127.0.0.1:8000", "AWS_ENDPOINT_URL_DYNAMODB"),
        ),
        ("http://127.0.0.1:9000", {"AWS_ENDPOINT_URL": MOTO}, ("http://127.0.0.1:9000", "--endpoint-url")),
        (None, {"AWS_ENDPOINT_URL": MOTO, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, (None, None)),
    ],
)
def test_the_endpoint_comes_from_the_flag_then_the_variables(
    flag: str | None, environ: dict[str, str], chosen: tuple[str | None, str | None]
) -> None:
    assert configured_dynamodb_endpoint(flag, environ) == chosen


def test_the_first_line_says_which_engine_and_from_where() -> None:
    assert engine_line(Engine("http://127.0.0.1:41234", True, ""), "us-east-1") == (
        "DynamoDB: http://127.0.0.1:41234 (region us-east-1), a DynamoDB Local the demo started and stops "
        "(no --endpoint-url, AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL is set)"
    )
    assert engine_line(Engine(MOTO, False, "AWS_ENDPOINT_URL"), "us-east-1") == (
        "DynamoDB: http://127.0.0.1:5001 (region us-east-1), from AWS_ENDPOINT_URL; no DynamoDB Local started; "
        "to send only DynamoDB's requests elsewhere, set AWS_ENDPOINT_URL_DYNAMODB"
    )
    assert engine_line(Engine(None, False, "--aws"), "eu-west-1") == (
        "DynamoDB: AWS (region eu-west-1), from --aws; no DynamoDB Local started"
    )
