"""Reading botocore's errors: the error code and message AWS sent, and what to check when nothing
answered at all."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # botocore is imported by whoever holds a ClientError, not by this light module
    import boto3
    from botocore.exceptions import ClientError


def error_code(error: ClientError) -> str:
    """AWS's error code, e.g. `ConditionalCheckFailedException`."""
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    """AWS's error message."""
    return str(error.response.get("Error", {}).get("Message", ""))


def local_engine_hint(loopback: bool) -> str:
    """What to check when nothing answers at an endpoint URL: the URL, and (on this machine) the engine."""
    if loopback:
        return (
            "check --endpoint-url / AWS_ENDPOINT_URL, and that the local engine is running there "
            "('kvtable local' for DynamoDB Local, 'make local-cloudformation' for CloudFormation)"
        )
    return "check --endpoint-url / AWS_ENDPOINT_URL, and that the engine there is running"


def explain_connection_failures(session: boto3.Session, loopback: Callable[[str], bool]) -> None:
    """Make a failure to connect to an endpoint URL given instead of AWS's, after botocore's retries,
    say what to check (`loopback` tells an engine on this machine from one elsewhere).

    The error raised stays an EndpointConnectionError (a subclass), so code that handles one, such
    as the contract's retries, treats it as before; only its text changes."""
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)

    class NothingAnswersError(EndpointConnectionError):
        fmt = "nothing answers at {endpoint_url} ({reason}); {hint}"

    def explain(exception: Exception, **_: Any) -> None:
        if not isinstance(exception, EndpointConnectionError | ConnectTimeoutError):
            return
        if isinstance(exception, NothingAnswersError):
            return
        parts = urllib.parse.urlsplit(str(exception.kwargs.get("endpoint_url", "")))
        url = f"{parts.scheme}://{parts.netloc}"
        cause = f"{exception} {exception.kwargs.get('error', '')}".lower()
        reason = "connection refused" if "refused" in cause else "no connection"
        hint = local_engine_hint(loopback(url))
        raise NothingAnswersError(endpoint_url=url, reason=reason, hint=hint, error=exception) from exception

    session.events.register("after-call-error", explain)
