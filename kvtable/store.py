"""The data contract: the six access patterns and the writes that keep the data true.

Each access pattern is one DynamoDB request. Input is checked before any
request; DynamoDB's refusals come back as `kvtable.errors` types.
"""

from kvtable.contract.bulk import BATCH_GET_LIMIT, BATCH_WRITE_LIMIT
from kvtable.contract.keys import KeyOperations
from kvtable.contract.requests import (
    KEEP_TTL,
    MAX_PLAUSIBLE_TTL,
    RECOMMENDED_CLIENT_CONFIG,
    RETRY_ATTEMPTS,
    iso_timestamp,
)
from kvtable.contract.users import UserOperations

__all__ = [
    "BATCH_GET_LIMIT",
    "BATCH_WRITE_LIMIT",
    "KEEP_TTL",
    "MAX_PLAUSIBLE_TTL",
    "RECOMMENDED_CLIENT_CONFIG",
    "RETRY_ATTEMPTS",
    "KvTable",
    "iso_timestamp",
]


class KvTable(UserOperations, KeyOperations):
    """The kvtable data contract over one DynamoDB table and its GSI: the one public front.

    Each kind of item's operations live in `kvtable.contract` (users, namespaces, keys, bulk), over one
    place that builds and sends every request (`kvtable.contract.requests`)."""
