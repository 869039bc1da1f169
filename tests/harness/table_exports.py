"""DynamoDB's Export to S3 laid out as AWS documents it, on moto's server.

TEST HARNESS ONLY, loaded by tests/harness/moto_server.py in the server's process. moto 5.2.5's
ExportTableToPointInTime writes one gzip file of `{"Item": ...}` lines under
`<prefix>/AWSDynamoDB/<uuid>/data/<uuid>.gz` and nothing else: no manifests, an ExportArn of the form
`table/<table ARN>/import/<id>`, no ExportManifest or times in DescribeExport, the request's S3Prefix
required, a billed size of one byte an item, and ExportFormat `DYNAMO_JSON` when none is given. Here,
after AWS's pages:

- "DynamoDB table export output format"
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html): under
  `<prefix>/AWSDynamoDB/<ExportId>/`, an empty `_started`, `manifest-summary.json` (version 2020-06-30,
  exportArn, startTime, endTime, tableArn, tableId, exportTime, s3Bucket, s3Prefix, s3SseAlgorithm,
  s3SseKmsKeyId, manifestFilesS3Key, billedSizeBytes, itemCount, outputFormat, exportType),
  `manifest-files.json` (one line a data file: itemCount, md5Checksum in base64, etag, dataFileS3Key),
  each with a `.checksum` file (the MD5 in hex), and the data files `data/<name>.json.gz`, several of them
  ("at least 1 file per partition": here one file per DATA_FILE_ITEMS items, so that a reader meets more
  than one);
- ExportTableToPointInTime and DescribeExport in the API reference
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportDescription.html): an
  ExportArn `arn:aws:dynamodb:<region>:<account>:table/<name>/export/<ExportId>`, ExportManifest (the
  summary's key), ExportTime, StartTime, EndTime, ExportFormat DYNAMODB_JSON by default, S3Prefix optional.

Incremental exports are not emitted: moto keeps no history of changes (tests of the request use AWS's
shapes through botocore's Stubber).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import time
import uuid
from typing import Any

from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models.table_export import TableExport
from moto.dynamodb.models.utilities import dynamo_json_dump

DATA_FILE_ITEMS = 1_000
_original_init = TableExport.__init__


def _init(self: TableExport, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    self.export_id = f"{int(time.time() * 1000):014d}-{uuid.uuid4().hex[:8]}"  # type: ignore[attr-defined]
    table_name = self.table.name
    self.arn = (
        f"arn:{self.partition}:dynamodb:{self.region_name}:{self.table.account_id}:table/{table_name}"
        f"/export/{self.export_id}"  # type: ignore[attr-defined]
    )
    self.start_time = time.time()  # type: ignore[attr-defined]
    self.end_time = None  # type: ignore[attr-defined]
    self.manifest_key = None  # type: ignore[attr-defined]
    if self.export_format in (None, "DYNAMO_JSON"):
        self.export_format = "DYNAMODB_JSON"


def _folder(export: TableExport) -> str:
    parts = [export.s3_prefix.strip("/")] if export.s3_prefix else []
    return "/".join([*parts, "AWSDynamoDB", export.export_id])  # type: ignore[attr-defined]


def _md5(body: bytes) -> tuple[str, str]:
    digest = hashlib.md5(body, usedforsecurity=False)
    return base64.b64encode(digest.digest()).decode("ascii"), digest.hexdigest()


def _put(s3_backend: Any, bucket: str, key: str, body: bytes) -> None:
    s3_backend.put_object(bucket_name=bucket, key_name=key, value=body)


def _backup_to_s3_file(self: TableExport, s3_backend: Any) -> None:
    folder = _folder(self)
    _put(s3_backend, self.s3_bucket, f"{folder}/_started", b"")
    items = self.table.all_items()
    files: list[dict[str, Any]] = []
    for start in range(0, max(len(items), 1), DATA_FILE_ITEMS):
        chunk = items[start : start + DATA_FILE_ITEMS]
        lines = "".join(dynamo_json_dump(item.to_json(root_attr_name="Item")) + "\n" for item in chunk)
        body = gzip.compress(lines.encode("utf-8"), mtime=0)
        key = f"{folder}/data/{uuid.uuid4().hex[:26]}.json.gz"
        _put(s3_backend, self.s3_bucket, key, body)
        md5, etag = _md5(body)
        files.append({"itemCount": len(chunk), "md5Checksum": md5, "etag": etag, "dataFileS3Key": key})
        self.item_count += len(chunk)
        self.processed_bytes += sum(item.size() for item in chunk)
    self.end_time = time.time()  # type: ignore[attr-defined]
    files_text = "".join(json.dumps(entry) + "\n" for entry in files).encode("utf-8")
    summary = {
        "version": "2020-06-30",
        "exportArn": self.arn,
        "startTime": _iso(self.start_time),  # type: ignore[attr-defined]
        "endTime": _iso(self.end_time),  # type: ignore[attr-defined]
        "tableArn": self.table.table_arn,
        "tableId": str(uuid.uuid5(uuid.NAMESPACE_URL, self.table.table_arn)),
        "exportTime": _iso(self.start_time),  # type: ignore[attr-defined]
        "s3Bucket": self.s3_bucket,
        "s3Prefix": self.s3_prefix or None,
        "s3SseAlgorithm": "AES256",
        "s3SseKmsKeyId": None,
        "manifestFilesS3Key": f"{folder}/manifest-files.json",
        "billedSizeBytes": self.processed_bytes,
        "itemCount": self.item_count,
        "outputFormat": "DYNAMODB_JSON",
        "exportType": self.export_type or "FULL_EXPORT",
    }
    summary_text = json.dumps(summary).encode("utf-8")
    for name, body in (("manifest-files", files_text), ("manifest-summary", summary_text)):
        _put(s3_backend, self.s3_bucket, f"{folder}/{name}.json", body)
        _put(s3_backend, self.s3_bucket, f"{folder}/{name}.checksum", _md5(body)[1].encode("ascii"))
    self.manifest_key = f"{folder}/manifest-summary.json"  # type: ignore[attr-defined]
    self.status = "COMPLETED"


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment * 1000) % 1000:03d}Z"


_original_response = TableExport.response


def _response(self: TableExport) -> dict[str, Any]:
    answer = _original_response(self)
    answer["ExportTime"] = answer["StartTime"] = self.start_time  # type: ignore[attr-defined]
    if self.end_time is not None:  # type: ignore[attr-defined]
        answer["EndTime"] = self.end_time  # type: ignore[attr-defined]
    if self.manifest_key is not None:  # type: ignore[attr-defined]
        answer["ExportManifest"] = self.manifest_key  # type: ignore[attr-defined]
    if not self.s3_prefix:
        answer.pop("S3Prefix", None)
    return {name: value for name, value in answer.items() if value is not None}


_original_export = dynamodb_responses.DynamoHandler.export_table_to_point_in_time


def _export_table_to_point_in_time(self: dynamodb_responses.DynamoHandler) -> Any:
    self.body.setdefault("S3Prefix", "")  # optional on AWS; moto requires it
    return _original_export(self)


def install() -> None:
    """Patch moto, in the server's process only."""
    TableExport.__init__ = _init  # type: ignore[method-assign]
    TableExport._backup_to_s3_file = _backup_to_s3_file  # type: ignore[method-assign]
    TableExport.response = _response  # type: ignore[method-assign]
    dynamodb_responses.DynamoHandler.export_table_to_point_in_time = _export_table_to_point_in_time  # type: ignore[method-assign]
