"""Names AWS settings take: a region's and an endpoint URL's, checked before any call."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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
