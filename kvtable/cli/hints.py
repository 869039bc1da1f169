"""The flags a printed hint repeats, so that a command it suggests runs as the person ran this one."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from kvtable.cli.environments import DEFAULT_CONFIG_DIR

if TYPE_CHECKING:
    from pathlib import Path

    from kvtable.cli.settings import Settings

# The settings a flag may have given, and the flag: each is repeated when the flag gave it.
_REPEATED = (("profile", "--profile"), ("region", "--region"), ("endpoint", "--endpoint-url"))


def command_flags(settings: Settings, template: Path | None = None) -> str:
    """How this run named its stack and where it went, as flags: `--env NAME` (with `--config-dir` when
    it looked elsewhere) or `--stack-name NAME`, then each of --stack-name (over the file's), --profile,
    --region and --endpoint-url the command line gave, and `--template` when given (every command a
    hint names that takes a template takes it so). Values are quoted for a POSIX shell."""
    flags: list[str] = []
    environment = settings.environment
    if environment is not None:
        flags += ["--env", environment.name]
        if not environment.name.endswith(".toml") and environment.path.parent != DEFAULT_CONFIG_DIR:
            flags += ["--config-dir", str(environment.path.parent)]
    if environment is None or settings.sources.get("stack name") == "--stack-name":
        flags += ["--stack-name", settings.stack_name]
    given = {
        "--profile": settings.profile,
        "--region": settings.region,
        "--endpoint-url": settings.endpoint_url,
    }
    for name, flag in _REPEATED:
        if settings.sources.get(name) == flag:
            flags += [flag, str(given[flag])]
    if template is not None:
        flags += ["--template", str(template)]
    return shlex.join(flags)
