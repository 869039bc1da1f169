"""A verify report: one named check per promise of the template, rendered as a table or as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

Status = Literal["ok", "drift", "unchecked", "skipped"]

EXIT_OK = 0
EXIT_DRIFT = 4
_HOLDS = {"ok": "yes", "drift": "NO", "unchecked": "NOT CHECKED", "skipped": "skipped"}


def utc_text(when: datetime | None, *, round_up: bool = False, precise: bool = False) -> str:
    """The one way the CLI prints a time: ISO 8601 in UTC with a `Z`, to the second
    (`2026-12-07T08:10:50Z`), whatever the machine's zone (botocore gives AWS's times in it).

    Cut to the second; `round_up` takes the next second instead, so that the start of a window printed
    this way is still inside it. `precise`, where the fraction matters (a window narrower than a second,
    a time given with one): milliseconds, when the time has a fraction (`2026-12-07T08:10:50.405Z`)."""
    if when is None:
        return "unknown"
    moment = when.astimezone(UTC)
    if precise and moment.microsecond:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    whole = moment.replace(microsecond=0)
    if round_up and whole < moment:
        whole += timedelta(seconds=1)
    return whole.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Check:
    """One promise: what the template says, what is live, and whether the live value keeps it.

    `unchecked`: the check could not be made (access denied, an API the endpoint lacks), so it does
    not hold as far as anyone knows. `skipped`: an optional check the engine cannot make at all
    (CloudFormation drift detection where the engine has none); it does not change the exit code.
    """

    name: str
    expected: str
    actual: str
    status: Status

    @property
    def ok(self) -> bool | None:
        """True if it holds, False if it does not, None if it could not be checked."""
        return {"ok": True, "drift": False}.get(self.status)

    def as_json(self) -> dict[str, Any]:
        """The check as documented for `--format json`."""
        return {
            "name": self.name,
            "expected": self.expected,
            "actual": self.actual,
            "ok": self.ok,
            "status": self.status,
        }


@dataclass(frozen=True)
class Report:
    """Every check verify made on one stack."""

    stack_name: str
    time: datetime
    checks: tuple[Check, ...]

    @property
    def exit_code(self) -> int:
        """0 when every check holds (or is skipped); 4 when any does not hold or could not be made."""
        failing = [c for c in self.checks if c.status in ("drift", "unchecked")]
        return EXIT_DRIFT if failing else EXIT_OK

    def counts(self) -> dict[Status, int]:
        """How many checks ended in each status."""
        counted: dict[Status, int] = {"ok": 0, "drift": 0, "unchecked": 0, "skipped": 0}
        for check in self.checks:
            counted[check.status] += 1
        return counted

    def summary(self) -> str:
        """One line: how many checks hold, and the verdict."""
        c = self.counts()
        verdict = (
            "every check holds" if self.exit_code == EXIT_OK else "DRIFT: the live system breaks a promise"
        )
        return (
            f"{c['ok']} hold, {c['drift']} do not, {c['unchecked']} could not be checked, "
            f"{c['skipped']} skipped: {verdict}"
        )

    def as_json(self) -> str:
        """The report as one JSON object."""
        document = {
            "stack": self.stack_name,
            "time": utc_text(self.time),
            "ok": self.exit_code == EXIT_OK,
            "summary": self.summary(),
            "checks": [check.as_json() for check in self.checks],
        }
        return json.dumps(document, indent=2) + "\n"

    def as_table(self, width: int = 44) -> str:
        """The report as aligned columns: check, expected, actual, holds; then the summary."""

        def cell(text: str) -> str:
            return text if len(text) <= width else text[: width - 3] + "..."

        name_width = max(len(c.name) for c in self.checks) if self.checks else 5
        lines = [f"Verify {self.stack_name} at {utc_text(self.time)}"]
        lines.append(f"{'check':<{name_width}}  {'expected':<{width}}  {'actual':<{width}}  holds")
        for c in self.checks:
            lines.append(
                f"{c.name:<{name_width}}  {cell(c.expected):<{width}}  {cell(c.actual):<{width}}  {_HOLDS[c.status]}"
            )
        lines.append(self.summary())
        return "\n".join(lines) + "\n"
