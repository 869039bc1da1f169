"""Reading a DynamoDB export back, from S3 or from a local copy, as the contract's typed entities:
`read_export` streams one gzip data file at a time, line by line, so memory does not grow with the
export; each file's MD5 and item count are checked against manifest-files.json as it is read.

The public door is `kvtable.export` (`from kvtable.export import read_export`)."""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from kvtable.exchange.dynamodb_json import Entity, entity, line_item
from kvtable.exchange.manifest import (
    EXPORTS_FOLDER,
    FILES_NAME,
    SUMMARY_NAME,
    DataFile,
    ExportSummary,
    parse_files,
    parse_summary,
    relative_key,
)
from kvtable.exchange.s3_location import S3Location, parse_s3_url
from kvtable.schema.errors import InvalidInputError

ExportSource = str | Path
# A boto3 S3 client (no type stubs for S3 are installed: the calls made are few and plain).
S3Client = Any


@dataclass(frozen=True)
class ExportManifest:
    """An export's summary and its data files, as its two manifests list them."""

    summary: ExportSummary
    files: tuple[DataFile, ...]
    where: str  # the export's folder: s3://bucket/prefix/AWSDynamoDB/<ExportId> or a local folder


class _Md5Reader:
    """A binary stream that hashes what is read through it (the data file's MD5, as the manifest has it)."""

    def __init__(self, raw: IO[bytes] | Any) -> None:
        self.raw = raw
        self.md5 = hashlib.md5(usedforsecurity=False)

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.raw.read(size)
        self.md5.update(data)
        return data

    def drain(self) -> str:
        """Read what is left (gzip may stop before the end), and the MD5 in base64."""
        while self.read(1 << 16):
            pass
        return base64.b64encode(self.md5.digest()).decode("ascii")


class _Folder:
    """An export's folder on disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.where = str(folder)

    def text(self, name: str) -> str:
        try:
            return (self.folder / name).read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidInputError(f"{self.folder / name}: cannot read it ({error.strerror})") from None

    def open(self, key: str, export_id: str) -> IO[bytes]:
        path = self.folder / relative_key(key, export_id)
        try:
            return path.open("rb")
        except OSError as error:
            raise InvalidInputError(
                f"{path}: cannot read the export's data file ({error.strerror})"
            ) from None


class _Bucket:
    """An export's folder in S3."""

    def __init__(self, s3: S3Client, location: S3Location) -> None:
        self.s3, self.location = s3, location
        self.where = str(location)

    def text(self, name: str) -> str:
        body = self.s3.get_object(Bucket=self.location.bucket, Key=self.location.key(name))["Body"]
        return str(body.read().decode("utf-8"))

    def open(self, key: str, export_id: str) -> Any:
        relative_key(key, export_id)  # the manifest names a file of this export, nowhere else
        return self.s3.get_object(Bucket=self.location.bucket, Key=key)["Body"]


def _s3_client() -> S3Client:
    import boto3  # noqa: PLC0415 (boto3: only when an export is read from S3, never on `import kvtable`)

    return boto3.client("s3")


def _has_object(s3: S3Client, bucket: str, key: str) -> bool:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents", [])
    return any(found["Key"] == key for found in listed)


def _pick(found: list[str], where: str) -> str:
    if not found:
        raise InvalidInputError(
            f"no export at {where}: no {SUMMARY_NAME} there or under {EXPORTS_FOLDER}/ "
            "(an export still running has none yet)"
        )
    if len(found) > 1:
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        raise InvalidInputError(f"{where} holds {len(found)} exports ({shown}); give one of them")
    return found[0]


def _s3_folder(s3: S3Client, location: S3Location) -> S3Location:
    """The export's own folder in S3: `location` itself, the folder of a manifest-summary.json it names,
    or the one export under its AWSDynamoDB/."""
    if location.prefix.endswith(SUMMARY_NAME):
        return S3Location(location.bucket, location.prefix.removesuffix(SUMMARY_NAME).rstrip("/"))
    if _has_object(s3, location.bucket, location.key(SUMMARY_NAME)):
        return location
    listed = s3.list_objects_v2(
        Bucket=location.bucket, Prefix=location.key(EXPORTS_FOLDER) + "/", Delimiter="/"
    )
    folders = [entry["Prefix"].rstrip("/") for entry in listed.get("CommonPrefixes", [])]
    found = [f for f in folders if _has_object(s3, location.bucket, f"{f}/{SUMMARY_NAME}")]
    return S3Location(
        location.bucket,
        _pick([f"s3://{location.bucket}/{f}" for f in found], str(location))[
            len(f"s3://{location.bucket}/") :
        ],
    )


def _local_folder(path: Path) -> Path:
    if path.name == SUMMARY_NAME:
        return path.parent
    if (path / SUMMARY_NAME).is_file():
        return path
    if not path.is_dir():
        raise InvalidInputError(f"{path}: no such folder (give an export's folder, or s3://bucket/prefix)")
    found = sorted(str(p.parent) for p in (path / EXPORTS_FOLDER).glob(f"*/{SUMMARY_NAME}"))
    return Path(_pick(found, str(path)))


def _open_source(source: ExportSource, s3: S3Client | None) -> _Folder | _Bucket:
    if isinstance(source, str) and source.startswith("s3://"):
        client = s3 or _s3_client()
        return _Bucket(client, _s3_folder(client, parse_s3_url(source)))
    return _Folder(_local_folder(Path(source)))


def read_manifest(source: ExportSource, *, s3: S3Client | None = None) -> ExportManifest:
    """The export's manifests: `source` is `s3://bucket/prefix` (the export's prefix, its folder, or its
    manifest-summary.json) or a local copy of the export's folder; `s3` a boto3 S3 client (default: boto3's)."""
    folder = _open_source(source, s3)
    summary = parse_summary(folder.text(SUMMARY_NAME), f"{folder.where}/{SUMMARY_NAME}")
    files = tuple(parse_files(folder.text(FILES_NAME).splitlines(), f"{folder.where}/{FILES_NAME}"))
    return ExportManifest(summary, files, folder.where)


def _file_entities(folder: _Folder | _Bucket, data: DataFile, export_id: str) -> Iterator[Entity]:
    where = f"{folder.where}/{relative_key(data.key, export_id)}"
    raw = folder.open(data.key, export_id)
    reader = _Md5Reader(raw)
    lines = 0
    try:
        with gzip.GzipFile(fileobj=cast(IO[bytes], reader), mode="rb") as unzipped:
            for number, line in enumerate(unzipped, start=1):
                if not line.strip():
                    continue
                lines += 1
                item = line_item(line, f"{where} line {number}")
                if item is not None:
                    yield entity(item)
        md5 = reader.drain()
    except (OSError, EOFError) as error:
        raise InvalidInputError(f"{where} is not a whole gzip file ({error})") from None
    finally:
        raw.close()
    if data.md5_checksum is not None and md5 != data.md5_checksum:
        raise InvalidInputError(
            f"{where} is damaged: its MD5 {md5} is not the manifest's {data.md5_checksum}"
        )
    if lines != data.item_count:
        raise InvalidInputError(f"{where} holds {lines} items, the manifest says {data.item_count}")


def read_export(source: ExportSource, *, s3: S3Client | None = None) -> Iterator[Entity]:
    """Every item of the export as the contract's typed entity (UserItem, NamespaceItem, KeyItem, ...),
    streamed one data file at a time; an incremental export gives each change's new image and leaves
    deletions out. InvalidInputError names a file that is damaged, short or not an export's."""
    folder = _open_source(source, s3)
    summary = parse_summary(folder.text(SUMMARY_NAME), f"{folder.where}/{SUMMARY_NAME}")
    files = list(parse_files(folder.text(FILES_NAME).splitlines(), f"{folder.where}/{FILES_NAME}"))
    for data in files:
        yield from _file_entities(folder, data, summary.export_id)
