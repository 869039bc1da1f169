"""The tests' folders say what they need: tests/conftest.py stops the run at collection when a test
under tests/unit/ needs an engine, or one under tests/engine/ needs none, naming the test and where it
belongs. Planted in a folder of their own, run by pytester in this process."""

import pytest

# The planted suite's conftest: the real hook's work, rooted at the planted folder, and a stand-in
# for the fixture that would start DynamoDB Local (only its name matters to the marking).
PLANTED_CONFTEST = """
from pathlib import Path

import pytest

from tests.conftest import mark_and_place


def pytest_collection_modifyitems(items):
    mark_and_place(items, Path(__file__).resolve().parent)


@pytest.fixture
def dynamodb_endpoint():
    return "not started"
"""
NEEDS_NOTHING = "def test_adds() -> None:\n    assert 1 + 1 == 2\n"
NEEDS_DYNAMODB = "def test_reads(dynamodb_endpoint: str) -> None:\n    assert dynamodb_endpoint\n"
MARKED_MOTO = "import pytest\n\n\n@pytest.mark.moto\ndef test_deploys() -> None:\n    assert True\n"


def plant(pytester: pytest.Pytester, files: dict[str, str]) -> pytest.RunResult:
    """The files under a planted tests folder, collected (and not run) by pytest in this process."""
    pytester.makeconftest(PLANTED_CONFTEST)
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:cacheprovider")


def test_each_test_in_the_folder_of_what_it_needs_is_collected(pytester: pytest.Pytester) -> None:
    result = plant(
        pytester,
        {
            "unit/cli/test_sums.py": NEEDS_NOTHING,
            "engine/cli/test_reads.py": NEEDS_DYNAMODB,
            "engine/deploy/test_deploys.py": MARKED_MOTO,
            "elsewhere/test_any.py": NEEDS_NOTHING,
        },
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["4 tests collected*"])


@pytest.mark.parametrize(
    ("files", "first_line"),
    [
        pytest.param(
            {"unit/cli/test_sums.py": NEEDS_NOTHING, "unit/cli/test_reads.py": NEEDS_DYNAMODB},
            "ERROR: unit/cli/test_reads.py::test_reads needs dynamodb_local: it belongs in tests/engine/cli/test_reads.py",
            id="an engine test under unit",
        ),
        pytest.param(
            {"engine/deploy/test_deploys.py": MARKED_MOTO, "engine/cli/test_sums.py": NEEDS_NOTHING},
            "ERROR: engine/cli/test_sums.py::test_adds needs no engine: it belongs in tests/unit/cli/test_sums.py",
            id="a test that needs none under engine",
        ),
    ],
)
def test_a_misplaced_test_stops_the_collection_naming_where_it_belongs(
    pytester: pytest.Pytester, files: dict[str, str], first_line: str
) -> None:
    result = plant(pytester, files)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.lines[0] == first_line


def test_every_misplaced_test_is_named_one_a_line(pytester: pytest.Pytester) -> None:
    result = plant(
        pytester,
        {
            "unit/test_deploys.py": MARKED_MOTO,
            "engine/test_sums.py": NEEDS_NOTHING,
            "unit/test_ok.py": NEEDS_NOTHING,
        },
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line] == [
        "ERROR: engine/test_sums.py::test_adds needs no engine: it belongs in tests/unit/test_sums.py",
        "unit/test_deploys.py::test_deploys needs moto: it belongs in tests/engine/test_deploys.py",
    ]
