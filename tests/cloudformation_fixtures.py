"""Fixtures for deploy tests: one moto server (with the test harness's additions) per session,
reset before each test, driven over HTTP with boto3."""

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from kvtable.local.dynamodb_local import LocalEndpoint
from tests.aws_shapes import STACK
from tests.harness.moto_process import clean_moto, moto_server
from tests.shipped import with_shipped_template

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


def deploy_stack(cf: CloudFormationClient, **options: Any) -> str:
    """Deploy the stack (DeployOptions' `options`; the shipped database template and STACK unless they say
    otherwise) on moto without waiting; returns the deploy's report."""
    out = io.StringIO()
    settings: dict[str, Any] = {"stack_name": STACK, "poll_seconds": 0, **options}
    Deployer(cf, DeployOptions(**with_shipped_template(settings)), out, sleep=lambda _: None).run()
    return out.getvalue()
