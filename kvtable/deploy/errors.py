"""Errors the deploy tools print as one line, each with its exit code, and CloudFormation's error
answers turned into them in one place (`cloudformation_errors`), as the contract does DynamoDB's."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from kvtable.aws_errors import error_code, error_message


class DeployError(Exception):
    """Something stopped the deploy; nothing more was changed. Exit code 1."""

    exit_code = 1


class UsageError(DeployError):
    """Bad input (a parameter, a tag, a file); refused before any call. Exit code 2."""

    exit_code = 2


class RefusedError(DeployError):
    """The deploy would replace or remove the table, or fail halfway on AWS. Exit code 3."""

    exit_code = 3


class StackNotFoundError(UsageError):
    """CloudFormation has no stack by the name given (AWS answers ValidationError "... does not exist")."""


class NotImportedError(DeployError):
    """ListImports: no stack imports the export. AWS answers it as a ValidationError; it is an answer
    ("none"), which `importing_stacks` turns into an empty list."""


class ImportersUnknownError(RefusedError):
    """ListImports failed, so nothing can say whether another stack imports the export; AWS fails an
    update that changes an export in use halfway, so whatever would change it is refused. Exit code 3."""

    def __init__(self, export: str, reason: str) -> None:
        self.export, self.reason = export, reason
        super().__init__(
            f"could not list the stacks importing {export} (ListImports: {reason}): grant "
            "cloudformation:ListImports, or make sure no stack imports it, then run again"
        )


# What a ValidationError's message says, for the answers that are not failures here.
_ANSWERS: tuple[tuple[str, type[DeployError]], ...] = (
    ("does not exist", StackNotFoundError),
    ("is not imported", NotImportedError),
)
# The reason a failure without an AWS answer gives, where AWS's error code would be.
NO_AWS_ANSWER = "no AWS answer"


@contextlib.contextmanager
def cloudformation_errors(api: str, failed: Callable[[str], DeployError] | None = None) -> Iterator[None]:
    """Turn CloudFormation's error answers into the project's, keeping the cause.

    A stack that does not exist raises StackNotFoundError, an export nobody imports NotImportedError.
    Any other failure raises `failed(reason)` (AWS's error code, or "no AWS answer" for an endpoint
    that did not answer like AWS) when given; without it, it propagates as botocore raised it, for the
    command's one line (cli/common.py: credentials, access denied, the API and AWS's code, exit 1)."""
    try:
        yield
    except ClientError as error:
        mapped = _answer(api, error) or (failed(error_code(error)) if failed else None)
        if mapped is None:
            raise
        raise mapped from error
    except ResponseParserError as error:
        if failed is None:
            raise
        raise failed(NO_AWS_ANSWER) from error


def _answer(api: str, error: ClientError) -> DeployError | None:
    """The project's error for a CloudFormation answer that means something here, else None."""
    message = error_message(error)
    if error_code(error) != "ValidationError":
        return None
    for text, kind in _ANSWERS:
        if text in message:
            return kind(f"{api}: {message}")
    return None
