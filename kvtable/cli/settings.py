"""Where a command's settings come from: a command-line flag, else the environment file, else defaults.

boto3's own sources (AWS_PROFILE, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, ~/.aws/config) come
after the file: `--env prod` names prod's account and region on purpose, and a shell
left pointing at another profile must not quietly win over it.
"""

from __future__ import annotations

import argparse
import difflib
import ipaddress
import os
import sys
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kvtable.aws.errors import explain_connection_failures
from kvtable.aws.names import check_stack_name
from kvtable.cfn.names import DEFAULT_STACK_NAME
from kvtable.cfn.templates import load_template
from kvtable.cli import arguments as kinds
from kvtable.cli.environments import DEFAULT_CONFIG_DIR, Environment, load_environment
from kvtable.console.columns import aligned
from kvtable.console.errors import UsageError
from kvtable.deploy.parameters import parse_assignments
from kvtable.schema import key_design as kd

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient

    from kvtable.cfn.templates import Template
    from kvtable.deploy.aws_state import Clients


def add_aws_arguments(parser: argparse.ArgumentParser, environment_file: bool = True) -> None:
    """--profile, --region and --endpoint-url, defaulting to the environment file (for the commands
    that take --env), then boto3's settings."""
    if environment_file:
        title, the_files = "AWS settings (a flag beats --env's file, which beats boto3's own)", "the file's, "
    else:
        title, the_files = "AWS settings (a flag beats boto3's own)", ""
    group = parser.add_argument_group(title)
    group.add_argument(
        "--profile",
        type=kinds.profile_name,
        help=f"AWS profile (default: {the_files}AWS_PROFILE or boto3's default)",
    )
    group.add_argument(
        "--region",
        type=kinds.region_name,
        help=f"AWS region (default: {the_files}AWS_DEFAULT_REGION, the profile's, or us-east-1)",
    )
    group.add_argument(
        "--endpoint-url",
        type=kinds.endpoint_url,
        help=f"send requests here instead of AWS (default: {the_files}AWS_ENDPOINT_URL)",
    )


def add_table_arguments(
    parser: argparse.ArgumentParser, table_help: str, gsi_help: str | None, from_file: bool = False
) -> None:
    """--table-name (and --gsi-name when `gsi_help` is given) for the commands that work on the table
    itself rather than on a stack; with `from_file`, the table defaults to the --env file's TableName."""
    default = (
        f"the --env file's TableName, or {kd.DEFAULT_TABLE_NAME}" if from_file else kd.DEFAULT_TABLE_NAME
    )
    parser.add_argument(
        "--table-name",
        type=kinds.table_name,
        default=None if from_file else kd.DEFAULT_TABLE_NAME,
        help=f"{table_help} (default: {default})",
    )
    if gsi_help is not None:
        parser.add_argument(
            "--gsi-name",
            type=kinds.index_name,
            default=kd.DEFAULT_GSI_NAME,
            help=f"{gsi_help} (default: {kd.DEFAULT_GSI_NAME})",
        )


def add_template_arguments(parser: argparse.ArgumentParser, parameters: bool = False) -> None:
    """--template and, for a command that deploys the template (`parameters`), --parameter."""
    parser.add_argument(
        "--template",
        type=kinds.input_file,
        help="a template file (default: the environment file's, or the database template kvtable builds)",
    )
    if parameters:
        parser.add_argument(
            "--parameter",
            action="append",
            type=kinds.assignment,
            default=None,
            metavar="KEY=VALUE",
            help="parameter value, over the environment file's (repeatable)",
        )


def add_environment_arguments(parser: argparse.ArgumentParser, stack: bool = True) -> None:
    """--env and --config-dir, plus --stack-name when the command works on a stack."""
    parser.add_argument(
        "--env",
        metavar="NAME",
        type=kinds.environment_name,
        help="read settings from config/NAME.toml (or a .toml path); flags given beat the file",
    )
    parser.add_argument(
        "--config-dir",
        type=kinds.folder,
        default=DEFAULT_CONFIG_DIR,
        help=f"where --env looks for NAME.toml (default: {DEFAULT_CONFIG_DIR}/)",
    )
    if stack:
        parser.add_argument(
            "--stack-name",
            type=kinds.stack_name,
            help=f"the stack (default: the file's, or {DEFAULT_STACK_NAME})",
        )
    add_aws_arguments(parser)


# The keys a session is given when it has none and every request goes to an engine on this machine
# (DynamoDB Local takes only letters and digits in an access key; moto takes any).
PLACEHOLDER_KEY = "placeholder"
PLACEHOLDER_METHOD = "kvtable-placeholder"


def is_loopback_url(url: str) -> bool:
    """Whether `url`'s host is this machine: localhost, 127.0.0.0/8 or ::1."""
    try:
        host = urllib.parse.urlsplit(url).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_endpoint(endpoint_url: str | None, environ: Mapping[str, str]) -> str | None:
    """The endpoint every request goes to, when it is on this machine; None when any could reach AWS
    (no endpoint, one that is not loopback, or a service's AWS_ENDPOINT_URL_* that is not)."""
    if endpoint_url is not None:  # given to every client: it beats the variables
        return endpoint_url if is_loopback_url(endpoint_url) else None
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        return None
    general = environ.get("AWS_ENDPOINT_URL")
    every = [value for name, value in environ.items() if name.startswith("AWS_ENDPOINT_URL")]
    if general and all(is_loopback_url(value) for value in every):
        return general
    return None


# botocore's own order: the service's variable, then the one for every service (boto3 1.28 and later).
DYNAMODB_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL")


def configured_dynamodb_endpoint(
    endpoint_url: str | None, environ: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """(the endpoint DynamoDB's requests go to as botocore picks it: the flag, else AWS_ENDPOINT_URL_DYNAMODB,
    else AWS_ENDPOINT_URL; the flag or variable that gave it), or (None, None) for AWS's own endpoint."""
    if endpoint_url:
        return endpoint_url, "--endpoint-url"
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        return None, None  # botocore ignores the variables then
    for variable in DYNAMODB_ENDPOINT_VARIABLES:
        if environ.get(variable):
            return environ[variable], variable
    return None, None


def dynamodb_local_endpoint(endpoint_url: str | None, environ: Mapping[str, str]) -> str | None:
    """The endpoint DynamoDB's requests go to, when it is on this machine; None when they could reach AWS."""
    url, _source = configured_dynamodb_endpoint(endpoint_url, environ)
    return url if url is not None and is_loopback_url(url) else None


def with_placeholder_credentials(session: boto3.Session, endpoint: str | None, announced: set[str]) -> None:
    """Give `session` placeholder credentials when it has none and `endpoint` (every request's, on this
    machine) is not None; said once on stderr for each endpoint in `announced`."""
    if endpoint is None or session.get_credentials() is not None:
        return
    # Local engines take any keys, but botocore signs every request and has none to sign with.
    session._session.set_credentials(PLACEHOLDER_KEY, PLACEHOLDER_KEY)
    credentials = session.get_credentials()
    if credentials is not None:
        credentials.method = PLACEHOLDER_METHOD
    if endpoint not in announced:
        announced.add(endpoint)
        print(
            f"kvtable: no AWS credentials configured; using placeholder credentials for the local endpoint {endpoint}",
            file=sys.stderr,
        )


def sends_to_aws(
    endpoint_url: str | None, environ: Mapping[str, str], session: boto3.Session | None = None
) -> bool:
    """Whether requests go to AWS itself: no endpoint URL from a flag, the file, the environment
    variables or the profile's config."""
    if endpoint_url is not None:
        return False
    ignored = environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true"
    if not ignored and any(name.startswith("AWS_ENDPOINT_URL") for name in environ):
        return False
    if session is not None and not ignored:
        config = session._session.get_scoped_config()
        if config.get("endpoint_url") or config.get("services"):
            return False
    return True


def known_regions(session: boto3.Session) -> frozenset[str]:
    """Every region botocore knows DynamoDB in, in every partition (aws, aws-cn, aws-us-gov, ...);
    read once a process (botocore's data does not change under it)."""
    if not _KNOWN_REGIONS:
        _KNOWN_REGIONS.append(
            frozenset(
                region
                for partition in session.get_available_partitions()
                for region in session.get_available_regions("dynamodb", partition)
            )
        )
    return _KNOWN_REGIONS[0]


_KNOWN_REGIONS: list[frozenset[str]] = []


@dataclass(frozen=True)
class Settings:
    """A command's settings after flags, file and defaults are merged, with where each came from."""

    stack_name: str
    profile: str | None
    region: str | None
    endpoint_url: str | None
    environment: Environment | None = None
    sources: dict[str, str] = field(default_factory=dict)
    # The local endpoints whose placeholder credentials were announced (once per command).
    _announced: set[str] = field(default_factory=set, compare=False, repr=False)

    def template_path(self, flag: Path | None) -> Path | None:
        """The template file a command works with: --template, else the environment file's; None for
        the template kvtable builds."""
        return flag or (self.environment.template if self.environment else None)

    def template(self, flag: Path | None) -> tuple[str, Template]:
        """That template's text and parsed body (reading it needs the `deploy` extra)."""
        from kvtable.builders.render import load_built_template  # noqa: PLC0415 (troposphere and awacs, the `build` extra: only when building)

        path = self.template_path(flag)
        return load_built_template() if path is None else load_template(path)

    def session(self, *, dynamodb_only: bool = False) -> boto3.Session:
        """A boto3 session for these settings; with placeholder credentials (said once on stderr)
        when none are configured and every request goes to an engine on this machine (`dynamodb_only`:
        a command that calls DynamoDB alone, so AWS_ENDPOINT_URL_DYNAMODB counts as every request's)."""
        from kvtable.cli.common import aws_session  # noqa: PLC0415 (keeps this module free of botocore)

        session = aws_session(self.profile, self.region, self.endpoint_url)
        if sends_to_aws(self.endpoint_url, os.environ, session):
            self._check_region_is_known(session)
        else:
            explain_connection_failures(session, is_loopback_url)
        find = dynamodb_local_endpoint if dynamodb_only else local_endpoint
        with_placeholder_credentials(session, find(self.endpoint_url, os.environ), self._announced)
        return session

    def _check_region_is_known(self, session: boto3.Session) -> None:
        """Refuse, before any call, a region that botocore does not know: on AWS it is most likely a
        typo, and the call would fail with a connection error (or a DNS page) that does not say so."""
        region = str(session.region_name)
        known = known_regions(session)
        if region in known:
            return
        import botocore  # noqa: PLC0415 (loaded by boto3 already)

        if "region" in self.sources:
            where = self.sources["region"]
            where = f"{self.environment.path}" if where == "file" and self.environment else where
        elif os.environ.get("AWS_DEFAULT_REGION"):
            where = "AWS_DEFAULT_REGION"
        else:
            where = f"profile {session.profile_name}'s config"
        nearest = difflib.get_close_matches(region, sorted(known), n=3, cutoff=0.6)
        such_as = f"; the nearest: {', '.join(nearest)}" if nearest else ""
        raise UsageError(
            f"region {region!r} (from {where}) is not an AWS region botocore {botocore.__version__} knows"
            f"{such_as}; check --region, or upgrade boto3 if AWS opened the region since"
        )

    def cloudformation(self) -> CloudFormationClient:
        """A CloudFormation client for these settings."""
        return self.session().client("cloudformation", endpoint_url=self.endpoint_url)

    def dynamodb(self) -> DynamoDBClient:
        """A DynamoDB client for these settings."""
        return self.session().client("dynamodb", endpoint_url=self.endpoint_url)

    def clients(self, region: str | None = None) -> Clients:
        """The clients verify, restore and adopt read (and write) through, from one session; in
        `region` when given (a global table's replica), else the settings' region."""
        from kvtable.deploy.aws_state import Clients  # noqa: PLC0415 (1.4 ms of `kvtable --help`, measured 2026-12-07)

        session = self.session()
        url, name = self.endpoint_url, region or session.region_name
        return Clients(
            cloudformation=session.client("cloudformation", endpoint_url=url, region_name=name),
            dynamodb=session.client("dynamodb", endpoint_url=url, region_name=name),
            iam=session.client("iam", endpoint_url=url, region_name=name),
            kms=session.client("kms", endpoint_url=url, region_name=name),
            cloudwatch=session.client("cloudwatch", endpoint_url=url, region_name=name),
            for_region=self.clients,
        )


def _pick(name: str, flag: object, from_file: object, sources: dict[str, str], flag_name: str) -> object:
    if flag is not None:
        sources[name] = flag_name
        return flag
    if from_file is not None:
        sources[name] = "file"
        return from_file
    return None


def resolve_settings(args: argparse.Namespace) -> Settings:
    """Merge the flags in `args` with the environment file `--env` names (read and checked here)."""
    environment = load_environment(args.env, args.config_dir) if args.env else None
    sources: dict[str, str] = {}
    stack_name = _pick(
        "stack name",
        getattr(args, "stack_name", None),
        environment and environment.stack_name,
        sources,
        "--stack-name",
    )
    if stack_name is None:
        sources["stack name"] = "default"
    check_stack_name(str(stack_name or DEFAULT_STACK_NAME))
    return Settings(
        stack_name=str(stack_name or DEFAULT_STACK_NAME),
        profile=_str(
            _pick("profile", args.profile, environment and environment.profile, sources, "--profile")
        ),
        region=_str(_pick("region", args.region, environment and environment.region, sources, "--region")),
        endpoint_url=_str(
            _pick(
                "endpoint",
                args.endpoint_url,
                environment and environment.endpoint_url,
                sources,
                "--endpoint-url",
            )
        ),
        environment=environment,
        sources=sources,
    )


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def merged_assignments(
    file_values: dict[str, str] | None, flags: list[str] | None, what: str
) -> dict[str, str] | None:
    """The file's KEY=value settings with the flags' on top, key by key; None if neither gives any."""
    if file_values is None and flags is None:
        return None
    merged = dict(file_values or {})
    merged.update(parse_assignments(flags or [], what))
    return merged


def print_settings(
    settings: Settings, parameters: dict[str, str], tags: dict[str, str] | None, out: TextIO
) -> None:
    """Say which file and which values a command used, so a plan shows what it was given."""
    environment = settings.environment
    if environment is None:
        return
    session = settings.session()
    out.write(f"Environment {environment.name} ({environment.path}):\n")
    endpoint = settings.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or "(AWS)"
    credentials = session.get_credentials()
    lines: list[tuple[str, str, str]] = [
        ("stack name", settings.stack_name, settings.sources.get("stack name", "boto3")),
        ("profile", *_profile_and_source(settings, session.available_profiles)),
        ("credentials", *credentials_and_source(credentials.method if credentials else None, os.environ)),
        (
            "region",
            settings.region or session.region_name or "(none)",
            settings.sources.get("region", "boto3"),
        ),
        (
            "endpoint",
            endpoint,
            settings.sources.get("endpoint", "AWS_ENDPOINT_URL" if endpoint != "(AWS)" else "boto3"),
        ),
    ]
    for name, value in sorted(parameters.items()):
        source = "file" if environment.parameters.get(name) == value else "--parameter"
        lines.append((f"parameter {name}", value, source))
    for name, value in sorted((tags or {}).items()):
        source = "file" if (environment.tags or {}).get(name) == value else "--tag"
        lines.append((f"tag {name}", value, source))
    for line in aligned([(name, value, f"from {source}") for name, value, source in lines], indent="  "):
        out.write(line + "\n")


def _profile_and_source(settings: Settings, available: list[str]) -> tuple[str, str]:
    """The profile boto3 reads settings (and maybe credentials) from, and where that came from."""
    if settings.profile:
        return settings.profile, settings.sources.get("profile", "boto3")
    if os.environ.get("AWS_PROFILE"):
        return os.environ["AWS_PROFILE"], "AWS_PROFILE"
    if "default" in available:
        return "default", "boto3 (the default profile)"
    return "(none)", "boto3 (no profile configured)"


def credentials_and_source(method: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """What the credentials are and where boto3 found them, in a person's words, from botocore's name
    for the provider that gave them (`Credentials.method`)."""
    credentials_file = environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    config_file = environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    profile = environ.get("AWS_PROFILE") or "default"
    known = {
        "env": ("access keys", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        "explicit": ("access keys", "the command"),
        "shared-credentials-file": ("access keys", f"the credentials file {credentials_file}"),
        "config-file": ("access keys", f"the config file {config_file}"),
        "sso": ("IAM Identity Center (SSO) login", f"'aws sso login' (profile settings in {config_file})"),
        "login": ("AWS console login", f"'aws login' (profile settings in {config_file})"),
        "assume-role": ("an assumed role", f"the profile's role_arn in {config_file}"),
        "assume-role-with-web-identity": (
            "an assumed role (web identity)",
            "AWS_WEB_IDENTITY_TOKEN_FILE / the profile's web_identity_token_file",
        ),
        "custom-process": ("a program's keys", f"the profile's credential_process in {config_file}"),
        "container-role": ("the container's IAM role", "the ECS/EKS container credentials endpoint"),
        "iam-role": ("the EC2 instance's IAM role", "the instance metadata service"),
        "ec2-credentials-file": ("access keys", "the EC2 credentials file /etc/boto.cfg"),
        "boto-config": ("access keys", "a boto2 config file (BOTO_CONFIG, /etc/boto.cfg or ~/.boto)"),
        PLACEHOLDER_METHOD: (
            "placeholders",
            "kvtable (none are configured; the endpoint is on this machine)",
        ),
    }
    if method is None:
        return "(none found)", f"boto3 (no environment variables, no keys for profile {profile})"
    return known.get(method, (method, "boto3"))
