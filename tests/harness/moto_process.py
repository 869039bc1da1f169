"""moto in server mode, for CloudFormation and IAM tests over HTTP: test-time only, so it lives with the harness, not in the wheel."""

import contextlib
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kvtable.local.dynamodb_local import PROJECT_ROOT, LocalEndpoint
from kvtable.local.process import LOOPBACK, free_loopback_port, running_server


@contextlib.contextmanager
def moto_server(module: str = "moto.server") -> Iterator[LocalEndpoint]:
    """Run moto's server (or a module that wraps it) on a free loopback port for the block."""
    port = free_loopback_port()
    command = [sys.executable, "-m", module, "-H", LOOPBACK, "-p", str(port)]
    with (
        tempfile.TemporaryDirectory(prefix="moto-") as workdir,
        running_server(command, port, Path(workdir) / "moto.log", cwd=PROJECT_ROOT),
    ):
        yield LocalEndpoint(url=f"http://{LOOPBACK}:{port}", port=port)


def reset_moto(url: str) -> None:
    """Forget every resource the moto server at `url` holds, so that a test starts from nothing."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def clean_moto(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto server at `url` reset, and AWS_ENDPOINT_URL pointing at it for scripts run in the test."""
    reset_moto(url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    return url
