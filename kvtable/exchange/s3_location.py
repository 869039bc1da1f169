"""`s3://bucket/prefix` as a checked location: bad input is refused before any call."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kvtable.schema.errors import InvalidInputError

# S3's rules for a general purpose bucket's name: 3 to 63 lowercase letters, digits, dots and hyphens,
# starting and ending with a letter or digit (Amazon S3 User Guide, "General purpose bucket naming rules").
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# An object key is at most 1,024 bytes; a prefix leaves room for the names put under it.
MAX_PREFIX_BYTES = 900


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix (no leading or trailing `/`; empty for the bucket's top)."""

    bucket: str
    prefix: str = ""

    def key(self, *parts: str) -> str:
        """The object key of `parts` under the prefix."""
        return "/".join(part for part in (self.prefix, *parts) if part)

    def under(self, *parts: str) -> S3Location:
        """The location of a folder under this one."""
        return S3Location(self.bucket, self.key(*parts))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def parse_s3_url(text: str) -> S3Location:
    """`s3://bucket[/prefix]` as an S3Location; InvalidInputError saying what is wrong otherwise."""
    if not text.startswith("s3://"):
        raise InvalidInputError(f"{text[:80]!r} is not an S3 location; give s3://bucket/prefix")
    bucket, _, prefix = text.removeprefix("s3://").partition("/")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise InvalidInputError(
            f"{bucket[:80]!r} is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)"
        )
    prefix = prefix.strip("/")
    if len(prefix.encode("utf-8")) > MAX_PREFIX_BYTES or any(ord(c) < 32 for c in prefix) or "//" in prefix:
        raise InvalidInputError(
            f"the prefix of {text[:80]!r} is not usable: at most {MAX_PREFIX_BYTES} bytes, "
            "no control characters or empty parts"
        )
    return S3Location(bucket, prefix)
