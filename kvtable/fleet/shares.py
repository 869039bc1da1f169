"""A worker's share of a job run by N copies of one command: its index I of N, given as `I/N` or read
from the scheduler's variables (light to import: the CLI parses `--worker` with it)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from kvtable.schema.errors import InvalidInputError

# AWS Batch sets both in each child of an array job, the index from 0
# (https://docs.aws.amazon.com/batch/latest/userguide/job_env_vars.html).
BATCH_INDEX, BATCH_SIZE = "AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"
# Kubernetes sets the index (from 0) in each pod of an Indexed Job; the count is spec.completions, which it
# does not put in a variable (https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode).
KUBERNETES_INDEX = "JOB_COMPLETION_INDEX"
INDEX_VARIABLES = (BATCH_INDEX, KUBERNETES_INDEX)
MAX_WORKERS_TOTAL = 10_000  # AWS Batch's largest array job
AUTO = "auto"
# How long a claim on a part lasts unless renewed; `kvtable.fleet.leases` holds the rest.
DEFAULT_LEASE_SECONDS = 60.0
_SHARE = re.compile(r"^(\d{1,6})/(\d{1,6})$")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


@dataclass(frozen=True)
class WorkerShare:
    """Worker `index` (from 0) of `total`: it takes parts `index`, `index + total`, ... first."""

    index: int
    total: int

    def __post_init__(self) -> None:
        if not 1 <= self.total <= MAX_WORKERS_TOTAL:
            raise InvalidInputError(
                f"the workers' total must be 1 to {MAX_WORKERS_TOTAL:,}, got {self.total}"
            )
        if not 0 <= self.index < self.total:
            raise InvalidInputError(
                f"worker {self.index} of {self.total}: the index runs from 0 to {self.total - 1}"
            )

    @property
    def label(self) -> str:
        """`I/N`, as status shows the worker."""
        return f"{self.index}/{self.total}"

    def own(self, part: int) -> bool:
        """Whether `part` is in this worker's own share."""
        return part % self.total == self.index


def parse_share(text: str) -> WorkerShare | None:
    """`I/N` as a share; None for `auto` (read from the variables when the command runs)."""
    if text == AUTO:
        return None
    match = _SHARE.fullmatch(text)
    if match is None:
        raise InvalidInputError(f"{text!r} is not I/N (such as 0/4, the index from 0) or auto")
    return WorkerShare(int(match[1]), int(match[2]))


def share_from_environment(
    environment: Mapping[str, str] | None = None,
    *,
    index_variable: str | None = None,
    total: int | None = None,
) -> WorkerShare:
    """`--worker auto`: the index from `index_variable`, else AWS Batch's or Kubernetes' variable; the
    total from `total`, else AWS_BATCH_JOB_ARRAY_SIZE. InvalidInputError says what is missing."""
    environment = os.environ if environment is None else environment
    names = (index_variable,) if index_variable else INDEX_VARIABLES
    name = next((name for name in names if environment.get(name, "").strip()), None)
    if name is None:
        raise InvalidInputError(
            f"--worker auto: {' or '.join(names)} is not set; give --worker I/N, or "
            "--worker-index-variable NAME for another scheduler's variable"
        )
    index = _whole(name, environment[name])
    if total is None and environment.get(BATCH_SIZE, "").strip():
        total = _whole(BATCH_SIZE, environment[BATCH_SIZE])
    if total is None:
        raise InvalidInputError(
            f"--worker auto: {BATCH_SIZE} is not set; give --workers-total N (a Kubernetes Job's completions)"
        )
    return WorkerShare(index, total)


def _whole(name: str, text: str) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        raise InvalidInputError(f"--worker auto: {name}={text[:20]!r} is not a whole number")
    return int(value)
