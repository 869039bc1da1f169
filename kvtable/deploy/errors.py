"""Errors the deploy tools print as one line, each with its exit code."""


class DeployError(Exception):
    """Something stopped the deploy; nothing more was changed. Exit code 1."""

    exit_code = 1


class UsageError(DeployError):
    """Bad input (a parameter, a tag, a file); refused before any call. Exit code 2."""

    exit_code = 2


class RefusedError(DeployError):
    """The deploy would replace or remove the table, or fail halfway on AWS. Exit code 3."""

    exit_code = 3
