"""The entity shapes of the table, as in the original TypeScript design.

`PK`/`SK` values follow the key design (`USER#<id>`, `NS#<namespace>`,
`KEY#<key>`, `METADATA`); build them with `kvtable.key_design`, never by hand.
"""

from decimal import Decimal
from typing import Literal, NotRequired, TypedDict

Plan = Literal["free", "pro", "scale"]
# Decimal: a number JSON carries exactly (json.loads(..., parse_float=Decimal)); read back when a float would round it.
JsonValue = None | bool | int | float | Decimal | str | list["JsonValue"] | dict[str, "JsonValue"]


class UserEntity(TypedDict):
    """User-side items: the user (`SK=METADATA`) or its link to a namespace (`SK=NS#<namespace>`)."""

    PK: str
    SK: str
    entityType: Literal["USER", "NAMESPACE"]
    # The user item carries these so access pattern 2 finds it by API key on the GSI.
    GSI1PK: NotRequired[str]
    GSI1SK: NotRequired[str]
    userId: NotRequired[str]
    email: NotRequired[str]
    passwordHash: NotRequired[str]
    apiKey: NotRequired[str]
    plan: NotRequired[Plan]
    requestCount: NotRequired[int]
    storageBytes: NotRequired[int]
    createdAt: str
    updatedAt: str


class KeyEntity(TypedDict):
    """Namespace-side items: a key (`SK=KEY#<key>`) or the namespace's metadata (`SK=METADATA`)."""

    PK: str
    SK: str
    GSI1PK: NotRequired[str]
    GSI1SK: NotRequired[str]
    entityType: Literal["KEY", "NAMESPACE"]
    value: NotRequired[JsonValue]
    ttl: NotRequired[int]
    createdAt: str
    updatedAt: str
    # The id of the write that last changed a key: a retried create recognizes its own item by it.
    writeId: NotRequired[str]


class ApiKeyGuardEntity(TypedDict):
    """`PK=APIKEY#<key>, SK=METADATA`: holds an API key for one user, since a GSI cannot enforce uniqueness."""

    PK: str
    SK: str
    entityType: Literal["APIKEY"]
    userId: str
    createdAt: str
