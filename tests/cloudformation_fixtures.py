"""Fixtures for deploy tests: one moto server (with the test harness's additions) per session,
reset before each test, driven over HTTP with boto3."""

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.local.dynamodb_local import LocalEndpoint
from tests.harness.moto_process import clean_moto, moto_server

# moto answers unimplemented calls with HTTP 500, which boto3 would retry: fail fast instead.
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[LocalEndpoint]:
    with moto_server("tests.harness.moto_server") as endpoint:
        yield endpoint


@pytest.fixture
def aws_endpoint(moto_endpoint: LocalEndpoint, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto server, and AWS_ENDPOINT_URL pointing at it for scripts run in the test."""
    return clean_moto(moto_endpoint.url, monkeypatch)


@pytest.fixture
def cf(aws_endpoint: str) -> CloudFormationClient:
    return boto3.client(
        "cloudformation", endpoint_url=aws_endpoint, region_name="us-east-1", config=NO_RETRIES
    )
