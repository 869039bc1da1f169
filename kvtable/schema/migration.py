"""What a migration is: the items it touches, the change it makes to each, and how a write tells it is
still needed; plus what an item it has not reached yet reads as."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kvtable.schema.errors import InvalidInputError
from kvtable.schema.key_design import WRITE_ID

# The attributes to set on an item, or None when the item needs nothing.
Change = Callable[[Mapping[str, Any]], dict[str, Any] | None]

# What an id may hold after `NNNN-`: no `#`, since it goes into a checkpoint's key.
_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _valid_id(text: str) -> bool:
    """`0001-key-version`: four digits (the registry's order), a dash, a lowercase name."""
    number, dash, name = text[:4], text[4:5], text[5:]
    return (
        number.isdigit()
        and number.isascii()
        and dash == "-"
        and name[:1].isalnum()
        and set(name) <= _ID_CHARACTERS
    )


class Migration:
    """One backfill. `change` is pure: it sees the item as scanned (the key, `guard` and `reads` only) and
    returns the attributes to set, or None. `still_needs` is a condition in which `{name}` stands for an
    attribute (e.g. `attribute_not_exists({version})`), checked again in the write itself."""

    # A plain class, not a dataclass: the contract imports the registry, and a dataclass costs an import.
    __slots__ = (
        "change",
        "description",
        "entity_type",
        "example",
        "guard",
        "id",
        "key_prefix",
        "read_defaults",
        "reads",
        "still_needs",
    )

    def __init__(
        self,
        id: str,
        description: str,
        *,
        change: Change,
        reads: tuple[str, ...],
        still_needs: str,
        entity_type: str | None = None,
        key_prefix: str | None = None,
        guard: str = WRITE_ID,
        read_defaults: Mapping[str, object] | None = None,
        example: bool = False,
    ) -> None:
        """`entity_type` or `key_prefix` (of PK) says which items it touches. `guard`: the attribute every
        write of those items changes, so `guard = <as read>` means "unchanged since read". `read_defaults`:
        what an item it has not reached reads as (the contract fills them in). `example`: registered and
        documented, but run only when named."""
        if not _valid_id(id):
            raise InvalidInputError(f"migration id {id!r} must look like 0001-some-name")
        if (entity_type is None) == (key_prefix is None):
            raise InvalidInputError(f"migration {id}: give entity_type or key_prefix, not both or neither")
        self.id = id
        self.description = description
        self.change = change
        self.reads = reads
        self.still_needs = still_needs
        self.entity_type = entity_type
        self.key_prefix = key_prefix
        self.guard = guard
        self.read_defaults: Mapping[str, object] = read_defaults or {}
        self.example = example

    def __repr__(self) -> str:
        return f"Migration({self.id!r})"

    def condition_names(self) -> list[str]:
        """The attribute names `still_needs` refers to, in order of first use."""
        import string  # noqa: PLC0415 (a run's need, not every importer of the contract's)

        fields = (field for _, field, _, _ in string.Formatter().parse(self.still_needs) if field)
        return list(dict.fromkeys(fields))

    def still_needs_expression(self, placeholder: Callable[[str], str]) -> str:
        """`still_needs` with each `{name}` replaced by its expression placeholder."""
        return self.still_needs.format_map({name: placeholder(name) for name in self.condition_names()})
