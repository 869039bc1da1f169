"""What a person asks a deploy to do, apart from the code that does it."""

from dataclasses import dataclass, field
from pathlib import Path

from kvtable.cfn.templates import LoadedTemplate

ALLOW_REPLACEMENT_FLAG = "--allow-table-replacement-and-data-loss"


@dataclass(frozen=True)
class DeployOptions:
    """What the person asked for, and the template: `template` as data (the cli hands down the one kvtable
    builds), else the file at `template_path`."""

    stack_name: str
    template_path: Path | None = None
    template: LoadedTemplate | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] | None = None
    plan_only: bool = False
    allow_table_replacement: bool = False
    poll_seconds: float = 2.0
    # Several GSI changes as one update each; and waiting for index backfills before saying done.
    stepwise: bool = False
    wait_for_backfill: bool = True
    index_poll_seconds: float = 15.0
    # The parameters an environment file gave, checked apart so that an error names the file.
    file_parameters: dict[str, str] = field(default_factory=dict)
    settings_file: str = ""
    # The flags the command was run with (cli/hints.py), repeated in the commands its hints name;
    # empty: `--stack-name NAME`.
    command_flags: str = ""
