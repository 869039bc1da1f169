"""Parsing an export's manifests, in the shapes of AWS's "DynamoDB table export output format"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html), and S3 locations."""

import json

import pytest

from kvtable.exchange.manifest import parse_files, parse_summary, relative_key
from kvtable.exchange.s3_location import S3Location, parse_s3_url
from kvtable.schema.errors import InvalidInputError

# The page's own example of manifest-summary.json, and of a manifest-files.json line.
SUMMARY = {
    "version": "2020-06-30",
    "exportArn": "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog/export/01234567890123-a1b2c3d4",
    "startTime": "2020-11-04T07:28:34.028Z",
    "endTime": "2020-11-04T07:33:43.897Z",
    "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog",
    "tableId": "12345a12-abcd-123a-ab12-1234abc12345",
    "exportTime": "2020-11-04T07:28:34.028Z",
    "s3Bucket": "ddb-productcatalog-export",
    "s3Prefix": "2020-Nov",
    "s3SseAlgorithm": "AES256",
    "s3SseKmsKeyId": None,
    "manifestFilesS3Key": "2020-Nov/AWSDynamoDB/01234567890123-a1b2c3d4/manifest-files.json",
    "billedSizeBytes": 0,
    "itemCount": 8,
    "outputFormat": "DYNAMODB_JSON",
    "exportType": "FULL_EXPORT",
}
FILE_LINE = {
    "itemCount": 8,
    "md5Checksum": "sQMSpEILNgoQmarvDFonGQ==",
    "etag": "af83d6f217c19b8b0fff8023d8ca4716-1",
    "dataFileS3Key": "2020-Nov/AWSDynamoDB/01234567890123-a1b2c3d4/data/asdl123dasas.json.gz",
}


def test_the_documented_summary_parses() -> None:
    summary = parse_summary(json.dumps(SUMMARY))
    assert summary.export_id == "01234567890123-a1b2c3d4"
    assert (summary.item_count, summary.billed_size_bytes, summary.export_type) == (8, 0, "FULL_EXPORT")
    assert summary.export_time == "2020-11-04T07:28:34.028Z"
    assert summary.manifest_files_key.endswith("/manifest-files.json")
    incremental = parse_summary(
        json.dumps(
            {**SUMMARY, "exportType": "INCREMENTAL_EXPORT", "exportFromTime": "a", "exportToTime": "b"}
        )
    )
    assert (incremental.export_from_time, incremental.export_to_time) == ("a", "b")


def test_the_documented_files_parse_and_map_into_a_local_copy() -> None:
    (data,) = parse_files(["", json.dumps(FILE_LINE), ""])
    assert (data.item_count, data.md5_checksum) == (8, "sQMSpEILNgoQmarvDFonGQ==")
    assert relative_key(data.key, "01234567890123-a1b2c3d4") == "data/asdl123dasas.json.gz"
    with pytest.raises(InvalidInputError, match="not this export's file"):
        relative_key(data.key, "99999999999999-00000000")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outputFormat": "ION"}, "the export is ION; only DYNAMODB_JSON exports are read"),
        ({"itemCount": -1}, "itemCount must be a whole number of 0 or more, got -1"),
        ({"exportArn": None}, "exportArn must be text, got None"),
        ({"manifestFilesS3Key": 3}, "manifestFilesS3Key must be text"),
    ],
)
def test_a_bad_summary_names_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_summary(json.dumps({**SUMMARY, **change}), "s")
    with pytest.raises(InvalidInputError, match="s is not JSON"):
        parse_summary("{", "s")


def test_a_bad_files_line_is_named_by_its_number() -> None:
    with pytest.raises(InvalidInputError, match="f line 2: dataFileS3Key must be text"):
        list(parse_files([json.dumps(FILE_LINE), json.dumps({"itemCount": 1})], "f"))


def test_s3_locations() -> None:
    assert parse_s3_url("s3://my-bucket/a/b/") == S3Location("my-bucket", "a/b")
    assert parse_s3_url("s3://my-bucket") == S3Location("my-bucket", "")
    location = parse_s3_url("s3://my-bucket/imports").under("new-table")
    assert (str(location), location.key("part-00001.json.gz")) == (
        "s3://my-bucket/imports/new-table",
        "imports/new-table/part-00001.json.gz",
    )
    for bad in (
        "my-bucket/p",
        "s3://",
        "s3://AB/p",
        "s3://a/p",
        "s3://a..b/p",
        "s3://bkt/a//b",
        "s3://bkt/" + "p" * 901,
    ):
        with pytest.raises(InvalidInputError):
            parse_s3_url(bad)
