"""The public door to the data contract's item types (`kvtable.schema.entities`), at the path
applications import."""

from kvtable.schema.entities import (
    BILLING_PLANS,
    ApiKeyGuardItem,
    BillingPlan,
    JsonValue,
    KeyItem,
    NamespaceItem,
    NamespaceLinkItem,
    NamespaceTombstoneItem,
    UserItem,
)

__all__ = [
    "BILLING_PLANS",
    "ApiKeyGuardItem",
    "BillingPlan",
    "JsonValue",
    "KeyItem",
    "NamespaceItem",
    "NamespaceLinkItem",
    "NamespaceTombstoneItem",
    "UserItem",
]
