"""The deploy's own errors (kvtable/console/errors.py has the exit codes they share), and CloudFormation's error
answers turned into them in one place (`cloudformation_errors`), as the contract does DynamoDB's."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from kvtable.aws.errors import error_code, error_message
from kvtable.console.errors import RefusedError, ToolError, UsageError


class StackNotFoundError(UsageError):
    """CloudFormation has no stack by the name given (AWS answers ValidationError "... does not exist")."""


class StackMissingError(StackNotFoundError):
    """A command that works on a deployed stack was named one that is not there (`existing_stack`).
    Exit code 2: the settings name a stack that does not exist. The line names the stack and region,
    and the deploy that creates it, with the command's own flags (`flags`, cli/hints.py)."""

    def __init__(self, stack_name: str, region: str | None, flags: str | None = None) -> None:
        self.stack_name, self.region = stack_name, region
        where = f" in {region}" if region else ""
        super().__init__(
            f"stack {stack_name} does not exist{where}: check --stack-name, --env and --region, or deploy it "
            f"first with: kvtable deploy {flags or f'--stack-name {stack_name}'}"
        )


class NotImportedError(ToolError):
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


def refused(
    action: str, reasons: Sequence[str], say: Callable[[str], None], label: str = "REFUSED"
) -> RefusedError:
    """The error refusing `action` (e.g. "deploy KVDatabaseStack"), each reason said once: the first in the
    error's own line, each other one before it on a `label` line of the report."""
    for reason in reasons[1:]:
        say(f"{label}: {reason}")
    others = len(reasons) - 1
    more = f" (and {others} more, on the {label} line{'s' if others > 1 else ''} above)" if others else ""
    return RefusedError(f"refused to {action}: {reasons[0]}{more}")


# What a ValidationError's message says, for the answers that are not failures here.
_ANSWERS: tuple[tuple[str, type[ToolError]], ...] = (
    ("does not exist", StackNotFoundError),
    ("is not imported", NotImportedError),
)
# The reason a failure without an AWS answer gives, where AWS's error code would be.
NO_AWS_ANSWER = "no AWS answer"

if TYPE_CHECKING:
    from botocore.exceptions import ClientError


@contextlib.contextmanager
def cloudformation_errors(api: str, failed: Callable[[str], ToolError] | None = None) -> Iterator[None]:
    """Turn CloudFormation's error answers into the project's, keeping the cause.

    A stack that does not exist raises StackNotFoundError, an export nobody imports NotImportedError.
    Any other failure raises `failed(reason)` (AWS's error code, or "no AWS answer" for an endpoint
    that did not answer like AWS) when given; without it, it propagates as botocore raised it, for the
    command's one line (cli/common.py: credentials, access denied, the API and AWS's code, exit 1)."""
    # Here, not at the top: the error classes above serve `kvtable --help`, which must not load botocore.
    from botocore.exceptions import ClientError  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)
    from botocore.parsers import ResponseParserError  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)

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


def _answer(api: str, error: ClientError) -> ToolError | None:
    """The project's error for a CloudFormation answer that means something here, else None."""
    message = error_message(error)
    if error_code(error) != "ValidationError":
        return None
    for text, kind in _ANSWERS:
        if text in message:
            return kind(f"{api}: {message}")
    return None
