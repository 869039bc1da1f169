"""The items of the table, one type per kind of item, as in the original TypeScript design.

`PK`/`SK` values follow the key design (`USER#<id>`, `NS#<namespace>`,
`KEY#<key>`, `METADATA`); build them with `kvtable.schema.key_design`, never by hand.
"""

from decimal import Decimal
from typing import Final, Literal, NotRequired, TypedDict

# A user's billing plan (the deploy's is DeployPlan, a migration's MigrationPlan, cost's traffic per plan PlanTraffic).
BillingPlan = Literal["free", "pro", "scale"]
BILLING_PLANS: Final[tuple[BillingPlan, ...]] = ("free", "pro", "scale")
# Decimal: a number JSON carries exactly (json.loads(..., parse_float=Decimal)); read back when a
# float would round it.
JsonValue = None | bool | int | float | Decimal | str | list["JsonValue"] | dict[str, "JsonValue"]


# The key, TTL, timestamp and entityType fields below, and the entityType literals, spell kvtable.schema.key_design's
# names again: a TypedDict's fields and a Literal take no constants. Code that builds or reads an item uses
# the constants; tests/unit/schema/test_key_design.py fails if the two ever differ.


class UserItem(TypedDict):
    """`PK=USER#<id>, SK=METADATA`: a user, on the GSI under its API key (access pattern 2)."""

    PK: str
    SK: str
    GSI1PK: str
    GSI1SK: str
    entityType: Literal["USER"]
    userId: str
    email: str
    passwordHash: NotRequired[str]
    apiKey: str
    plan: BillingPlan
    requestCount: NotRequired[int]
    storageBytes: NotRequired[int]
    createdAt: str
    updatedAt: str
    # Set while delete_user runs: no namespace can be created for the user, nor its plan changed.
    deleting: NotRequired[bool]


class NamespaceLinkItem(TypedDict):
    """`PK=USER#<id>, SK=NS#<namespace>`: a user's link to a namespace it owns (access pattern 3)."""

    PK: str
    SK: str
    entityType: Literal["NAMESPACE"]
    userId: str
    createdAt: str
    updatedAt: str


class NamespaceItem(TypedDict):
    """`PK=NS#<namespace>, SK=METADATA`: a namespace's metadata (access pattern 4), on the GSI under its owner."""

    PK: str
    SK: str
    GSI1PK: str
    GSI1SK: str
    entityType: Literal["NAMESPACE"]
    createdAt: str
    updatedAt: str
    # Set while delete_namespace runs: the service's authorization read (pattern 4) refuses the namespace.
    deleting: NotRequired[bool]


class NamespaceTombstoneItem(TypedDict):
    """`PK=NS#<namespace>, SK=METADATA` once the namespace is deleted: off the GSI, it keeps the name taken
    until `ttl` (the quarantine), then DynamoDB's TTL removes it and the name is free."""

    PK: str
    SK: str
    entityType: Literal["NAMESPACE_TOMBSTONE"]
    # The user id of the owner whose deletion left it, for the record (and a re-run of that deletion).
    formerOwner: str
    ttl: int
    createdAt: str
    updatedAt: str


class KeyItem(TypedDict):
    """`PK=NS#<namespace>, SK=KEY#<key>`: a key and its value (access patterns 5 and 6)."""

    PK: str
    SK: str
    GSI1PK: str
    GSI1SK: str
    entityType: Literal["KEY"]
    value: JsonValue
    ttl: NotRequired[int]
    createdAt: str
    updatedAt: str
    # 1 when the key is created, one more on every write: update_key(expected_version=...) compares it.
    version: NotRequired[int]
    # The id of the write that last changed the key: a retried create recognizes its own item by it.
    writeId: NotRequired[str]


class ApiKeyGuardItem(TypedDict):
    """`PK=APIKEY#<key>, SK=METADATA`: holds an API key for one user, since a GSI cannot enforce uniqueness."""

    PK: str
    SK: str
    entityType: Literal["APIKEY"]
    userId: str
    createdAt: str
