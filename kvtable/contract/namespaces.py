"""Namespaces: a user's links (pattern 3), a namespace's metadata (pattern 4), creation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    pass

from kvtable import key_design as kd
from kvtable.contract.requests import TableBase
from kvtable.entities import (
    NamespaceItem,
    NamespaceLinkItem,
)
from kvtable.errors import (
    AlreadyExistsError,
    ItemNotFoundError,
)
from kvtable.pagination import Page, every_item
from kvtable.values import (
    serialize_item,
)


class NamespaceOperations(TableBase):
    """Access patterns 3 and 4, and namespace creation."""

    # ----- 3. list a user's namespaces -----------------------------------

    def list_user_namespaces(
        self, user_id: str, page_size: int = 100, cursor: str | None = None, consistent: bool = False
    ) -> Page[NamespaceLinkItem]:
        """Pattern 3: `PK=USER#<id>, SK begins_with NS#`, one page."""
        page = self._query_page(
            index=False,
            partition=kd.user_partition_key(user_id),
            sort_prefix=kd.NAMESPACE_PREFIX,
            page_size=page_size,
            cursor=cursor,
            consistent=consistent,
        )
        return cast(Page[NamespaceLinkItem], page)

    def iter_user_namespaces(
        self, user_id: str, page_size: int = 100, consistent: bool = False
    ) -> Iterator[NamespaceLinkItem]:
        """Every namespace link of a user, one page in memory at a time."""
        return every_item(lambda cursor: self.list_user_namespaces(user_id, page_size, cursor, consistent))

    # ----- 4. namespace metadata -----------------------------------------

    def get_namespace(self, namespace: str, consistent: bool = False) -> NamespaceItem:
        """Pattern 4: `PK=NS#<namespace>, SK=METADATA` (GetItem)."""
        item = self._get(
            kd.namespace_partition_key(namespace), kd.METADATA, consistent, f"namespace {namespace!r}"
        )
        return cast(NamespaceItem, item)

    def create_namespace(self, user_id: str, namespace: str) -> NamespaceItem:
        """Create a namespace and the user's link to it in one transaction; the name is taken once only."""
        self._require_home_region("namespace creations")
        user_partition = kd.user_partition_key(user_id)
        ns_partition = kd.namespace_partition_key(namespace)
        timestamp, _ = self._now()
        metadata: NamespaceItem = {
            "PK": ns_partition,
            "SK": kd.METADATA,
            "GSI1PK": user_partition,
            "GSI1SK": ns_partition,
            "entityType": "NAMESPACE",
            "createdAt": timestamp,
            "updatedAt": timestamp,
        }
        link: NamespaceLinkItem = {
            "PK": user_partition,
            "SK": ns_partition,
            "entityType": "NAMESPACE",
            "userId": user_id,
            "createdAt": timestamp,
            "updatedAt": timestamp,
        }
        self._transact(
            "create namespace",
            [
                {
                    "ConditionCheck": {
                        "TableName": self.table_name,
                        "Key": self._key_map(user_partition, kd.METADATA),
                        "ConditionExpression": "attribute_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY},
                    }
                },
                self._put_new(serialize_item(dict(metadata))),
                self._put_new(serialize_item(dict(link))),
            ],
            [
                ItemNotFoundError(f"user {user_id!r} not found"),
                AlreadyExistsError(f"namespace {namespace!r} is taken", "namespace"),
                AlreadyExistsError(
                    f"user {user_id!r} already links namespace {namespace!r}", "namespace_link"
                ),
            ],
        )
        return metadata
