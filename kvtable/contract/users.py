"""Users and their API keys: reads, creation, key rotation, usage counters."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

from kvtable.contract.instructions import Operation
from kvtable.contract.namespaces import NamespaceOperations
from kvtable.contract.requests import Item, TableRequests
from kvtable.contract.validation import require_bool, require_whole
from kvtable.schema import key_design as kd
from kvtable.schema.entities import (
    BILLING_PLANS,
    ApiKeyGuardItem,
    BillingPlan,
    NamespaceLinkItem,
    UserItem,
)
from kvtable.schema.errors import (
    AlreadyExistsError,
    ConditionFailedError,
    InvalidInputError,
    ItemNotFoundError,
    KvTableError,
)
from kvtable.schema.key_design import DELETING
from kvtable.schema.values import (
    AttributeValue,
    check_item_size,
    deserialize_item,
    serialize_item,
)


def api_key_guard_item(api_key: str, user_id: str, timestamp: str) -> ApiKeyGuardItem:
    """The item that claims an API key for one user, so no two users can hold the same key."""
    return {
        kd.PARTITION_KEY: kd.api_key_partition_key(api_key),
        kd.SORT_KEY: kd.METADATA,
        kd.ENTITY_TYPE_ATTRIBUTE: kd.API_KEY_ENTITY,
        "userId": user_id,
        kd.CREATED_AT: timestamp,
    }


def _require_text(name: str, value: object) -> str:
    """`value` if it is non-empty text DynamoDB can store (no lone surrogate), else InvalidInputError naming it."""
    if not isinstance(value, str) or value == "":
        raise InvalidInputError(f"{name} must be a non-empty string, got {value!r}")
    kd.utf8_text(name, value)
    return value


def _require_plan(plan: object) -> BillingPlan:
    if plan not in BILLING_PLANS:
        raise InvalidInputError(f"plan must be one of {', '.join(BILLING_PLANS)}, got {plan!r}")
    return plan


def _still_owns(user_id: str, link: NamespaceLinkItem) -> ConditionFailedError:
    return ConditionFailedError(
        f"user {user_id!r} still owns namespaces (for example {kd.parse_namespace(link[kd.SORT_KEY])!r}); "
        "delete them first, or pass delete_namespaces=True"
    )


class UserOperations:
    """Access patterns 1 and 2, and the writes of users, API keys and counters; deleting a user (and, through
    `namespaces`, the namespaces it owns)."""

    def __init__(self, requests: TableRequests, namespaces: NamespaceOperations) -> None:
        self.requests = requests
        self.namespaces = namespaces

    # ----- 1. get user by id ---------------------------------------------

    def get_user(self, user_id: str, consistent: bool = False) -> Operation[UserItem]:
        """Pattern 1: `PK=USER#<id>, SK=METADATA` (GetItem)."""
        item = yield from self.requests.get(
            kd.user_partition_key(user_id), kd.METADATA, consistent, f"user {user_id!r}"
        )
        return cast(UserItem, item)

    # ----- 2. get user by API key ----------------------------------------

    def get_user_by_api_key(self, api_key: str) -> Operation[UserItem]:
        """Pattern 2: `GSI1PK=APIKEY#<key>, GSI1SK=METADATA` (Query on the GSI, eventually consistent)."""
        partition = kd.api_key_partition_key(api_key)
        response = yield from self.requests.exchange(
            "get user by API key",
            "Query",
            {
                "TableName": self.requests.table_name,
                "IndexName": self.requests.gsi_name,
                "KeyConditionExpression": "#pk = :pk AND #sk = :sk",
                "ExpressionAttributeNames": {"#pk": kd.GSI1_PARTITION_KEY, "#sk": kd.GSI1_SORT_KEY},
                "ExpressionAttributeValues": {":pk": {"S": partition}, ":sk": {"S": kd.METADATA}},
            },
        )
        items = response.get("Items", [])
        if not items:
            raise ItemNotFoundError("no user has that API key")
        return cast(UserItem, deserialize_item(cast(Item, items[0])))

    # ----- users, API keys, namespaces, counters -------------------------

    def create_user(
        self,
        user_id: str,
        email: str,
        api_key: str,
        plan: BillingPlan = "free",
        password_hash: str | None = None,
    ) -> Operation[UserItem]:
        """Create a user and claim its API key in one transaction; AlreadyExistsError if either is taken."""
        self.requests.require_home_region("user creations")
        partition = kd.user_partition_key(user_id)
        api_partition = kd.api_key_partition_key(api_key)
        _require_text("email", email)
        _require_plan(plan)
        timestamp, _ = self.requests.now()
        user: UserItem = {
            kd.PARTITION_KEY: partition,
            kd.SORT_KEY: kd.METADATA,
            kd.GSI1_PARTITION_KEY: api_partition,
            kd.GSI1_SORT_KEY: kd.METADATA,
            kd.ENTITY_TYPE_ATTRIBUTE: kd.USER_ENTITY,
            "userId": user_id,
            "email": email,
            "apiKey": api_key,
            "plan": plan,
            "requestCount": 0,
            "storageBytes": 0,
            kd.CREATED_AT: timestamp,
            kd.UPDATED_AT: timestamp,
        }
        if password_hash is not None:
            user["passwordHash"] = _require_text("password hash", password_hash)
        guard = api_key_guard_item(api_key, user_id, timestamp)
        user_item = serialize_item(dict(user))
        check_item_size(user_item)
        yield from self.requests.transact(
            "create user",
            [
                self.requests.put_new(user_item),
                self.requests.put_new(serialize_item(dict(guard))),
            ],
            [
                AlreadyExistsError(f"user {user_id!r} already exists", "user"),
                AlreadyExistsError("that API key belongs to another user; choose another", "api_key"),
            ],
        )
        return user

    def rotate_api_key(self, user_id: str, new_api_key: str) -> Operation[UserItem]:
        """Give the user a new API key, releasing the old one, in one transaction."""
        self.requests.require_home_region("API key rotations")
        new_partition = kd.api_key_partition_key(new_api_key)
        user = yield from self.get_user(user_id, consistent=True)
        old_key = user.get("apiKey")
        if old_key == new_api_key:
            return user
        timestamp, _ = self.requests.now()
        user_key = self.requests.key_map(user[kd.PARTITION_KEY], kd.METADATA)
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.requests.table_name,
                    "Key": user_key,
                    "UpdateExpression": f"SET apiKey = :new, #gpk = :gpk, #gsk = :meta, {kd.UPDATED_AT} = :now",
                    # Fails if another rotation got there first, so no key is leaked.
                    "ConditionExpression": "attribute_exists(#pk) AND "
                    + ("apiKey = :old" if old_key else "attribute_not_exists(apiKey)"),
                    "ExpressionAttributeNames": {
                        "#pk": kd.PARTITION_KEY,
                        "#gpk": kd.GSI1_PARTITION_KEY,
                        "#gsk": kd.GSI1_SORT_KEY,
                    },
                    "ExpressionAttributeValues": {
                        ":new": {"S": new_api_key},
                        ":gpk": {"S": new_partition},
                        ":meta": {"S": kd.METADATA},
                        ":now": {"S": timestamp},
                        **({":old": {"S": old_key}} if old_key else {}),
                    },
                }
            },
            self.requests.put_new(serialize_item(dict(api_key_guard_item(new_api_key, user_id, timestamp)))),
        ]
        errors: list[KvTableError] = [
            ConditionFailedError(f"user {user_id!r} changed while rotating its API key; try again"),
            AlreadyExistsError("that API key belongs to another user; choose another", "api_key"),
        ]
        if old_key:
            items.append(
                {
                    "Delete": {
                        "TableName": self.requests.table_name,
                        "Key": self.requests.key_map(kd.api_key_partition_key(old_key), kd.METADATA),
                        "ConditionExpression": "userId = :uid",
                        "ExpressionAttributeValues": {":uid": {"S": user_id}},
                    }
                }
            )
            errors.append(ConditionFailedError(f"the old API key of {user_id!r} is not held by it"))
        yield from self.requests.transact("rotate API key", items, errors)
        user.update(
            {
                "apiKey": new_api_key,
                kd.GSI1_PARTITION_KEY: new_partition,
                kd.GSI1_SORT_KEY: kd.METADATA,
                kd.UPDATED_AT: timestamp,
            }
        )
        return user

    def add_usage(self, user_id: str, requests: int = 0, storage_bytes: int = 0) -> Operation[UserItem]:
        """Add to the user's requestCount and storageBytes atomically, once however often it is retried
        (a transaction with a ClientRequestToken); returns the new totals (a consistent read after).

        requestCount only grows (a negative `requests` is refused); storageBytes may shrink but never
        below zero: a change that would take it there fails with ConditionFailedError and changes
        nothing (a condition in the same request, not a read first)."""
        require_whole("requests", requests)
        require_whole("storage bytes", storage_bytes)
        if requests < 0:
            raise InvalidInputError(
                f"requests must not be negative (requestCount only grows), got {requests}"
            )
        timestamp, _ = self.requests.now()
        condition = "attribute_exists(#pk)"
        values: dict[str, AttributeValue] = {
            ":r": {"N": str(requests)},
            ":b": {"N": str(storage_bytes)},
            ":now": {"S": timestamp},
        }
        if storage_bytes < 0:
            condition += " AND storageBytes >= :shrink"
            values[":shrink"] = {"N": str(-storage_bytes)}
        missing = ItemNotFoundError(f"user {user_id!r} not found")
        too_small = ConditionFailedError(
            f"storageBytes of user {user_id!r} would go below zero; nothing was changed"
        )
        failure = too_small if storage_bytes < 0 else missing
        update = {
            "Update": {
                "TableName": self.requests.table_name,
                "Key": self.requests.key_map(kd.user_partition_key(user_id), kd.METADATA),
                # ADD is applied by DynamoDB itself, so concurrent writers lose no increment; in a
                # transaction with a token, a retry after a lost answer does not add twice.
                "UpdateExpression": f"ADD requestCount :r, storageBytes :b SET {kd.UPDATED_AT} = :now",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY},
                "ExpressionAttributeValues": values,
            }
        }
        yield from self.requests.transact("add usage", [update], [failure])
        return (yield from self.get_user(user_id, consistent=True))

    # ----- changing and deleting users -----------------------------------

    def update_user(
        self, user_id: str, *, plan: BillingPlan | None = None, email: str | None = None
    ) -> Operation[UserItem]:
        """Change a user's plan and/or email (one UpdateItem); returns the user as stored now."""
        partition = kd.user_partition_key(user_id)
        changes: dict[str, str] = {}
        if plan is not None:
            changes["plan"] = _require_plan(plan)
        if email is not None:
            changes["email"] = _require_text("email", email)
        if not changes:
            raise InvalidInputError("give a plan, an email or both to change")
        timestamp, _ = self.requests.now()
        changes[kd.UPDATED_AT] = timestamp
        names = {f"#c{i}": name for i, name in enumerate(changes)}
        values = {f":c{i}": {"S": value} for i, value in enumerate(changes.values())}
        names.update({"#pk": kd.PARTITION_KEY, "#deleting": DELETING})
        response = yield from self.requests.exchange(
            "update user",
            "UpdateItem",
            {
                "TableName": self.requests.table_name,
                "Key": self.requests.key_map(partition, kd.METADATA),
                "UpdateExpression": "SET " + ", ".join(f"#c{i} = :c{i}" for i in range(len(changes))),
                "ConditionExpression": "attribute_exists(#pk) AND attribute_not_exists(#deleting)",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
                "ReturnValues": "ALL_NEW",
            },
            on_condition_failed=ItemNotFoundError(f"user {user_id!r} not found (or being deleted)"),
        )
        return cast(UserItem, deserialize_item(cast(Item, response["Attributes"])))

    def delete_user(
        self,
        user_id: str,
        *,
        delete_namespaces: bool = False,
        on_progress: Callable[[str, int], None] | None = None,
    ) -> Operation[list[str]]:
        """Delete a user, its API-key guard and (with `delete_namespaces`) every namespace it owns with
        their keys; returns the namespaces deleted by this run. Refuses with ConditionFailedError,
        changing nothing, while the user owns namespaces and `delete_namespaces` is false.

        Marks the user `deleting` first (no namespace can be created for it after that) and removes the
        user last, so running it again after an interruption finishes the job."""
        require_bool("delete namespaces", delete_namespaces)
        partition = kd.user_partition_key(user_id)
        if not delete_namespaces:
            yield from self._refuse_while_owning(user_id)
        yield from self.requests.mark_deleting(partition, None, f"user {user_id!r}", user_id)
        deleted: list[str] = []
        while links := (yield from self.namespaces.list_user_namespaces(user_id, consistent=True)).items:
            if not delete_namespaces:
                # A namespace created between the check and the mark: leave the user as it was.
                yield from self._unmark_deleting(partition)
                raise _still_owns(user_id, links[0])
            for link in links:
                namespace = kd.parse_namespace(link[kd.SORT_KEY])
                yield from self.namespaces.delete_namespace(
                    user_id,
                    namespace,
                    on_progress=None if on_progress is None else partial(on_progress, namespace),
                )
                deleted.append(namespace)
        yield from self._remove_user(user_id)
        return deleted

    def _remove_user(self, user_id: str) -> Operation[None]:
        """In one transaction, delete the user (still marked deleting) and its API key's guard."""
        partition = kd.user_partition_key(user_id)
        user = yield from self.requests.get(partition, kd.METADATA, True, f"user {user_id!r}")
        items: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self.requests.table_name,
                    "Key": self.requests.key_map(partition, kd.METADATA),
                    "ConditionExpression": "attribute_exists(#deleting) AND apiKey = :key",
                    "ExpressionAttributeNames": {"#deleting": DELETING},
                    "ExpressionAttributeValues": {":key": {"S": str(user["apiKey"])}},
                }
            },
            {
                "Delete": {
                    "TableName": self.requests.table_name,
                    "Key": self.requests.key_map(kd.api_key_partition_key(str(user["apiKey"])), kd.METADATA),
                    "ConditionExpression": "userId = :uid",
                    "ExpressionAttributeValues": {":uid": {"S": user_id}},
                }
            },
        ]
        yield from self.requests.transact(
            "delete user",
            items,
            [
                ConditionFailedError(f"user {user_id!r} changed while being deleted; run it again"),
                ConditionFailedError(
                    f"the API key of {user_id!r} is not held by it; nothing more was deleted"
                ),
            ],
        )

    def _refuse_while_owning(self, user_id: str) -> Operation[None]:
        owned = (yield from self.namespaces.list_user_namespaces(user_id, page_size=1, consistent=True)).items
        if owned:
            raise _still_owns(user_id, owned[0])

    def _unmark_deleting(self, partition: str) -> Operation[None]:
        yield from self.requests.exchange(
            "delete user",
            "UpdateItem",
            {
                "TableName": self.requests.table_name,
                "Key": self.requests.key_map(partition, kd.METADATA),
                "UpdateExpression": "REMOVE #deleting",
                "ExpressionAttributeNames": {"#deleting": DELETING},
            },
        )
