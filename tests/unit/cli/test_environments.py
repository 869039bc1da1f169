"""Environment files: what they may hold, and a one-line error naming the file for anything else."""

from pathlib import Path

import pytest

from kvtable.cli.environments import Environment, environment_path, load_environment, parse_environment
from kvtable.console.errors import UsageError
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
GOOD = """
stack_name = "KVDatabaseStack-dev"
region = "eu-west-1"
profile = "dev"
endpoint_url = "http://127.0.0.1:5001"
template = "templates/database.yaml"

[parameters]
TableName = "kv-dev"

[tags]
team = "storage"
"""


def parse(text: str) -> Environment:
    return parse_environment("dev", Path("config/dev.toml"), text)


def test_a_full_file_is_read_into_its_settings() -> None:
    environment = parse(GOOD)
    assert environment.stack_name == "KVDatabaseStack-dev"
    assert environment.region == "eu-west-1"
    assert environment.profile == "dev"
    assert environment.endpoint_url == "http://127.0.0.1:5001"
    assert environment.template == Path("templates/database.yaml")
    assert environment.parameters == {"TableName": "kv-dev"}
    assert environment.tags == {"team": "storage"}


def test_an_empty_file_sets_nothing() -> None:
    environment = parse("")
    assert (environment.stack_name, environment.region, environment.profile) == (None, None, None)
    assert environment.parameters == {}
    assert environment.tags is None


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_the_example_files_in_the_repository_are_valid(name: str) -> None:
    environment = load_environment(name, ROOT / "config")
    assert environment.stack_name is not None
    assert environment.parameters["TableName"].startswith("kv-storage-data")
    assert environment.tags is not None
    assert environment.tags["environment"] == name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('stack = "x"', "config/dev.toml: unknown key stack; an environment file takes stack_name, region"),
        ("region = 1", "config/dev.toml: region must be a non-empty string in quotes, not 1"),
        ('region = ""', "config/dev.toml: region must be a non-empty string in quotes"),
        ('region = "Europe"', "config/dev.toml: region 'Europe' is not an AWS region name"),
        ('stack_name = "9lives"', "config/dev.toml: stack name '9lives' is invalid"),
        (
            'endpoint_url = "127.0.0.1:5001"',
            "endpoint_url: endpoint URL '127.0.0.1:5001' must start with http:// or https://",
        ),
        ('parameters = "TableName=x"', "config/dev.toml: [parameters] must be a table"),
        ("[parameters]\nTableName = 5", "config/dev.toml: parameters.TableName must be a string in quotes"),
        ("[tags]\nenabled = true", "config/dev.toml: tags.enabled must be a string in quotes"),
        (
            '[tags]\n"aws:owner" = "me"',
            "config/dev.toml: tag 'aws:owner': keys starting with 'aws:' are reserved",
        ),
        ("stack_name = ", "config/dev.toml is not valid TOML"),
    ],
)
def test_a_bad_file_is_one_usage_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(UsageError) as error:
        parse(text)
    assert message in str(error.value)
    assert error.value.exit_code == 2
    assert "\n" not in str(error.value)


def test_a_missing_environment_lists_the_ones_there_are(tmp_path: Path) -> None:
    (tmp_path / "dev.toml").write_text("")
    (tmp_path / "prod.toml").write_text("")
    with pytest.raises(UsageError) as error:
        load_environment("staging", tmp_path)
    assert str(error.value) == (
        f"environment file staging.toml is not in {tmp_path} (environments there: dev, prod); "
        "give --config-dir the folder that holds it"
    )


def test_a_missing_folder_is_named_absolute_with_the_flag_that_moves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as error:
        load_environment("dev", Path("config"))
    assert str(error.value) == (
        f"environment file dev.toml is not in {tmp_path}/config, which does not exist; run kvtable from "
        "the folder that holds config/, or give --config-dir the folder that holds dev.toml"
    )


def test_an_empty_folder_says_it_holds_no_environment(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as error:
        load_environment("dev", tmp_path)
    assert str(error.value) == (
        f"environment file dev.toml is not in {tmp_path} (no environment files there); "
        "give --config-dir the folder that holds it"
    )


def test_an_environment_name_is_a_file_name_or_a_toml_path(tmp_path: Path) -> None:
    assert environment_path("prod", tmp_path) == tmp_path / "prod.toml"
    assert environment_path("elsewhere/prod.toml", tmp_path) == Path("elsewhere/prod.toml")
    with pytest.raises(UsageError, match=r"environment name '\.\./prod' is invalid"):
        environment_path("../prod", tmp_path)
