"""Import from S3's documented quotas, checked before anything is uploaded.

"Import format quotas and validation"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Validation.html): each
import job takes up to 50,000 S3 objects in every region; the import jobs running at a time take up to
15 TB of source objects in us-east-1, us-west-2 and eu-west-1, and 1 TB in every other region (on the
raw S3 object sizes: "Best practices for importing from Amazon S3 into DynamoDB", S3DataImport.BestPractices.html).
"""

from __future__ import annotations

from dataclasses import dataclass

from kvtable.console.errors import RefusedError

MAX_OBJECTS = 50_000
TB = 10**12  # decimal terabytes: the smaller reading of AWS's "TB", so a source within it fits either way
LARGE_REGIONS = frozenset({"us-east-1", "us-west-2", "eu-west-1"})


def max_source_bytes(region: str) -> int:
    """The largest total source size an import takes in `region`."""
    return 15 * TB if region in LARGE_REGIONS else 1 * TB


@dataclass(frozen=True)
class SourceSize:
    """What an import's source adds up to: objects, items, gzip bytes (what S3 holds) and raw bytes (billed)."""

    objects: int
    items: int
    stored_bytes: int
    raw_bytes: int


def check_limits(size: SourceSize, region: str, *, max_objects: int = MAX_OBJECTS) -> None:
    """RefusedError (exit 3) when the source is over an import's documented limits in `region`."""
    if size.objects > max_objects:
        raise RefusedError(
            f"the source would be {size.objects:,} S3 objects; an import takes at most {max_objects:,} "
            "(AWS, Import format quotas); nothing was uploaded; split the input into several files and tables, "
            "or load it with kvtable load"
        )
    most = max_source_bytes(region)
    if size.stored_bytes > most:
        raise RefusedError(
            f"the source would be {size.stored_bytes:,} bytes gzip; imports in {region} take at most "
            f"{most // TB} TB at a time (AWS, Import format quotas); nothing was uploaded; split the input"
        )
