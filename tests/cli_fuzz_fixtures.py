"""Fixtures for the CLI fuzz (tests/unit/cli/test_cli_fuzz.py, and its bases that start DynamoDB Local
in tests/engine/cli/test_cli_fuzz.py): hostile files, and nowhere for a command to go."""

import http.server
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.loopback import loopback_server, send_body


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The files the hostile values name, and a valid JSON Lines file and environment for the bases
    (one set for the module: no command may write to them, and the bases write only under out/)."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    files = {
        "missing": str(tmp_path / "missing"),
        "folder": str(tmp_path / "folder.toml"),
        "fifo": str(tmp_path / "fifo.toml"),
        "not_utf8": str(tmp_path / "latin1.toml"),
        "utf16": str(tmp_path / "utf16.toml"),
        "bom_garbage": str(tmp_path / "bom.toml"),
        "good_jsonl": str(tmp_path / "keys.jsonl"),
    }
    Path(files["folder"]).mkdir()
    os.mkfifo(files["fifo"])
    Path(files["not_utf8"]).write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    Path(files["utf16"]).write_text('stack_name = "S"\n', encoding="utf-16")
    Path(files["bom_garbage"]).write_bytes(b"\xef\xbb\xbf{{ not toml, yaml, json or json lines ]]\n")
    Path(files["good_jsonl"]).write_text('{"key": "k1", "value": 1}\n')
    config = tmp_path / "config"
    config.mkdir()
    (config / "dev.toml").write_text('stack_name = "Dev"\n')
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    java = bin_dir / "java"
    java.write_text("#!/bin/sh\nexit 1\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    files["home"], files["bin"] = str(tmp_path), str(bin_dir)
    return files


class _Refusing(http.server.BaseHTTPRequestHandler):
    """Answers every request at once with AWS's AccessDeniedException, so that a command that gets
    as far as a call ends there (exit 1), without the retries a closed port would cost."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"__type": "AccessDeniedException", "message": "fuzz: no call should get here"}'
        send_body(self, 400, body, "application/x-amz-json-1.0")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def refusing_endpoint() -> Iterator[str]:
    with loopback_server(_Refusing) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def nowhere_to_go(
    monkeypatch: pytest.MonkeyPatch, refusing_endpoint: str, hostile_files: dict[str, str]
) -> None:
    """An endpoint that refuses every call, credentials that need no file, and a `java` that fails at once."""
    tmp_path = Path(hostile_files["home"])
    monkeypatch.chdir(tmp_path)
    for variable in list(os.environ):
        if variable.startswith("AWS_"):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_ENDPOINT_URL", refusing_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fuzz")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fuzz")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("PATH", f"{hostile_files['bin']}{os.pathsep}{os.environ['PATH']}")
