"""The package as a user installs it: a wheel into fresh virtualenvs, base install first, then `[all]`.

The base install is what application code gets: the data contract over boto3 and nothing
else. These tests install from the package registry (pip's cache makes later runs quick).
"""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from kvtable import __version__
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.packaging

ROOT = REPO_ROOT
CONSTRAINTS = ROOT / "requirements.txt"
OPTIONAL = {"troposphere", "awacs", "cfn-lint"}
STUBS = ("mypy-boto3", "boto3-stubs", "botocore-stubs", "types-")


def run(*command: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # Nothing of the test's own environment leaks in: a clean PATH and no PYTHONPATH.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=600,
    )


def pip_install(environment: Path, *requirements: str) -> None:
    result = run(
        environment / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "-c", CONSTRAINTS, *requirements,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def installed(environment: Path) -> set[str]:
    result = run(environment / "bin" / "python", "-m", "pip", "list", "--format", "json")
    return {package["name"].lower() for package in json.loads(result.stdout)}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", out, ROOT
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("kvtable-*.whl")
    assert built.name.startswith(f"kvtable-{__version__}-")
    return built


def new_environment(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    path = tmp_path_factory.mktemp(name)
    venv.create(path, with_pip=True)
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh virtualenv with `pip install kvtable`."""
    path = new_environment(tmp_path_factory, "base")
    pip_install(path, str(wheel))
    return path


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh virtualenv with `pip install 'kvtable[all]'`."""
    path = new_environment(tmp_path_factory, "all")
    pip_install(path, f"kvtable[all] @ {wheel.as_uri()}")
    return path


def test_the_base_install_is_the_data_contract_on_boto3_alone(base: Path) -> None:
    environment = base
    packages = installed(environment)
    assert "kvtable" in packages
    assert "boto3" in packages
    assert not packages & OPTIONAL
    assert not [p for p in packages if p.startswith(STUBS)]
    probe = (
        "import sys, kvtable.contract.store, kvtable.schema.entities, kvtable.schema.errors;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'troposphere','awacs','cfnlint','mypy_boto3_dynamodb'}))"
    )
    result = run(environment / "bin" / "python", "-c", probe, cwd=environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"
    typed = run(
        environment / "bin" / "python",
        "-c",
        "import kvtable, pathlib; print((pathlib.Path(kvtable.__file__).parent / 'py.typed').is_file())",
    )
    assert typed.stdout == "True\n"


def test_the_base_install_names_the_extra_a_command_needs(base: Path) -> None:
    kvtable = base / "bin" / "kvtable"
    assert run(kvtable, "--version").stdout == f"kvtable {__version__}\n"
    result = run(kvtable, "template", "--check")
    assert result.returncode == 2
    assert result.stderr.endswith("run: pip install 'kvtable[build]'\n")
    # Every missing extra in one round, before anything else is checked or started.
    for command, extra, modules in (
        (["verify"], "deploy", "troposphere, awacs and cfn-lint are"),
        (["restore", "--target-table", "kv-restored"], "deploy", "troposphere, awacs and cfn-lint are"),
        (["bench"], "build", "troposphere and awacs are"),
    ):
        result = run(kvtable, *command)
        assert (result.returncode, result.stderr) == (
            2,
            f"kvtable {command[0]}: error: this command needs the {extra!r} extra ({modules} not installed); "
            f"run: pip install 'kvtable[{extra}]'\n",
        )


def test_the_all_extra_gives_every_command_and_the_templates_check(full: Path) -> None:
    assert installed(full) >= OPTIONAL
    kvtable = full / "bin" / "kvtable"
    listing = run(kvtable, "--help").stdout
    for name in (
        "template",
        "plan",
        "deploy",
        "outputs",
        "verify",
        "restore",
        "adopt",
        "demo",
        "bench",
        "local",
    ):
        assert f"\n    {name} " in listing
    result = run(kvtable, "template", "--check")
    assert (result.returncode, result.stdout) == (0, "templates in templates are up to date\n"), result.stderr
