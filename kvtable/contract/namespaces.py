"""Namespaces: a user's links (pattern 3), a namespace's metadata (pattern 4), creation and deletion."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from kvtable.contract.clock import iso_timestamp
from kvtable.contract.error_mapping import Refused, cancelled_item
from kvtable.contract.instructions import Concurrently, Finished, Operation, raise_failure
from kvtable.contract.requests import (
    Item,
    TableRequests,
)
from kvtable.contract.validation import require_whole
from kvtable.schema import key_design as kd
from kvtable.schema.entities import (
    NamespaceItem,
    NamespaceLinkItem,
)
from kvtable.schema.errors import (
    AlreadyExistsError,
    InvalidInputError,
    ItemNotFoundError,
    KvTableError,
    NamespaceQuarantinedError,
    NamespaceUnavailableError,
    NotOwnerError,
)
from kvtable.schema.key_design import DELETING, FORMER_OWNER
from kvtable.schema.limits import BATCH_WRITE_LIMIT
from kvtable.schema.pagination import DEFAULT_PAGE_SIZE, Page
from kvtable.schema.values import (
    deserialize_item,
    serialize_item,
)

DELETE_PAGE = 4 * BATCH_WRITE_LIMIT  # keys read a page when deleting a namespace: four batches
TRANSACT_WRITE_LIMIT = 100  # items a TransactWriteItems request may carry
SWEEP_PAGE = TRANSACT_WRITE_LIMIT - 1  # leftovers a create deletes a transaction, besides its check

# What a create reads of a namespace's METADATA to know whether the name is free.
_METADATA_ATTRIBUTES = (kd.PARTITION_KEY, kd.SORT_KEY, kd.ENTITY_TYPE_ATTRIBUTE, kd.TTL_ATTRIBUTE)

# How long a deleted namespace's name stays taken (its tombstone's quarantine). A put_key the service
# authorized before the deletion (its pattern-4 read came before the `deleting` mark) can still land after
# the deletion's sweep, but not for long: the contract gives up on a write after `retry_attempts` tries, each
# lasting at most the client's connect and read timeouts plus a backoff capped at RETRY_CAP_SECONDS: 8 x
# (60 s + 60 s + 2 s) ~ 16 min with botocore's default timeouts on the direct transport, about 3 min with
# RECOMMENDED_CLIENT_CONFIG on either transport; DynamoDB honours a ClientRequestToken for 10 minutes. An hour
# outlasts them all with room to spare, and costs only a name that stays taken an hour after its deletion.
# A client whose tries last longer (botocore's own legacy retries inside each try on the botocore transport
# with default settings, much longer timeouts) needs a longer one: KvTable(namespace_quarantine=...).
NAMESPACE_QUARANTINE_SECONDS = 60 * 60


def _new_namespace_items(
    user_id: str, namespace: str, timestamp: str
) -> tuple[NamespaceItem, NamespaceLinkItem]:
    """A new namespace's METADATA (owned by the user through GSI1) and the user's link to it."""
    user_partition = kd.user_partition_key(user_id)
    ns_partition = kd.namespace_partition_key(namespace)
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
    return metadata, link


class NamespaceOperations:
    """Access patterns 3 and 4, and namespace creation and deletion."""

    def __init__(
        self, requests: TableRequests, quarantine: int = NAMESPACE_QUARANTINE_SECONDS, in_flight: int = 1
    ) -> None:
        """`in_flight`: how many of a namespace deletion's batches may be sent at once."""
        self.requests = requests
        self.in_flight = in_flight
        self.quarantine = require_whole("namespace quarantine", quarantine)
        if quarantine < 0:
            raise InvalidInputError(f"namespace quarantine must be 0 or more seconds, got {quarantine}")

    # ----- 3. list a user's namespaces -----------------------------------

    def list_user_namespaces(
        self,
        user_id: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        consistent: bool = False,
    ) -> Operation[Page[NamespaceLinkItem]]:
        """Pattern 3: `PK=USER#<id>, SK begins_with NS#`, one page."""
        page = yield from self.requests.query_page(
            index=False,
            partition=kd.user_partition_key(user_id),
            sort_prefix=kd.NAMESPACE_PREFIX,
            page_size=page_size,
            cursor=cursor,
            consistent=consistent,
        )
        return cast(Page[NamespaceLinkItem], page)

    # ----- 4. namespace metadata -----------------------------------------

    def get_namespace(self, namespace: str, consistent: bool = False) -> Operation[NamespaceItem]:
        """Pattern 4: `PK=NS#<namespace>, SK=METADATA` (GetItem); NamespaceUnavailableError for a namespace
        being deleted or deleted (its tombstone), which the service must refuse."""
        item = yield from self.requests.get(
            kd.namespace_partition_key(namespace), kd.METADATA, consistent, f"namespace {namespace!r}"
        )
        if item[kd.ENTITY_TYPE_ATTRIBUTE] == kd.NAMESPACE_TOMBSTONE_ENTITY:
            raise NamespaceUnavailableError(
                f"namespace {namespace!r} was deleted; answer as for a namespace that does not exist"
            )
        if item.get(DELETING):
            raise NamespaceUnavailableError(
                f"namespace {namespace!r} is being deleted; answer as for a namespace that does not exist"
            )
        return cast(NamespaceItem, item)

    def create_namespace(self, user_id: str, namespace: str) -> Operation[NamespaceItem]:
        """Create a namespace and the user's link to it in one transaction; the name is taken once only.

        Deletes first what an earlier namespace of the name left (keys that landed after its deletion); a name
        deleted less than the quarantine ago is refused with NamespaceQuarantinedError."""
        self.requests.require_home_region("namespace creations")
        user_partition = kd.user_partition_key(user_id)
        ns_partition = kd.namespace_partition_key(namespace)
        yield from self._clear_for_creation(namespace, ns_partition)
        timestamp, _ = self.requests.now()
        metadata, link = _new_namespace_items(user_id, namespace, timestamp)
        yield from self._transact_over_free_name(
            namespace,
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
                {
                    "Put": {
                        "TableName": self.requests.table_name,
                        "Item": serialize_item(dict(metadata)),
                        **self._free_name(),
                    }
                },
                self.requests.put_new(serialize_item(dict(link))),
            ],
            [
                ItemNotFoundError(f"user {user_id!r} not found (or being deleted)"),
                None,
                AlreadyExistsError(
                    f"user {user_id!r} already links namespace {namespace!r}", "namespace_link"
                ),
            ],
        )
        return metadata

    def _clear_for_creation(self, namespace: str, ns_partition: str) -> Operation[None]:
        """Refuse a name that is taken (or quarantined); sweep what an earlier namespace of it left."""
        # The partition's last item: METADATA (sorted after every KEY#), else a key left behind, else none.
        last = yield from self._page(
            "create namespace", ns_partition, 1, last_first=True, attributes=_METADATA_ATTRIBUTES
        )
        if last:
            item = deserialize_item(cast(Item, last[0]))
            if item[kd.SORT_KEY] == kd.METADATA and (taken := self._taken(namespace, item)):
                raise taken
            yield from self._sweep(namespace, ns_partition)

    def _taken(self, namespace: str, metadata: dict[str, Any] | None) -> AlreadyExistsError | None:
        """Why `namespace` cannot be created over its stored METADATA; None if the name is free."""
        if metadata is None:
            return None
        if metadata.get(kd.ENTITY_TYPE_ATTRIBUTE) != kd.NAMESPACE_TOMBSTONE_ENTITY:
            return AlreadyExistsError(f"namespace {namespace!r} is taken", "namespace")
        if not self.requests.live(metadata):
            return None  # the quarantine is over
        free_at = iso_timestamp(datetime.fromtimestamp(metadata[kd.TTL_ATTRIBUTE], UTC))
        return NamespaceQuarantinedError(
            f"namespace {namespace!r} was deleted and its name is quarantined until {free_at} (writes to the "
            "old namespace may still land); choose another name, or create it after that",
            free_at,
        )

    def _free_name(self) -> dict[str, Any]:
        """The condition that a namespace's METADATA leaves the name free: absent, or a tombstone past its
        quarantine by this store's clock; a refusal returns the item, which says why."""
        return {
            "ConditionExpression": "attribute_not_exists(#pk) OR (#type = :tombstone AND #ttl <= :now)",
            "ExpressionAttributeNames": {
                "#pk": kd.PARTITION_KEY,
                "#type": kd.ENTITY_TYPE_ATTRIBUTE,
                "#ttl": kd.TTL_ATTRIBUTE,
            },
            "ExpressionAttributeValues": {
                ":tombstone": {"S": kd.NAMESPACE_TOMBSTONE_ENTITY},
                ":now": {"N": str(self.requests.now()[1])},
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def _transact_over_free_name(
        self, namespace: str, items: list[dict[str, Any]], on_cancel: Sequence[KvTableError | None]
    ) -> Operation[None]:
        """Run a create's transaction whose item at the position of None in `on_cancel` holds the
        `_free_name` condition; its refusal raises what `_taken` says of the item it returned."""
        position = list(on_cancel).index(None)
        refused = Refused()
        try:
            yield from self.requests.transact(
                "create namespace", items, [refused if error is None else error for error in on_cancel]
            )
        except Refused:
            taken = self._taken(namespace, cancelled_item(refused, position))
            raise taken or AlreadyExistsError(f"namespace {namespace!r} is taken", "namespace") from None

    def _sweep(self, namespace: str, ns_partition: str) -> Operation[None]:
        """Delete every item under the namespace's partition but its METADATA, a transaction a page that
        checks the name is still free: a create that lost a race for the name cannot delete the winner's keys."""
        while leftovers := [
            key
            for key in (yield from self._page("create namespace", ns_partition, SWEEP_PAGE))
            if key[kd.SORT_KEY]["S"] != kd.METADATA
        ]:
            check = {
                "ConditionCheck": {
                    "TableName": self.requests.table_name,
                    "Key": self.requests.key_map(ns_partition, kd.METADATA),
                    **self._free_name(),
                }
            }
            deletes = [{"Delete": {"TableName": self.requests.table_name, "Key": key}} for key in leftovers]
            yield from self._transact_over_free_name(namespace, [check, *deletes], [None])

    # ----- deletion ------------------------------------------------------

    def delete_namespace(
        self, user_id: str, namespace: str, *, on_progress: Callable[[int], None] | None = None
    ) -> Operation[int]:
        """Delete a namespace, every key in it and its owner's link; returns the keys deleted by this run.

        Marks the namespace `deleting` (so the service's pattern-4 read refuses it), deletes its keys a page
        of 100 at a time (BatchWriteItem, 25 a request), then in one transaction removes the link and turns
        the metadata into a tombstone that holds the name for the quarantine. Interrupted, running it again
        finishes the job; run again once done, it returns 0. NotOwnerError, changing nothing, if `user_id`
        does not own the namespace."""
        user_partition = kd.user_partition_key(user_id)
        ns_partition = kd.namespace_partition_key(namespace)
        marked = yield from self.requests.mark_deleting(
            ns_partition, user_partition, f"namespace {namespace!r}", user_id
        )
        if not marked:
            return 0
        deleted = yield from self._delete_keys(ns_partition, on_progress)
        yield from self._leave_tombstone(user_id, namespace)
        return deleted

    def _delete_keys(self, ns_partition: str, on_progress: Callable[[int], None] | None) -> Operation[int]:
        """Delete every key of the namespace, a page at a time (its batches up to `in_flight` at once); the
        number deleted."""
        deleted = 0

        def batch_done(_: int, chunk_size: int) -> None:
            nonlocal deleted
            deleted += chunk_size
            if on_progress is not None:
                on_progress(deleted)

        while keys := (
            yield from self._page("delete namespace", ns_partition, DELETE_PAGE, sort_prefix=kd.KEY_PREFIX)
        ):
            chunks = [
                keys[start : start + BATCH_WRITE_LIMIT] for start in range(0, len(keys), BATCH_WRITE_LIMIT)
            ]
            finished = yield Concurrently(
                (self._delete_batch(chunk) for chunk in chunks), min(self.in_flight, len(chunks)), batch_done
            )
            raise_failure(cast(Finished, finished))
        return deleted

    def _delete_batch(self, keys: list[dict[str, Any]]) -> Operation[int]:
        """One BatchWriteItem deleting `keys`; how many."""
        yield from self.requests.write_batch(
            "delete namespace", [{"DeleteRequest": {"Key": key}} for key in keys]
        )
        return len(keys)

    def _leave_tombstone(self, user_id: str, namespace: str) -> Operation[None]:
        """In one transaction, remove the owner's link and turn the metadata into the name's tombstone."""
        user_partition = kd.user_partition_key(user_id)
        ns_partition = kd.namespace_partition_key(namespace)
        timestamp, now = self.requests.now()
        tombstone = {
            "TableName": self.requests.table_name,
            "Key": self.requests.key_map(ns_partition, kd.METADATA),
            # Without its GSI1 keys the tombstone leaves the index (and the owner's listing).
            "UpdateExpression": "SET #type = :tombstone, #former = :former, #ttl = :free, "
            "#updated = :now REMOVE #owner, #gsk, #deleting",
            "ConditionExpression": "#owner = :owner AND attribute_exists(#deleting)",
            "ExpressionAttributeNames": {
                "#type": kd.ENTITY_TYPE_ATTRIBUTE,
                "#former": FORMER_OWNER,
                "#ttl": kd.TTL_ATTRIBUTE,
                "#updated": kd.UPDATED_AT,
                "#owner": kd.GSI1_PARTITION_KEY,
                "#gsk": kd.GSI1_SORT_KEY,
                "#deleting": DELETING,
            },
            "ExpressionAttributeValues": {
                ":tombstone": {"S": kd.NAMESPACE_TOMBSTONE_ENTITY},
                ":former": {"S": user_id},
                ":free": {"N": str(now + self.quarantine)},
                ":now": {"S": timestamp},
                ":owner": {"S": user_partition},
            },
        }
        unlink = {
            "TableName": self.requests.table_name,
            "Key": self.requests.key_map(user_partition, ns_partition),
        }
        yield from self.requests.transact(
            "delete namespace",
            [{"Update": tombstone}, {"Delete": unlink}],
            [
                NotOwnerError(
                    f"namespace {namespace!r} changed owner while being deleted; nothing more was deleted"
                )
            ],
        )

    def _page(
        self,
        action: str,
        ns_partition: str,
        limit: int,
        *,
        sort_prefix: str | None = None,
        last_first: bool = False,
        attributes: Sequence[str] = (kd.PARTITION_KEY, kd.SORT_KEY),
    ) -> Operation[list[dict[str, Any]]]:
        """The `attributes` (by default the table key) of up to `limit` items of a namespace's partition, all
        or those whose sort key begins with `sort_prefix`, expired ones too, in sort-key order or from the
        last; a strong read, so that what was just deleted is not seen again."""
        names = {"#pk": kd.PARTITION_KEY} | {f"#a{i}": name for i, name in enumerate(attributes)}
        values: dict[str, Any] = {":pk": {"S": ns_partition}}
        condition = "#pk = :pk"
        if sort_prefix is not None:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = kd.SORT_KEY
            values[":prefix"] = {"S": sort_prefix}
        response = yield from self.requests.exchange(
            action,
            "Query",
            {
                "TableName": self.requests.table_name,
                "KeyConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
                "ProjectionExpression": ", ".join(f"#a{i}" for i in range(len(attributes))),
                "ConsistentRead": True,
                "ScanIndexForward": not last_first,
                "Limit": limit,
            },
        )
        return cast(list[dict[str, Any]], response.get("Items", []))
