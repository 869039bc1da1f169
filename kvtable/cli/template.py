"""Build the CloudFormation templates into a folder (templates/ by default) and the IAM policy
documents they hold into another (iam/ beside it), or check that both are up to date.

The IAM documents are the read and read/write managed policies of the database template and the
operators' read-only policy, resolved for the default stack (KVDatabaseStack, its default
parameters) in the placeholder account 123456789012 and us-east-1.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.console.errors import UsageError

DEFAULT_TEMPLATES_DIR = Path("templates")
IAM_DIR_NAME = "iam"
# Light on purpose: `kvtable template` imports troposphere, awacs and kvtable's own modules, never
# boto3, botocore or cfn-lint (tests/unit/cli/test_template_cli.py holds it to that).


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--check, --out and --iam-out."""
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if either folder differs from what the code builds (writes nothing)",
    )
    parser.add_argument(
        "--out",
        type=kinds.folder,
        metavar="DIR",
        default=DEFAULT_TEMPLATES_DIR,
        help=f"the folder of the templates (default: {DEFAULT_TEMPLATES_DIR}/)",
    )
    parser.add_argument(
        "--iam-out",
        type=kinds.folder,
        metavar="DIR",
        help=f"the folder of the IAM policy documents (default: {IAM_DIR_NAME}/ beside the --out folder)",
    )
    # The name this command runs under (`kvtable template`, `build_template`), for the --check line.
    parser.set_defaults(prog=parser.prog)


def iam_dir(templates_dir: Path) -> Path:
    """iam/ beside the templates' folder: iam for templates, build/iam for build/templates."""
    folder = Path(os.path.normpath(templates_dir))
    if folder.name in ("", ".", ".."):
        folder = Path(os.path.abspath(folder))
    return folder.parent / IAM_DIR_NAME


def _in_the_way(directory: Path) -> Path | None:
    """The file (not a folder) at `directory` or at one of its parents, if any."""
    for path in (directory, *directory.parents):
        if path.exists():
            return None if path.is_dir() else path
    return None


def _cannot_write(flag: str, directory: Path, error: OSError) -> str:
    blocker = _in_the_way(directory)
    if blocker == directory:
        return f"{flag} {directory} is a file, not a folder; give a folder (it is created if missing)"
    if blocker is not None:
        return (
            f"{flag} {directory}: {blocker} is a file, not a folder; give a folder (it is created if missing)"
        )
    reason = error.strerror or str(error)
    if error.filename is None or Path(error.filename) == directory:
        return f"{flag} {directory}: cannot create the folder ({reason}); give a folder you can write to"
    return f"{flag} {directory}: cannot write {error.filename} ({reason}); give a folder you can write to"


def _write(folders: Sequence[tuple[str, Path, Mapping[str, str]]]) -> list[Path]:
    """Write every folder's files; a folder that cannot be made stops it before anything is written."""
    from kvtable.builders.render import write_files  # noqa: PLC0415 (the `build` extra)

    for flag, directory, _ in folders:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(_cannot_write(flag, directory, error)) from error
    written: list[Path] = []
    for flag, directory, files in folders:
        try:
            written += write_files(files, directory)
        except OSError as error:
            raise UsageError(_cannot_write(flag, directory, error)) from error
    return written


def _problems(flag: str, directory: Path, files: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(files that differ, files or the folder that are missing) in one folder."""
    from kvtable.builders.render import stale_files  # noqa: PLC0415 (the `build` extra)

    if not directory.exists():
        return [], [f"{directory}{os.sep}"]
    if not directory.is_dir():
        raise UsageError(f"{flag} {directory} is a file, not a folder; give the folder to check")
    try:
        stale = [directory / name for name in stale_files(files, directory)]
    except OSError as error:
        raise UsageError(f"{flag} {directory}: cannot read {error.filename} ({error.strerror})") from error
    return [str(p) for p in stale if p.is_file()], [str(p) for p in stale if not p.is_file()]


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _fix(args: argparse.Namespace) -> str:
    """The command that rewrites what --check found stale."""
    prog = str(getattr(args, "prog", "kvtable template"))
    if not prog.startswith("kvtable"):
        return "make template"  # build_template.py, a checkout's door
    words = prog.split()
    if args.out != DEFAULT_TEMPLATES_DIR:
        words += ["--out", str(args.out)]
    if args.iam_out is not None:
        words += ["--iam-out", str(args.iam_out)]
    return shlex.join(words)


def run(args: argparse.Namespace) -> int:
    """Write the templates and the IAM documents, or with --check exit 1 if either folder's differ
    from what the code builds."""
    from kvtable.builders.render import rendered_files, rendered_iam_files  # noqa: PLC0415 (the `build` extra)

    templates = rendered_files()
    folders = (
        ("--out", args.out, templates),
        ("--iam-out", args.iam_out or iam_dir(args.out), rendered_iam_files(templates)),
    )
    if not args.check:
        for path in _write(folders):
            print(f"wrote {path}")
        return 0
    differ: list[str] = []
    missing: list[str] = []
    for flag, directory, files in folders:
        changed, absent = _problems(flag, directory, files)
        differ += changed
        missing += absent
    if differ or missing:
        found = []
        if differ:
            found.append(
                f"{_listed(differ)} {'differs' if len(differ) == 1 else 'differ'} from what the code builds"
            )
        if missing:
            found.append(f"{_listed(missing)} {'is' if len(missing) == 1 else 'are'} missing")
        prog = getattr(args, "prog", "kvtable template")
        print(f"{prog}: error: {'; '.join(found)}; run '{_fix(args)}'", file=sys.stderr)
        return 1
    # One line, as before the IAM documents: scripts read it.
    print(f"templates in {args.out} are up to date")
    return 0


TEMPLATE = Command(
    name="template",
    summary="build the CloudFormation templates and IAM policy documents (--check: fail if stale)",
    description=__doc__ or "",
    examples=(
        "kvtable template",
        "kvtable template --check",
        "kvtable template --out build/templates          # IAM documents into build/iam",
        "kvtable template --out build/t --iam-out build/policies",
    ),
    add_arguments=add_arguments,
    run=run,
    extras=("build",),
)
