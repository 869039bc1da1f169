"""Names AWS settings take: a region's, an endpoint URL's, a stack's and its tags', checked before any
call; the parts of an ARN, and where a stack and its table live (`StackLocation`, a plain value)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from kvtable.console.errors import UsageError

# CloudFormation's limits on stack tags.
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
STACK_NAME_PATTERN = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$")
# AWS's region names: two letters, one or more words, a number (us-east-1, us-gov-west-1, ap-southeast-5).
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def endpoint_problem(url: str) -> str | None:
    """What is wrong with an endpoint URL (http or https, a host, a valid port), or None."""
    if not url or any(c.isspace() for c in url):
        return f"endpoint URL {url!r} is empty or has spaces"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        return f"endpoint URL {url!r} must start with http:// or https://"
    try:
        port = parts.port
    except ValueError:
        return f"endpoint URL {url!r} has an invalid port"
    if not parts.hostname:
        return f"endpoint URL {url!r} has no host"
    if port == 0:
        return f"endpoint URL {url!r} has an invalid port"
    return None


def region_problem(region: str) -> str | None:
    """What is wrong with a region name, or None."""
    if REGION_PATTERN.fullmatch(region):
        return None
    return f"region {region!r} is not an AWS region name such as 'eu-west-1'"


@dataclass(frozen=True)
class StackLocation:
    """The stack's partition, region and account, its name, and its table's name: what the operator
    policy is scoped to. `replica_regions` are a global table's regions (the stack's own among them);
    empty for a single-region table."""

    partition: str
    region: str
    account: str
    stack_name: str
    table_name: str
    replica_regions: tuple[str, ...] = ()

    @property
    def table_regions(self) -> tuple[str, ...]:
        """Every region verify reads the table (and its key) in: the stack's own first, then each replica's."""
        return (self.region, *sorted(set(self.replica_regions) - {self.region}))


def arn_parts(arn: str) -> tuple[str, str, str, str, str]:
    """(partition, service, region, account, resource) of an ARN."""
    _, partition, service, region, account, resource = arn.split(":", 5)
    return partition, service, region, account, resource


def check_stack_name(name: str) -> None:
    """Refuse a stack name CloudFormation would refuse."""
    if not STACK_NAME_PATTERN.fullmatch(name):
        raise UsageError(
            f"stack name {name!r} is invalid: use 1 to 128 letters, digits and '-', starting with a letter"
        )


def check_tags(tags: dict[str, str]) -> None:
    """Refuse tags CloudFormation would refuse."""
    if len(tags) > MAX_TAGS:
        raise UsageError(f"{len(tags)} tags given; CloudFormation allows {MAX_TAGS}")
    for key, value in tags.items():
        if key.lower().startswith("aws:"):
            raise UsageError(f"tag {key!r}: keys starting with 'aws:' are reserved by AWS")
        if len(key) > MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
            raise UsageError(
                f"tag {key!r} is too long (keys up to {MAX_TAG_KEY}, values up to {MAX_TAG_VALUE} characters)"
            )
