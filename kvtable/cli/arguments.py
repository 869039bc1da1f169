"""The kinds of value a flag takes, each checked as argparse reads it: a bad value is one line
and exit 2 before anything else runs (no engine started, no call made, no file written).

Every flag that takes a value uses one of these (or argparse's `choices`); tests/unit/cli/test_cli_fuzz.py
walks the parser and gives each kind its hostile values.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from kvtable.aws.names import check_stack_name, endpoint_problem, region_problem
from kvtable.cli.environments import environment_path
from kvtable.console.errors import UsageError
from kvtable.console.text_files import file_problem
from kvtable.exchange.s3_location import parse_s3_url
from kvtable.fleet.shares import VARIABLE_NAME, parse_share
from kvtable.schema import key_design as kd
from kvtable.schema.errors import InvalidInputError

MIGRATION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
PROFILE_PATTERN = re.compile(r"^[\w+=,.@:/-]+$")
# A file or folder name's limit and a whole path's (with its final NUL), where the system does not say.
NAME_MAX, PATH_MAX = 255, 4096
# What a folder's path must leave for the names of the files a command writes into it (the longest is
# an environment's NAME.toml: 69 bytes).
FOLDER_ROOM = 100
# A path longer than this is shown cut in an error: the line stays one line a person can read.
SHOWN_PATH_CHARS = 60


def endpoint_url(text: str) -> str:
    """An http(s) URL with a host, such as http://127.0.0.1:8000."""
    problem = endpoint_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(f"{problem}, such as http://127.0.0.1:8000")
    return text


def region_name(text: str) -> str:
    """An AWS region name such as eu-west-1."""
    problem = region_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def region_list(text: str) -> tuple[str, ...]:
    """Comma-separated region names, each once."""
    regions = tuple(part.strip() for part in text.split(","))
    for region in regions:
        region_name(region)
    if len(set(regions)) != len(regions):
        raise argparse.ArgumentTypeError(f"regions {text!r} name a region twice")
    return regions


def profile_name(text: str) -> str:
    """An AWS profile's name (whether it is configured is checked when the command starts)."""
    if not PROFILE_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"profile {text!r} is not a profile name")
    return text


def stack_name(text: str) -> str:
    """A name CloudFormation accepts for a stack."""
    try:
        check_stack_name(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _resource_name(what: str, text: str) -> str:
    problem = kd.resource_name_problem(what, text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def table_name(text: str) -> str:
    """A name DynamoDB accepts for a table."""
    return _resource_name("table", text)


def index_name(text: str) -> str:
    """A name DynamoDB accepts for an index."""
    return _resource_name("index", text)


def environment_name(text: str) -> str:
    """An environment's name (config/NAME.toml) or the path of a .toml file."""
    if text.endswith(".toml"):
        return str(input_file(text))
    try:
        environment_path(text)  # its check of the name; the file itself is read when settings are merged
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def namespace_name(text: str) -> str:
    """A namespace's name as the key design takes it (no '#', not empty, within the key's size)."""
    try:
        kd.namespace_partition_key(text)
    except InvalidInputError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def migration_id(text: str) -> str:
    """A migration's id (whether the registry holds it is checked when the command starts)."""
    if not MIGRATION_ID_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"migration id {text!r} is invalid; 'kvtable migrate plan' lists them"
        )
    return text


def worker_share(text: str) -> str:
    """`I/N` (worker I from 0 of N) or `auto` (read from the scheduler's variables when the command runs)."""
    try:
        parse_share(text)
    except InvalidInputError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def variable_name(text: str) -> str:
    """An environment variable's name, such as MY_INDEX."""
    if not VARIABLE_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text[:60]!r} is not a variable name (letters, digits, _)")
    return text


def assignment(text: str) -> str:
    """KEY=value (checked again, with its name, when the settings are merged)."""
    key, equals, _ = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} must look like KEY=value")
    return text


def shown_path(text: str) -> str:
    """A path as an error shows it: quoted, and cut in the middle when it is long."""
    if len(text) <= SHOWN_PATH_CHARS:
        return repr(text)
    half = SHOWN_PATH_CHARS // 2
    return repr(f"{text[:half]}...{text[-half:]}")


def _path_limits() -> tuple[int, int]:
    """The longest file name and path the system takes (its root's file system), else Linux's."""
    try:
        return os.pathconf("/", "PC_NAME_MAX"), os.pathconf("/", "PC_PATH_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or the system will not say
        return NAME_MAX, PATH_MAX


def path_length_problem(text: str, room: int = 0) -> str | None:
    """Why `text` is too long to be a path (a part over the name limit, or the whole over the path
    limit less `room` for the names a command adds), in bytes as the system counts them; or None."""
    data = os.fsencode(text)
    name_max, path_max = _path_limits()
    longest = max(data.split(b"/"), key=len)
    if len(longest) > name_max:
        part = "" if longest == data else f" its part {shown_path(os.fsdecode(longest))} is"
        return (
            f"path {shown_path(text)} is too long:{part} {len(longest):,} bytes, and a file or folder "
            f"name may have {name_max:,}; use a shorter name"
        )
    most = path_max - 1 - room
    if len(data) > most:
        what = "a path" if not room else "a folder's path (room is left for the files in it)"
        return (
            f"path {shown_path(text)} is too long: {len(data):,} bytes, and {what} may have {most:,}; "
            "use a shorter path"
        )
    return None


def input_file(text: str) -> Path:
    """A regular file that exists and can be read."""
    if not text:
        raise argparse.ArgumentTypeError("the file name is empty")
    problem = path_length_problem(text) or file_problem(Path(text))
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return Path(text)


def input_file_or_stdin(text: str) -> str:
    """`-` for standard input, else a regular file that exists and can be read."""
    if text == "-":
        return text
    try:
        return str(input_file(text))
    except argparse.ArgumentTypeError as error:
        if _exists_and_is_no_folder(text):  # a FIFO, socket or device: a stream, which stdin takes
            raise argparse.ArgumentTypeError(
                f"{error}; pipe it to standard input and give - as the file"
            ) from None
        raise


def _exists_and_is_no_folder(text: str) -> bool:
    try:
        mode = os.stat(text).st_mode
    except (OSError, ValueError):
        return False
    return not stat.S_ISDIR(mode)


def folder(text: str) -> Path:
    """A folder: if it exists it must be a folder (it is created when written to)."""
    if not text:
        raise argparse.ArgumentTypeError("the folder name is empty")
    problem = path_length_problem(text, room=FOLDER_ROOM)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    try:
        mode = os.stat(text).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return Path(text)  # created when written to (a file on the way is refused then, by name)
    except OSError as error:
        raise argparse.ArgumentTypeError(
            f"cannot use {shown_path(text)} as a folder: {error.strerror}"
        ) from None
    except ValueError:  # a NUL in the name, which no folder can have
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a folder name (it holds a NUL character)"
        ) from None
    if not stat.S_ISDIR(mode):
        raise argparse.ArgumentTypeError(f"{Path(text)} exists and is not a folder")
    return Path(text)


@dataclass(frozen=True)
class Count:
    """A whole number from `low` to `high`."""

    low: int
    high: int

    def __call__(self, text: str) -> int:
        """The number, or ArgumentTypeError naming the range."""
        try:
            value = int(text.strip().replace("_", ""), 10) if len(text) <= 32 else None
        except ValueError:
            value = None
        if value is None or not self.low <= value <= self.high:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number from {self.low:,} to {self.high:,}"
            )
        return value


@dataclass(frozen=True)
class Amount:
    """A finite number from `low` to `high` (`low` itself allowed only when `low_included`)."""

    low: float
    high: float
    low_included: bool = True

    def __call__(self, text: str) -> float:
        """The number, or ArgumentTypeError naming the range."""
        try:
            value = float(text) if len(text) <= 32 else math.nan
        except ValueError:
            value = math.nan
        below = value < self.low or (value == self.low and not self.low_included)
        if not math.isfinite(value) or below or value > self.high:
            low = f"above {self.low:g}" if not self.low_included else f"from {self.low:g}"
            raise argparse.ArgumentTypeError(f"{text!r} is not a number {low} to {self.high:g}")
        return value


# A key's expiry in epoch seconds (whether it is still ahead is checked against the clock later).
EPOCH_SECONDS = Count(1, kd.MAX_PLAUSIBLE_TTL)
# How long a worker's claim on a part of shared work lasts unless renewed (tests make it short).
LEASE_SECONDS = Amount(0.5, 3600.0)
# The hidden polling intervals of deploy, restore and adopt (tests make them short).
POLL_SECONDS = Amount(0.0, 3600.0)


def s3_url(text: str) -> str:
    """`s3://bucket[/prefix]`, with a bucket name S3 accepts."""
    try:
        parse_s3_url(text)
    except InvalidInputError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


_JOB_ARN = re.compile(
    r"^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[A-Za-z0-9_.-]{3,255}/(export|import)/[\w.-]{1,100}$"
)


def _job_arn(kind: str, text: str) -> str:
    match = _JOB_ARN.match(text)
    if match is None or match.group(1) != kind:
        raise argparse.ArgumentTypeError(
            f"{text[:80]!r} is not an {kind}'s ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/{kind}/ID)"
        )
    return text


def export_arn(text: str) -> str:
    """An export's ARN, as `kvtable export` prints it."""
    return _job_arn("export", text)


def import_arn(text: str) -> str:
    """An import's ARN, as `kvtable import` prints it."""
    return _job_arn("import", text)
