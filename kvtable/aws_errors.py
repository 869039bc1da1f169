"""Reading botocore's ClientError: the error code and message AWS sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # botocore is imported by whoever holds a ClientError, not by this light module
    from botocore.exceptions import ClientError


def error_code(error: ClientError) -> str:
    """AWS's error code, e.g. `ConditionalCheckFailedException`."""
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    """AWS's error message."""
    return str(error.response.get("Error", {}).get("Message", ""))
