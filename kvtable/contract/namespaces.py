"""Namespaces: a user's links (pattern 3), a namespace's metadata (pattern 4), creation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

from kvtable import key_design as kd
from kvtable.contract.bulk import BATCH_WRITE_LIMIT
from kvtable.contract.requests import DELETING, TableRequests
from kvtable.entities import (
    NamespaceItem,
    NamespaceLinkItem,
)
from kvtable.errors import (
    AlreadyExistsError,
    ItemNotFoundError,
    NotOwnerError,
)
from kvtable.pagination import DEFAULT_PAGE_SIZE, Page, every_item
from kvtable.values import (
    serialize_item,
)

DELETE_PAGE = 4 * BATCH_WRITE_LIMIT  # keys read a page when deleting a namespace: four batches


class NamespaceOperations:
    """Access patterns 3 and 4, and namespace creation and deletion."""

    def __init__(self, requests: TableRequests) -> None:
        self.requests = requests

    # ----- 3. list a user's namespaces -----------------------------------

    def list_user_namespaces(
        self,
        user_id: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        consistent: bool = False,
    ) -> Page[NamespaceLinkItem]:
        """Pattern 3: `PK=USER#<id>, SK begins_with NS#`, one page."""
        page = self.requests.query_page(
            index=False,
            partition=kd.user_partition_key(user_id),
            sort_prefix=kd.NAMESPACE_PREFIX,
            page_size=page_size,
            cursor=cursor,
            consistent=consistent,
        )
        return cast(Page[NamespaceLinkItem], page)

    def iter_user_namespaces(
        self, user_id: str, page_size: int = DEFAULT_PAGE_SIZE, consistent: bool = False
    ) -> Iterator[NamespaceLinkItem]:
        """Every namespace link of a user, one page in memory at a time."""
        return every_item(lambda cursor: self.list_user_namespaces(user_id, page_size, cursor, consistent))

    # ----- 4. namespace metadata -----------------------------------------

    def get_namespace(self, namespace: str, consistent: bool = False) -> NamespaceItem:
        """Pattern 4: `PK=NS#<namespace>, SK=METADATA` (GetItem)."""
        item = self.requests.get(
            kd.namespace_partition_key(namespace), kd.METADATA, consistent, f"namespace {namespace!r}"
        )
        return cast(NamespaceItem, item)

    def create_namespace(self, user_id: str, namespace: str) -> NamespaceItem:
        """Create a namespace and the user's link to it in one transaction; the name is taken once only."""
        self.requests.require_home_region("namespace creations")
        user_partition = kd.user_partition_key(user_id)
        ns_partition = kd.namespace_partition_key(namespace)
        timestamp, _ = self.requests.now()
        metadata: NamespaceItem = {
            kd.PARTITION_KEY: ns_partition,
            kd.SORT_KEY: kd.METADATA,
            kd.GSI1_PARTITION_KEY: user_partition,
            kd.GSI1_SORT_KEY: ns_partition,
            kd.ENTITY_TYPE_ATTRIBUTE: kd.NAMESPACE_ENTITY,
            kd.CREATED_AT: timestamp,
            kd.UPDATED_AT: timestamp,
        }
        link: NamespaceLinkItem = {
            kd.PARTITION_KEY: user_partition,
            kd.SORT_KEY: ns_partition,
            kd.ENTITY_TYPE_ATTRIBUTE: kd.NAMESPACE_ENTITY,
            "userId": user_id,
            kd.CREATED_AT: timestamp,
            kd.UPDATED_AT: timestamp,
        }
        self.requests.transact(
            "create namespace",
            [
                {
                    "ConditionCheck": {
                        "TableName": self.requests.table_name,
                        "Key": self.requests.key_map(user_partition, kd.METADATA),
                        # A user being deleted takes no new namespace: its deletion would miss it.
                        "ConditionExpression": "attribute_exists(#pk) AND attribute_not_exists(#deleting)",
                        "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY, "#deleting": DELETING},
                    }
                },
                self.requests.put_new(serialize_item(dict(metadata))),
                self.requests.put_new(serialize_item(dict(link))),
            ],
            [
                ItemNotFoundError(f"user {user_id!r} not found (or being deleted)"),
                AlreadyExistsError(f"namespace {namespace!r} is taken", "namespace"),
                AlreadyExistsError(
                    f"user {user_id!r} already links namespace {namespace!r}", "namespace_link"
                ),
            ],
        )
        return metadata

    # ----- deletion ------------------------------------------------------

    def delete_namespace(
        self, user_id: str, namespace: str, *, on_progress: Callable[[int], None] | None = None
    ) -> int:
        """Delete a namespace, every key in it and its owner's link; returns the keys deleted by this run.

        Marks the namespace `deleting` (so the service's pattern-4 read can refuse it), deletes its keys
        a page of 100 at a time (BatchWriteItem, 25 a request), then removes the metadata and the link
        in one transaction. Interrupted, running it again finishes the job. NotOwnerError, changing
        nothing, if `user_id` does not own the namespace."""
        user_partition = kd.user_partition_key(user_id)
        ns_partition = kd.namespace_partition_key(namespace)
        self.requests.mark_deleting(ns_partition, user_partition, f"namespace {namespace!r}", user_id)
        deleted = 0
        while keys := self._first_key_page(ns_partition):
            for start in range(0, len(keys), BATCH_WRITE_LIMIT):
                chunk = keys[start : start + BATCH_WRITE_LIMIT]
                self.requests.batch_write(
                    "delete namespace", [{"DeleteRequest": {"Key": key}} for key in chunk]
                )
                deleted += len(chunk)
                if on_progress is not None:
                    on_progress(deleted)
        self.requests.transact(
            "delete namespace",
            [
                {
                    "Delete": {
                        "TableName": self.requests.table_name,
                        "Key": self.requests.key_map(ns_partition, kd.METADATA),
                        "ConditionExpression": "#owner = :owner AND attribute_exists(#deleting)",
                        "ExpressionAttributeNames": {"#owner": kd.GSI1_PARTITION_KEY, "#deleting": DELETING},
                        "ExpressionAttributeValues": {":owner": {"S": user_partition}},
                    }
                },
                {
                    "Delete": {
                        "TableName": self.requests.table_name,
                        "Key": self.requests.key_map(user_partition, ns_partition),
                    }
                },
            ],
            [
                NotOwnerError(
                    f"namespace {namespace!r} changed owner while being deleted; nothing more was deleted"
                )
            ],
        )
        return deleted

    def _first_key_page(self, ns_partition: str) -> list[dict[str, Any]]:
        """The table keys of up to 100 key items left in a namespace, expired ones too (strong read, so
        what was just deleted is not seen again)."""
        response = self.requests.send(
            "delete namespace",
            "Query",
            {
                "TableName": self.requests.table_name,
                "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :keys)",
                "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY, "#sk": kd.SORT_KEY},
                "ExpressionAttributeValues": {":pk": {"S": ns_partition}, ":keys": {"S": kd.KEY_PREFIX}},
                "ProjectionExpression": "#pk, #sk",
                "ConsistentRead": True,
                "Limit": DELETE_PAGE,
            },
        )
        return cast(list[dict[str, Any]], response.get("Items", []))
