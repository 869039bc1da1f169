"""What the wrappers (imported without OpenTelemetry) and the recording (imported with it) share, here so
that neither imports the other for it."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

# Arguments that name a tenant's data: on a span only when the caller opts in.
TENANT_ARGUMENTS = {
    "user_id": "kvtable.user_id",
    "namespace": "kvtable.namespace",
    "key": "kvtable.key",
    "prefix": "kvtable.key_prefix",
}

# Where the direct transport puts the status and headers of the answer it read, while a CLIENT span
# waits for them (None: nobody is waiting, and the answer is not kept).
ANSWER: ContextVar[list[tuple[int, Any]] | None] = ContextVar("kvtable_answer", default=None)
