"""read_export on a local copy of an export's folder, laid out as AWS's page shows it (the manifests
and `data/<name>.json.gz`): the items as typed entities, and damaged or short files named."""

import base64
import gzip
import hashlib
import json
from pathlib import Path

import pytest

from kvtable.export import read_export, read_manifest
from kvtable.schema.errors import InvalidInputError

EXPORT_ID = "01234567890123-a1b2c3d4"
ITEMS = [
    {"PK": {"S": "USER#u"}, "SK": {"S": "METADATA"}, "entityType": {"S": "USER"}, "userId": {"S": "u"}},
    {
        "PK": {"S": "NS#n"},
        "SK": {"S": "KEY#k"},
        "entityType": {"S": "KEY"},
        "value": {"N": "7"},
        "version": {"N": "3"},
    },
]


def write_export(root: Path, body: bytes | None = None, count: int = 2) -> Path:
    folder = root / "AWSDynamoDB" / EXPORT_ID
    (folder / "data").mkdir(parents=True)
    lines = "".join(json.dumps({"Item": item}) + "\n" for item in ITEMS).encode()
    data = gzip.compress(lines)
    (folder / "data" / "f1.json.gz").write_bytes(body if body is not None else data)
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    key = f"pre/AWSDynamoDB/{EXPORT_ID}/data/f1.json.gz"
    (folder / "manifest-files.json").write_text(
        json.dumps({"itemCount": count, "md5Checksum": md5, "etag": "e", "dataFileS3Key": key}) + "\n"
    )
    summary = {
        "exportArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/t/export/{EXPORT_ID}",
        "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t",
        "s3Bucket": "b",
        "s3Prefix": "pre",
        "manifestFilesS3Key": f"pre/AWSDynamoDB/{EXPORT_ID}/manifest-files.json",
        "itemCount": 2,
        "billedSizeBytes": 90,
        "outputFormat": "DYNAMODB_JSON",
        "exportType": "FULL_EXPORT",
    }
    (folder / "manifest-summary.json").write_text(json.dumps(summary))
    return folder


def test_a_local_export_reads_back_as_typed_entities(tmp_path: Path) -> None:
    folder = write_export(tmp_path)
    expected = [
        {"PK": "USER#u", "SK": "METADATA", "entityType": "USER", "userId": "u"},
        {"PK": "NS#n", "SK": "KEY#k", "entityType": "KEY", "value": 7, "version": 3},
    ]
    assert list(read_export(folder)) == expected
    assert list(read_export(tmp_path)) == expected  # the one export under AWSDynamoDB/
    manifest = read_manifest(str(folder / "manifest-summary.json"))
    assert (len(manifest.files), manifest.summary.item_count) == (1, 2)


def test_a_damaged_or_short_file_is_named(tmp_path: Path) -> None:
    damaged = gzip.compress(b'{"Item": {"PK": {"S": "NS#n"}, "SK": {"S": "KEY#x"}}}\n')
    with pytest.raises(InvalidInputError, match=r"f1\.json\.gz is damaged: its MD5 .* is not the manifest's"):
        list(read_export(write_export(tmp_path / "a", body=damaged, count=1)))
    with pytest.raises(InvalidInputError, match=r"f1\.json\.gz holds 2 items, the manifest says 3"):
        list(read_export(write_export(tmp_path / "b", count=3)))


def test_no_export_or_two_exports_are_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError, match=r"no export at .*empty: no manifest-summary\.json"):
        list(read_export(tmp_path / "empty"))
    with pytest.raises(InvalidInputError, match="no such folder"):
        list(read_export(tmp_path / "missing"))
    write_export(tmp_path / "two")
    other = tmp_path / "two" / "AWSDynamoDB" / "99999999999999-00000000"
    other.mkdir()
    (other / "manifest-summary.json").write_text("{}")
    with pytest.raises(InvalidInputError, match="holds 2 exports"):
        list(read_export(tmp_path / "two"))
