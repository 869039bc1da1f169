"""The design's sample data, loaded through the data contract."""

import contextlib

from kvtable.contract.store import KvTable
from kvtable.schema.entities import JsonValue
from kvtable.schema.errors import AlreadyExistsError

SAMPLE_USER_ID = "user123"
SAMPLE_EMAIL = "test@example.com"
SAMPLE_API_KEY = "abc123def456"
SAMPLE_NAMESPACE = "myapp"
SAMPLE_KEY = "user:123"
SAMPLE_VALUE: JsonValue = {"name": "John", "email": "john@example.com"}


def load_sample_data(store: KvTable, extra_keys: int = 24) -> None:
    """User user123 (API key abc123def456), namespace myapp, key user:123, and more `user:` keys.

    Safe to run twice: an existing user or namespace is kept.
    """
    with contextlib.suppress(AlreadyExistsError):
        store.create_user(SAMPLE_USER_ID, SAMPLE_EMAIL, SAMPLE_API_KEY, plan="free")
    with contextlib.suppress(AlreadyExistsError):
        store.create_namespace(SAMPLE_USER_ID, SAMPLE_NAMESPACE)
    store.put_key(SAMPLE_NAMESPACE, SAMPLE_KEY, SAMPLE_VALUE)
    entries: list[tuple[str, JsonValue]] = [
        (f"user:{1000 + i}", {"name": f"User {1000 + i}"}) for i in range(extra_keys)
    ]
    entries += [("order:1", {"total": 42.5}), ("order:2", {"total": 7})]
    store.load_keys(SAMPLE_NAMESPACE, entries)
