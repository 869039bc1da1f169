"""The command output the docs show is what the commands print: the sample blocks (tests/doc_samples.py)
whose commands need no engine, against a fresh run, and the machinery that finds and rewrites them.
The samples run on the local engines are in tests/engine/project/test_doc_samples.py."""

import re
from pathlib import Path

import pytest

from tests.doc_samples import (
    ANY_MARKER,
    ROOT,
    SAMPLES,
    SCENARIOS,
    assert_the_page_shows_a_fresh_run,
    normalise,
    pages,
    rewrite_sample,
    sample_params,
    shown_samples,
)


def test_each_marker_names_a_sample_block_and_each_sample_has_one() -> None:
    where: dict[str, list[str]] = {}
    for page in pages():
        text = page.read_text(encoding="utf-8")
        blocks = shown_samples(page)
        for name in ANY_MARKER.findall(text):
            assert name in blocks, f"{page.name}: marker {name!r} is not followed by a ```text block"
            where.setdefault(name, []).append(str(page.relative_to(ROOT)))
    assert {name: [sample.page] for name, sample in SAMPLES.items()} == where
    assert {sample.scenario for sample in SAMPLES.values()} == set(SCENARIOS)


def test_volatile_parts_become_placeholders_and_columns_stay_put() -> None:
    text = (
        "  endpoint   http://127.0.0.1:47123   from AWS_ENDPOINT_URL\n"
        "  12:59:08  KVDatabaseStack  CREATE_COMPLETE\n"
        "at 2026-11-30 12:59:09 UTC, change set kvtable-20261130-125909, latency: 12.5 ms (target < 10 ms)\n"
        "arn:aws:iam::123456789012:policy/S-ReadPolicy-8XW1RPQFR3QM  export: S-ReadPolicyArn\n"
        "step 2 of 4: waiting for GSI2 CREATING, backfilling (12m30s elapsed)\n"
    )
    assert normalise(text) == (
        "  endpoint   http://127.0.0.1:<port>  from AWS_ENDPOINT_URL\n"
        "  hh:mm:ss  KVDatabaseStack  CREATE_COMPLETE\n"
        "at YYYY-MM-DD hh:mm:ss UTC, change set kvtable-YYYYMMDD-hhmmss, latency: n.n ms (target < 10 ms)\n"
        "arn:aws:iam::123456789012:policy/S-ReadPolicy-<id>          export: S-ReadPolicyArn\n"
        "step 2 of 4: waiting for GSI2 CREATING, backfilling (<duration> elapsed)\n"
    )


@pytest.mark.parametrize("name", sample_params(on_engines=False))
def test_the_page_shows_what_the_command_prints(
    name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert_the_page_shows_a_fresh_run(name, request, tmp_path_factory)


def test_the_update_rewrites_only_the_named_block(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    before = "intro\n\n<!-- sample: a -->\n```text\nold a\n```\n\nmiddle\n\n<!-- sample: b -->\n```text\nold b\n```\n"
    page.write_text(before)
    rewrite_sample(page, "a", "$ kvtable x\nnew a\n")
    assert page.read_text() == before.replace("old a\n", "$ kvtable x\nnew a\n")
    assert shown_samples(page) == {"a": "$ kvtable x\nnew a\n", "b": "old b\n"}


def test_the_readme_layout_names_every_module_and_package() -> None:
    """Each module and package of kvtable/ is in the README's layout table, and each folder it names exists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named: set[str] = set()
    for row in table.splitlines()[2:]:
        cell = row.split("|")[1]
        paths = re.findall(r"`([^`]+)`", cell)
        in_package = bool(paths) and paths[0].startswith("kvtable/")
        for path in (path.rstrip("/") for path in paths):
            # `kvtable/contract/store.py`, `contract/` in a row that starts under kvtable/ names kvtable/contract.
            inside = in_package and (ROOT / "kvtable" / path).exists()
            named.add(f"kvtable/{path}" if inside else path)
    package = ROOT / "kvtable"
    present = {
        f"kvtable/{entry.name}"
        for entry in package.iterdir()
        if (entry.suffix == ".py" and entry.name != "__init__.py") or (entry / "__init__.py").exists()
    }
    assert present - named == set(), "README.md's layout leaves these out"
    assert [path for path in named if not (ROOT / path).exists()] == []
