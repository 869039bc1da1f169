"""The docs cannot drift from the code: every command, flag, make target and link they show exists."""

import re
import shlex
from pathlib import Path

import pytest

from kvtable.cli.main import build_parser
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`(kvtable [^`]*|make [a-z-]+[^`]*)`")
LINK = re.compile(r"\]\(([^)#:]+)(#[^)]*)?\)")


def shown_commands(page: Path) -> list[str]:
    """Every `kvtable ...` and `make ...` command a page shows, in code blocks and inline."""
    text = page.read_text(encoding="utf-8")
    commands = []
    for block in FENCE.findall(text):
        for line in block.splitlines():
            # Drop a prompt and leading VAR=value assignments: `AWS_ENDPOINT_URL=... kvtable deploy`.
            command = re.sub(r"^(\$ |[A-Z_]+=\S+ )+", "", line.strip())
            if command.startswith(("kvtable ", "make ")):
                commands.append(command)
    commands += [match.rstrip(".") for match in INLINE.findall(text)]
    return commands


def subcommand_flags() -> dict[str, set[str]]:
    """Each subcommand's flags, from its parser."""
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.dest == "==SUPPRESS==" and a.choices]
    return {
        name: {flag for action in sub._actions for flag in action.option_strings}
        for name, sub in subparsers.choices.items()  # type: ignore[union-attr]
    }


def make_targets() -> set[str]:
    """Every target a rule of the Makefile names (a rule may name several)."""
    rules = re.findall(r"^([a-z][a-z -]*):", (ROOT / "Makefile").read_text(), re.M)
    return {target for rule in rules for target in rule.split()}


COMMANDS = [(page.name, command) for page in PAGES for command in shown_commands(page)]


def test_the_docs_show_commands_at_all() -> None:
    kvtable = [c.split() for _, c in COMMANDS if c.startswith("kvtable ")]
    assert len(kvtable) > 20
    assert {words[1] for words in kvtable} >= set(subcommand_flags())


@pytest.mark.parametrize(("page", "command"), COMMANDS)
def test_each_command_shown_exists_with_its_flags(page: str, command: str) -> None:
    words = shlex.split(command.split(" #", maxsplit=1)[0].split(">>", maxsplit=1)[0], comments=False)
    if words[0] == "make":
        assert words[1] in make_targets(), f"{page}: make target {words[1]!r} does not exist"
        return
    flags = subcommand_flags()
    if words[1].endswith(":") or words[1].isupper():
        return  # a line of output (`kvtable deploy: error: ...`) or a placeholder (`kvtable COMMAND`)
    if words[1].startswith("--"):
        assert words[1] in {"--help", "--version", "--debug"}
        return
    assert words[1] in flags, f"{page}: {words[1]!r} is not a kvtable subcommand"
    for word in words[2:]:
        if word.startswith("--"):
            flag = word.split("=")[0]
            assert flag in flags[words[1]], f"{page}: kvtable {words[1]} has no flag {flag}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_each_relative_link_points_at_a_file(page: Path) -> None:
    for target, _ in LINK.findall(page.read_text(encoding="utf-8")):
        assert (page.parent / target).exists(), f"{page.name}: link {target} points at nothing"


def test_the_readme_is_a_front_page() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 170
