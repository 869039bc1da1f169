"""Where a stack and its table live: what the operator policy is scoped to."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StackLocation:
    """The stack's partition, region and account, its name, and its table's name."""

    partition: str
    region: str
    account: str
    stack_name: str
    table_name: str
