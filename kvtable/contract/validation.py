"""Checking the values a caller gives the contract before any request: each refusal is an
InvalidInputError that names the value and says what it must be."""

from __future__ import annotations

import re

from kvtable.schema import key_design as kd
from kvtable.schema.errors import InvalidInputError


def require_bool(name: str, value: object) -> bool:
    """`value` if it is true or false, else InvalidInputError naming it."""
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be true or false, got {value!r}")
    return value


def require_name(what: str, value: object) -> str:
    """A table or index name DynamoDB would take."""
    if (
        not isinstance(value, str)
        or not kd.NAME_MIN_LENGTH <= len(value) <= kd.NAME_MAX_LENGTH
        or not re.fullmatch(kd.NAME_PATTERN, value)
    ):
        raise InvalidInputError(
            f"{what} must be {kd.NAME_MIN_LENGTH} to {kd.NAME_MAX_LENGTH} characters of a-z, A-Z, 0-9, "
            f"'_', '.' or '-', got {value!r}"
        )
    return value


def require_whole(name: str, value: object) -> int:
    """`value` if it is a whole number (not a bool), else InvalidInputError naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{name} must be a whole number, got {value!r}")
    return value
