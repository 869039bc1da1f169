"""What every command shares: AWS settings and one-line errors with the project's exit codes.

Nothing here imports boto3 or botocore at import time: `kvtable --help` and `kvtable template`
must not pay for them. A botocore error can only exist once botocore is loaded, so the error
mapping looks at botocore's classes only then.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kvtable.aws.errors import error_code, error_message
from kvtable.aws.names import endpoint_problem, region_problem
from kvtable.console.errors import ToolError, UsageError
from kvtable.local.process import EngineMissingError, EngineStartError
from kvtable.schema.errors import (
    ClientSettingsError,
    InvalidInputError,
    KvTableError,
    MissingCredentialsError,
)

if TYPE_CHECKING:
    import boto3
    from botocore.exceptions import ClientError

DEFAULT_REGION = "us-east-1"

_EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_CREDENTIAL_CODES = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"}


@dataclass
class CallLog:
    """The AWS call under way and how many calls the endpoint answered like AWS, so that an error
    can name the API that failed and tell a wrong endpoint from an API the endpoint lacks."""

    current: str | None = None
    answered: int = 0

    def reset(self) -> None:
        """Forget earlier calls (a new command starts)."""
        self.current, self.answered = None, 0

    def attach(self, session: boto3.Session) -> None:
        """Follow every call of every client the session makes."""
        session.events.register("before-call", self._before)
        session.events.register("after-call", self._after)

    def _before(self, model: Any, **_: Any) -> None:
        self.current = model.name

    def _after(self, http_response: Any, **_: Any) -> None:
        if getattr(http_response, "status_code", 500) < 500:
            self.answered += 1


CALLS = CallLog()


def aws_session(profile: str | None, region: str | None, endpoint_url: str | None = None) -> boto3.Session:
    """A boto3 session from the usual settings, falling back to the design's region; the region and
    endpoints boto3 would take from the environment or the profile are checked first (exit 2)."""
    import boto3  # noqa: PLC0415 (only the commands that call AWS pay for boto3)
    from botocore.exceptions import ProfileNotFound  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)

    check_environment_settings(
        os.environ, region_given=region is not None, endpoint_given=endpoint_url is not None
    )
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        raise UsageError(
            f"AWS profile {error.kwargs.get('profile')!r} is not configured; check ~/.aws/config"
        ) from error
    if session.region_name is None:
        session = boto3.Session(profile_name=profile, region_name=DEFAULT_REGION)
    problem = region_problem(session.region_name)
    if problem:
        where = "--region" if region else f"profile {session.profile_name}'s config"
        raise UsageError(f"{problem} (from {where}); pass --region")
    CALLS.attach(session)
    return session


def check_environment_settings(
    environ: Mapping[str, str], *, region_given: bool = False, endpoint_given: bool = False
) -> None:
    """Refuse a region or endpoint URL in the environment variables boto3 will read (those a flag or
    the environment file did not replace), naming the variable."""
    problems: list[tuple[str, str | None]] = []
    if not region_given:
        value = environ.get("AWS_DEFAULT_REGION")
        problems.append(("AWS_DEFAULT_REGION", value and region_problem(value)))
    if not endpoint_given:
        problems += [
            (variable, value and endpoint_problem(value))
            for variable, value in sorted(environ.items())
            if variable.startswith("AWS_ENDPOINT_URL")
        ]
    for variable, problem in problems:
        if problem:
            raise UsageError(f"{variable}: {problem}")


def _client_error_line(error: ClientError) -> str:
    code = error_code(error)
    message = error_message(error)
    if code in _EXPIRED_CODES:
        return "your AWS session token has expired; refresh your credentials (e.g. 'aws sso login') and retry"
    if code in _CREDENTIAL_CODES:
        return f"AWS rejected the credentials ({code}); check AWS_PROFILE or your access keys"
    if code in {"AccessDenied", "AccessDeniedException"}:
        return f"access denied to {error.operation_name}: {message}"
    return f"{error.operation_name} failed: {code}: {message}"


# The optional dependencies, by the top-level module a command imports, and the extra that brings them.
EXTRA_OF_MODULE = {"troposphere": "build", "awacs": "build", "cfnlint": "deploy"}


@contextlib.contextmanager
def one_line_errors(program: str, debug: bool = False) -> Iterator[None]:
    """Print a known failure as one line, `program: error: ...`, and exit non-zero, with no traceback.

    Exit codes: 1 a failure on AWS's side, 2 bad input or settings, 3 refused for safety.
    With `debug`, the traceback comes first and the exit code stays the same; an unknown error (a
    bug) always shows its traceback.
    """
    try:
        yield
    except Exception as error:
        known = error_line(error)
        if known is None:
            raise
        message, exit_code = known
        # What stdout holds comes first, so that with `2>&1` the line follows the report it ends.
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        if debug:
            traceback.print_exc(file=sys.stderr)
        print(f"{program}: error: {message}", file=sys.stderr)
        sys.exit(exit_code)


def error_line(error: Exception) -> tuple[str, int] | None:
    """The one line and exit code for a known error; None for an error that is a bug."""
    if isinstance(error, ModuleNotFoundError):
        extra = EXTRA_OF_MODULE.get((error.name or "").split(".")[0])
        if extra is None:
            return None
        return (
            f"this command needs the {extra!r} extra ({error.name} is not installed); "
            f"run: pip install 'kvtable[{extra}]'",
            2,
        )
    if isinstance(error, ToolError):
        return str(error), error.exit_code
    if isinstance(error, MissingCredentialsError):
        return _NO_CREDENTIALS, 2
    if isinstance(error, InvalidInputError | ClientSettingsError):
        return str(error), 2
    if isinstance(error, EngineMissingError):
        return str(error), 2
    if isinstance(error, KvTableError | EngineStartError):
        return str(error), 1
    if "botocore.exceptions" in sys.modules:
        return _botocore_error_line(error)
    return None


_NO_CREDENTIALS = (
    "no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
    "AWS_SECRET_ACCESS_KEY (any values work against a local endpoint)"
)


def _botocore_error_line(error: Exception) -> tuple[str, int] | None:
    """The line for botocore's own errors; botocore is already loaded, or no such error could exist."""
    from botocore.exceptions import (  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        TokenRetrievalError,
        UnauthorizedSSOTokenError,
    )
    from botocore.parsers import ResponseParserError  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)

    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return _NO_CREDENTIALS, 2
    if isinstance(error, TokenRetrievalError | UnauthorizedSSOTokenError):
        return "your AWS SSO token has expired; run 'aws sso login' and retry", 2
    if isinstance(error, NoRegionError):
        return "no AWS region; pass --region or set AWS_DEFAULT_REGION", 2
    if isinstance(error, ClientError):
        return _client_error_line(error), 1
    if isinstance(error, BotoCoreError):
        return str(error), 1
    if isinstance(error, ResponseParserError):
        api = CALLS.current or "the call"
        if CALLS.answered:
            # The endpoint answered earlier calls like AWS: this one API is what it lacks or broke on.
            return (
                f"{api} failed: the endpoint answered with an HTTP error page, not an AWS response "
                f"(after {CALLS.answered} calls it answered like AWS); it may not implement {api}",
                1,
            )
        return (
            f"{api}: the endpoint answered with something that is not an AWS API response; "
            "check --endpoint-url / AWS_ENDPOINT_URL",
            1,
        )
    if isinstance(error, ValueError) and str(error).startswith("Invalid endpoint"):
        # botocore's own check, reached only by a URL the settings did not see (e.g. in ~/.aws/config).
        return f"{error}; give an endpoint URL such as http://127.0.0.1:8000", 2
    return None
