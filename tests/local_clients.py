"""The settings of a boto3 client for a local engine the tests start (moto, DynamoDB Local), which takes
any credentials: `boto3.client("s3", **local_settings(url))`."""

from typing import TypedDict


class LocalSettings(TypedDict):
    """boto3.client's keyword arguments for a local engine."""

    endpoint_url: str
    region_name: str
    aws_access_key_id: str
    aws_secret_access_key: str


def local_settings(url: str) -> LocalSettings:
    """A client's settings for the local engine at `url`: us-east-1, with test credentials."""
    return LocalSettings(
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
