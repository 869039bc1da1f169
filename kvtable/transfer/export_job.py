"""Export to S3 for the stack's table: checks before the one call that starts it (PITR on, the bucket
given, an incremental window AWS takes), ExportTableToPointInTime, then DescribeExport until it ends,
and the export's manifest as a report. An export runs in AWS: this process only starts and follows it.

AWS's pages: "Requesting a table export in DynamoDB" (S3DataExport_Requesting.html), the API reference's
ExportTableToPointInTime and DescribeExport, "DynamoDB table export output format" (S3DataExport.Output.html).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO, cast

from kvtable.console.errors import RefusedError, ToolError, UsageError
from kvtable.console.progress import ProgressLine
from kvtable.exchange.read import ExportManifest
from kvtable.exchange.s3_location import S3Location
from kvtable.recovery.restore import point_in_time_recovery
from kvtable.verify.report import utc_text

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# An incremental export covers at least 15 minutes and at most 24 hours of changes, inside the PITR
# window (ExportTableToPointInTime, IncrementalExportSpecification; "Incremental export").
SHORTEST_WINDOW = timedelta(minutes=15)
LONGEST_WINDOW = timedelta(hours=24)
EXPORT_WAIT_SECONDS = 48 * 3600.0


@dataclass(frozen=True)
class ExportWindow:
    """An incremental export's changes: after `start`, up to `end` (UTC)."""

    start: datetime
    end: datetime


def check_window(window: ExportWindow, earliest: datetime | None, now: datetime) -> None:
    """UsageError (exit 2), before any export starts, for a window AWS would refuse."""
    span = window.end - window.start
    if window.end > now:
        raise UsageError(f"--to {utc_text(window.end)} is in the future; changes can be exported up to now")
    if span < SHORTEST_WINDOW or span > LONGEST_WINDOW:
        raise UsageError(
            f"an incremental export covers 15 minutes to 24 hours; --from {utc_text(window.start)} "
            f"--to {utc_text(window.end)} is {span}; export a longer or shorter period (several for more)"
        )
    if earliest is not None and window.start < earliest:
        raise UsageError(
            f"--from {utc_text(window.start)} is before the earliest restorable time {utc_text(earliest)}; "
            "point-in-time recovery holds no changes before it"
        )


def exportable_table(ddb: DynamoDBClient, table_name: str) -> tuple[str, datetime | None]:
    """The table's ARN and earliest restorable time; RefusedError (exit 3) with the command that turns
    point-in-time recovery on when it is off: an export reads from it."""
    arn = ddb.describe_table(TableName=table_name)["Table"]["TableArn"]
    pitr, command = point_in_time_recovery(ddb, table_name)
    if command is not None:
        raise RefusedError(
            f"point-in-time recovery is off on {table_name}, and an export reads from it; nothing was "
            f"exported; turn it on (the template does), then export: {command}"
        )
    return arn, pitr.get("EarliestRestorableDateTime")


def start_export(
    ddb: DynamoDBClient, table_arn: str, location: S3Location, window: ExportWindow | None
) -> dict[str, Any]:
    """ExportTableToPointInTime: the export's description (its ExportArn, to follow it by)."""
    request: dict[str, Any] = {
        "TableArn": table_arn,
        "S3Bucket": location.bucket,
        "ExportFormat": "DYNAMODB_JSON",
    }
    if location.prefix:
        request["S3Prefix"] = location.prefix
    if window is not None:
        request["ExportType"] = "INCREMENTAL_EXPORT"
        request["IncrementalExportSpecification"] = {
            "ExportFromTime": window.start,
            "ExportToTime": window.end,
            "ExportViewType": "NEW_AND_OLD_IMAGES",
        }
    return cast(dict[str, Any], ddb.export_table_to_point_in_time(**request)["ExportDescription"])


def follow_export(
    ddb: DynamoDBClient,
    export_arn: str,
    out: TextIO,
    poll_seconds: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """DescribeExport until the export ends, a line when its state changes and once a minute; the
    description when COMPLETED, ToolError (exit 1) with AWS's reason when it FAILED."""
    progress, started = ProgressLine(out), clock()
    while True:
        description = cast(dict[str, Any], ddb.describe_export(ExportArn=export_arn)["ExportDescription"])
        status = description.get("ExportStatus")
        if status == "COMPLETED":
            return description
        if status == "FAILED":
            reason = f"{description.get('FailureCode', '')}: {description.get('FailureMessage', '')}".strip(
                ": "
            )
            raise ToolError(f"export {export_arn} failed on AWS's side ({reason or 'no reason given'})")
        elapsed = clock() - started
        if elapsed > EXPORT_WAIT_SECONDS:
            raise ToolError(
                f"export {export_arn} is still {status}; follow it again with --resume {export_arn}"
            )
        progress.waiting("export", f"{status} (AWS runs it; it may take hours)", elapsed)
        sleep(poll_seconds)


def manifest_url(description: dict[str, Any]) -> str:
    """Where the finished export's manifest-summary.json is (DescribeExport's ExportManifest)."""
    key = description.get("ExportManifest")
    if not key:
        raise ToolError(f"export {description.get('ExportArn')} is COMPLETED but names no ExportManifest")
    return f"s3://{description['S3Bucket']}/{key}"


def report(manifest: ExportManifest) -> list[str]:
    """The export, as its manifests describe it: files, items, bytes and the export time."""
    summary = manifest.summary
    lines = [
        f"export {summary.export_arn}: {summary.export_type}, COMPLETED",
        f"  export time  {summary.export_time or '-'}",
        f"  files        {len(manifest.files):,}",
        f"  items        {summary.item_count:,}",
        f"  bytes        {summary.billed_size_bytes:,} (billed size)",
        f"  started      {summary.start_time or '-'}, ended {summary.end_time or '-'}",
        f"  folder       {manifest.where}",
    ]
    if summary.export_from_time:
        lines.insert(2, f"  changes      after {summary.export_from_time} up to {summary.export_to_time}")
    return lines
