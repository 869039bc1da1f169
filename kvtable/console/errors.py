"""Errors the operator tools (deploy, verify, restore, adopt, cost, the CLI's settings) print as one line,
each with its exit code. Plain classes, below every tool that raises them; importing them loads no
botocore (`kvtable --help` and `kvtable template` use them)."""

from __future__ import annotations


class ToolError(Exception):
    """Something stopped the command; nothing more was changed. Exit code 1."""

    exit_code = 1


class UsageError(ToolError):
    """Bad input (a parameter, a tag, a file, a setting); refused before any call. Exit code 2."""

    exit_code = 2


class RefusedError(ToolError):
    """Refused for safety: the deploy would replace or remove the table, or fail halfway on AWS. Exit code 3."""

    exit_code = 3
