"""A hangup (SIGHUP) stops `kvtable local`, a server in the foreground, and nothing else. That a closed
terminal never stops a deploy halfway is in tests/engine/cli/test_hangup.py."""

from __future__ import annotations

from kvtable.cli.parser import COMMANDS
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


def test_only_local_stops_on_a_hangup() -> None:
    stopping = {command.name for command in COMMANDS if command.stops_on_hangup}
    assert stopping == {"local"}
    assert len(COMMANDS) == 15
