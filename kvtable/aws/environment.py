"""What `kvtable.connect` takes from the environment: the credentials' source, the region and DynamoDB's
endpoint, decided exactly as `boto3.client("dynamodb")` would decide them (botocore 1.44's chain, read in
its source), or a reason to let boto3 decide.

The rule is to fall back whenever in doubt: any `AWS_*` variable not listed here as read or shown not to
matter, a proxy, a CA bundle, a profile, a config or credentials file that could name the default
profile, a region or endpoint the table does not hold. Nothing here imports botocore.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

# The variables read here, as botocore reads them.
ACCESS_KEY = "AWS_ACCESS_KEY_ID"
SECRET_KEY = "AWS_SECRET_ACCESS_KEY"
# botocore's EnvProvider takes the first non-empty of these, AWS_SECURITY_TOKEN first.
TOKENS = ("AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN")
REGION = "AWS_DEFAULT_REGION"  # botocore reads this one, never AWS_REGION (configprovider.py)
ENDPOINT_URL = "AWS_ENDPOINT_URL"
DYNAMODB_ENDPOINT_URL = "AWS_ENDPOINT_URL_DYNAMODB"
IGNORE_ENDPOINT_URLS = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
USE_FIPS = "AWS_USE_FIPS_ENDPOINT"
USE_DUALSTACK = "AWS_USE_DUALSTACK_ENDPOINT"
CONTAINER_RELATIVE_URI = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
CONTAINER_FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
CONTAINER_TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
CONTAINER_TOKEN_FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
CONFIG_FILE = "AWS_CONFIG_FILE"
CREDENTIALS_FILE = "AWS_SHARED_CREDENTIALS_FILE"

HANDLED = frozenset(
    {
        ACCESS_KEY,
        SECRET_KEY,
        *TOKENS,
        REGION,
        ENDPOINT_URL,
        DYNAMODB_ENDPOINT_URL,
        IGNORE_ENDPOINT_URLS,
        USE_FIPS,
        USE_DUALSTACK,
        CONTAINER_RELATIVE_URI,
        CONTAINER_FULL_URI,
        CONTAINER_TOKEN,
        CONTAINER_TOKEN_FILE,
        CONFIG_FILE,
        CREDENTIALS_FILE,
    }
)
# AWS_* variables that cannot change the credentials, region, endpoint, TLS, proxy or timeouts of a
# DynamoDB client whose credentials come from the environment or a container (tests/unit/aws/test_credentials.py
# checks every AWS_* name in botocore's source is handled, listed here, or makes connect() fall back).
IRRELEVANT = frozenset(
    {
        "AWS_REGION",  # set by Lambda; botocore never reads it
        "AWS_EXECUTION_ENV",  # botocore: the User-Agent only
        "AWS_SDK_UA_APP_ID",  # botocore: the User-Agent only
        # botocore's retries: the direct transport never uses them (the contract retries), as from a client.
        "AWS_RETRY_MODE",
        "AWS_MAX_ATTEMPTS",
        # The instance-metadata provider, last in the chain: never reached once environment or container
        # credentials are found (and the region from IMDS only in defaults mode `auto`, which falls back).
        "AWS_EC2_METADATA_DISABLED",
        "AWS_EC2_METADATA_V1_DISABLED",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
        "AWS_METADATA_SERVICE_TIMEOUT",
        "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
    }
)
# Lambda's own variables and X-Ray's: botocore reads none but AWS_LAMBDA_FUNCTION_NAME (with
# _X_AMZN_TRACE_ID, for the recursion-detection header, which changes no credential or endpoint).
IRRELEVANT_PREFIXES = ("AWS_LAMBDA_", "AWS_XRAY_")
# Outside AWS_*: what botocore reads that would change the client.
OTHER_SETTINGS = ("REQUESTS_CA_BUNDLE", "BOTO_CONFIG")
# botocore's ContainerMetadataFetcher: http only to these hosts or a loopback address; https anywhere.
CONTAINER_HOST = "169.254.170.2"
CONTAINER_ALLOWED_HOSTS = frozenset({CONTAINER_HOST, "169.254.170.23", "fd00:ec2::23", "localhost"})
# botocore's BotoProvider reads these when BOTO_CONFIG is unset: before the container provider.
BOTO_CONFIG_FILES = ("/etc/boto.cfg", "~/.boto")


class EnvironmentKeys(NamedTuple):
    """Keys from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and a session token."""

    access_key: str
    secret_key: str
    token: str | None


class ContainerSource(NamedTuple):
    """Where container credentials come from: the URL, and the token (or the file it is read from)."""

    url: str
    token: str | None
    token_file: str | None


class DirectSettings(NamedTuple):
    """What connect() builds the direct transport from."""

    region: str
    endpoint_url: str
    credentials: EnvironmentKeys | ContainerSource
    # An endpoint the caller or the environment named: then an account id cannot change it.
    endpoint_given: bool


class Fallback(NamedTuple):
    """Why boto3 decides instead."""

    reason: str


def direct_settings(
    environ: Mapping[str, str] | None = None, *, region: str | None = None, endpoint_url: str | None = None
) -> DirectSettings | Fallback:
    """The direct transport's settings from the environment and connect()'s arguments, or why not."""
    env = os.environ if environ is None else environ
    doubt = _doubtful_variable(env) or _default_profile_in_files(env)
    if doubt:
        return Fallback(doubt)
    chosen_region = region if region is not None else env.get(REGION)
    if not chosen_region:
        return Fallback("no region: neither region= nor AWS_DEFAULT_REGION is set")
    from kvtable.aws.endpoint_table import ENDPOINTS  # noqa: PLC0415 (the endpoint table: only when no endpoint URL is given)

    variants = ENDPOINTS.get(chosen_region)
    if variants is None:
        return Fallback(f"the region {chosen_region!r} is not in kvtable's endpoint table")
    endpoint = _endpoint(env, endpoint_url, chosen_region, variants)
    if isinstance(endpoint, Fallback):
        return endpoint
    credentials = _credentials(env)
    if isinstance(credentials, Fallback):
        return credentials
    url, given = endpoint
    return DirectSettings(chosen_region, url, credentials, given)


def _doubtful_variable(env: Mapping[str, str]) -> str | None:
    for name in sorted(env):
        if name.startswith("AWS_"):
            if name in HANDLED or name in IRRELEVANT or name.startswith(IRRELEVANT_PREFIXES):
                continue
            return f"{name} is set"
        if name in OTHER_SETTINGS or name.lower().endswith("_proxy"):
            return f"{name} is set"
    return None


def _default_profile_in_files(env: Mapping[str, str]) -> str | None:
    """A config or credentials file that could give the default profile credentials, a region, an endpoint
    or anything else (botocore merges the credentials file into the profiles)."""
    for variable, default in ((CONFIG_FILE, "~/.aws/config"), (CREDENTIALS_FILE, "~/.aws/credentials")):
        path = os.path.expanduser(env.get(variable, default))
        if not os.path.lexists(path):
            continue
        if not os.path.isfile(path):
            return f"{path} is not a file"
        sections = _sections(path)
        if sections is None:
            return f"{path} cannot be read as an INI file"
        # "default", "profile default" (botocore strips what follows "profile"): doubt on any mention.
        named = [section for section in sections if "default" in section.lower()]
        if named:
            return f"{path} has a [{named[0]}] section"
    return None


def _sections(path: str) -> list[str] | None:
    import configparser  # noqa: PLC0415 (only when a file exists)

    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return parser.sections()


def _true(value: str | None) -> bool:
    # botocore's ensure_boolean: only "true", in any case, is true.
    return value is not None and value.lower() == "true"


def _endpoint(
    env: Mapping[str, str], endpoint_url: str | None, region: str, variants: tuple[str | None, ...]
) -> tuple[str, bool] | Fallback:
    """The endpoint URL and whether it was given (argument or variable), as botocore picks it: the
    argument, then AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL (both unless
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), then the region's endpoint with FIPS and dual-stack."""
    fips, dualstack = _true(env.get(USE_FIPS)), _true(env.get(USE_DUALSTACK))
    url = variants[fips + 2 * dualstack]
    if url is None:
        # botocore refuses the variant when the client is made, even with an endpoint URL given.
        return Fallback(
            "botocore has no DynamoDB endpoint for this region with these FIPS/dual-stack settings"
        )
    given = endpoint_url
    if given is None and not _true(env.get(IGNORE_ENDPOINT_URLS)):
        for name in (DYNAMODB_ENDPOINT_URL, ENDPOINT_URL):
            if name in env:
                given = env[name]
                break
    if given is not None:
        return _given_endpoint(given, region)
    return url, False


def _given_endpoint(url: str, region: str) -> tuple[str, bool] | Fallback:
    from kvtable.aws.endpoint_table import DUALSTACK_DNS_SUFFIXES  # noqa: PLC0415 (the endpoint table: only when no endpoint URL is given)

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return Fallback(f"the endpoint URL {url!r} is not one the direct transport reads as botocore does")
    host = parts.hostname or ""
    if (
        parts.scheme not in ("http", "https")
        or not host
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
        or (port is not None and not 0 < port < 65536)
        or any(c.isspace() for c in url)
    ):
        return Fallback(f"the endpoint URL {url!r} is not one the direct transport reads as botocore does")
    # botocore refuses a dual-stack host given as the endpoint (its rules say to enable dual-stack instead);
    # any partition's suffix counts here, which hands over a little more often than needed, never less.
    authority = parts.netloc.lower()
    for suffix in DUALSTACK_DNS_SUFFIXES:
        if authority in (f"dynamodb.{region}.{suffix}", f"search-dynamodb.{region}.{suffix}"):
            return Fallback("a dual-stack endpoint given as the endpoint URL: botocore refuses it")
    return url, True


def _credentials(env: Mapping[str, str]) -> EnvironmentKeys | ContainerSource | Fallback:
    """botocore's chain as far as it matters here: the environment first; the profile-based providers
    cannot answer (no AWS_PROFILE, no file with a default profile: checked before), nor web identity
    (its variables make connect() fall back); then the EC2 credentials file and the boto config, then
    the container."""
    access_key = env.get(ACCESS_KEY, "")
    if access_key:
        secret_key = env.get(SECRET_KEY, "")
        if not secret_key:
            return Fallback("AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY")
        token = next((env[name] for name in TOKENS if env.get(name)), None)
        return EnvironmentKeys(access_key, secret_key, token)
    for path in BOTO_CONFIG_FILES:
        if os.path.lexists(os.path.expanduser(path)):
            return Fallback(f"{path} exists (botocore reads credentials from it before a container's)")
    if CONTAINER_RELATIVE_URI in env:
        url = f"http://{CONTAINER_HOST}{env[CONTAINER_RELATIVE_URI]}"
    elif CONTAINER_FULL_URI in env:
        url = env[CONTAINER_FULL_URI]
    else:
        return Fallback("no credentials in the environment or from a container")
    token_file = env.get(CONTAINER_TOKEN_FILE)
    token = None if token_file is not None else env.get(CONTAINER_TOKEN)
    return ContainerSource(url, token, token_file)


def container_url_allowed(url: str) -> bool:
    """botocore's rule for the container credentials URL: https to any host; http only to a loopback
    address or one of the container hosts."""

    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    host = parts.hostname
    try:
        if host is not None and ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        pass
    return host in CONTAINER_ALLOWED_HOSTS
