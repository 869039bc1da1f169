"""An export's two manifests, as AWS documents them ("DynamoDB table export output format",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html):

- `<prefix>/AWSDynamoDB/<ExportId>/manifest-summary.json`, one JSON object: `exportArn`, `tableArn`,
  `startTime`, `endTime`, `exportTime`, `s3Bucket`, `s3Prefix`, `manifestFilesS3Key`,
  `billedSizeBytes`, `itemCount`, `outputFormat` and `exportType` (an incremental export adds
  `exportFromTime`, `exportToTime` and `exportViewType`);
- `manifest-files.json`, one JSON object a line per data file: `itemCount`, `md5Checksum` (base64),
  `etag` and `dataFileS3Key`, the data file's whole key (`.../data/<name>.json.gz`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from kvtable.schema.errors import InvalidInputError

SUMMARY_NAME = "manifest-summary.json"
FILES_NAME = "manifest-files.json"
EXPORTS_FOLDER = "AWSDynamoDB"
FULL_EXPORT = "FULL_EXPORT"
INCREMENTAL_EXPORT = "INCREMENTAL_EXPORT"


@dataclass(frozen=True)
class ExportSummary:
    """What manifest-summary.json says of one export."""

    export_arn: str
    table_arn: str
    export_type: str
    output_format: str
    export_time: str | None
    start_time: str | None
    end_time: str | None
    item_count: int
    billed_size_bytes: int
    s3_bucket: str
    s3_prefix: str
    manifest_files_key: str
    export_from_time: str | None = None
    export_to_time: str | None = None

    @property
    def export_id(self) -> str:
        """The ExportId: the last part of the export's ARN, and its folder under AWSDynamoDB/."""
        return self.export_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class DataFile:
    """One line of manifest-files.json."""

    key: str
    item_count: int
    md5_checksum: str | None


def _text(raw: dict[str, Any], name: str, where: str, *, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{where}: {name} must be text, got {value!r}: not an export's manifest")
    return value


def _count(raw: dict[str, Any], name: str, where: str) -> int:
    value = raw.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(f"{where}: {name} must be a whole number of 0 or more, got {value!r}")
    return value


def _object(text: str, where: str) -> dict[str, Any]:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"{where} is not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{where} is not a JSON object: not an export's manifest")
    return raw


def parse_summary(text: str, where: str = SUMMARY_NAME) -> ExportSummary:
    """manifest-summary.json's text as an ExportSummary; InvalidInputError naming the field at fault."""
    raw = _object(text, where)
    output_format = _text(raw, "outputFormat", where) or ""
    if output_format != "DYNAMODB_JSON":
        raise InvalidInputError(
            f"{where}: the export is {output_format}; only DYNAMODB_JSON exports are read"
        )
    return ExportSummary(
        export_arn=_text(raw, "exportArn", where) or "",
        table_arn=_text(raw, "tableArn", where) or "",
        export_type=_text(raw, "exportType", where, required=False) or FULL_EXPORT,
        output_format=output_format,
        export_time=_text(raw, "exportTime", where, required=False),
        start_time=_text(raw, "startTime", where, required=False),
        end_time=_text(raw, "endTime", where, required=False),
        item_count=_count(raw, "itemCount", where),
        billed_size_bytes=_count(raw, "billedSizeBytes", where),
        s3_bucket=_text(raw, "s3Bucket", where) or "",
        s3_prefix=_text(raw, "s3Prefix", where, required=False) or "",
        manifest_files_key=_text(raw, "manifestFilesS3Key", where) or "",
        export_from_time=_text(raw, "exportFromTime", where, required=False),
        export_to_time=_text(raw, "exportToTime", where, required=False),
    )


def parse_files(lines: Iterable[str], where: str = FILES_NAME) -> Iterator[DataFile]:
    """Each data file manifest-files.json lists, in its order."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        raw = _object(line, f"{where} line {number}")
        key = _text(raw, "dataFileS3Key", f"{where} line {number}") or ""
        md5 = _text(raw, "md5Checksum", f"{where} line {number}", required=False)
        yield DataFile(key, _count(raw, "itemCount", f"{where} line {number}"), md5)


def relative_key(key: str, export_id: str) -> str:
    """A data file's key below its export's folder (`data/<name>.json.gz`): where it lies in a local
    copy of that folder (`aws s3 sync s3://bucket/prefix/AWSDynamoDB/<ExportId>/ DIR`)."""
    marker = f"{EXPORTS_FOLDER}/{export_id}/"
    if marker not in key:
        raise InvalidInputError(f"data file {key[:120]!r} is not under {marker}: not this export's file")
    return key.split(marker, 1)[1]
