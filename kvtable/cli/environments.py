"""Environments on file: one TOML file per deployment target (`config/<env>.toml`).

A file holds what differs between dev, staging and prod: the stack name, the
region, the profile, the template's parameters and the stack's tags. It is
checked like command-line input, before any call: an unknown key, a value of
the wrong type or an invalid name is one `UsageError` that names the file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kvtable.aws.names import check_stack_name, check_tags, endpoint_problem, region_problem
from kvtable.console.errors import UsageError
from kvtable.console.text_files import read_text_file

DEFAULT_CONFIG_DIR = Path("config")
ENVIRONMENT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

# Each key a file may hold, with what it means (shown in the error for an unknown key).
KNOWN_KEYS: dict[str, str] = {
    "stack_name": "the CloudFormation stack's name",
    "region": "the AWS region",
    "profile": "the AWS profile",
    "endpoint_url": "send requests here instead of AWS (a local engine)",
    "template": "a template file to deploy instead of the one kvtable builds",
    "parameters": "the template's parameters, a table of strings",
    "tags": "the stack's tags, a table of strings",
}


@dataclass(frozen=True)
class Environment:
    """The settings of one environment file; None where the file is silent."""

    name: str
    path: Path
    stack_name: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    template: Path | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] | None = None


def environment_path(name: str, config_dir: Path = DEFAULT_CONFIG_DIR) -> Path:
    """The file of environment `name`: `<config_dir>/<name>.toml`, or `name` itself if it is a .toml path."""
    if name.endswith(".toml"):
        return Path(name)
    if not ENVIRONMENT_NAME_PATTERN.fullmatch(name):
        raise UsageError(
            f"environment name {name!r} is invalid: use letters, digits, '-' and '_' (the file "
            f"{config_dir}/NAME.toml), or give the path of a .toml file"
        )
    return config_dir / f"{name}.toml"


def _string(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise UsageError(f"{path}: {key} must be a non-empty string in quotes, not {value!r}")
    return value


def _string_table(path: Path, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise UsageError(f'{path}: [{key}] must be a table of KEY = "value" lines')
    for name, item in value.items():
        if not isinstance(item, str):
            raise UsageError(
                f"{path}: {key}.{name} must be a string in quotes (CloudFormation takes strings), not {item!r}"
            )
    return dict(value)


def parse_environment(name: str, path: Path, text: str) -> Environment:
    """An Environment from a file's text; refuses unknown keys and values of the wrong type."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML: {error}") from error
    unknown = sorted(set(data) - set(KNOWN_KEYS))
    if unknown:
        raise UsageError(
            f"{path}: unknown key {', '.join(unknown)}; an environment file takes {', '.join(KNOWN_KEYS)}"
        )
    stack_name = _string(path, "stack_name", data["stack_name"]) if "stack_name" in data else None
    if stack_name is not None:
        _in_file(path, check_stack_name, stack_name)
    region = _string(path, "region", data["region"]) if "region" in data else None
    if region is not None and (problem := region_problem(region)):
        raise UsageError(f"{path}: {problem}")
    endpoint_url = _string(path, "endpoint_url", data["endpoint_url"]) if "endpoint_url" in data else None
    if endpoint_url is not None and (problem := endpoint_problem(endpoint_url)):
        raise UsageError(f"{path}: endpoint_url: {problem}")
    tags = _string_table(path, "tags", data["tags"]) if "tags" in data else None
    if tags is not None:
        _in_file(path, check_tags, tags)
    return Environment(
        name=name,
        path=path,
        stack_name=stack_name,
        region=region,
        profile=_string(path, "profile", data["profile"]) if "profile" in data else None,
        endpoint_url=endpoint_url,
        template=Path(_string(path, "template", data["template"])) if "template" in data else None,
        parameters=_string_table(path, "parameters", data.get("parameters", {})),
        tags=tags,
    )


def _in_file(path: Path, check: Any, value: Any) -> None:
    """Run a command-line check on a value from the file, naming the file in its error."""
    try:
        check(value)
    except UsageError as error:
        raise UsageError(f"{path}: {error}") from error


def load_environment(name: str, config_dir: Path = DEFAULT_CONFIG_DIR) -> Environment:
    """Read and check environment `name` from `config_dir`."""
    path = environment_path(name, config_dir)
    if not _exists(path):
        if name.endswith(".toml"):
            raise UsageError(f"environment file {path} does not exist (in {path.absolute().parent})")
        raise UsageError(_not_in_folder(path, config_dir))
    try:
        text = read_text_file(path)
    except UsageError as error:
        raise UsageError(f"environment file {error}") from None
    return parse_environment(name, path, text)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError) as error:  # a name too long for the system, or a NUL in it
        reason = error.strerror if isinstance(error, OSError) else "it holds a NUL character"
        raise UsageError(f"environment file {path} cannot be read: {reason}") from error


def _not_in_folder(path: Path, config_dir: Path) -> str:
    """Where an environment's file was looked for (the absolute folder: a relative one depends on the
    folder kvtable runs in), what is there, and how to look elsewhere."""
    folder = config_dir.absolute()
    if not config_dir.is_dir():
        return (
            f"environment file {path.name} is not in {folder}, which does not exist; run kvtable from "
            f"the folder that holds {config_dir}/, or give --config-dir the folder that holds {path.name}"
        )
    known = sorted(p.stem for p in config_dir.glob("*.toml"))
    there = f" (environments there: {', '.join(known)})" if known else " (no environment files there)"
    return (
        f"environment file {path.name} is not in {folder}{there}; give --config-dir the folder that holds it"
    )
