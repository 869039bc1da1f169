"""The AWS settings as the CLI finds them: where the credentials came from, said in a plan;
placeholders, said once, when none are configured and every request goes to an engine on this
machine (never else); a region AWS does not have, refused before any call; and an endpoint where
nothing answers, with what to check."""

import io
import os
from pathlib import Path

import pytest

from kvtable.aws.errors import local_engine_hint
from kvtable.cli.environments import Environment
from kvtable.cli.main import main
from kvtable.cli.settings import (
    Settings,
    dynamodb_local_endpoint,
    is_loopback_url,
    local_endpoint,
    print_settings,
    sends_to_aws,
)
from kvtable.local.process import free_loopback_port
from tests.cli_runs import run_main
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
NO_CREDENTIALS = (
    "no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
    "(any values work against a local endpoint)"
)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://127.3.4.5:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000/", True),
        ("https://dynamodb.localhost", True),
        ("http://128.0.0.1:8000", False),
        ("http://10.0.0.5:8000", False),
        ("https://dynamodb.us-east-1.amazonaws.com", False),
        ("http://localhost.example.com", False),
        ("http://[::2]:8000", False),
        ("http://", False),
    ],
)
def test_loopback_is_localhost_127_slash_8_and_ipv6_one(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_an_endpoint_is_local_only_when_every_request_goes_to_this_machine() -> None:
    local = "http://127.0.0.1:8000"
    assert local_endpoint(local, {"AWS_ENDPOINT_URL": "https://example.com"}) == local  # the flag wins
    assert local_endpoint("http://10.0.0.5:8000", {"AWS_ENDPOINT_URL": local}) is None
    assert local_endpoint(None, {"AWS_ENDPOINT_URL": local}) == local
    assert local_endpoint(None, {}) is None
    # One service's requests would go elsewhere, or only one service's come here.
    assert local_endpoint(None, {"AWS_ENDPOINT_URL": local, "AWS_ENDPOINT_URL_IAM": "https://x.com"}) is None
    assert local_endpoint(None, {"AWS_ENDPOINT_URL_DYNAMODB": local}) is None
    assert (
        local_endpoint(None, {"AWS_ENDPOINT_URL": local, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"})
        is None
    )


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere: no variables, empty config and credentials files, no instance metadata."""
    for variable in list(os.environ):
        if variable.startswith("AWS_"):
            monkeypatch.delenv(variable)
    (tmp_path / "empty").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def settings_rows(settings: Settings) -> list[str]:
    out = io.StringIO()
    print_settings(settings, {}, None, out)
    return [" ".join(line.split()) for line in out.getvalue().splitlines()[1:]]


def dev_settings(endpoint_url: str | None) -> Settings:
    environment = Environment(name="dev", path=Path("config/dev.toml"), region="us-east-1")
    sources = {"stack name": "default", "region": "file"}
    return Settings("KVDev", None, "us-east-1", endpoint_url, environment, sources)


def test_plan_says_keys_from_environment_variables_came_from_there() -> None:
    # tests/conftest.py sets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and no profile.
    assert settings_rows(dev_settings(None)) == [
        "stack name KVDev from default",
        "profile (none) from boto3 (no profile configured)",
        "credentials access keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        "region us-east-1 from file",
        "endpoint (AWS) from boto3",
    ]


def test_plan_names_the_credentials_file_and_the_default_profile(
    no_credentials: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    assert settings_rows(dev_settings(None))[1:3] == [
        "profile default from boto3 (the default profile)",
        f"credentials access keys from the credentials file {credentials}",
    ]


def test_without_credentials_a_loopback_endpoint_gets_placeholders_said_once(
    no_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = dev_settings("http://127.0.0.1:8000")
    rows = settings_rows(settings)
    credentials = settings.session().get_credentials()
    assert credentials is not None and credentials.access_key == "placeholder"
    assert (
        rows[2]
        == "credentials placeholders from kvtable (none are configured; the endpoint is on this machine)"
    )
    assert capsys.readouterr().err == (
        "kvtable: no AWS credentials configured; using placeholder credentials for the local endpoint "
        "http://127.0.0.1:8000\n"
    )


@pytest.mark.parametrize(
    ("flags", "variables"),
    [
        (["--endpoint-url", "http://192.0.2.1:9"], {}),  # TEST-NET-1: never routed, and never reached
        ([], {}),  # AWS itself
        (
            [],
            {
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                "AWS_ENDPOINT_URL_CLOUDFORMATION": "http://192.0.2.1:9",
            },
        ),
    ],
    ids=["remote-endpoint", "aws", "one-service-remote"],
)
def test_without_credentials_nothing_but_a_loopback_endpoint_gets_placeholders(
    no_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    variables: dict[str, str],
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    code, out, err = run(capsys, "outputs", "--region", "us-east-1", *flags)
    assert (code, out) == (2, "")
    assert err == f"kvtable outputs: error: {NO_CREDENTIALS}\n"  # signing fails before any request


def test_dynamodb_alone_is_local_when_its_own_endpoint_is() -> None:
    local = "http://127.0.0.1:8000"
    assert dynamodb_local_endpoint(None, {"AWS_ENDPOINT_URL_DYNAMODB": local}) == local
    # DynamoDB's own variable beats the general one, as botocore reads them.
    both = {"AWS_ENDPOINT_URL_DYNAMODB": local, "AWS_ENDPOINT_URL": "http://127.0.0.1:5001"}
    assert dynamodb_local_endpoint(None, both) == local
    assert dynamodb_local_endpoint(None, {"AWS_ENDPOINT_URL_DYNAMODB": "https://example.com"}) is None
    assert dynamodb_local_endpoint(None, {"AWS_ENDPOINT_URL_IAM": local}) is None
    assert dynamodb_local_endpoint("https://example.com", {"AWS_ENDPOINT_URL_DYNAMODB": local}) is None
    ignored = {"AWS_ENDPOINT_URL_DYNAMODB": local, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    assert dynamodb_local_endpoint(None, ignored) is None


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(main, list(argv), capsys)


@pytest.mark.parametrize(
    ("argv", "source"),
    [
        (["--region", "eu-west-9"], "--region"),
        ([], "AWS_DEFAULT_REGION"),
        (["--env", "dev", "--config-dir", "{config}"], "{config}/dev.toml"),
    ],
    ids=["flag", "variable", "file"],
)
def test_a_region_aws_does_not_have_is_refused_before_any_call(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: list[str],
    source: str,
) -> None:
    import botocore  # noqa: PLC0415

    (tmp_path / "dev.toml").write_text('region = "eu-west-9"\n')
    if source == "AWS_DEFAULT_REGION":
        monkeypatch.setenv(source, "eu-west-9")
    code, out, err = run(capsys, "outputs", *(word.format(config=tmp_path) for word in argv))
    assert (code, out) == (2, "")
    assert err == (
        f"kvtable outputs: error: region 'eu-west-9' (from {source.format(config=tmp_path)}) is not an AWS "
        f"region botocore {botocore.__version__} knows; the nearest: eu-west-3, eu-west-2, eu-west-1; "
        "check --region, or upgrade boto3 if AWS opened the region since\n"
    )


def test_a_local_engine_takes_any_region_and_nothing_answering_says_what_to_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_loopback_port()}"  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, out, err = run(capsys, "outputs", "--region", "eu-west-9")
    assert (code, out) == (1, "")
    assert err == (
        f"kvtable outputs: error: nothing answers at {url} (connection refused); check --endpoint-url / "
        "AWS_ENDPOINT_URL, and that the local engine is running there ('kvtable local' for DynamoDB Local, "
        "'make local-cloudformation' for CloudFormation)\n"
    )


def test_an_engine_elsewhere_that_does_not_answer_is_not_called_local() -> None:
    assert local_engine_hint(False) == (
        "check --endpoint-url / AWS_ENDPOINT_URL, and that the engine there is running"
    )


def test_requests_go_to_aws_only_when_no_endpoint_is_set_anywhere() -> None:
    assert sends_to_aws(None, {})
    assert not sends_to_aws("http://127.0.0.1:8000", {})
    assert not sends_to_aws(None, {"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"})
    assert sends_to_aws(
        None, {"AWS_ENDPOINT_URL": "http://127.0.0.1:8000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}
    )
