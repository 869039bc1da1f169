"""The command output the docs show is what the commands print: each sample block (tests/doc_samples.py)
whose commands run on the local engines, against a fresh run. `make docs-samples` rewrites the blocks
that differ (the samples that need no engine are in tests/unit/project/test_doc_samples.py)."""

import pytest

from tests.doc_samples import assert_the_page_shows_a_fresh_run, sample_params


@pytest.mark.parametrize("name", sample_params(on_engines=True))
def test_the_page_shows_what_the_command_prints(
    name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert_the_page_shows_a_fresh_run(name, request, tmp_path_factory)
