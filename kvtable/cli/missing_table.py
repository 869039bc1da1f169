"""A command's error for a table that is not where it looked (the line itself is kvtable/schema/table_wording.py),
and where the command's table name came from."""

from __future__ import annotations

from kvtable.schema.errors import InvalidInputError, TableNotFoundError
from kvtable.schema.table_wording import missing_table_line


def missing_table_error(missing: TableNotFoundError, source: str) -> InvalidInputError:
    """The error a command raises for it (`raise ... from` the error met): exit 2, a settings problem."""
    return InvalidInputError(missing_table_line(missing, source))


def table_source(table_flag: str | None, from_file: str | None) -> str:
    """Where a command's table name came from: the flag, the --env file's TableName, or the default."""
    if table_flag:
        return "--table-name"
    return "the --env file's TableName" if from_file else "the default"
