"""Parameters from flags and files: KEY=value parsing, the template's constraints, and the merge of
overrides, deployed values and defaults (as `aws cloudformation deploy` does)."""

import pytest

from kvtable.console.errors import UsageError
from kvtable.deploy.parameters import check_overrides, parse_assignments, resolve_parameters
from tests.shipped import default_parameters, shipped

TEMPLATE = shipped()[1]


def test_assignments_split_at_the_first_equals_sign() -> None:
    assert parse_assignments(["TableName=kv-prod", "Note=a=b", "Empty="], "parameter") == {
        "TableName": "kv-prod",
        "Note": "a=b",
        "Empty": "",
    }


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["TableName"], "parameter 'TableName' must look like KEY=value"),
        (["=kv-prod"], "parameter '=kv-prod' must look like KEY=value"),
        (["team=a", "team=b"], "tag 'team' is given twice"),
    ],
)
def test_malformed_or_repeated_assignments_are_refused(items: list[str], message: str) -> None:
    what = "tag" if items[0].startswith("team") else "parameter"
    with pytest.raises(UsageError) as error:
        parse_assignments(items, what)
    assert (str(error.value), error.value.exit_code) == (message, 2)


def test_an_unknown_parameter_is_refused_naming_those_the_template_takes() -> None:
    with pytest.raises(UsageError) as error:
        check_overrides({"Parameters": {"TableName": {}, "GsiName": {}}}, {"Tablename": "x"})
    assert str(error.value) == "unknown parameter Tablename; the template takes GsiName, TableName"


def test_a_value_its_constraint_refuses_gives_the_templates_description() -> None:
    with pytest.raises(UsageError) as error:
        check_overrides(TEMPLATE, {"TableName": "kv prod"})
    assert str(error.value) == (
        "parameter TableName='kv prod' is invalid: must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '.' or '-'"
    )


def test_a_file_s_bad_value_names_the_file() -> None:
    with pytest.raises(UsageError) as error:
        check_overrides(TEMPLATE, {"ContributorInsights": "yes"}, "config/prod.toml")
    assert str(error.value) == (
        "config/prod.toml: parameter ContributorInsights='yes' is invalid: one of true, false"
    )


def test_without_a_constraint_description_every_broken_constraint_is_listed() -> None:
    spec = {"Parameters": {"Name": {"MinLength": 3, "MaxLength": 4, "AllowedPattern": "[a-z]+"}}}
    with pytest.raises(UsageError) as error:
        check_overrides(spec, {"Name": "AB"})
    assert str(error.value) == "parameter Name='AB' is invalid: at least 3 characters and matching [a-z]+"


def test_an_override_beats_the_deployed_value_which_beats_the_default() -> None:
    values = resolve_parameters(
        TEMPLATE, {"GsiName": "GSI9"}, {"TableName": "kv-prod", "GsiName": "GSI1", "Gone": "x"}
    )
    assert values == {**default_parameters(), "TableName": "kv-prod", "GsiName": "GSI9"}


def test_a_new_stack_takes_the_defaults() -> None:
    assert resolve_parameters(TEMPLATE, {}, None) == default_parameters()


def test_a_parameter_without_a_default_must_be_given() -> None:
    template = {"Parameters": {"TableName": {"Type": "String"}}}
    with pytest.raises(UsageError) as error:
        resolve_parameters(template, {}, {})
    assert str(error.value) == "parameter TableName has no default; pass --parameter TableName=VALUE"
    assert resolve_parameters(template, {}, {"TableName": "kv-prod"}) == {"TableName": "kv-prod"}


def test_a_deployed_value_the_new_template_refuses_is_refused() -> None:
    with pytest.raises(UsageError, match=r"^parameter GsiName='G1' is invalid"):
        resolve_parameters(TEMPLATE, {}, {"GsiName": "G1"})
