"""What every command-line script shares: AWS settings and one-line errors."""

import argparse
import contextlib
import sys
from collections.abc import Iterator

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)
from botocore.parsers import ResponseParserError

from kvtable.aws_errors import error_code, error_message
from kvtable.deploy.errors import DeployError, UsageError
from kvtable.errors import KvTableError
from kvtable.local.process import EngineStartError

DEFAULT_REGION = "us-east-1"

_EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_CREDENTIAL_CODES = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"}


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    """--profile, --region and --endpoint-url, defaulting to boto3's usual settings."""
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE or boto3's default)")
    parser.add_argument(
        "--region", help=f"AWS region (default: AWS_REGION, the profile's, or {DEFAULT_REGION})"
    )
    parser.add_argument(
        "--endpoint-url", help="send requests here instead of AWS (default: AWS_ENDPOINT_URL if set)"
    )


def aws_session(profile: str | None, region: str | None) -> boto3.Session:
    """A boto3 session from the usual settings, falling back to the design's region."""
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        raise UsageError(
            f"AWS profile {error.kwargs.get('profile')!r} is not configured; check ~/.aws/config"
        ) from error
    if session.region_name is None:
        session = boto3.Session(profile_name=profile, region_name=DEFAULT_REGION)
    return session


def _client_error_line(error: ClientError) -> str:
    code = error_code(error)
    message = error_message(error)
    if code in _EXPIRED_CODES:
        return "your AWS session token has expired; refresh your credentials (e.g. 'aws sso login') and retry"
    if code in _CREDENTIAL_CODES:
        return f"AWS rejected the credentials ({code}); check AWS_PROFILE or your access keys"
    if code in {"AccessDenied", "AccessDeniedException"}:
        return f"access denied: {message}"
    return f"{code}: {message}"


@contextlib.contextmanager
def one_line_errors(program: str) -> Iterator[None]:
    """Print a known failure as one line, `program: error: ...`, and exit non-zero, with no traceback.

    Exit codes: 1 a failure on AWS's side, 2 bad input or settings, 3 a deploy refused for safety.
    """
    try:
        yield
    except DeployError as error:
        print(f"{program}: error: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
    except (NoCredentialsError, PartialCredentialsError):
        print(
            f"{program}: error: no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY (any values work against a local endpoint)",
            file=sys.stderr,
        )
        sys.exit(2)
    except (TokenRetrievalError, UnauthorizedSSOTokenError):
        print(
            f"{program}: error: your AWS SSO token has expired; run 'aws sso login' and retry",
            file=sys.stderr,
        )
        sys.exit(2)
    except NoRegionError:
        print(f"{program}: error: no AWS region; pass --region or set AWS_REGION", file=sys.stderr)
        sys.exit(2)
    except ClientError as error:
        print(f"{program}: error: {_client_error_line(error)}", file=sys.stderr)
        sys.exit(1)
    except (KvTableError, EngineStartError) as error:
        print(f"{program}: error: {error}", file=sys.stderr)
        sys.exit(1)
    except BotoCoreError as error:
        print(f"{program}: error: {error}", file=sys.stderr)
        sys.exit(1)
    except ResponseParserError:
        print(
            f"{program}: error: the endpoint answered with something that is not an AWS API response; "
            "check --endpoint-url / AWS_ENDPOINT_URL",
            file=sys.stderr,
        )
        sys.exit(1)
