"""Every package kvtable's own code imports is declared in pyproject.toml (its dependencies or an extra),
so `pip install 'kvtable[...]'` brings what the code needs; the benchmarks' peers are the one exception."""

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
PACKAGE = ROOT / "kvtable"
# The peers `make bench` compares against, installed for the benchmark only (requirements-bench.txt), and
# urllib3, which the benchmark times beside its own HTTP pool (botocore brings it).
BENCHMARK_PEERS = {"pynamodb", "pydynox", "aiodynamo", "aiohttp", "awscrt", "yarl", "urllib3"}


def imported_top_level_modules(path: Path) -> set[str]:
    """The top-level modules `path` imports anywhere (inside functions too), except type-checking-only ones
    and optional ones (imported in a `try` whose handler catches ImportError, with a fallback)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_checking_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_checking_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
        if isinstance(node, ast.Try) and any(
            handler.type is not None and "ImportError" in ast.unparse(handler.type)
            for handler in node.handlers
        ):
            type_checking_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_checking_only:
            continue
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def declared_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    names = {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0] for requirement in requirements}
    return {canonical(name) for name in names if name != "kvtable"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_import_of_the_package_is_declared() -> None:
    distributions_of = importlib.metadata.packages_distributions()
    imported = set().union(*(imported_top_level_modules(path) for path in PACKAGE.rglob("*.py")))
    third_party = imported - set(sys.stdlib_module_names) - {"kvtable"} - BENCHMARK_PEERS
    declared = declared_distributions()
    undeclared = {
        module: distributions_of.get(module, [module])
        for module in third_party
        if not any(canonical(d) in declared for d in distributions_of.get(module, [module]))
    }
    assert undeclared == {}


def test_the_check_sees_imports_inside_functions_and_skips_type_checking_blocks(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nimport yaml\nif TYPE_CHECKING:\n    import mypy_boto3_dynamodb\n"
        "def f():\n    from cfn_flip import yaml_dumper\n    from . import sibling\n"
        "try:\n    import certifi\nexcept ImportError:\n    certifi = None\n"
    )
    assert imported_top_level_modules(source) == {"typing", "yaml", "cfn_flip"}
