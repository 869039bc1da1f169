"""Import from S3 into a new table: the checks that refuse before anything starts (the table must not
exist, the staging prefix must be empty, the source within the documented limits), the source staged in
S3 (kvtable.exchange.staging), ImportTable with the template's key schema, GSI and billing mode, and
DescribeImport until it ends.

ImportTable creates the table; what it cannot set (TTL, PITR, deletion protection, the resource policy,
tags, a customer managed key) the update of `kvtable adopt` sets. AWS's pages: ImportTable and
DescribeImport in the API reference, "DynamoDB data import from Amazon S3: how it works"
(S3DataImport.HowItWorks.html), "Import format quotas and validation" (S3DataImport.Validation.html)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO, cast

from kvtable.console.errors import RefusedError, ToolError
from kvtable.console.progress import ProgressBar
from kvtable.deploy.aws_state import describe_or_none
from kvtable.exchange.s3_location import S3Location
from kvtable.exchange.staging import StagedObject
from kvtable.transfer.limits import SourceSize

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

S3Client = Any  # a boto3 S3 client (no S3 type stubs installed)
IMPORT_WAIT_SECONDS = 48 * 3600.0
# What CreateTable takes that ImportTable's TableCreationParameters does not: adopt's update sets it.
_NOT_AT_IMPORT = ("DeletionProtectionEnabled",)


def table_creation_parameters(request: dict[str, Any]) -> dict[str, Any]:
    """ImportTable's TableCreationParameters from the template's CreateTable request
    (kvtable.builders.table_definition): key schema, attributes, billing mode and GSI, as the stack makes them."""
    return {name: value for name, value in request.items() if name not in _NOT_AT_IMPORT}


def check_new_table(ddb: DynamoDBClient, table_name: str) -> None:
    """RefusedError (exit 3) when the table exists: an import only creates a new table."""
    if describe_or_none(ddb, table_name) is not None:
        raise RefusedError(
            f"table {table_name} already exists; an import creates a new table and writes into no other; "
            "nothing was uploaded; choose another --table (or load into this one with kvtable load)"
        )


def check_staging_empty(s3: S3Client, location: S3Location) -> None:
    """RefusedError (exit 3) when objects are under the staging prefix: ImportTable reads every one."""
    listed = s3.list_objects_v2(Bucket=location.bucket, Prefix=location.key("") + "/", MaxKeys=1)
    if listed.get("KeyCount", 0) or listed.get("Contents"):
        raise RefusedError(
            f"{location}/ already holds objects, and an import reads every object under its prefix; "
            f"nothing was uploaded; give another --staging, or empty it: aws s3 rm --recursive {location}/"
        )


def measure(objects: Iterable[StagedObject]) -> SourceSize:
    """What the source adds up to, without uploading it."""
    count = items = stored = raw = 0
    for staged in objects:
        count, items = count + 1, items + staged.items
        stored, raw = stored + len(staged.body), raw + staged.raw_bytes
    return SourceSize(count, items, stored, raw)


def upload(
    s3: S3Client, location: S3Location, objects: Iterable[StagedObject], on_items: Callable[[int], None]
) -> SourceSize:
    """Put each object under the staging prefix, in order; `on_items` gets the items uploaded so far."""
    count = items = stored = raw = 0
    for staged in objects:
        s3.put_object(
            Bucket=location.bucket, Key=location.key(staged.name), Body=staged.body, ContentEncoding="gzip"
        )
        count, items = count + 1, items + staged.items
        stored, raw = stored + len(staged.body), raw + staged.raw_bytes
        on_items(items)
    return SourceSize(count, items, stored, raw)


def start_import(ddb: DynamoDBClient, location: S3Location, parameters: dict[str, Any]) -> dict[str, Any]:
    """ImportTable from the staged objects; the same request again (within AWS's 8 hours) is the same import."""
    token = hashlib.sha256(f"{location}|{parameters['TableName']}".encode()).hexdigest()[:36]
    response = ddb.import_table(
        ClientToken=token,
        S3BucketSource={"S3Bucket": location.bucket, "S3KeyPrefix": location.key("") + "/"},
        InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP",
        TableCreationParameters=cast(Any, parameters),
    )
    return cast(dict[str, Any], response["ImportTableDescription"])


@dataclass
class ImportFollower:
    """DescribeImport until the import ends, its processed items as a progress bar."""

    ddb: DynamoDBClient
    out: TextIO
    poll_seconds: float
    quiet: bool = False
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def follow(self, import_arn: str, total: int | None) -> dict[str, Any]:
        """The description when COMPLETED; ToolError (exit 1) with AWS's reason when it failed or was cancelled."""
        started = self.clock()
        bar = ProgressBar(self.out, total, started, what="items imported")
        while True:
            description = cast(
                dict[str, Any], self.ddb.describe_import(ImportArn=import_arn)["ImportTableDescription"]
            )
            status = description.get("ImportStatus")
            done = int(description.get("ImportedItemCount") or description.get("ProcessedItemCount") or 0)
            if status == "COMPLETED":
                if not self.quiet:
                    bar.finish(done, self.clock())
                return description
            if status in ("FAILED", "CANCELLED", "CANCELLING"):
                reason = f"{description.get('FailureCode') or ''}: {description.get('FailureMessage') or ''}"
                raise ToolError(
                    f"import {import_arn} is {status} on AWS's side ({reason.strip(': ') or 'no reason given'}); "
                    f"{description.get('ErrorCount', 0)} items in error; the staged objects stay"
                )
            if self.clock() - started > IMPORT_WAIT_SECONDS:
                raise ToolError(
                    f"import {import_arn} is still {status}; follow it again with --resume {import_arn}"
                )
            if not self.quiet:
                bar.update(done, self.clock())
            self.sleep(self.poll_seconds)
