"""What no local engine shows, on AWS-shaped answers through botocore's Stubber (which checks every
request against DynamoDB's service model): the incremental export's request, and exports and imports
that fail on AWS's side (ExportTableToPointInTime, DescribeExport, DescribeImport in the API reference)."""

import io
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from kvtable.console.errors import ToolError
from kvtable.exchange.s3_location import S3Location
from kvtable.transfer.export_job import ExportWindow, follow_export, start_export
from kvtable.transfer.import_job import ImportFollower

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/kv-storage-data"
EXPORT_ARN = f"{TABLE_ARN}/export/01733572800000-a1b2c3d4"
IMPORT_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/kv-new/import/01733572800000-a1b2c3d4"


def client() -> object:
    return boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_an_incremental_export_asks_for_new_and_old_images_between_the_two_times() -> None:
    ddb = client()
    start, end = datetime(2026, 12, 7, 0, 0, tzinfo=UTC), datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    with Stubber(ddb) as stub:  # type: ignore[arg-type]
        stub.add_response(
            "export_table_to_point_in_time",
            {"ExportDescription": {"ExportArn": EXPORT_ARN, "ExportStatus": "IN_PROGRESS"}},
            {
                "TableArn": TABLE_ARN,
                "S3Bucket": "my-exports",
                "S3Prefix": "kvtable",
                "ExportFormat": "DYNAMODB_JSON",
                "ExportType": "INCREMENTAL_EXPORT",
                "IncrementalExportSpecification": {
                    "ExportFromTime": start,
                    "ExportToTime": end,
                    "ExportViewType": "NEW_AND_OLD_IMAGES",
                },
            },
        )
        started = start_export(ddb, TABLE_ARN, S3Location("my-exports", "kvtable"), ExportWindow(start, end))  # type: ignore[arg-type]
    assert started["ExportArn"] == EXPORT_ARN


def test_a_failed_export_is_awss_reason_and_exit_1() -> None:
    ddb, out = client(), io.StringIO()
    with Stubber(ddb) as stub:  # type: ignore[arg-type]
        stub.add_response(
            "describe_export", {"ExportDescription": {"ExportArn": EXPORT_ARN, "ExportStatus": "IN_PROGRESS"}}
        )
        stub.add_response(
            "describe_export",
            {
                "ExportDescription": {
                    "ExportArn": EXPORT_ARN,
                    "ExportStatus": "FAILED",
                    "FailureCode": "S3NoSuchBucket",
                    "FailureMessage": "The specified bucket does not exist",
                }
            },
        )
        with pytest.raises(ToolError) as error:
            follow_export(ddb, EXPORT_ARN, out, 0, sleep=lambda _: None)  # type: ignore[arg-type]
    assert error.value.exit_code == 1
    assert str(error.value) == (
        f"export {EXPORT_ARN} failed on AWS's side (S3NoSuchBucket: The specified bucket does not exist)"
    )
    assert out.getvalue().startswith("  export: waiting for IN_PROGRESS")


def test_a_failed_import_names_its_errors_and_keeps_the_staged_objects() -> None:
    ddb = client()
    with Stubber(ddb) as stub:  # type: ignore[arg-type]
        stub.add_response(
            "describe_import",
            {
                "ImportTableDescription": {
                    "ImportArn": IMPORT_ARN,
                    "ImportStatus": "FAILED",
                    "ErrorCount": 3,
                    "FailureCode": "ItemValidationError",
                    "FailureMessage": "Some of the items failed validation checks",
                }
            },
        )
        follower = ImportFollower(ddb, io.StringIO(), 0, quiet=True, sleep=lambda _: None)  # type: ignore[arg-type]
        with pytest.raises(ToolError) as error:
            follower.follow(IMPORT_ARN, 10)
    assert str(error.value) == (
        f"import {IMPORT_ARN} is FAILED on AWS's side (ItemValidationError: Some of the items failed validation "
        "checks); 3 items in error; the staged objects stay"
    )


def test_an_import_in_progress_is_followed_to_completed() -> None:
    ddb, out = client(), io.StringIO()
    with Stubber(ddb) as stub:  # type: ignore[arg-type]
        for status, done in (("IN_PROGRESS", 0), ("IN_PROGRESS", 5), ("COMPLETED", 10)):
            answer = {"ImportArn": IMPORT_ARN, "ImportStatus": status, "ImportedItemCount": done}
            stub.add_response("describe_import", {"ImportTableDescription": answer})
        ticks = iter(range(100))
        follower = ImportFollower(ddb, out, 0, sleep=lambda _: None, clock=lambda: float(next(ticks) * 10))  # type: ignore[arg-type]
        assert follower.follow(IMPORT_ARN, 10)["ImportStatus"] == "COMPLETED"
    assert "10/10 items imported (100%)" in out.getvalue()
