"""The contract's retry policy: how many tries a request gets within its budget, the backoff between
them, and the botocore client configuration recommended under it."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.config import Config

RETRY_ATTEMPTS = 8
RETRY_BASE_SECONDS = 0.05
RETRY_CAP_SECONDS = 2.0


def backoff(attempt: int) -> float:
    """Seconds to wait before try `attempt + 1`."""
    # Full jitter: concurrent clients that were throttled together do not retry together.
    import random  # noqa: PLC0415 (loaded at the first retry, not by every process)

    return random.uniform(0, min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2**attempt))


@functools.cache
def recommended_client_config() -> Config:
    """What we recommend for the client under the contract: botocore's standard retry mode, few tries
    (the contract retries within its own budget, safely), and timeouts a request can live with."""
    from botocore.config import Config  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)

    return Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=2, read_timeout=5)
