"""The harness's Export to S3 (tests/harness/table_exports.py) holds to AWS's documented layout, read with
plain boto3 calls and no kvtable code, so the layout cannot bend to fit the product.

AWS's pages: "DynamoDB table export output format"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html) and
ExportDescription (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportDescription.html).
"""

import base64
import gzip
import hashlib
import json
import re
import time
from typing import Any

import boto3
import pytest

from tests.harness.table_exports import DATA_FILE_ITEMS

BUCKET = "exports"
TABLE = "harness-export"


@pytest.fixture
def clients(aws_endpoint: str) -> tuple[Any, Any]:
    ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    return ddb, s3


def finished(ddb: Any, arn: str) -> dict[str, Any]:
    for _ in range(200):
        description: dict[str, Any] = ddb.describe_export(ExportArn=arn)["ExportDescription"]
        if description["ExportStatus"] != "IN_PROGRESS":
            return description
        time.sleep(0.05)
    raise AssertionError("the export did not end")


def test_an_export_has_awss_layout_manifests_and_checksums(clients: tuple[Any, Any]) -> None:
    ddb, s3 = clients
    count = DATA_FILE_ITEMS + 5  # two data files
    for number in range(count):
        ddb.put_item(
            TableName=TABLE, Item={"PK": {"S": f"P#{number}"}, "SK": {"S": "S"}, "n": {"N": str(number)}}
        )
    table_arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    started = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=BUCKET, S3Prefix="nightly")
    arn = started["ExportDescription"]["ExportArn"]
    assert re.fullmatch(
        rf"arn:aws:dynamodb:us-east-1:\d{{12}}:table/{TABLE}/export/\d{{14}}-[0-9a-f]{{8}}", arn
    )
    description = finished(ddb, arn)
    export_id = arn.rsplit("/", 1)[1]
    folder = f"nightly/AWSDynamoDB/{export_id}"
    assert description["ExportStatus"] == "COMPLETED"
    assert description["ExportFormat"] == "DYNAMODB_JSON"
    assert description["ExportManifest"] == f"{folder}/manifest-summary.json"
    assert description["ExportTime"] <= description["EndTime"]
    assert description["ItemCount"] == count
    keys = {entry["Key"] for entry in s3.list_objects_v2(Bucket=BUCKET, Prefix=folder)["Contents"]}
    for name in (
        "_started",
        "manifest-summary.json",
        "manifest-summary.checksum",
        "manifest-files.json",
        "manifest-files.checksum",
    ):
        assert f"{folder}/{name}" in keys
    summary_body = s3.get_object(Bucket=BUCKET, Key=f"{folder}/manifest-summary.json")["Body"].read()
    summary = json.loads(summary_body)
    assert (
        s3.get_object(Bucket=BUCKET, Key=f"{folder}/manifest-summary.checksum")["Body"].read().decode()
        == hashlib.md5(summary_body).hexdigest()
    )
    assert {
        k: summary[k]
        for k in (
            "version",
            "exportArn",
            "tableArn",
            "s3Bucket",
            "s3Prefix",
            "itemCount",
            "outputFormat",
            "exportType",
        )
    } == {
        "version": "2020-06-30",
        "exportArn": arn,
        "tableArn": table_arn,
        "s3Bucket": BUCKET,
        "s3Prefix": "nightly",
        "itemCount": count,
        "outputFormat": "DYNAMODB_JSON",
        "exportType": "FULL_EXPORT",
    }
    assert summary["manifestFilesS3Key"] == f"{folder}/manifest-files.json"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", summary["exportTime"])
    files = [
        json.loads(line)
        for line in s3.get_object(Bucket=BUCKET, Key=summary["manifestFilesS3Key"])["Body"]
        .read()
        .splitlines()
    ]
    assert [entry["itemCount"] for entry in files] == [DATA_FILE_ITEMS, 5]
    seen = set()
    for entry in files:
        assert re.fullmatch(rf"{folder}/data/[0-9a-z]+\.json\.gz", entry["dataFileS3Key"])
        body = s3.get_object(Bucket=BUCKET, Key=entry["dataFileS3Key"])["Body"].read()
        assert entry["md5Checksum"] == base64.b64encode(hashlib.md5(body).digest()).decode()
        lines = gzip.decompress(body).decode().splitlines()
        assert len(lines) == entry["itemCount"]
        for line in lines:
            item = json.loads(line)["Item"]
            seen.add(item["PK"]["S"])
            assert item["n"] == {"N": item["PK"]["S"].removeprefix("P#")}
    assert seen == {f"P#{number}" for number in range(count)}


def test_the_prefix_is_optional_and_an_empty_table_has_one_empty_file(clients: tuple[Any, Any]) -> None:
    ddb, s3 = clients
    table_arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    arn = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=BUCKET)["ExportDescription"][
        "ExportArn"
    ]
    description = finished(ddb, arn)
    assert "S3Prefix" not in description
    assert description["ExportManifest"].startswith("AWSDynamoDB/")
    summary = json.loads(s3.get_object(Bucket=BUCKET, Key=description["ExportManifest"])["Body"].read())
    files = s3.get_object(Bucket=BUCKET, Key=summary["manifestFilesS3Key"])["Body"].read().splitlines()
    assert [json.loads(line)["itemCount"] for line in files] == [0]
    assert summary["itemCount"] == 0


def test_pitr_off_is_awss_error(clients: tuple[Any, Any]) -> None:
    ddb, _ = clients
    ddb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )
    table_arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    with pytest.raises(ddb.exceptions.PointInTimeRecoveryUnavailableException):
        ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=BUCKET, S3Prefix="p")
