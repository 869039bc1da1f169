"""The key design, defined once: key, TTL and shared attribute names, entity types, key prefixes.

kvtable's code uses these names and never spells them, except where Python takes only an identifier or a
literal (TypedDict and PynamoDB fields, Literal types), which tests/unit/schema/test_key_design.py checks against them.
"""

import re
from typing import Final

from kvtable.schema.errors import InvalidInputError

DEFAULT_TABLE_NAME: Final = "kv-storage-data"
DEFAULT_GSI_NAME: Final = "GSI1"

PARTITION_KEY: Final = "PK"
SORT_KEY: Final = "SK"
GSI1_PARTITION_KEY: Final = "GSI1PK"
GSI1_SORT_KEY: Final = "GSI1SK"
TTL_ATTRIBUTE: Final = "ttl"
# The latest TTL taken as epoch seconds: later ones are milliseconds or microseconds by mistake.
MAX_PLAUSIBLE_TTL: Final = 32_503_680_000  # 3000-01-01T00:00:00Z

KEY_ATTRIBUTES: Final = (PARTITION_KEY, SORT_KEY, GSI1_PARTITION_KEY, GSI1_SORT_KEY)

# Attributes of every kind of item (an API-key guard, never changed, has no updatedAt); those of one
# kind only are its fields in `kvtable.schema.entities`.
ENTITY_TYPE_ATTRIBUTE: Final = "entityType"
CREATED_AT: Final = "createdAt"
UPDATED_AT: Final = "updatedAt"
# The writes' own bookkeeping, which the contract keeps and the migrations read.
WRITE_ID: Final = "writeId"  # on key items: the id of the write that last changed the key
VERSION: Final = "version"  # on key items: 1 when created, one more on every write
DELETING: Final = "deleting"  # on a user's or a namespace's METADATA while its deletion runs
FORMER_OWNER: Final = "formerOwner"  # on a namespace's tombstone: the user id whose deletion left it

# The values of `entityType`; a namespace's link from its owner is a NAMESPACE item too.
USER_ENTITY: Final = "USER"
NAMESPACE_ENTITY: Final = "NAMESPACE"
KEY_ENTITY: Final = "KEY"
API_KEY_ENTITY: Final = "APIKEY"
# What a deleted namespace's METADATA becomes: off the GSI, holding the name until its `ttl`.
NAMESPACE_TOMBSTONE_ENTITY: Final = "NAMESPACE_TOMBSTONE"

SEPARATOR: Final = "#"
USER_PREFIX: Final = "USER#"
NAMESPACE_PREFIX: Final = "NS#"
KEY_PREFIX: Final = "KEY#"
API_KEY_PREFIX: Final = "APIKEY#"
METADATA: Final = "METADATA"

# DynamoDB's own limits on key attribute values, in UTF-8 bytes.
MAX_PARTITION_KEY_BYTES: Final = 2048
MAX_SORT_KEY_BYTES: Final = 1024

# Table and index names: what DynamoDB (and so CloudFormation) accepts.
NAME_PATTERN: Final = "^[a-zA-Z0-9_.-]+$"
NAME_MIN_LENGTH: Final = 3
NAME_MAX_LENGTH: Final = 255


def resource_name_problem(what: str, name: str) -> str | None:
    """What is wrong with a table's or an index's name as DynamoDB takes it, or None."""
    if NAME_MIN_LENGTH <= len(name) <= NAME_MAX_LENGTH and re.fullmatch(NAME_PATTERN, name):
        return None
    return (
        f"{what} name {name!r} is invalid: use {NAME_MIN_LENGTH} to {NAME_MAX_LENGTH} letters, digits, "
        "'_', '-' and '.'"
    )


def utf8_text(what: str, value: str) -> bytes:
    """The text as UTF-8; a lone surrogate (which `json.loads` makes of "\\ud800") is refused."""
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidInputError(
            f"{what} is not valid Unicode text (a lone surrogate at {error.start})"
        ) from None


def _encoded_length(value: str) -> int:
    return len(utf8_text("key", value))


def _component(kind: str, value: str, prefix: str, max_bytes: int) -> str:
    """Join prefix and an id, refusing what would break the key design or DynamoDB."""
    if not isinstance(value, str) or value == "":
        raise InvalidInputError(f"{kind} must be a non-empty string, got {value!r}")
    if SEPARATOR in value:
        raise InvalidInputError(f"{kind} {value!r} contains {SEPARATOR!r}, which the key design reserves")
    utf8_text(kind, value)
    key = prefix + value
    if _encoded_length(key) > max_bytes:
        raise InvalidInputError(
            f"{kind} is too long: {prefix}<{kind}> is {_encoded_length(key)} bytes, "
            f"DynamoDB allows {max_bytes}"
        )
    return key


def user_partition_key(user_id: str) -> str:
    """`USER#<id>`: the partition of a user and its namespace links."""
    return _component("user id", user_id, USER_PREFIX, MAX_PARTITION_KEY_BYTES)


def namespace_partition_key(namespace: str) -> str:
    """`NS#<namespace>`: a namespace's partition, also the sort key of a user's link to it."""
    # The same string is a sort key on the user link, so the stricter sort-key limit applies.
    return _component("namespace", namespace, NAMESPACE_PREFIX, MAX_SORT_KEY_BYTES)


def key_sort_key(key: str) -> str:
    """`KEY#<key>`: a key's sort key in its namespace, and its GSI sort key."""
    return _component("key", key, KEY_PREFIX, MAX_SORT_KEY_BYTES)


def key_prefix_sort_key(prefix: str) -> str:
    """`KEY#<prefix>` for begins_with; an empty prefix lists every key."""
    if prefix == "":
        return KEY_PREFIX
    return _component("key prefix", prefix, KEY_PREFIX, MAX_SORT_KEY_BYTES)


def api_key_partition_key(api_key: str) -> str:
    """`APIKEY#<key>`: the GSI partition of a user item, and its uniqueness guard's partition."""
    return _component("API key", api_key, API_KEY_PREFIX, MAX_PARTITION_KEY_BYTES)


def _strip(prefix: str, value: str) -> str:
    if not value.startswith(prefix) or value == prefix:
        raise InvalidInputError(f"{value!r} is not a {prefix}<id> key")
    return value[len(prefix) :]


def parse_namespace(key: str) -> str:
    """The namespace inside `NS#<namespace>`."""
    return _strip(NAMESPACE_PREFIX, key)


def parse_key(sort_key: str) -> str:
    """The key inside `KEY#<key>`."""
    return _strip(KEY_PREFIX, sort_key)
