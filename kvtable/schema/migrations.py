"""Every migration, in the order they run: a new one goes at the end, with the next number.

They live here together, each with its change, so that the contract, which reads the applied ones'
`read_defaults`, imports one module for all of them (an import is paid by every process)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kvtable.schema import key_design as kd
from kvtable.schema.errors import InvalidInputError
from kvtable.schema.key_design import VERSION
from kvtable.schema.migration import Migration

# ----- 0001: every key has a version -----------------------------------------------------------------

# What a key written before versions existed is: its first version, as a new key's.
UNVERSIONED_KEY_VERSION = 1


def give_version(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """Version 1 for a key that has none; nothing for one that has."""
    return None if VERSION in item else {VERSION: UNVERSIONED_KEY_VERSION}


KEY_VERSION = Migration(
    "0001-key-version",
    "give every key item lacking `version` a version of 1",
    entity_type=kd.KEY_ENTITY,
    reads=(VERSION,),
    change=give_version,
    still_needs=f"attribute_not_exists({{{VERSION}}})",
    # Until the backfill reaches a key, the contract reads it as version 1: compare-and-swap works on it.
    read_defaults={VERSION: UNVERSIONED_KEY_VERSION},
)

# ----- 0002 (an example, docs/migrations.md): the keys of a "keys by last change" index ----------------

# GSI2 lists a namespace's keys by last change: GSI2PK = the namespace's partition, GSI2SK = updatedAt.
# The contract does not write these yet, so the migration is registered as an example: run only when named.
GSI2_NAME = "GSI2"
GSI2_PARTITION_KEY = "GSI2PK"
GSI2_SORT_KEY = "GSI2SK"


def index_by_change(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """GSI2's keys from the key's partition and updatedAt; nothing for a key that has them."""
    if GSI2_PARTITION_KEY in item or kd.UPDATED_AT not in item:
        return None
    return {GSI2_PARTITION_KEY: item[kd.PARTITION_KEY], GSI2_SORT_KEY: item[kd.UPDATED_AT]}


KEYS_BY_CHANGE = Migration(
    "0002-keys-by-change",
    "give every key GSI2PK (its namespace) and GSI2SK (its updatedAt), for a 'keys by last change' index",
    entity_type=kd.KEY_ENTITY,
    reads=(kd.UPDATED_AT, GSI2_PARTITION_KEY),
    change=index_by_change,
    still_needs=f"attribute_not_exists({{{GSI2_PARTITION_KEY}}})",
    example=True,
)

# ----- the registry ------------------------------------------------------------------------------------

MIGRATIONS: tuple[Migration, ...] = (KEY_VERSION, KEYS_BY_CHANGE)


def applied() -> tuple[Migration, ...]:
    """The migrations `kvtable migrate run` applies by default: all but the examples."""
    return tuple(migration for migration in MIGRATIONS if not migration.example)


def find(migration_id: str) -> Migration:
    """The migration with this id; InvalidInputError naming the known ones otherwise."""
    for migration in MIGRATIONS:
        if migration.id == migration_id:
            return migration
    known = ", ".join(migration.id for migration in MIGRATIONS)
    raise InvalidInputError(f"no migration {migration_id!r}; the registry holds {known}")


def read_defaults(entity_type: str) -> tuple[tuple[str, object], ...]:
    """What an item of `entity_type` that an applied migration has not reached yet reads as: the
    attributes the contract fills in on read, one source of truth with the backfill itself."""
    return tuple(
        (name, value)
        for migration in applied()
        if migration.entity_type == entity_type
        for name, value in migration.read_defaults.items()
    )
