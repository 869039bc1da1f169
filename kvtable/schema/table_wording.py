"""One line for a table that is not where a command looked: which table (and index), where it was looked
for (the endpoint and region), and what to do. Every command says it so, the CLI's and restore's alike;
plain wording, below both."""

from __future__ import annotations

from kvtable.schema import key_design as kd
from kvtable.schema.errors import TableNotFoundError


def table_not_found(error: BaseException) -> TableNotFoundError | None:
    """The TableNotFoundError in `error` or anywhere down its causes, or None."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, TableNotFoundError):
            return cause
        cause = cause.__cause__
    return None


def missing_table_line(missing: TableNotFoundError, source: str, flags: str = "--table-name or --env") -> str:
    """The table (named by `source`: `--table-name`, `the --env file's TableName`, ...) that is not there,
    where it was looked for, and how to make it or name the right one (with `flags`)."""
    name = f"{missing.table} ({source})"
    if missing.index_missing:
        return (
            f"table {name} has no index {missing.index} in {missing.where}; name its index with --gsi-name "
            f"(the template's is {kd.DEFAULT_GSI_NAME})"
        )
    queried = f" (queried on index {missing.index})" if missing.index else ""
    if missing.on_aws:
        fix = "deploy the stack that holds it first (kvtable deploy)"
    else:
        fix = (
            f"create it there first (`kvtable local --table-name {missing.table}` starts a DynamoDB Local that "
            "has it, at the URL it prints)"
        )
    return (
        f"table {name}{queried} does not exist in {missing.where}; {fix}, "
        f"or name an existing table with {flags}"
    )
